import Foundation

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
    /// One entropic JKO step from `previous` (`p_t`, a probability vector on `energy.grid`).
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
        return try stepUnchecked(previous, energy, settings, SeparableLogKernel(axis: energy.grid.axis, gamma: settings.gamma, backend: backend))
    }

    /// `steps` entropic JKO steps from `start` (see `step`).
    /// - Parameter backend: applies the Gibbs kernel `ξ` (`Kernels.gridLogKernel`); `.c` by default.
    /// - Throws: as `step`, and `.invalidArgument` for `steps < 0`.
    public static func flow(
        from start: [Double], energy: MeanFieldGridEnergy, settings: EntropicJKOSettings, steps: Int, backend: KernelBackend = .c
    ) throws -> EntropicJKOTrajectory {
        let op = "EntropicJKO.flow"
        try settings.validate(op)
        try requireProbabilityVector(start, count: energy.grid.count, op, "start")
        try requireAtLeast(steps, 0, op, "steps")
        let kernel = try SeparableLogKernel(axis: energy.grid.axis, gamma: settings.gamma, backend: backend)
        var p = start
        var times = [0.0], densities = [start], energies = [energy.model.energy(residuals: energy.residuals(start))]
        var reports: [EntropicJKOReport] = []
        for t in stride(from: 1, through: steps, by: 1) {
            let (next, report) = try stepUnchecked(p, energy, settings, kernel)
            // Renormalise the rounding-level mass drift so the next step's input is on the simplex.
            let mass = next.reduce(0, +)
            p = next.map { $0 / mass }
            times.append(Double(t) * settings.tau / 2)
            densities.append(p)
            energies.append(energy.model.energy(residuals: energy.residuals(p)))
            reports.append(report)
        }
        return EntropicJKOTrajectory(times: times, densities: densities, energies: energies, reports: reports)
    }

    static func stepUnchecked(_ previous: [Double], _ energy: MeanFieldGridEnergy, _ settings: EntropicJKOSettings,
                              _ kernel: SeparableLogKernel) throws -> ([Double], EntropicJKOReport) {
        let count = previous.count
        let logPrevious = previous.map { log($0) }
        let prox = KLProximalSolver(features: energy.features, targets: energy.model.targets, sigma: settings.tau / settings.gamma)
        // The prox's dual is warm-started across the scaling iterations of this step (p̄ changes little between
        // them), not across steps: b restarts at 1, so the first p̄ = ξ1 of a step is far from the last one.
        var dual = [Double](repeating: 0, count: energy.model.samples)
        var logB = [Double](repeating: 0, count: count)
        var logXiB = try kernel.apply(logB)
        var logP = logXiB
        var iterations = 0, proxIterations = 0
        var proxResidual = 0.0, proxConverged = true
        var error = Double.infinity
        while iterations < settings.maxIterations {
            iterations += 1
            let solution = prox.solve(logPrior: logXiB, dual: &dual, tolerance: settings.proxTolerance, maxIterations: settings.maxProxIterations)
            logP = solution.logP
            proxIterations += solution.iterations
            proxResidual = max(proxResidual, solution.residual)
            proxConverged = proxConverged && solution.converged
            let logA = zip(logP, logXiB).map { $0 - $1 }
            let logXiA = try kernel.apply(logA)
            logB = zip(logPrevious, logXiA).map { $0 - $1 }
            logXiB = try kernel.apply(logB)
            // First marginal of π = diag(a) ξ diag(b) with the new b, against p.
            error = 0
            for k in 0..<count { error += abs(exp(logA[k] + logXiB[k]) - exp(logP[k])) }
            if error <= settings.marginalTolerance { break }
        }
        let p = logP.map { exp($0) }
        let report = EntropicJKOReport(
            iterations: iterations, marginalError: error, converged: error <= settings.marginalTolerance && proxConverged,
            proxIterations: proxIterations, proxResidual: proxResidual, mass: p.reduce(0, +))
        return (p, report)
    }
}
