// Gradient descent and the two proximal-point methods of §2 of file 004 (MATH.md §6) on a TwoLayerReLUProblem.
//
// Proximal step: W^{t+1} = argmin_V G(V) = F(V) + d(V, W^t)/(2γ). For the Frobenius distance
// ∇G(V) = ∇F(V) + (V − W^t)/(mγ), solved by the inner gradient iteration V ← V − β ∇G(V) (MATH.md's corrected
// sign and factor), stopped when ‖∇G(V)‖_F ≤ tolerance.
// For W₂², d(V, W) = (1/m) min_σ Σ|V_i − W_σ(i)|², so min_V G = min_{V,σ} F(V) + (1/(2γm)) Σ|V_i − W_σ(i)|²:
// block-coordinate descent alternates the inner solve in V (σ fixed, the Frobenius step towards the permuted
// targets) with an exact assignment in σ (V fixed). Each round does not increase the objective and there are
// finitely many σ, so the rounds stop; we stop them when σ no longer lowers the transport cost.
//
// No loop lives here: every descent is `integrate` on TwoLayerReLUGradientFlow (the field, whose resolvent is the
// inner solve below) with `.euler`, ProximalPointStepper or WassersteinProximalStepper (Flows/Steppers/).

import TangentFlow

extension TwoLayerReLUProblem {
    /// Gradient descent `W^{t+1} = W^t − η ∇F(W^t)` (explicit Euler for `W' = −∇F`, MATH.md §6): `integrate` with
    /// `.euler` on `TwoLayerReLUGradientFlow(c = η)`, unit steps (so the solve's time counts steps exactly).
    ///
    /// - Parameters:
    ///   - start: `W⁰`, `m×d`.
    ///   - step: `η > 0`.
    ///   - steps: number of steps `≥ 0`.
    /// - Returns: `steps + 1` records and iterates; `time = t·η`, `distance = (1/m)Σ|η∇F(W^{t−1})|²`.
    /// - Throws: `.shapeMismatch` / `.nonFinite` for a bad start, `.invalidArgument` for `η ≤ 0` or `steps < 0`.
    public func gradientDescent(from start: Matrix, step: Double, steps: Int) throws -> DescentTrace {
        let op = "TwoLayerReLUProblem.gradientDescent"
        try validate(start, op)
        try requirePositive(step, op, "step η")
        try requireAtLeast(steps, 0, op, "steps")
        let field = try TwoLayerReLUGradientFlow(problem: self, timeScale: step)
        let sol = try integrate(field, stepper: .euler, controller: ConstantStepSize(1), from: 0, to: Double(steps),
                                start: start.elements, saveAt: .steps, maxSteps: max(steps, 1))
        try requireComplete(sol, steps: steps, op)
        var records = [DescentRecord(step: 0, time: 0, loss: lossUnchecked(start.elements), distance: 0, innerIterations: 0, innerGradientNorm: 0, assignmentRounds: 0, converged: true)]
        var iterates = [start]
        for t in stride(from: 1, through: steps, by: 1) {
            // The distance moved is the step's own |η∇F|², as the update computed it (not the rounded difference
            // of the iterates, which loses digits once the step is small against W).
            let g = gradientUnchecked(sol.states[t - 1])
            var moved = 0.0
            for k in 0..<g.count { moved += step * step * g[k] * g[k] }
            records.append(DescentRecord(step: t, time: Double(t) * step, loss: lossUnchecked(sol.states[t]), distance: moved / Double(neurons), innerIterations: 0, innerGradientNorm: 0, assignmentRounds: 0, converged: true))
            iterates.append(Matrix(uncheckedRows: neurons, cols: inputDimension, elements: sol.states[t]))
        }
        return DescentTrace(records: records, iterates: iterates)
    }

    /// One proximal-point step `W^{t+1} = argmin_V F(V) + d(V, W^t)/(2γ)` (§2.2 of file 004, MATH.md §6): one step
    /// of `proximalPoint`.
    ///
    /// ```
    /// inner:  V ← V − β (∇F(V) + (V − T)/(mγ)),   T = W^t (Frobenius) or T_i = W^t_{σ(i)} (W₂, σ optimal)
    /// stop:   ‖∇F(V) + (V − T)/(mγ)‖_F ≤ tolerance,  or  maxInnerIterations reached (reported, not thrown)
    /// ```
    ///
    /// - Parameters:
    ///   - start: `W^t`, `m×d`.
    ///   - distance: `.frobenius` or `.wasserstein`.
    ///   - gamma: `γ > 0`.
    ///   - tolerance: inner stopping threshold on `‖∇G‖_F`, `> 0` (no default: it sets the accuracy).
    ///   - maxInnerIterations: cap on inner gradient iterations per round, `≥ 1`.
    ///   - innerStep: `β`; default `1/(L + 1/(mγ))` with `L = gradientLipschitzBound`, which decreases `G` on
    ///     each region of constant activation pattern.
    /// - Returns: `W^{t+1}` and a record (its `step` and `time` are 0: the caller numbers steps).
    /// - Throws: `.shapeMismatch` / `.nonFinite` for a bad start, `.invalidArgument` for `γ ≤ 0`, a tolerance
    ///   `≤ 0`, `β ≤ 0` or a cap `< 1`.
    public func proximalStep(from start: Matrix, distance: ProximalDistance, gamma: Double, tolerance: Double,
                             maxInnerIterations: Int, innerStep: Double? = nil) throws -> (Matrix, DescentRecord) {
        let op = "TwoLayerReLUProblem.proximalStep"
        try validate(start, op)
        try checkProximalArguments(op, gamma: gamma, tolerance: tolerance, maxInnerIterations: maxInnerIterations, innerStep: innerStep)
        let trace = try proximalTrace(start, distance, gamma, 1, tolerance, maxInnerIterations, innerStep, op)
        let r = trace.records[1]
        return (trace.final, DescentRecord(step: 0, time: 0, loss: r.loss, distance: r.distance, innerIterations: r.innerIterations, innerGradientNorm: r.innerGradientNorm, assignmentRounds: r.assignmentRounds, converged: r.converged))
    }

    /// `steps` proximal-point steps from `start` (see `proximalStep`); `time = t·mγ`: `integrate` on
    /// `TwoLayerReLUGradientFlow(c = mγ, β)` with `ProximalPointStepper` (Frobenius) or
    /// `WassersteinProximalStepper` (W₂), unit steps.
    ///
    /// - Returns: `steps + 1` records and iterates; `unconvergedSteps` counts steps whose inner solve hit the cap.
    /// - Throws: as `proximalStep`, and `.invalidArgument` for `steps < 0`.
    public func proximalPoint(from start: Matrix, distance: ProximalDistance, gamma: Double, steps: Int, tolerance: Double,
                              maxInnerIterations: Int, innerStep: Double? = nil) throws -> DescentTrace {
        let op = "TwoLayerReLUProblem.proximalPoint"
        try validate(start, op)
        try requireAtLeast(steps, 0, op, "steps")
        try checkProximalArguments(op, gamma: gamma, tolerance: tolerance, maxInnerIterations: maxInnerIterations, innerStep: innerStep)
        return try proximalTrace(start, distance, gamma, steps, tolerance, maxInnerIterations, innerStep, op)
    }

    // MARK: internals

    func checkProximalArguments(_ op: String, gamma: Double, tolerance: Double, maxInnerIterations: Int, innerStep: Double?) throws {
        try requirePositive(gamma, op, "gamma γ")
        try requirePositive(tolerance, op, "tolerance")
        try requireAtLeast(maxInnerIterations, 1, op, "maxInnerIterations")
        if let innerStep { try requirePositive(innerStep, op, "innerStep β") }
    }

    /// The field and stepper of a proximal-point descent with parameter `γ` (flow-time step `mγ` per unit step).
    func proximalSolver(_ distance: ProximalDistance, _ gamma: Double, _ tolerance: Double, _ maxInner: Int,
                        _ innerStep: Double?) throws -> (field: TwoLayerReLUGradientFlow, stepper: any Stepper) {
        let field = try TwoLayerReLUGradientFlow(problem: self, timeScale: Double(neurons) * gamma, innerStep: innerStep)
        switch distance {
        case .frobenius: return (field, try ProximalPointStepper(tolerance: tolerance, maxIterations: maxInner))
        case .wasserstein: return (field, try WassersteinProximalStepper(particles: neurons, tolerance: tolerance, maxInnerIterations: maxInner))
        }
    }

    func proximalTrace(_ start: Matrix, _ distance: ProximalDistance, _ gamma: Double, _ steps: Int, _ tolerance: Double,
                       _ maxInner: Int, _ innerStep: Double?, _ op: String) throws -> DescentTrace {
        let (field, stepper) = try proximalSolver(distance, gamma, tolerance, maxInner, innerStep)
        let sol = try integrate(field, stepper: stepper, controller: ConstantStepSize(1), from: 0, to: Double(steps),
                                start: start.elements, saveAt: .steps, maxSteps: max(steps, 1))
        try requireComplete(sol, steps: steps, op)
        let reports = sol.stepReports.compactMap { $0 as? ProximalStepReport }
        var records = [DescentRecord(step: 0, time: 0, loss: lossUnchecked(start.elements), distance: 0, innerIterations: 0, innerGradientNorm: 0, assignmentRounds: 0, converged: true)]
        var iterates = [start]
        for t in stride(from: 1, through: steps, by: 1) {
            let r = reports[t - 1]
            records.append(DescentRecord(step: t, time: Double(t) * Double(neurons) * gamma, loss: lossUnchecked(sol.states[t]), distance: r.squaredDistance / Double(neurons), innerIterations: r.innerIterations, innerGradientNorm: r.residual, assignmentRounds: r.assignmentRounds, converged: r.converged))
            iterates.append(Matrix(uncheckedRows: neurons, cols: inputDimension, elements: sol.states[t]))
        }
        return DescentTrace(records: records, iterates: iterates)
    }

    /// Throws unless a unit-step solve took all `steps` steps (it always does: a guard against a changed loop).
    func requireComplete(_ sol: FlowSolution, steps: Int, _ op: String) throws {
        guard sol.status == .success, sol.states.count == steps + 1,
              sol.stepReports.isEmpty || sol.stepReports.count == steps else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "the solve stopped after \(sol.stats.acceptedSteps) of \(steps) steps (\(sol.status))")
        }
    }

    /// Minimises `G(V) = F(V) + (scale/2) Σ|V_i − T_i|²` from `v`, in place (`scale = 1/(mγ)`).
    ///
    /// `G` is piecewise quadratic with gradient jumps on the ReLU kinks `z_ij = ⟨v_i, x_j⟩ = 0`, and a proximal
    /// minimiser often sits on one (a neuron held just short of activating a sample): there `‖∇G‖` never falls
    /// below the jump and plain gradient steps zig-zag. Along the normal `x_j` the jump of the slope is
    /// `α_i e_j |x_j|²/n`, so a kink with `α_i e_j > 0` is convex (sticky) and one with `α_i e_j < 0` concave
    /// (descent leaves it). Each iteration therefore
    /// 1. marks the convex kinks within `|z_ij| ≤ 1e-11·|v_i||x_j|` as active;
    /// 2. takes `d`, the minimum-norm element of the Clarke subdifferential
    ///    `{∇₀G + Σ_active θ_ij c_ij : θ ∈ [0, 1]}`, `c_ij = (α_i e_j/n) x_j` in neuron `i`'s block (`∇₀G` with the
    ///    active samples off), a box-constrained least-squares problem per neuron solved by coordinate descent;
    ///    where `G` is smooth, `d = ∇G`;
    /// 3. steps `V ← V − t d` with `t = min(β, first kink crossed)`, halved until `G` decreases by `t|d|²/2`
    ///    (Armijo, up to a few ulps of `G`); stepping exactly to the first kink lands on it, so sticky kinks are
    ///    found instead of zig-zagged across.
    /// Stops when `‖d‖ ≤ tolerance` (`‖d‖ = ‖∇G‖` off the kinks), or — reported as not converged — at the cap or
    /// when a step no longer changes `V` (the rounding floor of `G`, about `√(ε|G|/β)` in `‖d‖`).
    func innerSolve(_ v: inout [Double], target: [Double], scale: Double, beta: Double, tolerance: Double,
                    maxIterations: Int) -> (iterations: Int, norm: Double, converged: Bool) {
        let (m, n, dim) = (neurons, samples, inputDimension)
        let x = inputs.elements
        let inputNorms = (0..<n).map { j in scaledNorm((0..<dim).map { x[j + $0 * n] }) }
        func objective(_ v: [Double]) -> Double {
            var s = 0.0
            for k in 0..<v.count { s += (v[k] - target[k]) * (v[k] - target[k]) }
            return lossUnchecked(v) + scale / 2 * s
        }
        var value = objective(v)
        var iterations = 0
        while true {
            // Pre-activations and residuals.
            var z = [Double](repeating: 0, count: m * n)
            var f = [Double](repeating: 0, count: n)
            for j in 0..<n {
                for i in 0..<m {
                    var s = 0.0
                    for k in 0..<dim { s += v[i + k * m] * x[j + k * n] }
                    z[i + j * m] = s
                    if s > 0 { f[j] += signs[i] * s }
                }
            }
            let e = (0..<n).map { (f[$0] - targets[$0]) / Double(n) }
            // ∇₀G (active convex kinks switched off) and the active kinks per neuron.
            var d = [Double](repeating: 0, count: m * dim)
            var active = [[Int]](repeating: [], count: m)
            var onKink = [Bool](repeating: false, count: m * n)
            for i in 0..<m {
                let vNorm = scaledNorm((0..<dim).map { v[i + $0 * m] })
                for j in 0..<n {
                    let zij = z[i + j * m]
                    onKink[i + j * m] = abs(zij) <= 1e-11 * vNorm * inputNorms[j]
                    if onKink[i + j * m] && signs[i] * e[j] > 0 {
                        active[i].append(j)
                    } else if zij > 0 {
                        for k in 0..<dim { d[i + k * m] += signs[i] * e[j] * x[j + k * n] }
                    }
                }
                for k in 0..<dim { d[i + k * m] += weightDecay * v[i + k * m] + scale * (v[i + k * m] - target[i + k * m]) }
                if !active[i].isEmpty { minimumNormBlock(&d, neuron: i, kinks: active[i], residuals: e) }
            }
            let norm = scaledNorm(d)
            if norm <= tolerance { return (iterations, norm, true) }
            if iterations >= maxIterations || !norm.isFinite { return (iterations, norm, false) }
            // First kink crossed along −d (kinks already reached excluded: d is tangent to or leaves the convex
            // ones, and crossing a concave one only lowers G).
            var t = beta
            for i in 0..<m {
                for j in 0..<n where !onKink[i + j * m] {
                    var rate = 0.0   // dz_ij/dt along −d
                    for k in 0..<dim { rate -= d[i + k * m] * x[j + k * n] }
                    let zij = z[i + j * m]
                    if zij * rate < 0 { t = min(t, -zij / rate) }
                }
            }
            let dd = norm * norm
            var accepted = false
            while !accepted {
                let trial = zip(v, d).map { $0 - t * $1 }
                let trialValue = objective(trial)
                // The slack of a few ulps of G keeps the test meaningful once t|d|² is below G's rounding.
                if trialValue <= value - 0.5 * t * dd + 8 * .ulpOfOne * abs(value) {
                    // A step that leaves V unchanged means G's rounding hides the remaining decrease: the
                    // stationarity measure cannot fall further, so stop and report it (not converged).
                    if trial == v { return (iterations, norm, false) }
                    v = trial
                    value = trialValue
                    accepted = true
                } else {
                    t /= 2
                    if t < beta * 1e-14 { return (iterations, norm, false) }   // no decrease: rounding floor
                }
            }
            iterations += 1
        }
    }

    /// Replaces neuron `i`'s block `g` of `d` by the minimum-norm point of `{g + Σ_j θ_j c_j : θ ∈ [0, 1]}`,
    /// `c_j = α_i e_j x_j` (`e` already divided by n), by cyclic exact coordinate minimisation (convex, so it
    /// converges; one kink is solved in one pass).
    func minimumNormBlock(_ d: inout [Double], neuron i: Int, kinks: [Int], residuals e: [Double]) {
        let (m, n, dim) = (neurons, samples, inputDimension)
        let x = inputs.elements
        let c = kinks.map { j in (0..<dim).map { signs[i] * e[j] * x[j + $0 * n] } }
        var r = (0..<dim).map { d[i + $0 * m] }
        var theta = [Double](repeating: 0, count: kinks.count)
        for _ in 0..<200 {
            var change = 0.0
            for (q, cq) in c.enumerated() {
                var dot = 0.0, cc = 0.0
                for k in 0..<dim {
                    dot += r[k] * cq[k]
                    cc += cq[k] * cq[k]
                }
                guard cc > 0 else { continue }
                let new = min(1, max(0, theta[q] - dot / cc))
                let delta = new - theta[q]
                if delta != 0 {
                    for k in 0..<dim { r[k] += delta * cq[k] }
                    theta[q] = new
                    change = max(change, abs(delta))
                }
            }
            if change <= 1e-15 { break }
        }
        for k in 0..<dim { d[i + k * m] = r[k] }
    }
}
