/// The adapted tangent kernel of §3.3 in 2408.01517: the kernel the adapted flow (2.27) puts in place of the
/// NTK `Θ` (3.14)–(3.15),
/// ```
/// K = D(DᵀD)⁺Dᵀ = P_ran(G),   block (i, j) = K(x_i, x_j) ∈ R^{Q×Q}
/// K(x_i, x_j) = δ_ij 1_Q   when Θ is positive definite on the data (3.16) — (3.17)
/// ```
/// Under rank loss `K` is the projector `P_ran(G)`, not `δ_ij 1_Q` (MATH.md §3).
///
/// Postconditions: `K` is symmetric and idempotent with trace `rank(G)` (the `GramPseudoinverse` rank, MATH.md §2).
public struct AdaptedKernel: Sendable {
    /// `K`, `QN×QN`, sample-major like `G`.
    public let matrix: Matrix
    /// `rank(G)`.
    public let rank: Int
    /// `Q`, the size of a block.
    public let outputDimension: Int

    /// `P_ran(G)` from the NTK `gram` (`QN×QN`) of a Jacobian with `parameterCount` columns.
    /// - Throws: `.invalidArgument` if `Q` does not divide the order of `gram`; what `GramPseudoinverse` throws.
    public init(gram: Matrix, outputDimension q: Int, parameterCount: Int, backend: KernelBackend = .c) throws {
        guard q >= 1, gram.rows % q == 0 else {
            throw TangentFlowError.invalidArgument(
                operation: "AdaptedKernel", reason: "the Gram order \(gram.rows) is not a multiple of Q = \(q)")
        }
        let route = try GramPseudoinverse(gram: gram, parameterCount: parameterCount, method: .eigen, backend: backend)
        var eye = Matrix(zerosRows: gram.rows, cols: gram.rows)
        for i in 0..<gram.rows { eye.elements[i + i * gram.rows] = 1 }
        matrix = try route.projectOntoRange(eye)
        rank = route.rank
        outputDimension = q
    }

    /// The adapted kernel of `problem` at `θ`.
    /// - Throws: as `init(gram:outputDimension:parameterCount:backend:)` and the NTK kernel.
    public init(problem: TrainingProblem, theta: [Double]) throws {
        try self.init(gram: problem.ntk(theta), outputDimension: problem.model.outputDimension,
                      parameterCount: problem.model.parameterCount, backend: problem.backend)
    }

    /// `K(x_i, x_j)`, the `Q×Q` block (3.15)/(3.17).
    public func block(_ i: Int, _ j: Int) -> Matrix {
        let q = outputDimension, n = matrix.rows
        var b = Matrix(zerosRows: q, cols: q)
        for c in 0..<q { for r in 0..<q { b.elements[r + c * q] = matrix.elements[(i * q + r) + (j * q + c) * n] } }
        return b
    }

    /// `max_{i,j} ‖K(x_i, x_j) − δ_ij 1_Q‖_max`: zero (to rounding) exactly when (3.17) holds.
    public var distanceFromIdentityKernel: Double {
        let n = matrix.rows
        var m = 0.0
        for j in 0..<n { for i in 0..<n { m = Swift.max(m, Swift.abs(matrix.elements[i + j * n] - (i == j ? 1 : 0))) } }
        return m
    }
}
