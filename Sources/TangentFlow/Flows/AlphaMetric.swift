/// The metric of the interpolated family in output space, (2.45)–(2.46) in 2408.01517:
/// ```
/// h_α = (α1 + (1 − α)G)⁻¹ |_{ran(G)},    G = DDᵀ = U Λ Uᵀ,
/// h_α(u, v) = Σ_{λ_i kept} (U_iᵀu)(U_iᵀv) / (α + (1 − α)λ_i)
/// ```
/// a Riemannian metric on `R^{QN}` when `G` has full rank (2.45), a bundle metric on `𝒱 = ran(G)` otherwise (2.46).
/// The field (2.41) `V_α = −(α1 + (1 − α)G)P_ran(G)∇ₓC` is its gradient field:
/// `h_α(V_α, W) = −dC(W)` for every `W ∈ ran(G)` (every `W` when `G` has full rank) — `metricGradient`.
///
/// Edge cases: `α = 0` gives `G⁺` on `ran(G)` (the metric induced from the Euclidean parameter space); `α = 1`
/// the Euclidean metric on `ran(G)`. The rank is `GramPseudoinverse`'s (MATH.md §2 cut-off on `G`'s eigenvalues).
public struct AlphaMetric: Sendable {
    /// The interpolation weight `α ∈ [0, 1]`.
    public let alpha: Double
    /// `dim ran(G)`.
    public let rank: Int
    /// `QN`.
    public let dimension: Int
    /// Orthonormal basis `U_r` of `ran(G)` (`QN×rank`) and its eigenvalues `λ_i`.
    public let basis: Matrix, eigenvalues: [Double]
    private let backend: KernelBackend

    /// The metric at the NTK `gram` of a Jacobian with `parameterCount` columns.
    /// - Throws: `.invalidArgument` unless `0 ≤ α ≤ 1`; what `GramPseudoinverse` throws (`.notSymmetric`, …).
    public init(gram: Matrix, alpha: Double, parameterCount: Int, backend: KernelBackend = .c) throws {
        guard alpha >= 0, alpha <= 1 else {
            throw TangentFlowError.invalidArgument(operation: "AlphaMetric", reason: "α must lie in [0, 1], got \(alpha)")
        }
        let route = try GramPseudoinverse(gram: gram, parameterCount: parameterCount, method: .eigen, backend: backend)
        let e = route.eigen!
        let n = gram.rows
        let keep = (0..<n).filter { e.values[$0] > route.threshold }
        var u = Matrix(zerosRows: n, cols: keep.count)
        for (c, j) in keep.enumerated() { for i in 0..<n { u.elements[i + c * n] = e.vectors.elements[i + j * n] } }
        self.alpha = alpha
        rank = keep.count
        dimension = n
        basis = u
        eigenvalues = keep.map { e.values[$0] }
        self.backend = backend
    }

    /// The metric of `problem` at `θ`.
    /// - Throws: as `init(gram:alpha:parameterCount:backend:)` and the NTK kernel.
    public init(problem: TrainingProblem, theta: [Double], alpha: Double) throws {
        try self.init(gram: problem.ntk(theta), alpha: alpha, parameterCount: problem.model.parameterCount, backend: problem.backend)
    }

    /// `1/(α + (1 − α)λ)`, the tensor's eigenvalue on the eigenvector of `λ`.
    func weight(_ lambda: Double) -> Double { 1 / (alpha + (1 - alpha) * lambda) }

    /// `U_rᵀ v`.
    private func coordinates(_ v: [Double]) throws -> [Double] {
        guard v.count == dimension else {
            throw TangentFlowError.shapeMismatch(operation: "AlphaMetric", expected: "\(dimension) entries", got: "\(v.count)")
        }
        try requireFinite(v, "AlphaMetric", "v")
        if rank == 0 { return [] }
        return try backend.kernels.multiply(basis, transposeA: true, Matrix.column(v), transposeB: false).elements
    }

    /// `U_r c`.
    private func vector(_ c: [Double]) throws -> [Double] {
        if rank == 0 { return [Double](repeating: 0, count: dimension) }
        return try backend.kernels.multiply(basis, transposeA: false, Matrix.column(c), transposeB: false).elements
    }

    /// `h_α(u, v)` (2.45)/(2.46): only the components in `ran(G)` count.
    /// - Throws: `.shapeMismatch` for vectors of the wrong length, `.nonFinite`.
    public func inner(_ u: [Double], _ v: [Double]) throws -> Double {
        let cu = try coordinates(u), cv = try coordinates(v)
        var s = 0.0
        for i in 0..<rank { s += cu[i] * cv[i] * weight(eigenvalues[i]) }
        return s
    }

    /// The tensor `[h_α] = U_r diag(1/(α + (1 − α)λ_i)) U_rᵀ` as a `QN×QN` matrix (2.46).
    public var tensor: Matrix {
        var m = Matrix(zerosRows: dimension, cols: dimension)
        for a in 0..<rank {
            let w = weight(eigenvalues[a])
            for j in 0..<dimension {
                let uj = basis.elements[j + a * dimension] * w
                for i in 0..<dimension { m.elements[i + j * dimension] += basis.elements[i + a * dimension] * uj }
            }
        }
        return m
    }

    /// The `h_α`-gradient of a cost with Euclidean gradient `g = ∇ₓC`, i.e. the `W ∈ ran(G)` with
    /// `h_α(W, ·) = dC` on `ran(G)`: `(α1 + (1 − α)G)P_ran(G) g`. The field (2.41) is `V_α = −metricGradient(g)`.
    /// - Throws: `.shapeMismatch`, `.nonFinite`.
    public func metricGradient(_ g: [Double]) throws -> [Double] {
        let c = try coordinates(g)
        return try vector((0..<rank).map { c[$0] / weight(eigenvalues[$0]) })
    }

    /// `P_ran(G) v`, the projection onto the fibre of the bundle `𝒱`.
    /// - Throws: `.shapeMismatch`, `.nonFinite`.
    public func projectOntoBundle(_ v: [Double]) throws -> [Double] {
        try vector(coordinates(v))
    }
}
