import TangentFlow

/// The adapted gradient flow (2.19)/(2.27) in 2408.01517, `θ' = −D⁺∇ₓC`, with `D⁺g = Dᵀψ`, `Gψ = P_ran(G)g` solved
/// on ScaLAPACK over MPI (`DistributedNTK.pseudoinverseApply`). One velocity evaluation is COLLECTIVE: every rank
/// runs the same `integrate` on the same problem and gets bitwise the same velocity (a reduction at rank 0 then a
/// broadcast), so the replicated solves stay in step.
public struct DistributedAdaptedFlow: ParameterFlow {
    /// The training problem (identical on every rank).
    public let problem: TrainingProblem
    /// The grid `G` is distributed over.
    public let grid: ProcessGrid
    /// How `G⁺g` is solved.
    public let method: GramPseudoinverse.Method

    /// The adapted flow of `problem` on `grid`.
    public init(problem: TrainingProblem, grid: ProcessGrid, method: GramPseudoinverse.Method = .automatic) {
        self.problem = problem
        self.grid = grid
        self.method = method
    }

    /// COLLECTIVE. `θ' = −D⁺g` at `θ`, `g = ∇ₓC(x(θ))`.
    public func velocity(at s: Double, _ theta: [Double]) throws -> [Double] {
        try step(theta).velocity
    }

    /// COLLECTIVE. The velocity with the solve's report.
    public func step(_ theta: [Double]) throws -> (velocity: [Double], report: DistributedNTK.PseudoinverseReport) {
        let g = try Distributed.agree("DistributedAdaptedFlow") { problem.outputGradient(try problem.outputs(theta)) }
        let t0 = Distributed.time
        let ntk = try DistributedNTK(model: problem.model, theta: theta, inputs: problem.inputs, grid: grid)
        let built = Distributed.time - t0
        var (v, report) = try ntk.pseudoinverseApply(g, method: method)
        report.secondsGram += built
        return (v.map { -$0 }, report)
    }

    /// `x' = Dθ'` (by the single-machine JVP; small problems).
    public func outputVelocity(at s: Double, _ theta: [Double]) throws -> [Double] {
        try problem.pushforward(theta, try velocity(at: s, theta))
    }
}
