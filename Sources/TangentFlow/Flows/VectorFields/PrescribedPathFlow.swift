/// The prescribed-path field (3.1)–(3.7) in 2408.01517 for the linear path `x(s) = x₀ + s(y − x₀)`,
/// `s ∈ [0, 1]`: `θ' = D(θ)⁺ (y − x₀)` — the minimum-norm parameter velocity realising `x' = y − x₀` (3.2).
/// Where the feasibility condition (3.7) `P_ran(D)^⊥(y − x₀) = 0` fails, the realised output velocity is
/// `P_ran(D)(y − x₀)`, not the prescribed one (`feasibilityResidual` measures it).
public struct PrescribedPathFlow: ParameterFlow {
    /// The training problem this field runs on.
    public let problem: TrainingProblem
    /// `x₀`, the outputs at the start of the path.
    public let start: [Double]
    /// How `D⁺v` is computed.
    public let route: PseudoinverseRoute

    /// The linear path from `x(θ₀)` to the targets.
    public init(problem: TrainingProblem, startingAt theta0: [Double], route: PseudoinverseRoute = .default) throws {
        self.problem = problem
        self.route = route
        start = try problem.outputs(theta0)
    }

    /// `y − x₀`.
    public var direction: [Double] { (0..<start.count).map { problem.targetVector[$0] - start[$0] } }

    /// `θ'` at `(s, θ)`: the field's parameter velocity (equation in the type's documentation).
    public func velocity(at s: Double, _ theta: [Double]) throws -> [Double] {
        try problem.pseudoinverseApply(theta, direction, route: route).velocity
    }

    /// `x' = Dθ'` in closed form through the NTK (equation in the type's documentation).
    public func outputVelocity(at s: Double, _ theta: [Double]) throws -> [Double] {
        try problem.projectOntoNTKRange(theta, direction, route: route)
    }

    /// `|P_ran(D)^⊥(y − x₀)|` at `θ` (3.7): zero where the prescribed path is feasible.
    public func feasibilityResidual(_ theta: [Double]) throws -> Double {
        let v = direction
        let p = try problem.projectOntoNTKRange(theta, v, route: route)
        return norm2((0..<v.count).map { v[$0] - p[$0] })
    }
}
