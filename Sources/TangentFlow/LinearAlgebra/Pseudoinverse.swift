/// The Moore–Penrose pseudoinverse of `A ∈ R^{m×n}` held in factored form (Appendix A of 2408.01517):
///
/// ```
/// A = U Σ Vᵀ (thin SVD),   A⁺ = V_r Σ_r⁻¹ U_rᵀ   (σ_i > threshold kept, r = rank)
/// P_ran(A)  = A A⁺ = U_r U_rᵀ     (A.8)
/// P_ran(Aᵀ) = A⁺ A = V_r V_rᵀ     (A.9)
/// ```
/// Projectors and `A⁺` are applied to vectors and blocks without forming an `m×m` or `n×n` matrix.
/// Edge cases: a zero matrix has rank 0 and `A⁺ = 0`; an empty matrix has rank 0.
/// Postconditions: the Penrose identities (A.1–A.4) hold to `O(κ·ε)`.
public struct Pseudoinverse: Sendable {
    /// The thin SVD of `A`.
    public let svd: SVD
    /// Numerical rank: singular values above `threshold`.
    public let rank: Int
    /// The absolute cut-off used.
    public let threshold: Double
    /// `m`, rows of `A`.
    public let rows: Int
    /// `n`, columns of `A`.
    public let cols: Int
    /// The backend that computed the SVD (used again for the products).
    public let backend: KernelBackend

    /// Factors `A` and decides its rank.
    /// - Parameters:
    ///   - a: any finite `m×n` matrix (tall, wide, square, rank-deficient, zero or empty).
    ///   - tolerance: which singular values count as zero (default `max(m,n)·ε·σ_max`).
    ///   - backend: `.c` (LAPACK dgesdd, falling back to dgesvd) or `.swift` (one-sided Jacobi).
    /// - Throws: `.nonFinite`, `.invalidArgument` (bad tolerance), `.svdDidNotConverge`.
    public init(of a: Matrix, tolerance: RankTolerance = .default, backend: KernelBackend = .c) throws {
        let op = "Pseudoinverse"
        try tolerance.validate(op)
        try a.requireFinite(op, "A")
        svd = try backend.kernels.svd(a)
        rows = a.rows
        cols = a.cols
        self.backend = backend
        let smax = svd.singularValues.first ?? 0
        let cut = tolerance.threshold(rows: a.rows, cols: a.cols, sigmaMax: smax)
        threshold = cut
        rank = svd.singularValues.prefix { $0 > cut && $0 > 0 }.count
    }

    /// `A⁺` as an explicit `n×m` matrix.
    public var matrix: Matrix {
        get throws {
            // A⁺ = Vᵀ_rᵀ · (Σ_r⁻¹ U_rᵀ); dropped singular values get a zero row.
            let w = scaledUt()
            return try backend.kernels.multiply(svd.vt, transposeA: true, w, transposeB: false)
        }
    }

    /// `A⁺ B` for `B ∈ R^{m×k}` (`V_r (Σ_r⁻¹ (U_rᵀ B))`).
    /// - Throws: `.shapeMismatch` if `B` does not have `m` rows; `.nonFinite`.
    public func apply(_ b: Matrix) throws -> Matrix {
        try check(b, rows: rows, "Pseudoinverse.apply")
        let k = backend.kernels
        var c = try k.multiply(leading(svd.u, cols: rank), transposeA: true, b, transposeB: false)  // r×k
        for j in 0..<c.cols { for i in 0..<rank { c.elements[i + j * rank] /= svd.singularValues[i] } }
        return try k.multiply(leadingRows(svd.vt, rank), transposeA: true, c, transposeB: false)
    }

    /// `P_ran(A) B = U_r U_rᵀ B` for `B ∈ R^{m×k}` (A.8).
    public func projectOntoRange(_ b: Matrix) throws -> Matrix {
        try check(b, rows: rows, "Pseudoinverse.projectOntoRange")
        let ur = leading(svd.u, cols: rank)
        let k = backend.kernels
        return try k.multiply(ur, transposeA: false, k.multiply(ur, transposeA: true, b, transposeB: false), transposeB: false)
    }

    /// `P_ran(Aᵀ) B = V_r V_rᵀ B` for `B ∈ R^{n×k}` (A.9), the projector onto the row space.
    public func projectOntoRowSpace(_ b: Matrix) throws -> Matrix {
        try check(b, rows: cols, "Pseudoinverse.projectOntoRowSpace")
        let vr = leadingRows(svd.vt, rank)
        let k = backend.kernels
        return try k.multiply(vr, transposeA: true, k.multiply(vr, transposeA: false, b, transposeB: false), transposeB: false)
    }

    /// `P_ran(A)^⊥ B = B − U_r U_rᵀ B` (projector onto `ker Aᵀ`).
    public func projectOntoRangeComplement(_ b: Matrix) throws -> Matrix {
        try subtract(b, projectOntoRange(b))
    }

    /// `P_ran(Aᵀ)^⊥ B = B − V_r V_rᵀ B` (projector onto `ker A`).
    public func projectOntoRowSpaceComplement(_ b: Matrix) throws -> Matrix {
        try subtract(b, projectOntoRowSpace(b))
    }

    private func check(_ b: Matrix, rows r: Int, _ op: String) throws {
        guard b.rows == r else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "B with \(r) rows", got: b.shapeString)
        }
        try b.requireFinite(op, "B")
    }

    /// `Σ_r⁻¹ U_rᵀ` padded with zero rows to `min(m, n)` rows.
    private func scaledUt() -> Matrix {
        let r = svd.singularValues.count
        var w = svd.u.transposed
        for j in 0..<w.cols {
            for i in 0..<r { w.elements[i + j * r] = i < rank ? w.elements[i + j * r] / svd.singularValues[i] : 0 }
        }
        return w
    }
}

/// First `cols` columns of `a` (contiguous in column-major storage).
func leading(_ a: Matrix, cols: Int) -> Matrix {
    Matrix(uncheckedRows: a.rows, cols: cols, elements: Array(a.elements[0..<(a.rows * cols)]))
}

/// First `rows` rows of `a`.
func leadingRows(_ a: Matrix, _ rows: Int) -> Matrix {
    var out = Matrix(zerosRows: rows, cols: a.cols)
    for j in 0..<a.cols { for i in 0..<rows { out.elements[i + j * rows] = a.elements[i + j * a.rows] } }
    return out
}

/// `a − b` for equal shapes.
func subtract(_ a: Matrix, _ b: Matrix) -> Matrix {
    var c = a
    for k in 0..<c.elements.count { c.elements[k] -= b.elements[k] }
    return c
}

/// `A⁺` as an explicit matrix (see `Pseudoinverse`).
/// - Throws: as `Pseudoinverse.init(of:tolerance:backend:)`.
public func pseudoinverse(of a: Matrix, tolerance: RankTolerance = .default, backend: KernelBackend = .c) throws -> Matrix {
    try Pseudoinverse(of: a, tolerance: tolerance, backend: backend).matrix
}

/// Numerical rank of `A`: the number of singular values above the tolerance's threshold.
/// - Throws: as `Pseudoinverse.init(of:tolerance:backend:)`.
public func numericalRank(of a: Matrix, tolerance: RankTolerance = .default, backend: KernelBackend = .c) throws -> Int {
    try Pseudoinverse(of: a, tolerance: tolerance, backend: backend).rank
}
