// Checked with an eigensolver through a backend, so it lives above Kernels/ (Matrix/ stays below the door).

/// A symmetric positive semidefinite matrix (an NTK Gram `G = DDᵀ`, a covariance): `xᵀAx ≥ 0` for all `x`.
///
/// Construction checks symmetry and that the smallest eigenvalue is `≥ −tolerance · λ_max` (tiny negative
/// eigenvalues of a computed Gram are rounding; see docs/numerics.md). Wrapping a Gram the package computed
/// itself skips the eigenvalue check (`init(gram:)`).
public struct PSDMatrix: Sendable {
    /// The full symmetric matrix.
    public let matrix: Matrix
    /// Order `n`.
    public var n: Int { matrix.rows }

    /// Wraps `a` after checking symmetry and `λ_min(A) ≥ −tolerance·max(λ_max, 0)` with the given backend.
    /// - Throws: `.notSymmetric`, `.nonFinite`, `.shapeMismatch`, or `.invalidArgument` if an eigenvalue is too negative.
    public init(_ a: Matrix, tolerance: Double = 1e-10, backend: KernelBackend = .c) throws {
        let sym = try SymmetricMatrix(a)
        let eig = try backend.kernels.symmetricEigen(sym.matrix)
        let lmax = eig.values.last ?? 0
        let lmin = eig.values.first ?? 0
        guard lmin >= -tolerance * Swift.max(lmax, 0) else {
            throw TangentFlowError.invalidArgument(
                operation: "PSDMatrix", reason: "matrix is not positive semidefinite: λ_min = \(lmin), λ_max = \(lmax)")
        }
        matrix = sym.matrix
    }

    /// Wraps a Gram matrix produced by this package (symmetric by construction), without re-checking.
    init(gram: Matrix) { matrix = gram }
}
