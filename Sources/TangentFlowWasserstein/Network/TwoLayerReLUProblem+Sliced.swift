// A proximal-point descent driven by the sliced Wasserstein distance (§8 of file 004: "Sliced Wasserstein: … distance
// to true WS distance has to be studied"; MATH.md §6):
//     W^{t+1} = argmin_V G(V) = F(V) + SW₂²(V, W^t)/(2γ),
// with L fresh random directions per step. For small moves (the identity matching along every direction)
// SW₂²(V, W) = (1/m) Σ_i (V_i − W_i)ᵀ M_L (V_i − W_i), M_L = (1/L) Σ_l θ_l θ_lᵀ → I/d as L grows, so the step is
// implicit Euler with the preconditioner M_L⁻¹ ≈ d·I: flow time ≈ mγd per step (against mγ for the W₂ step).
// With L < d, M_L is singular and the step is not regularised across the directions: only F holds V there.

import TangentFlow

/// One step of `TwoLayerReLUProblem.slicedProximalDescent`.
public struct SlicedDescentRecord: Sendable {
    /// Step index `t` (0 = the start).
    public let step: Int
    /// `F(W^t)`.
    public let loss: Double
    /// `SW₂²(W^t, W^{t−1})` along the step's own directions (0 at step 0).
    public let slicedDistance: Double
    /// Exact `W₂²(W^t, W^{t−1})` between the particle measures (an assignment; 0 at step 0).
    public let wassersteinDistance: Double
    /// Inner gradient iterations.
    public let innerIterations: Int
    /// Final `‖∇G(V)‖_F`.
    public let innerGradientNorm: Double
    /// Whether the inner solve met its tolerance.
    public let converged: Bool
}

extension TwoLayerReLUProblem {
    /// `steps` sliced-Wasserstein proximal steps from `start` (see the file's header):
    ///
    /// ```
    /// W^{t+1} = argmin_V F(V) + SW₂²(V, W^t)/(2γ),   SW₂² over L directions drawn afresh each step
    /// inner:  V ← V − β_k ∇G(V),  ∇G = ∇F(V) + ∇_V SW₂²(V, W^t)/(2γ),  β_k by Armijo backtracking from
    ///         β = 1/(L_F + 1/(mγ)),  stop at ‖∇G‖_F ≤ tolerance or maxInnerIterations (reported, not thrown)
    /// ```
    /// Postcondition (every step, whatever the inner accuracy): `F(W^{t+1}) + SW₂²/(2γ) ≤ F(W^t)`, so the loss never
    /// increases (the inner solve starts at `W^t` and only accepts decreasing steps).
    ///
    /// - Parameters:
    ///   - start: `W⁰`, `m×d`.
    ///   - gamma: `γ > 0`.
    ///   - steps: `≥ 0`.
    ///   - directions: `L ≥ 1` projections per step.
    ///   - seed: seed of the directions (step `t` uses `seed + t`).
    ///   - tolerance: inner stopping threshold `> 0`.
    ///   - maxInnerIterations: `≥ 1`.
    /// - Returns: `steps + 1` records and iterates.
    /// - Throws: `.shapeMismatch`, `.nonFinite` for a bad start; `.invalidArgument` for bad parameters.
    public func slicedProximalDescent(from start: Matrix, gamma: Double, steps: Int, directions: Int, seed: UInt64,
                                      tolerance: Double, maxInnerIterations: Int) throws -> (records: [SlicedDescentRecord], iterates: [Matrix]) {
        let op = "TwoLayerReLUProblem.slicedProximalDescent"
        try validate(start, op)
        try requireAtLeast(steps, 0, op, "steps")
        try requireAtLeast(directions, 1, op, "directions")
        try checkProximalArguments(op, gamma: gamma, tolerance: tolerance, maxInnerIterations: maxInnerIterations, innerStep: nil)
        let (m, d) = (neurons, inputDimension)
        var w = start.elements
        var records = [SlicedDescentRecord(step: 0, loss: lossUnchecked(w), slicedDistance: 0, wassersteinDistance: 0, innerIterations: 0,
                                           innerGradientNorm: 0, converged: true)]
        var iterates = [start]
        let beta = 1 / (gradientLipschitzBound + 1 / (Double(m) * gamma))
        for t in stride(from: 1, through: steps, by: 1) {
            let theta = try SlicedWasserstein.directions(count: directions, dimension: d, seed: seed &+ UInt64(t))
            var v = w
            let r = slicedInnerSolve(&v, target: w, theta: theta, gamma: gamma, beta: beta, tolerance: tolerance, maxIterations: maxInnerIterations)
            let next = Matrix(uncheckedRows: m, cols: d, elements: v)
            let sw = SlicedWasserstein.valueAndGradient(v, w, atoms: m, theta).value
            let w2 = try LinearAssignment.wassersteinSquared(next, iterates[t - 1]).value
            records.append(SlicedDescentRecord(step: t, loss: lossUnchecked(v), slicedDistance: sw, wassersteinDistance: w2,
                                               innerIterations: r.iterations, innerGradientNorm: r.norm, converged: r.converged))
            iterates.append(next)
            w = v
        }
        return (records, iterates)
    }

    /// Minimises `G(V) = F(V) + SW₂²(V, T)/(2γ)` from `v` in place by gradient steps with Armijo backtracking.
    func slicedInnerSolve(_ v: inout [Double], target: [Double], theta: Matrix, gamma: Double, beta: Double, tolerance: Double,
                          maxIterations: Int) -> (iterations: Int, norm: Double, converged: Bool) {
        let m = neurons
        func objective(_ v: [Double]) -> (value: Double, gradient: [Double]) {
            let s = SlicedWasserstein.valueAndGradient(v, target, atoms: m, theta)
            let gf = gradientUnchecked(v)
            return (lossUnchecked(v) + s.value / (2 * gamma), zip(gf, s.gradient.elements).map { $0 + $1 / (2 * gamma) })
        }
        var current = objective(v)
        var iterations = 0
        var step = beta
        while true {
            let norm = scaledNorm(current.gradient)
            if norm <= tolerance { return (iterations, norm, true) }
            if iterations >= maxIterations || !norm.isFinite { return (iterations, norm, false) }
            var accepted = false
            while !accepted {
                let trial = zip(v, current.gradient).map { $0 - step * $1 }
                let next = objective(trial)
                if next.value <= current.value - 0.5 * step * norm * norm {
                    if trial == v { return (iterations, norm, false) }
                    v = trial
                    current = next
                    accepted = true
                    step = min(beta, 2 * step)   // let the step recover after a backtrack
                } else {
                    step /= 2
                    if step < beta * 1e-14 { return (iterations, norm, false) }   // rounding floor of G
                }
            }
            iterations += 1
        }
    }
}
