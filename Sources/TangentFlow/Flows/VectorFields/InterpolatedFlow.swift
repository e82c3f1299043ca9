/// The interpolated family (2.31)–(2.32) in 2408.01517, `α ∈ [0, 1]`:
/// `θ' = −(α(DᵀD)⁺ + (1−α)I)Dᵀ∇ₓC = −αD⁺∇ₓC − (1−α)Dᵀ∇ₓC` (α = 0 standard, α = 1 adapted);
/// in output space `x' = −(αI + (1−α)G)P_ran(G)∇ₓC` (2.41). All members share their equilibria (Thm 2.3).
public struct InterpolatedFlow: ParameterFlow {
    /// The training problem this field runs on.
    public let problem: TrainingProblem
    /// The interpolation weight α.
    public let alpha: Double
    /// How `D⁺g` is computed.
    public let route: PseudoinverseRoute

    /// - Throws: `.invalidArgument` unless `0 ≤ α ≤ 1`.
    public init(problem: TrainingProblem, alpha: Double, route: PseudoinverseRoute = .default) throws {
        guard alpha >= 0, alpha <= 1 else {
            throw TangentFlowError.invalidArgument(operation: "InterpolatedFlow", reason: "α must lie in [0, 1], got \(alpha)")
        }
        self.problem = problem
        self.alpha = alpha
        self.route = route
    }

    /// `θ'` at `(s, θ)`: the field's parameter velocity (equation in the type's documentation).
    public func velocity(at s: Double, _ theta: [Double]) throws -> [Double] {
        let g = problem.outputGradient(try problem.outputs(theta))
        let standard = try problem.pullback(theta, g)
        if alpha == 0 { return scaled(standard, -1) }
        let adapted = try problem.pseudoinverseApply(theta, g, route: route).velocity
        return (0..<standard.count).map { -alpha * adapted[$0] - (1 - alpha) * standard[$0] }
    }

    /// `x' = Dθ'` in closed form through the NTK (equation in the type's documentation).
    public func outputVelocity(at s: Double, _ theta: [Double]) throws -> [Double] {
        let g = problem.outputGradient(try problem.outputs(theta))
        let pg = try problem.projectOntoNTKRange(theta, g, route: route)
        let gpg: [Double]
        if case .matrixFree = route {
            gpg = try problem.ntkOperator(theta).apply(Matrix.column(pg)).elements
        } else {
            gpg = try problem.backend.kernels.multiply(problem.ntk(theta), transposeA: false, Matrix.column(pg), transposeB: false).elements
        }
        return (0..<pg.count).map { -alpha * pg[$0] - (1 - alpha) * gpg[$0] }
    }
}
