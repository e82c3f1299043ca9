import Foundation
import TangentFlow

/// The entropic JKO step (the W₂/KL proximal step of §8.1, §10.2 of file 004; MATH.md §6, after Peyré 2015) on a
/// `MeanFieldGridGradientFlow` `F = −c∇f`: weights `p` on a regular grid move by
///
/// ```
/// p_{t+1} = argmin_{p ∈ Σ_K} W_γ(p, p_t) + τ f(p),   τ = 2hc   (flow time hc = τ/2 per step)
/// W_γ(p, q) = min_{π ∈ Π(p,q)} ⟨c, π⟩ + γ Σ π_ij (log π_ij − 1),   ξ = e^{−c/γ},  c_kl = |θ_k − θ_l|²
/// from a = b = 1:   p ← prox^{KL}_{τf/γ}(ξb),   a ← p/(ξb),   b ← p_t/(ξᵀa)         (log domain)
/// ```
/// stopped when the first-marginal error `‖a ⊙ ξb − p‖₁ ≤ marginalTolerance` or after `maxIterations`
/// (reported, not thrown). The `½` of `W₂²/(2h)` makes a step with `τ` flow time `τ/2`. Order 1, no error estimate.
///
/// Postconditions: with `renormalizes` (a flow) the result is `p/Σp`, on the simplex to rounding (mass is
/// conserved); without, it is the raw `p` of mass `1 ±` marginal error (`EntropicJKO.step`). The report is an
/// `EntropicJKOReport`. The Gibbs kernel is prepared once per step (`SeparableLogKernel` holds workspace).
public struct EntropicJKOStepper: Stepper {
    /// Entropic regularisation `γ > 0`.
    public let gamma: Double
    /// Stop the scaling iterations when `‖a ⊙ ξb − p‖₁ ≤ marginalTolerance`.
    public let marginalTolerance: Double
    /// Cap on scaling iterations per step, `≥ 1`.
    public let maxIterations: Int
    /// Tolerance of the inner KL-prox solve (`‖(n/σ)z + y − Φp‖_∞`).
    public let proxTolerance: Double
    /// Cap on Newton iterations per prox solve, `≥ 1`.
    public let maxProxIterations: Int
    /// Whether the step returns `p/Σp` (so the next step starts on the simplex) or the raw `p`.
    public let renormalizes: Bool
    /// Applies the Gibbs kernel `ξ` (`Kernels.gridLogKernel`).
    public let backend: KernelBackend

    /// The stepper of `settings` (its `tau` is not used: `τ = 2hc` comes from the step size and the field).
    /// - Throws: `.invalidArgument` for `γ ≤ 0`, `τ ≤ 0`, a tolerance `≤ 0` or a cap `< 1`.
    public init(settings: EntropicJKOSettings, renormalizes: Bool = true, backend: KernelBackend = .c) throws {
        try settings.validate("EntropicJKOStepper")
        gamma = settings.gamma
        marginalTolerance = settings.marginalTolerance
        maxIterations = settings.maxIterations
        proxTolerance = settings.proxTolerance
        maxProxIterations = settings.maxProxIterations
        self.renormalizes = renormalizes
        self.backend = backend
    }

    /// Order of the propagated solution.
    public var order: Int { 1 }
    /// No embedded error estimate.
    public var errorOrder: Int? { nil }

    /// One entropic JKO step from `(s, p_t)` of size `h` (equation in the type's documentation).
    /// - Throws: `.invalidArgument` unless `field` is a `MeanFieldGridGradientFlow` and `2hc > 0` is finite;
    ///   `.shapeMismatch` for a state whose length is not the grid's; kernel failures.
    public func step(_ field: any VectorField, at s: Double, _ y: [Double], size h: Double, f0: [Double]?) throws -> StepResult {
        let op = "EntropicJKOStepper"
        guard let field = field as? MeanFieldGridGradientFlow else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "the field must be a MeanFieldGridGradientFlow")
        }
        let energy = field.energy
        guard y.count == energy.grid.count else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(energy.grid.count) weights (one per grid point)", got: "\(y.count)")
        }
        let tau = 2 * (h * field.timeScale)
        guard tau > 0, tau.isFinite else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "the JKO step τ = 2hc must be finite and > 0, got \(tau)")
        }
        let kernel = try SeparableLogKernel(axis: energy.grid.axis, gamma: gamma, backend: backend)
        let count = y.count
        let logPrevious = y.map { log($0) }
        let prox = KLProximalSolver(features: energy.features, targets: energy.model.targets, sigma: tau / gamma)
        // The prox's dual is warm-started across the scaling iterations of this step (p̄ changes little between
        // them), not across steps: b restarts at 1, so the first p̄ = ξ1 of a step is far from the last one.
        var dual = [Double](repeating: 0, count: energy.model.samples)
        var logB = [Double](repeating: 0, count: count)
        var logXiB = try kernel.apply(logB)
        var logP = logXiB
        var iterations = 0, proxIterations = 0
        var proxResidual = 0.0, proxConverged = true
        var error = Double.infinity
        while iterations < maxIterations {
            iterations += 1
            let solution = prox.solve(logPrior: logXiB, dual: &dual, tolerance: proxTolerance, maxIterations: maxProxIterations)
            logP = solution.logP
            proxIterations += solution.iterations
            proxResidual = Swift.max(proxResidual, solution.residual)
            proxConverged = proxConverged && solution.converged
            let logA = zip(logP, logXiB).map { $0 - $1 }
            let logXiA = try kernel.apply(logA)
            logB = zip(logPrevious, logXiA).map { $0 - $1 }
            logXiB = try kernel.apply(logB)
            // First marginal of π = diag(a) ξ diag(b) with the new b, against p.
            error = 0
            for k in 0..<count { error += abs(exp(logA[k] + logXiB[k]) - exp(logP[k])) }
            if error <= marginalTolerance { break }
        }
        var p = logP.map { exp($0) }
        let mass = p.reduce(0, +)
        let report = EntropicJKOReport(
            iterations: iterations, marginalError: error, converged: error <= marginalTolerance && proxConverged,
            proxIterations: proxIterations, proxResidual: proxResidual, mass: mass)
        // Renormalise the rounding-level mass drift so the next step's input is on the simplex.
        if renormalizes { p = p.map { $0 / mass } }
        return StepResult(y: p, error: nil, fLast: nil, evaluations: 0, report: report)
    }
}
