import TangentFlow

/// The one-dimensional truncation problem (4.42) solved numerically, as a check on the exact event times: the
/// field `b' = (n/N_ℓ)(y − b)` is integrated with the package's RK4 stepper at a fixed step while the mode `n` is
/// frozen; when a step carries `b` across the next data point, the crossing is located on the step itself (a
/// safeguarded secant on the fraction `θ` of the step, `RK4(b, θh) = x_next`), time advances by `θh`, and the
/// mode switches. Nothing of the closed form (4.47–4.49) is used.
public enum NumericalTruncationEvents {
    /// The event-located numerical solution.
    public struct Solution: Sendable {
        /// Event times `s_n` found by the integration.
        public let times: [Double]
        /// `b(until)`.
        public let finalOffset: Double
        /// RK4 steps taken (including the partial steps that land on events).
        public let steps: Int
    }

    /// Integrates (4.42) from `b(0) = offset` to `s = until` with RK4 steps of size `step`.
    /// - Throws: `.emptyInput` for no point; `.nonFinite` for NaN/∞; `.invalidArgument` for `step ≤ 0` or
    ///   `until < 0`.
    public static func solve(points: [Double], offset b0: Double, target y: Double, until sEnd: Double, step h: Double) throws -> Solution {
        let op = "NumericalTruncationEvents.solve"
        guard !points.isEmpty else { throw TangentFlowError.emptyInput(operation: op, argument: "points") }
        try requireFinite(points, op, "points")
        try requireFinite([b0, y, sEnd, h], op, "offset, target, until and step")
        guard h > 0, sEnd >= 0 else { throw TangentFlowError.invalidArgument(operation: op, reason: "need step > 0 and until ≥ 0, got \(h), \(sEnd)") }
        let xs = points.sorted(), total = Double(xs.count)
        let rk4 = ExplicitRungeKutta(.rk4)
        var s = 0.0, b = b0
        var n = xs.reduce(0) { $0 + ($1 <= b0 ? 1 : 0) }
        var strict = false
        var times: [Double] = []
        var steps = 0
        func advance(_ b: Double, _ dt: Double, _ n: Int) throws -> Double {
            try rk4.step(FrozenTruncationField(rate: Double(n) / total, target: y), at: 0, [b], size: dt, f0: nil).y[0]
        }
        while s < sEnd, n > 0, b != y {
            let up = b < y
            let next: Double? = up
                ? xs.first(where: { $0 > b }).flatMap { $0 < y ? $0 : nil }
                : xs.last(where: { strict ? $0 < b : $0 <= b }).flatMap { $0 > y ? $0 : nil }
            let dt = Swift.min(h, sEnd - s)
            let b1 = try advance(b, dt, n)
            steps += 1
            guard let x = next, up ? b1 >= x : b1 <= x else {
                s += dt
                b = b1
                continue
            }
            // Locate θ ∈ [0, 1] with RK4(b, θ·dt) = x: secant steps kept inside a shrinking bracket (Illinois).
            var lo = 0.0, hi = 1.0, flo = b - x, fhi = b1 - x
            var theta = 1.0
            for _ in 0..<100 {
                theta = (lo * fhi - hi * flo) / (fhi - flo)
                if !(theta > lo && theta < hi) { theta = 0.5 * (lo + hi) }
                let f = try advance(b, theta * dt, n) - x
                steps += 1
                if f == 0 || hi - lo < 1e-16 { break }
                if (f < 0) == (flo < 0) {
                    lo = theta
                    flo = f
                    fhi *= 0.5
                } else {
                    hi = theta
                    fhi = f
                    flo *= 0.5
                }
                if Swift.abs(f) <= 4 * Double.ulpOfOne * Swift.max(1, Swift.abs(x)) { break }
            }
            s += theta * dt
            b = x
            times.append(s)
            if up {
                n = xs.reduce(0) { $0 + ($1 <= x ? 1 : 0) }
            } else {
                n = xs.reduce(0) { $0 + ($1 < x ? 1 : 0) }
                strict = true
            }
        }
        return Solution(times: times, finalOffset: b, steps: steps)
    }
}

/// `b' = rate·(y − b)` with the mode frozen (4.46).
struct FrozenTruncationField: VectorField {
    let rate: Double
    let target: Double
    func velocity(at s: Double, _ y: [Double]) throws -> [Double] { [rate * (target - y[0])] }
}
