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
        h = startingStep(y0, f, order: stepper.order, controller: controller, span: s1 - s0)
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

/// Hairer, Nørsett & Wanner's starting step (Solving ODEs I, II.4): `h = 0.01·‖y‖/‖f‖` in the controller's
/// scaled norm, capped by the span.
private func startingStep(_ y: [Double], _ f: [Double], order: Int, controller: any StepSizeController, span: Double) -> Double {
    var d0 = 0.0, d1 = 0.0
    if let pi = controller as? PIController {
        for i in 0..<y.count {
            let sc = pi.atol + pi.rtol * Swift.abs(y[i])
            d0 += (y[i] / sc) * (y[i] / sc)
            d1 += (f[i] / sc) * (f[i] / sc)
        }
        d0 = (d0 / Double(y.count)).squareRoot()
        d1 = (d1 / Double(y.count)).squareRoot()
    } else {
        d0 = norm2(y)
        d1 = norm2(f)
    }
    let h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1
    return Swift.min(h0, span)
}
