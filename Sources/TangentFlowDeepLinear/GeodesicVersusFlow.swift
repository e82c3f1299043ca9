import Foundation
import TangentFlow

/// Geodesics against gradient-flow trajectories between the same endpoints (open problem 3 of *Geodesics in the
/// Deep Linear Network*: relate the geodesics of (1.7) to the training vector field).
///
/// For depth `N`, the end-to-end flow `W' = −A_{N,W}(∇E)` of `E = ½‖W − Y‖²_F` runs from `W_0` to time `T`; the
/// geodesic joins the same endpoints `W_0`, `W(T)` (closed form (2.9) if they share singular vectors, else
/// shooting). Compared, at equal fractions `τ` of arc length:
///
/// ```
/// ratio      = L_flow / L_geo,    L_flow = ∫₀ᵀ ‖W'‖_{g_W} ds (midpoint rule on the saved points),  L_geo = √(2H)
/// deviation  = max_τ ‖W_flow(τ) − γ(τ)‖_F / ‖W(T) − W_0‖_F
/// ```
/// `ratio ≥ 1` whenever the geodesic is minimizing. For `N = 1` the flow `W' = −(W − Y)` is the straight segment,
/// a geodesic of the flat metric: `ratio = 1`, `deviation = 0`.
public struct GeodesicVersusFlow: Sendable {
    /// One depth's comparison.
    public struct Comparison: Sendable {
        /// Depth `N`.
        public let depth: Int
        /// `L_flow`.
        public let flowLength: Double
        /// `L_geo`.
        public let geodesicLength: Double
        /// How the geodesic was found.
        public let geodesicMethod: DeepLinearDistance.Method
        /// `E(W(T))`.
        public let finalEnergy: Double
        /// `max_τ ‖W_flow(τ) − γ(τ)‖_F / ‖W(T) − W_0‖_F`.
        public let deviation: Double
        /// Arc-length fractions `τ_k = k/(K − 1)`.
        public let fractions: [Double]
        /// The flow at `τ_k` (linear interpolation between saved points).
        public let flowPoints: [Matrix]
        /// The geodesic at `τ_k`.
        public let geodesicPoints: [Matrix]
        /// `L_flow / L_geo`.
        public var ratio: Double { flowLength / geodesicLength }
    }

    /// One comparison at depth `N`.
    /// - Parameters:
    ///   - w0: start (invertible, `d×d`); `target`: `Y` (same shape).
    ///   - time: flow time `T > 0`; `flowPoints`: saved flow points (≥ 3; the length's midpoint rule has error
    ///     `O(flowPoints⁻²)`); `fractions`: `K ≥ 2` arc-length fractions compared.
    ///   - shooting: options of the geodesic solver.
    /// - Throws: `.invalidArgument` for bad arguments, a flow that does not reach `T` or leaves GL(d), or a
    ///   geodesic that does not converge; shape/finiteness errors.
    public static func compare(
        from w0: Matrix, target y: Matrix, depth: Int, time: Double, flowPoints: Int = 401, fractions: Int = 41,
        shooting: GeodesicShootingOptions = .init(), backend: KernelBackend = .c
    ) throws -> Comparison {
        let op = "GeodesicVersusFlow"
        guard flowPoints >= 3, fractions >= 2 else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "need flowPoints ≥ 3 and fractions ≥ 2, got \(flowPoints), \(fractions)")
        }
        let energy = try DeepLinearEnergy.squaredLoss(target: y)
        let flow = try solveEndToEndFlow(from: w0, energy: energy, depth: depth, time: time, points: flowPoints, backend: backend)
        guard flow.reachedEnd else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "the end-to-end flow (N = \(depth)) stopped before T = \(time) after \(flow.steps) steps")
        }
        let end = flow.points.last!
        // Cumulative arc length at the saved points (midpoint rule per interval).
        var cumulative = [0.0]
        for k in 0..<(flow.points.count - 1) {
            let piece = try DeepLinearMetric.pathLengthAndEnergy(of: [flow.points[k], flow.points[k + 1]], depth: depth, backend: backend).length
            cumulative.append(cumulative[k] + piece)
        }
        let flowLength = cumulative.last!
        let taus = (0..<fractions).map { Double($0) / Double(fractions - 1) }
        var sampled: [Matrix] = []
        var j = 0
        for tau in taus {
            let target = tau * flowLength
            while j < cumulative.count - 2 && cumulative[j + 1] < target { j += 1 }
            let span = cumulative[j + 1] - cumulative[j]
            let a = span > 0 ? Swift.min(1, Swift.max(0, (target - cumulative[j]) / span)) : 0
            sampled.append(DenseOps.combine(1 - a, flow.points[j], a, flow.points[j + 1]))
        }
        let distance = try DeepLinearDistance(from: w0, to: end, depth: depth, options: shooting, backend: backend)
        let geodesicPoints: [Matrix]
        switch distance.method {
        case .explicit: geodesicPoints = try SharedSingularVectorGeodesic(from: w0, to: end, depth: .finite(depth), backend: backend).points(count: fractions)
        case .shooting:
            var options = shooting
            options.initialGuess = .covector(distance.shooting!.initialCovector)
            geodesicPoints = try shootGeodesic(from: w0, to: end, depth: depth, points: fractions, options: options, backend: backend).points
        }
        let span = Swift.max(DenseOps.sub(end, w0).frobeniusNorm, Double.leastNormalMagnitude)
        let deviation = zip(sampled, geodesicPoints).map { DenseOps.sub($0, $1).frobeniusNorm }.max()! / span
        return Comparison(
            depth: depth, flowLength: flowLength, geodesicLength: distance.length, geodesicMethod: distance.method,
            finalEnergy: try energy.value!(end), deviation: deviation, fractions: taus, flowPoints: sampled, geodesicPoints: geodesicPoints)
    }
}
