import Foundation
import TangentFlow

/// The downstairs metric of the deep linear network at an end-to-end matrix `W` ((1.7–1.8) in file 002):
///
/// ```
/// A_{N,W}(Z) = Σ_{p=1}^{N} (WWᵀ)^{(N−p)/N} Z (WᵀW)^{(p−1)/N}                         (1.8)
/// g_W(Z, Z)  = tr(Zᵀ A_{N,W}⁻¹(Z))                                                   (1.7)
/// ```
/// With the SVD `W = U Σ Vᵀ` (so `WWᵀ = U Σ² Uᵀ`, `WᵀW = V Σ² Vᵀ`, one factorisation for both), `A` is
/// diagonal in the bases `U`, `V`:
/// ```
/// A_{N,W}(Z) = U [K ∘ (Uᵀ Z V)] Vᵀ,   K_ij = Σ_{p=1}^{N} σ_i^{2(N−p)/N} σ_j^{2(p−1)/N}  (> 0 when W is full rank)
/// A_{N,W}⁻¹(Z) = U [(Uᵀ Z V) ⊘ K] Vᵀ
/// ```
/// so applying `A` or its inverse costs one SVD (at construction) and four `d×d` products — never a `d²×d²`
/// matrix. For `N = 1`, `A` is the identity (the flat metric).
///
/// Edge cases: `A` is defined for rank-deficient `W` (with `0⁰ = 1`); the inverse, `g_W` and everything built on
/// them need full rank and throw `.invalidArgument` naming `σ_min` otherwise (cut-off `d·ε·σ_max`).
public struct DeepLinearMetric: Sendable {
    /// Depth `N ≥ 1`.
    public let depth: Int
    /// The point `W`.
    public let point: Matrix
    /// Thin SVD of `W` (`U`, `σ` descending, `Vᵀ`).
    public let svd: SVD
    /// `V` (the transpose of `svd.vt`).
    let v: Matrix
    /// The kernel `K_ij = Σ_p σ_i^{2(N−p)/N} σ_j^{2(p−1)/N}`.
    let kernel: Matrix
    /// The backend used for the SVD and products.
    public let backend: KernelBackend

    /// Factors `W` (one SVD).
    /// - Parameters:
    ///   - w: the end-to-end matrix, square `d×d`, finite.
    ///   - depth: `N ≥ 1`.
    ///   - backend: `.c` (LAPACK dgesdd, dgemm) or `.swift`.
    /// - Throws: `.emptyInput`, `.shapeMismatch` (not square), `.nonFinite`, `.invalidArgument` (`N < 1`),
    ///   `.svdDidNotConverge`.
    public init(at w: Matrix, depth: Int, backend: KernelBackend = .c) throws {
        let op = "DeepLinearMetric"
        try w.requireSquareFinite(op, "W")
        guard depth >= 1 else { throw TangentFlowError.invalidArgument(operation: op, reason: "depth N must be ≥ 1, got \(depth)") }
        self.depth = depth
        point = w
        self.backend = backend
        svd = try backend.kernels.svd(w)
        v = svd.vt.transposed
        let d = w.rows, n = Double(depth)
        let s = svd.singularValues
        // powers[p][i] = σ_i^{2p/N}, p = 0..N−1.
        let powers: [[Double]] = (0..<depth).map { p in s.map { p == 0 ? 1 : Foundation.pow($0 * $0, Double(p) / n) } }
        var k = Matrix(zerosRows: d, cols: d)
        for j in 0..<d {
            for i in 0..<d {
                var sum = 0.0
                for p in 1...depth { sum += powers[depth - p][i] * powers[p - 1][j] }
                k.elements[i + j * d] = sum
            }
        }
        kernel = k
    }

    /// Width `d`.
    public var width: Int { point.rows }

    /// Smallest singular value of `W`.
    public var smallestSingularValue: Double { svd.singularValues.last ?? 0 }

    /// The full-rank cut-off `d·ε·σ_max`.
    public var rankThreshold: Double { Double(width) * Double.ulpOfOne * (svd.singularValues.first ?? 0) }

    /// Throws `.invalidArgument` naming `σ_min` unless `W` is numerically full rank.
    public func requireFullRank(_ op: String) throws {
        let smin = smallestSingularValue, smax = svd.singularValues.first ?? 0
        guard smin > rankThreshold, smin > 0 else {
            throw TangentFlowError.invalidArgument(
                operation: op,
                reason: "W must be full rank (invertible), but its smallest singular value is σ_min = \(smin) "
                    + "(σ_max = \(smax), cut-off \(rankThreshold)); the metric g_W is not defined there")
        }
    }

    /// `A_{N,W}(Z)` ((1.8) in file 002).
    /// - Throws: `.shapeMismatch` or `.nonFinite` for a bad `Z`.
    public func apply(_ z: Matrix) throws -> Matrix {
        try check(z, "DeepLinearMetric.apply")
        let k = backend.kernels
        return try DenseOps.sandwich(k, svd.u, DenseOps.hadamard(kernel, DenseOps.project(k, svd.u, z, v)), v)
    }

    /// `A_{N,W}⁻¹(Z)`, by dividing in the singular bases (no `d²×d²` system).
    /// - Throws: `.invalidArgument` if `W` is not full rank; `.shapeMismatch`, `.nonFinite`.
    public func applyInverse(_ z: Matrix) throws -> Matrix {
        let op = "DeepLinearMetric.applyInverse"
        try check(z, op)
        try requireFullRank(op)
        let k = backend.kernels
        var inner = try DenseOps.project(k, svd.u, z, v)
        for idx in 0..<inner.elements.count { inner.elements[idx] /= kernel.elements[idx] }
        return try DenseOps.sandwich(k, svd.u, inner, v)
    }

    /// `g_W(Z₁, Z₂) = tr(Z₁ᵀ A_{N,W}⁻¹(Z₂))` ((1.7) in file 002), computed as `⟨UᵀZ₁V, (UᵀZ₂V) ⊘ K⟩`.
    /// - Throws: as `applyInverse`.
    public func inner(_ z1: Matrix, _ z2: Matrix) throws -> Double {
        let op = "DeepLinearMetric.inner"
        try check(z1, op)
        try check(z2, op)
        try requireFullRank(op)
        let k = backend.kernels
        let a = try DenseOps.project(k, svd.u, z1, v), b = try DenseOps.project(k, svd.u, z2, v)
        var s = 0.0
        for idx in 0..<a.elements.count { s += a.elements[idx] * b.elements[idx] / kernel.elements[idx] }
        return s
    }

    /// `‖Z‖_W = g_W(Z, Z)^{1/2}`.
    public func norm(_ z: Matrix) throws -> Double { try Swift.max(0, inner(z, z)).squareRoot() }

    /// The end-to-end gradient flow velocity `W' = −A_{N,W}(∇E(W))` (Arora–Cohen–Hazan; MATH.md §4), valid on the
    /// balanced manifold.
    public func endToEndVelocity(gradient g: Matrix) throws -> Matrix {
        DenseOps.scale(-1, try apply(g))
    }

    private func check(_ z: Matrix, _ op: String) throws {
        try z.requireShape(width, width, op, "Z")
        try z.requireFinite(op, "Z")
    }
}
