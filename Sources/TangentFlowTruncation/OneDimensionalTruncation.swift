import Foundation
import TangentFlow

/// The exact, event-driven solution of the one-dimensional truncation problem of §4.3 in file 003 — one
/// coordinate `r` of the bias flow at fixed `R_ℓ` (4.40–4.43):
///
/// ```
/// ∂_s(y − b) = −(n(b)/N_ℓ)(y − b),   n(b) = #{i : x_i ≤ b}                      (4.42, 4.45)
/// x_i = (R_ℓx_{ℓ,i})_r,  b = −(R_ℓβ^{(ℓ)})_r,  y = (R_ℓỹ_ℓ)_r                     (4.43)
/// ```
///
/// Between events `y − b` decays at the constant rate `n/N_ℓ` (4.47); an event is `b` reaching a data point, at
///
/// ```
/// s_next = s + (N_ℓ/n) log((y − b(s))/(y − x_next))                                (4.49)
/// ```
///
/// which for `x_k ≤ b(0) < x_{k+1}` gives `s_{k+1} = (N_ℓ/k) log((y − b(0))/(y − x_{k+1}))` and then the paper's
/// recursion `s_{n+1} = s_n + (N_ℓ/n) log((y − x_n)/(y − x_{n+1}))`.
///
/// Edge cases (the paper treats `b(0) < y` with `x_1 ≤ b(0)`):
/// - `n(b(0)) = 0` or `b(0) = y`: stationary (4.44), no event.
/// - `b < y` (moving up): points with `x_i ≥ y` are never truncated (`b → y` without reaching them); once every
///   point is truncated the rate is `1` (4.50), which needs `y > max x_i`.
/// - `b > y` (moving down): at `b = x_k` the points equal to `x_k` leave the truncated set; if none is left, the
///   flow stops there (the field vanishes just below `x_k`), else it continues at the smaller rate.
/// - Tied points enter or leave together (one event).
public struct OneDimensionalTruncation: Sendable {
    /// One event: at `time`, `b` reaches `point` and the truncated count becomes `truncatedCount`.
    public struct Event: Sendable, Equatable {
        /// `s_n`.
        public let time: Double
        /// The data point `b` reaches.
        public let point: Double
        /// `n` after the event.
        public let truncatedCount: Int
    }

    /// The data `x_i`, sorted ascending.
    public let points: [Double]
    /// `b(0)`.
    public let initialOffset: Double
    /// `y`.
    public let target: Double
    /// `n(b(0))`.
    public let initialCount: Int
    /// The events in time order.
    public let events: [Event]
    /// Where the flow stops (`b` stays put from the last event on), if it does.
    public let stopsAt: Double?

    /// `N_ℓ`, the cluster size.
    public var clusterSize: Int { points.count }

    /// Solves the problem exactly.
    /// - Throws: `.emptyInput` for no point, `.nonFinite` for NaN/∞.
    public init(points: [Double], offset b0: Double, target y: Double) throws {
        let op = "OneDimensionalTruncation"
        guard !points.isEmpty else { throw TangentFlowError.emptyInput(operation: op, argument: "points") }
        try requireFinite(points, op, "points")
        try requireFinite([b0, y], op, "offset and target")
        let xs = points.sorted()
        let nTotal = Double(xs.count)
        func count(_ b: Double) -> Int { xs.reduce(0) { $0 + ($1 <= b ? 1 : 0) } }
        var events: [Event] = []
        var s = 0.0, b = b0, n = count(b0)
        var stop: Double? = nil
        var strict = false  // after a downward event the point just passed is no longer truncated
        self.initialCount = n
        while n > 0, b != y {
            if b < y {
                // Next point strictly above b and below y.
                guard let next = xs.first(where: { $0 > b }), next < y else { break }
                s += (nTotal / Double(n)) * log((y - b) / (y - next))
                b = next
                n = count(b)
            } else {
                // Largest point ≤ b; it leaves when b passes below it, which needs it > y.
                guard let next = xs.last(where: { strict ? $0 < b : $0 <= b }), next > y else { break }
                s += (nTotal / Double(n)) * log((y - b) / (y - next))
                b = next
                n = xs.reduce(0) { $0 + ($1 < next ? 1 : 0) }
                strict = true
                if n == 0 { stop = next }
            }
            events.append(Event(time: s, point: b, truncatedCount: n))
        }
        self.points = xs
        self.initialOffset = b0
        self.target = y
        self.events = events
        self.stopsAt = stop
    }

    /// The truncation times `s_n` of (4.49).
    public var times: [Double] { events.map(\.time) }

    /// The rate `n/N_ℓ` after the last event (1 once every point is truncated, (4.50)).
    public var finalRate: Double {
        stopsAt != nil ? 0 : Double(events.last?.truncatedCount ?? initialCount) / Double(clusterSize)
    }

    /// `b(s)` from (4.47) on the piece containing `s ≥ 0`.
    public func offset(at s: Double) -> Double {
        var s0 = 0.0, b = initialOffset, n = initialCount
        for e in events {
            if s < e.time { break }
            s0 = e.time
            b = e.point
            n = e.truncatedCount
        }
        if let stopsAt, let last = events.last, s >= last.time { return stopsAt }
        if n == 0 { return b }
        return target - exp(-Double(n) / Double(clusterSize) * (s - s0)) * (target - b)
    }

    /// `n(s)`, the number of truncated points at time `s` (right-continuous at events).
    public func truncatedCount(at s: Double) -> Int {
        var n = initialCount
        for e in events where e.time <= s { n = e.truncatedCount }
        return n
    }
}
