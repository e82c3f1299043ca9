// The fixed-point iteration of §2.2.1 of file 004 (MATH.md §6): the Frobenius proximal step's optimality condition
// ∇F(V) + (V − W)/(mγ) = 0 written as V = W − mγ ∇F(V) and iterated. It is the inner gradient iteration with the
// largest step β = mγ (V ← V − β(∇F(V) + (V − W)/(mγ)) = W − mγ∇F(V)). The notes call it "kinda the same thing
// (only for γ → 0)": it is a contraction only while mγ·L < 1 on a region of fixed activation pattern.

import TangentFlow

/// The result of `TwoLayerReLUProblem.proximalFixedPoint`.
public struct ProximalFixedPointResult: Sendable {
    /// The last iterate `V^K`, `m×d`.
    public let point: Matrix
    /// Iterations taken `K`.
    public let iterations: Int
    /// `‖V^{k+1} − V^k‖_F` for `k = 0 … K−1` (the fixed-point residual `‖V^k − (W − h∇F(V^k))‖_F` before step `k`).
    public let increments: [Double]
    /// The final residual `‖V^K − (W − h∇F(V^K))‖_F`.
    public let residual: Double
    /// `h · L`, `L = gradientLipschitzBound`: the contraction factor bound on a region of fixed activation pattern.
    public let contractionBound: Double
    /// Whether the residual met the tolerance within the cap.
    public let converged: Bool

    /// The largest ratio of successive increments `‖V^{k+1} − V^k‖ / ‖V^k − V^{k−1}‖` (the observed contraction;
    /// 0 with fewer than two nonzero increments).
    public var observedContraction: Double {
        var worst = 0.0
        for k in 1..<max(1, increments.count) where increments[k - 1] > 0 { worst = max(worst, increments[k] / increments[k - 1]) }
        return worst
    }
}

extension TwoLayerReLUProblem {
    /// The fixed-point iteration of the Frobenius proximal step (§2.2.1 of Mercklé, file 004; MATH.md §6):
    ///
    /// ```
    /// V⁰ = W,   V^{k+1} = W − h ∇F(V^k),   h = mγ   (the flow-time step of the proximal step)
    /// fixed point:  V* = W − h∇F(V*)  ⇔  ∇F(V*) + (V* − W)/(mγ) = 0  (the proximal step's optimality condition)
    /// ```
    /// On a region where the activation pattern does not change, `∇F` is affine with Lipschitz constant at most
    /// `L = gradientLipschitzBound`, so the map is a contraction with factor `≤ hL` while `hL < 1` (Banach: unique
    /// fixed point there, geometric convergence) — the notes' "only for γ → 0". For larger `h`, or across a ReLU
    /// kink (where `∇F` jumps), it need not converge; the result then says so (`converged == false`).
    ///
    /// - Parameters:
    ///   - start: `W`, `m×d`.
    ///   - flowStep: `h = mγ > 0`.
    ///   - tolerance: stop when `‖V^k − (W − h∇F(V^k))‖_F ≤ tolerance`, `> 0`.
    ///   - maxIterations: cap `≥ 1`; reaching it is reported, not thrown. An iterate that stops being finite
    ///     also ends the iteration (reported as not converged).
    /// - Throws: `.shapeMismatch` / `.nonFinite` for a bad start, `.invalidArgument` for `h ≤ 0`, a tolerance
    ///   `≤ 0` or a cap `< 1`.
    public func proximalFixedPoint(from start: Matrix, flowStep h: Double, tolerance: Double, maxIterations: Int) throws -> ProximalFixedPointResult {
        let op = "TwoLayerReLUProblem.proximalFixedPoint"
        try validate(start, op)
        try requirePositive(h, op, "flowStep h = mγ")
        try requirePositive(tolerance, op, "tolerance")
        try requireAtLeast(maxIterations, 1, op, "maxIterations")
        let w = start.elements
        var v = w
        var increments: [Double] = []
        func image(_ v: [Double]) -> [Double] {
            let g = gradientUnchecked(v)
            return (0..<w.count).map { w[$0] - h * g[$0] }
        }
        var next = image(v)
        var residual = scaledNorm(zip(next, v).map { $0 - $1 })
        var iterations = 0
        while residual > tolerance, iterations < maxIterations, residual.isFinite {
            increments.append(residual)
            v = next
            iterations += 1
            next = image(v)
            residual = scaledNorm(zip(next, v).map { $0 - $1 })
        }
        return ProximalFixedPointResult(point: Matrix(uncheckedRows: neurons, cols: inputDimension, elements: v), iterations: iterations,
                                        increments: increments, residual: residual, contractionBound: h * gradientLipschitzBound,
                                        converged: residual <= tolerance)
    }
}
