import Foundation
import TangentFlow

// The entropic JKO step of file 004 (§8.1, §10.2; MATH.md §6, which fixes the printed Algorithm 1), after
// Peyré 2015, "Entropic approximation of Wasserstein gradient flows":
//     p_{t+1} = argmin_{p ∈ Σ} W_γ(p, p_t) + τ f(p),   W_γ(p, q) = min_{π ∈ Π(p,q)} ⟨c, π⟩ + γ Σ π_ij (log π_ij − 1).
// With π = diag(a) ξ diag(b), ξ = e^{−c/γ}, the Bregman (KL) splitting iterates, from a = b = 1,
//     p ← prox^{KL}_{τf/γ}(ξ b),   a ← p / (ξ b),   b ← p_t / (ξᵀ a).
// Everything is in the log domain (log a, log b, log p): ξ is applied by SeparableLogKernel, the prox by
// KLProximalSolver, so γ far below the grid spacing squared does not underflow.

/// Settings of an entropic JKO step (no defaults for the tolerances: they set the accuracy).
public struct EntropicJKOSettings: Sendable {
    /// Entropic regularisation `γ > 0` (in squared parameter units, compare with the grid spacing squared).
    public var gamma: Double
    /// Step `τ > 0`: the step minimises `W_γ(p, p_t) + τ f(p)`, i.e. flow time `τ/2` per step (the unregularised
    /// JKO step `W₂²/(2h) + f` has `τ = 2h`).
    public var tau: Double
    /// Stop the scaling iterations when the first-marginal error `‖a ⊙ ξb − p‖₁ ≤ marginalTolerance`.
    public var marginalTolerance: Double
    /// Cap on scaling iterations per step, `≥ 1`.
    public var maxIterations: Int
    /// Tolerance of the inner KL-prox solve (`‖(n/σ)z + y − Φp‖_∞`, in output units).
    public var proxTolerance: Double
    /// Cap on Newton iterations per prox solve, `≥ 1`.
    public var maxProxIterations: Int

    /// Settings for `EntropicJKO.step` / `EntropicJKO.flow`.
    public init(gamma: Double, tau: Double, marginalTolerance: Double, maxIterations: Int, proxTolerance: Double,
                maxProxIterations: Int = 50) {
        self.gamma = gamma
        self.tau = tau
        self.marginalTolerance = marginalTolerance
        self.maxIterations = maxIterations
        self.proxTolerance = proxTolerance
        self.maxProxIterations = maxProxIterations
    }

    func validate(_ op: String) throws {
        try requirePositive(gamma, op, "gamma γ")
        try requirePositive(tau, op, "tau τ")
        try requirePositive(marginalTolerance, op, "marginalTolerance")
        try requireAtLeast(maxIterations, 1, op, "maxIterations")
        try requirePositive(proxTolerance, op, "proxTolerance")
        try requireAtLeast(maxProxIterations, 1, op, "maxProxIterations")
    }
}

/// What one entropic JKO step did.
public struct EntropicJKOReport: Sendable {
    /// Scaling iterations run.
    public let iterations: Int
    /// Final first-marginal error `‖a ⊙ ξb − p‖₁` (the second marginal `b ⊙ ξᵀa = p_t` holds to rounding).
    public let marginalError: Double
    /// `marginalError ≤ marginalTolerance` and every prox solve met its tolerance.
    public let converged: Bool
    /// Newton iterations summed over the prox solves.
    public let proxIterations: Int
    /// Largest final prox residual over the step's solves.
    public let proxResidual: Double
    /// `Σ p_k` of the returned weights (1 up to the marginal error).
    public let mass: Double
}

/// A sequence of entropic JKO steps.
public struct EntropicJKOTrajectory: Sendable {
    /// Flow times `t·τ/2`.
    public let times: [Double]
    /// Weights on the grid at each time (`densities[0]` is the start).
    public let densities: [[Double]]
    /// `f(p_t)`.
    public let energies: [Double]
    /// One report per step (`reports.count == densities.count − 1`).
    public let reports: [EntropicJKOReport]

    /// Number of steps that did not converge (0 means all did).
    public var unconvergedSteps: Int { reports.filter { !$0.converged }.count }
}

/// Entropic JKO steps for the mean-field ReLU energy on a grid (MATH.md §6; §8.1, §10.2 of file 004).
///
/// ```
/// p_{t+1} = argmin_{p ∈ Σ_K} W_γ(p, p_t) + τ f(p),     ξ = e^{−c/γ},  c_kl = |θ_k − θ_l|²
/// from a = b = 1:   p ← prox^{KL}_{τf/γ}(ξb),   a ← p/(ξb),   b ← p_t/(ξᵀa)        (log domain)
/// ```
public enum EntropicJKO {
    /// One entropic JKO step from `previous` (`p_t`, a probability vector on `energy.grid`): one step of
    /// `integrate` with `EntropicJKOStepper` (raw `p`, not renormalised) on `MeanFieldGridGradientFlow` with
    /// `c = τ/2` and step 1.
    ///
    /// Edge cases: zero masses in `p_t` are allowed (`log 0 = −∞` is carried exactly); the returned `p` is
    /// positive wherever the kernel reaches, i.e. everywhere.
    ///
    /// - Returns: `p_{t+1}` and a report; an unconverged step (iteration cap reached) is returned with
    ///   `converged == false` and its final marginal error, never silently.
    /// - Parameter backend: applies the Gibbs kernel `ξ` (`Kernels.gridLogKernel`); `.c` by default.
    /// - Throws: `.shapeMismatch` (length ≠ grid points), `.nonFinite`, `.invalidArgument` (a negative mass,
    ///   masses not summing to 1, γ ≤ 0, τ ≤ 0, a tolerance ≤ 0, a cap < 1); kernel failures (out of memory).
    public static func step(
        from previous: [Double], energy: MeanFieldGridEnergy, settings: EntropicJKOSettings, backend: KernelBackend = .c
    ) throws -> (density: [Double], report: EntropicJKOReport) {
        let op = "EntropicJKO.step"
        try settings.validate(op)
        try requireProbabilityVector(previous, count: energy.grid.count, op, "p_t")
        let sol = try solve(previous, energy, settings, steps: 1, renormalizes: false, backend: backend)
        return (sol.finalState, try reports(sol)[0])
    }

    /// `steps` entropic JKO steps from `start` (see `step`), each renormalised to the simplex: `integrate` with
    /// `EntropicJKOStepper` on `MeanFieldGridGradientFlow(c = τ/2)`, unit steps, every step saved; times `t·τ/2`.
    /// - Parameter backend: applies the Gibbs kernel `ξ` (`Kernels.gridLogKernel`); `.c` by default.
    /// - Throws: as `step`, and `.invalidArgument` for `steps < 0`.
    public static func flow(
        from start: [Double], energy: MeanFieldGridEnergy, settings: EntropicJKOSettings, steps: Int, backend: KernelBackend = .c
    ) throws -> EntropicJKOTrajectory {
        let op = "EntropicJKO.flow"
        try settings.validate(op)
        try requireProbabilityVector(start, count: energy.grid.count, op, "start")
        try requireAtLeast(steps, 0, op, "steps")
        let sol = try solve(start, energy, settings, steps: steps, renormalizes: true, backend: backend)
        let times = (0...steps).map { t in Double(t) * settings.tau / 2 }
        let energies = sol.states.map { energy.model.energy(residuals: energy.residuals($0)) }
        return EntropicJKOTrajectory(times: times, densities: sol.states, energies: energies, reports: try reports(sol))
    }

    /// The solve behind `step` and `flow`. Its time counts steps (`c = τ/2`, step 1), so every step has exactly
    /// `τ = 2·(1·τ/2)` whatever the number of steps (a flow-time solve with step `τ/2` accumulates rounding in
    /// `s` that `integrate`'s last-step clipping would turn into a different last `τ`).
    static func solve(_ start: [Double], _ energy: MeanFieldGridEnergy, _ settings: EntropicJKOSettings, steps: Int,
                      renormalizes: Bool, backend: KernelBackend) throws -> FlowSolution {
        let field = try MeanFieldGridGradientFlow(energy: energy, timeScale: settings.tau / 2)
        let stepper = try EntropicJKOStepper(settings: settings, renormalizes: renormalizes, backend: backend)
        return try integrate(field, stepper: stepper, controller: ConstantStepSize(1), from: 0, to: Double(steps), start: start,
                             saveAt: .steps, maxSteps: max(steps, 1))
    }

    /// The per-step reports of a JKO solve, one per step.
    static func reports(_ sol: FlowSolution) throws -> [EntropicJKOReport] {
        let reports = sol.stepReports.compactMap { $0 as? EntropicJKOReport }
        guard sol.status == .success, reports.count == sol.stats.acceptedSteps else {
            throw TangentFlowError.invalidArgument(operation: "EntropicJKO", reason: "the solve stopped early (\(sol.status))")
        }
        return reports
    }
}

extension EntropicJKOReport: StepReport {
    /// Scaling iterations of the step (`iterations`).
    public var innerIterations: Int { iterations }
}
