/// The positivity test (3.16) of 2408.01517 for the NTK on the training data:
/// ```
/// Σ_i |u_i|² > 0  ⇒  Σ_{i,j} u_iᵀ Θ(x_i, x_j) u_j = uᵀ G u > 0      ⇔   G = DDᵀ positive definite
/// ```
/// decided numerically as `λ_min(G) > tol_G`, the MATH.md §2 cut-off (`max(tol_D², QN·ε·λ_max)`): the same
/// threshold that makes the Gram route call `G` rank-deficient, so "positive definite" here means
/// "`rank(G) = QN`" there, and (3.17) holds exactly when this does.
///
/// Edge cases: the Gram route cannot resolve `σ_min(D)` below `√(QN·ε)·σ_max`; a nearly singular `D` reads as
/// not positive definite. For the witness of failure see `nullDirection`.
public struct NTKPositivity: Sendable {
    /// Whether (3.16) holds on the data.
    public let isPositiveDefinite: Bool
    /// `λ_min(G)` and `λ_max(G)`.
    public let smallestEigenvalue: Double, largestEigenvalue: Double
    /// The cut-off `tol_G` the smallest eigenvalue is compared with.
    public let threshold: Double
    /// `rank(G)`.
    public let rank: Int
    /// A unit `u` with `uᵀGu = λ_min(G)` (the eigenvector of the smallest eigenvalue): a witness that (3.16)
    /// fails when it does.
    public let nullDirection: [Double]

    /// Tests the NTK `gram` of a Jacobian with `parameterCount` columns.
    /// - Throws: what `GramPseudoinverse` throws (`.notSymmetric`, `.nonFinite`, `.emptyInput`, …).
    public init(gram: Matrix, parameterCount: Int, backend: KernelBackend = .c) throws {
        let route = try GramPseudoinverse(gram: gram, parameterCount: parameterCount, method: .eigen, backend: backend)
        let e = route.eigen!
        let n = gram.rows
        smallestEigenvalue = e.values.first ?? 0
        largestEigenvalue = e.values.last ?? 0
        threshold = route.threshold
        rank = route.rank
        isPositiveDefinite = route.rank == n && n > 0
        nullDirection = Array(e.vectors.elements[0..<n])
    }

    /// The test for `problem` at `θ`.
    /// - Throws: as `init(gram:parameterCount:backend:)` and the NTK kernel.
    public init(problem: TrainingProblem, theta: [Double]) throws {
        try self.init(gram: problem.ntk(theta), parameterCount: problem.model.parameterCount, backend: problem.backend)
    }
}
