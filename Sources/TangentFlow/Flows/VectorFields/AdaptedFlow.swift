/// The adapted gradient flow (2.19)/(2.27) in 2408.01517: `θ' = −(DᵀD)⁺Dᵀ∇ₓC = −D⁺∇ₓC`.
/// In output space `x' = −P_ran(G)∇ₓC` (2.28): with full rank and the squared loss (2.48), `x(s)` moves on the
/// straight line from `x₀` to `y`, reached as `t = 1 − e^{−s/N} → 1` (Prop. 2.4).
///
/// Default route: the NTK `G` from the structured kernel, `ψ = G⁺g` by Cholesky while `G` is safely positive
/// definite (eigendecomposition with the MATH.md §2 cut-off under rank loss), then `θ' = −Dᵀψ` by VJP.
public struct AdaptedFlow: ParameterFlow {
    /// The training problem this field runs on.
    public let problem: TrainingProblem
    /// How `D⁺g` is computed.
    public let route: PseudoinverseRoute

    /// The adapted flow of `problem`.
    public init(problem: TrainingProblem, route: PseudoinverseRoute = .default) {
        self.problem = problem
        self.route = route
    }

    /// `θ'` at `(s, θ)`: the field's parameter velocity (equation in the type's documentation).
    public func velocity(at s: Double, _ theta: [Double]) throws -> [Double] {
        if case let .gram(method) = route, method != .eigen {
            // One recorded pass for outputs, NTK and VJP.
            try problem.model.validateParameters(theta)
            let pass = try problem.backend.kernels.mlpRecordPass(problem.model, theta: theta, inputs: problem.inputs)
            let g = problem.outputGradient(try pass.outputs())
            return scaled(try problem.gramRouteApply(pass, g, method: method).velocity, -1)
        }
        let g = problem.outputGradient(try problem.outputs(theta))
        return scaled(try problem.pseudoinverseApply(theta, g, route: route).velocity, -1)
    }

    /// `x' = Dθ'` in closed form through the NTK (equation in the type's documentation).
    public func outputVelocity(at s: Double, _ theta: [Double]) throws -> [Double] {
        let g = problem.outputGradient(try problem.outputs(theta))
        return scaled(try problem.projectOntoNTKRange(theta, g, route: route), -1)
    }
}
