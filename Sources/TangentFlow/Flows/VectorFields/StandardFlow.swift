/// The standard gradient flow (2.3) in 2408.01517: `θ' = −∇_θC = −Dᵀ∇ₓC`, computed matrix-free by one VJP.
/// In output space `x' = −G ∇ₓC` (2.18).
public struct StandardFlow: ParameterFlow {
    /// The training problem this field runs on.
    public let problem: TrainingProblem

    /// The standard flow of `problem`.
    public init(problem: TrainingProblem) { self.problem = problem }

    /// `θ'` at `(s, θ)`: the field's parameter velocity (equation in the type's documentation).
    public func velocity(at s: Double, _ theta: [Double]) throws -> [Double] {
        let g = problem.outputGradient(try problem.outputs(theta))
        return scaled(try problem.pullback(theta, g), -1)
    }

    /// `x' = Dθ'` in closed form through the NTK (equation in the type's documentation).
    public func outputVelocity(at s: Double, _ theta: [Double]) throws -> [Double] {
        let g = problem.outputGradient(try problem.outputs(theta))
        let gram = try problem.ntk(theta)
        return scaled(try problem.backend.kernels.multiply(gram, transposeA: false, Matrix.column(g), transposeB: false).elements, -1)
    }
}
