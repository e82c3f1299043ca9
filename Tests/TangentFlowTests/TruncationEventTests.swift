import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowTruncation

/// The exact truncation times of §4.3 (4.42–4.50) against event-located numerical integration of the same ODE.
///
/// Tolerance for exact vs numerical times: RK4's local error on `b' = λ(y − b)` is `(λh)⁵/120 ≲ 1e-17` at
/// `h = 1e-3`, so only rounding is left: ~ε per step relative in `y − b`, ≲ 1e4 steps, divided by rates
/// `n/N ≥ 1/N` when converted to time → ≲ 1e-11 absolute on times of order 10; allow 1e-10.
struct TruncationEventTests {
    static let timeTolerance = 1e-10

    static func uniformPoints(_ n: Int, seed: UInt64, in range: ClosedRange<Double>) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in range.lowerBound + (range.upperBound - range.lowerBound) * Double(rng.next() >> 11) / Double(1 << 53) }
    }

    /// The generic upward case: `x_k ≤ b(0) < x_{k+1}`, `y > max x_i`: all points are truncated at finite times
    /// that match the first-event formula and the recursion (4.49), then the rate is 1 (4.50).
    @Test(arguments: [UInt64(1), 2, 3])
    func exactTimesMatchEventLocatedIntegration(seed: UInt64) throws {
        let xs = Self.uniformPoints(12, seed: seed, in: 0...2).sorted()
        let y = 3.0, b0 = 0.5 * (xs[1] + xs[2])  // k = 2 points truncated at s = 0
        let exact = try OneDimensionalTruncation(points: xs, offset: b0, target: y)
        #expect(exact.initialCount == 2)
        #expect(exact.events.count == 10)
        let n = Double(xs.count)
        // First event and the paper's recursion (4.49), written out independently here.
        #expect(Swift.abs(exact.times[0] - (n / 2) * log((y - b0) / (y - xs[2]))) <= 1e-14 * exact.times[0])
        for k in 1..<exact.events.count {
            let count = Double(k + 2)  // after the k-th event, points x_1 … x_{k+2} are truncated
            let predicted = exact.times[k - 1] + (n / count) * log((y - xs[k + 1]) / (y - xs[k + 2]))
            #expect(Swift.abs(exact.times[k] - predicted) <= 1e-13 * predicted)
        }
        #expect(exact.finalRate == 1)
        let sEnd = exact.times.last! + 2
        let numerical = try NumericalTruncationEvents.solve(points: xs, offset: b0, target: y, until: sEnd, step: 1e-3)
        #expect(numerical.times.count == exact.times.count)
        let worst = zip(numerical.times, exact.times).map { Swift.abs($0 - $1) }.max()!
        #expect(worst <= Self.timeTolerance, "max |s_n(numerical) − s_n(exact)| = \(worst)")
        // (4.50): after the last event, y − b = e^{−(s − s_N)}(y − x_N).
        let tail = y - exact.offset(at: sEnd)
        #expect(Swift.abs(tail - exp(-2) * (y - xs.last!)) <= 1e-14)
        #expect(Swift.abs(numerical.finalOffset - exact.offset(at: sEnd)) <= 1e-11)
    }

    /// Points at or above `y` are never truncated: `b → y` from below without reaching them; the final rate is
    /// `#{x_i < y}/N`. With no point below `b(0)` nothing moves (4.44).
    @Test func pointsAboveTheTargetAndStationaryStart() throws {
        let xs = [0.1, 0.4, 0.9, 1.5, 2.0, 2.5]
        let exact = try OneDimensionalTruncation(points: xs, offset: 0.2, target: 1.2)
        #expect(exact.events.map(\.point) == [0.4, 0.9])
        #expect(exact.finalRate == 3.0 / 6.0)
        #expect(exact.offset(at: 40) < 1.2 && exact.offset(at: 40) > 1.2 - 1e-6)
        let numerical = try NumericalTruncationEvents.solve(points: xs, offset: 0.2, target: 1.2, until: 30, step: 1e-3)
        #expect(zip(numerical.times, exact.times).allSatisfy { Swift.abs($0 - $1) <= Self.timeTolerance })
        let still = try OneDimensionalTruncation(points: xs, offset: 0.05, target: 3)
        #expect(still.events.isEmpty && still.finalRate == 0 && still.offset(at: 10) == 0.05)
        #expect(try NumericalTruncationEvents.solve(points: xs, offset: 0.05, target: 3, until: 10, step: 1e-2).finalOffset == 0.05)
    }

    /// Moving down (`b(0) > y`, outside the paper's case): points leave the truncated set as `b` passes them; the
    /// flow stops at the last point if none is left. Ties enter together.
    @Test func downwardMotionAndTies() throws {
        let xs = [0.5, 1.0, 1.0, 2.0, 3.0]
        let down = try OneDimensionalTruncation(points: xs, offset: 3.5, target: 0.2)
        #expect(down.events.map(\.point) == [3.0, 2.0, 1.0, 0.5])
        #expect(down.events.map(\.truncatedCount) == [4, 3, 1, 0])
        #expect(down.stopsAt == 0.5 && down.finalRate == 0)
        let numDown = try NumericalTruncationEvents.solve(points: xs, offset: 3.5, target: 0.2, until: 40, step: 1e-3)
        #expect(numDown.times.count == 4)
        #expect(zip(numDown.times, down.times).allSatisfy { Swift.abs($0 - $1) <= Self.timeTolerance }, "\(numDown.times) vs \(down.times)")
        #expect(numDown.finalOffset == 0.5)
        let up = try OneDimensionalTruncation(points: xs, offset: 0.6, target: 4)
        #expect(up.events.map(\.truncatedCount) == [3, 4, 5], "the tied pair enters at once")
        let numUp = try NumericalTruncationEvents.solve(points: xs, offset: 0.6, target: 4, until: 20, step: 1e-3)
        #expect(zip(numUp.times, up.times).allSatisfy { Swift.abs($0 - $1) <= Self.timeTolerance })
    }

    /// (4.40–4.43) in context: the bias flow of Cor. 3.5 at frozen `R` decouples by coordinate, and coordinate `r`
    /// of `b = −(Rβ)_r` follows the 1-D solution with `x_i = (Rx_i)_r`, `y = (Rỹ)_r`. Integrated by RK4 through
    /// the discontinuities (error O(h·jump) per event ≈ 1e-4 at h = 1e-3), so the tolerance is 1e-3: this pins
    /// the signs and indices of (4.43), not the digits.
    @Test func matchesTheBiasFlowAtFixedRotation() throws {
        let data = TruncationFixtures.clusters(centres: [[0, 0]], labels: [[3, 2.5]], perCluster: 10, spread: 0.5, seed: 6)
        let cost = try EuclideanInputCost(data: data)
        let r = TruncationFixtures.rotation(0.5)
        // b(0) between the 2nd and 3rd smallest (Rx_i)_r in each coordinate: two points truncated at s = 0.
        let rotated = (0..<10).map { TruncationAlgebra.apply(r, data.point(cluster: 0, $0)) }
        let b0 = (0..<2).map { c -> Double in
            let sorted = rotated.map { $0[c] }.sorted()
            return 0.5 * (sorted[1] + sorted[2])
        }
        let beta0 = TruncationAlgebra.applyTransposed(r, b0.map { -$0 })
        struct FrozenRotation: VectorField {
            let flow: ClusterSeparatedFlow
            let rotation: Matrix
            func velocity(at s: Double, _ y: [Double]) throws -> [Double] {
                try flow.effectiveVelocity(AdaptedParameters(packed: y + rotation.elements, width: 2, layers: 1)).shifts[0]
            }
        }
        let field = FrozenRotation(flow: ClusterSeparatedFlow(cost: cost), rotation: r)
        let times = [0.5, 1, 2, 4, 8]
        let sol = try integrate(field, stepper: .rk4, controller: ConstantStepSize(1e-3), from: 0, to: 8, start: beta0, saveAt: .times(times))
        let yt = TruncationAlgebra.apply(r, cost.pulledBackLabels[0])
        let xr = (0..<10).map { TruncationAlgebra.apply(r, data.point(cluster: 0, $0)) }
        let rb0 = TruncationAlgebra.apply(r, beta0)
        for c in 0..<2 {
            let exact = try OneDimensionalTruncation(points: xr.map { $0[c] }, offset: -rb0[c], target: yt[c])
            #expect(exact.events.count >= 3, "coordinate \(c): too few events to be a test")
            for (s, state) in zip(sol.times, sol.states) {
                let b = -TruncationAlgebra.apply(r, state)[c]
                #expect(Swift.abs(b - exact.offset(at: s)) <= 1e-3, "coordinate \(c), s = \(s): \(b) vs \(exact.offset(at: s))")
            }
        }
    }

    @Test func badInputThrows() throws {
        #expect(throws: TangentFlowError.self) { try OneDimensionalTruncation(points: [], offset: 0, target: 1) }
        #expect(throws: TangentFlowError.self) { try OneDimensionalTruncation(points: [1, .nan], offset: 0, target: 1) }
        #expect(throws: TangentFlowError.self) { try NumericalTruncationEvents.solve(points: [1], offset: 0, target: 1, until: 1, step: 0) }
        #expect(throws: TangentFlowError.self) { try NumericalTruncationEvents.solve(points: [1], offset: .infinity, target: 1, until: 1, step: 0.1) }
    }
}
