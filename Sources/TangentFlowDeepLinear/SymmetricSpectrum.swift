import TangentFlow

/// The eigendecomposition `S = U diag(λ) Uᵀ` of a symmetric matrix, kept so that several matrix functions and
/// their derivatives at the same `S` cost one decomposition ((3.29–3.31) in file 002).
///
/// ```
/// f(S)      = U diag(f(λ)) Uᵀ
/// Df(S)[E]  = U (F ∘ (UᵀEU)) Uᵀ,   F_ij = f[λ_i, λ_j]  (first divided difference, F_ii = f'(λ_i))
/// ```
/// Postconditions: `values` ascending (from dsyevd) or as given; `vectors` orthogonal.
public struct SymmetricSpectrum: Sendable {
    /// Eigenvalues `λ`.
    public let values: [Double]
    /// Orthonormal eigenvectors `U` (columns, in the order of `values`).
    public let vectors: Matrix
    /// The backend used for products.
    public let backend: KernelBackend

    /// Decomposes `s` (one dsyevd on the C path).
    /// - Throws: `.emptyInput`, `.shapeMismatch`, `.nonFinite`, `.notSymmetric` (asymmetry above `1e-10` relative),
    ///   `.eigenDidNotConverge`.
    public init(of s: Matrix, backend: KernelBackend = .c) throws {
        try s.requireSquareFinite("SymmetricSpectrum", "S")
        let eig = try backend.kernels.symmetricEigen(s)
        values = eig.values
        vectors = eig.vectors
        self.backend = backend
    }

    /// A spectrum known from elsewhere (e.g. `WWᵀ = U diag(σ²) Uᵀ` from an SVD of `W`); not checked.
    init(values: [Double], vectors: Matrix, backend: KernelBackend) {
        self.values = values
        self.vectors = vectors
        self.backend = backend
    }

    /// Order `n`.
    public var order: Int { values.count }

    /// `f(S) = U diag(f(λ)) Uᵀ`, exactly symmetric.
    /// - Throws: `.invalidArgument` if an eigenvalue lies outside `f`'s domain.
    public func apply(_ f: MatrixFunction) throws -> Matrix {
        try f.check(values, f.domain, "matrixFunction(\(f.name))")
        return try applying(values.map(f.value))
    }

    /// `U diag(g) Uᵀ` for given eigenvalue images `g` (one gemm), symmetrised.
    func applying(_ g: [Double]) throws -> Matrix {
        DenseOps.symmetrized(try DenseOps.synthesize(backend.kernels, vectors, g, vectors))
    }

    /// The divided-difference matrix `F_ij = f[λ_i, λ_j]` ((3.31) in file 002; (2.1) for `f = x^a`).
    /// - Throws: `.invalidArgument` if an eigenvalue lies outside the domain of `f'`.
    public func dividedDifferences(_ f: MatrixFunction) throws -> Matrix {
        try f.check(values, f.derivativeDomain, "dividedDifferences(\(f.name))")
        return dividedDifferencesUnchecked(f)
    }

    func dividedDifferencesUnchecked(_ f: MatrixFunction) -> Matrix {
        let n = order
        var m = Matrix(zerosRows: n, cols: n)
        for j in 0..<n {
            for i in j..<n {
                let v = f.dividedDifference(values[i], values[j])
                m.elements[i + j * n] = v
                m.elements[j + i * n] = v
            }
        }
        return m
    }

    /// The Daleckii–Krein derivative `Df(S)[E] = U (F ∘ (UᵀEU)) Uᵀ` ((3.30) in file 002).
    /// - Parameters:
    ///   - f: the function.
    ///   - e: the direction, `n×n` (any square matrix; the formula is linear in `E`).
    /// - Throws: `.shapeMismatch`, `.nonFinite`, `.invalidArgument` (eigenvalue outside the domain of `f'`).
    public func derivative(_ f: MatrixFunction, direction e: Matrix) throws -> Matrix {
        let op = "matrixFunctionDerivative(\(f.name))"
        try e.requireShape(order, order, op, "E")
        try e.requireFinite(op, "E")
        let k = backend.kernels
        let inner = DenseOps.hadamard(try dividedDifferences(f), try DenseOps.project(k, vectors, e, vectors))
        return try DenseOps.sandwich(k, vectors, inner, vectors)
    }
}
