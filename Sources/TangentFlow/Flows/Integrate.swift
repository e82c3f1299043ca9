import Foundation

/// Solves `y' = F(s, y)` from `s0` to `s1` — the one loop that owns stepping, step-size control, last-step
/// clipping, saving and the step cap (diffrax `_integrate.py`).
///
/// - Parameters:
///   - field: the vector field (the term).
///   - stepper: one step of a method (`.euler`, `.rk4`, `.dopri5`, `ProximalPointStepper`).
///   - controller: `ConstantStepSize(h)` or `PIController(rtol:atol:)` (needs a stepper with an error estimate).
///   - initialStep: first step size for adaptive control (`nil`: Hairer's starting-step heuristic).
///   - saveAt: what to record; `maxSteps` caps accepted + rejected steps; `minStep` stops a collapsing step size.
///   - progress: called after every accepted step.
/// - Returns: a `FlowSolution`; a solve that hits `maxSteps` or `minStep` returns what it has with that status.
/// - Throws: `.invalidArgument` for `s1 < s0`, a non-finite start, or an adaptive controller on a stepper
///   without an error estimate; whatever the field throws.
public func integrate(
    _ field: any VectorField, stepper: any Stepper, controller: any StepSizeController, from s0: Double, to s1: Double,
    start y0: [Double], initialStep: Double? = nil, saveAt: SaveAt = .endpoints, maxSteps: Int = 100_000,
    minStep: Double = 1e-14, progress: ((FlowProgress) -> Void)? = nil
) throws -> FlowSolution {
    let op = "integrate"
    guard s0.isFinite, s1.isFinite, s1 >= s0 else {
        throw TangentFlowError.invalidArgument(operation: op, reason: "need finite s0 ≤ s1, got [\(s0), \(s1)]")
    }
    try requireFinite(y0, op, "start")
    if controller.needsErrorEstimate && stepper.errorOrder == nil {
        throw TangentFlowError.invalidArgument(
            operation: op, reason: "adaptive step-size control needs a stepper with an error estimate (use .dopri5)")
    }
    var controller = controller
    var sol = FlowSolution()
    var saveTimes: [Double] = []
    switch saveAt {
    case .endpoints: saveTimes = [s1]
    case let .times(ts):
        guard ts == ts.sorted(), ts.allSatisfy({ $0 >= s0 && $0 <= s1 }) else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "save times must be sorted and within [\(s0), \(s1)]")
        }
        saveTimes = ts.filter { $0 > s0 }
    case .steps: break
    }
    let saveStart: Bool = {
        if case let .times(ts) = saveAt { return ts.first == s0 }
        return true
    }()
    if saveStart {
        sol.times.append(s0)
        sol.states.append(y0)
    }
    var s = s0, y = y0
    var fCached: [Double]? = nil
    var h: Double
    if let initialStep {
        h = initialStep
    } else if let cs = controller as? ConstantStepSize {
        h = cs.step
    } else {
        let f = try field.velocity(at: s0, y0)
        sol.stats.fieldEvaluations += 1
        fCached = f
        h = try startingStep(
            field, s0, y0, f, order: stepper.order, controller: controller, span: s1 - s0, evaluations: &sol.stats.fieldEvaluations)
    }
    var nextSave = 0
    while s < s1 {
        if sol.stats.acceptedSteps + sol.stats.rejectedSteps >= maxSteps {
            sol.status = .maxStepsReached
            break
        }
        var target = s1
        if case .times = saveAt, nextSave < saveTimes.count { target = Swift.min(target, saveTimes[nextSave]) }
        if case .endpoints = saveAt { target = s1 }
        var hStep = Swift.min(h, target - s)
        // Avoid a sliver step: stretch to the target when within 1% of it.
        if target - s - hStep < 0.01 * hStep { hStep = target - s }
        let r = try stepper.step(field, at: s, y, size: hStep, f0: fCached)
        sol.stats.fieldEvaluations += r.evaluations
        let (accept, next) = controller.adapt(h: hStep, y0: y, y1: r.y, error: r.error, errorOrder: stepper.errorOrder)
        if !accept {
            sol.stats.rejectedSteps += 1
            h = next
            if h < minStep * Swift.max(1, Swift.abs(s)) {
                sol.status = .stepSizeTooSmall
                break
            }
            continue
        }
        sol.stats.acceptedSteps += 1
        if let report = r.report {
            sol.stepReports.append(report)
            sol.stats.innerIterations += report.innerIterations
            if !report.converged { sol.stats.unconvergedSteps += 1 }
        }
        let landed = hStep == target - s
        s = landed ? target : s + hStep
        y = r.y
        fCached = r.fLast
        // A step clipped to land on a save time says little about the next one: do not let it shrink h.
        h = hStep < h ? Swift.max(h, next) : next
        if case .steps = saveAt {
            sol.times.append(s)
            sol.states.append(y)
        } else if landed, nextSave < saveTimes.count, s == saveTimes[nextSave] {
            while nextSave < saveTimes.count, saveTimes[nextSave] == s {
                sol.times.append(s)
                sol.states.append(y)
                nextSave += 1
            }
        }
        progress?(FlowProgress(s: s, s0: s0, s1: s1, stats: sol.stats))
    }
    if sol.status != .success, sol.times.last != s {
        sol.times.append(s)
        sol.states.append(y)
    }
    return sol
}

/// Hairer, Nørsett & Wanner's starting step (Solving ODEs I, II.4, as dopri5.f and diffrax's `dt0=None`), in the
/// controller's scaled norm: `h₀ = 0.01·‖y‖/‖f‖`; one explicit Euler probe estimates the second derivative
/// `d₂ = ‖F(s + h₀, y + h₀f) − f‖/h₀`; then `h = min(100h₀, (0.01/max(‖f‖, d₂))^{1/(p+1)})`, capped by the span.
/// Costs one field evaluation (counted in `evaluations`).
private func startingStep(
    _ field: any VectorField, _ s0: Double, _ y: [Double], _ f: [Double], order: Int, controller: any StepSizeController,
    span: Double, evaluations: inout Int
) throws -> Double {
    let pi = controller as? PIController
    func norm(_ v: [Double]) -> Double {
        guard let pi else { return norm2(v) / Swift.max(1, Double(v.count)).squareRoot() }
        var acc = 0.0
        for i in 0..<v.count {
            let sc = pi.atol + pi.rtol * Swift.abs(y[i])
            acc += (v[i] / sc) * (v[i] / sc)
        }
        return (acc / Double(Swift.max(v.count, 1))).squareRoot()
    }
    let d0 = norm(y), d1 = norm(f)
    let h0 = Swift.min((d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1, span)
    let f1 = try field.velocity(at: s0 + h0, axpy(y, h0, f))
    evaluations += 1
    let d2 = norm((0..<f.count).map { f1[$0] - f[$0] }) / h0
    let h1 = Swift.max(d1, d2) <= 1e-15 ? Swift.max(1e-6, h0 * 1e-3) : pow(0.01 / Swift.max(d1, d2), 1 / Double(order + 1))
    return Swift.min(100 * h0, h1, span)
}
