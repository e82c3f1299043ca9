// One axis of an SVGPlot: label, scale, optional fixed bounds, and the "nice" tick algorithm.
//
// Ticks, in priority order:
// 1. Labels are exact decimals: a tick is an integer multiple i·m·10^k of the step (m ∈ {1, 2, 5}) and its label
//    is built from the integers i·m and k, never from the rounded Double (so 3 × 0.2 reads "0.6", not
//    "0.6000000000000001").
// 2. At most `maxCount` labelled ticks, as many as fit: the layout picks `maxCount` from the space the labels need.
// 3. Log axes label decades (every 1st, 2nd, 3rd, 5th, … decade, whichever fits) with the other decades and the
//    2…9 multiples as unlabelled minor ticks. A range holding at most two decades gets mantissa ticks when they fit
//    (1…9 if no decade is inside, else 1-2-5: "2e-17, 5e-17, 1e-16, 2e-16"), else its decades; a range with no
//    decade inside and no mantissa ticks that fit gets linear ticks, and so does a range shorter than a decade
//    that would otherwise get fewer than 3 labels ([0.97, 2.06] → 1.0, 1.2, …, 2.0 rather than 1, 2).

import Foundation
import TangentFlow

/// An axis of an `SVGPlot`: its label, its scale and, optionally, fixed bounds.
///
/// ```swift
/// let y = PlotAxis(label: "loss", scale: .log10)              // automatic range, decades
/// let x = PlotAxis(label: "t", lowerBound: 0, upperBound: 1)  // fixed range
/// ```
///
/// The automatic range spans the finite data of all series (positive data only on a log axis) and pads it by
/// 4 % of its span on each side (4 % of the decades spanned on a log axis). A bound you set is used exactly,
/// without padding; the other end stays automatic.
///
/// Edge cases: no usable data gives [0, 1] (linear) or [1, 10] (log); a single value `v` gives `v ± |v|/10`
/// (`±1` for 0) on a linear axis, half a decade either side on a log axis; invalid fixed bounds (non-finite,
/// non-positive on a log axis, `lower >= upper`) are ignored by `SVGPlot.render()` and reported by `validate()`
/// and `SVGPlot.write(to:)`.
public struct PlotAxis: Sendable, Equatable {
    /// How data values map to positions along the axis.
    public enum Scale: Sendable, Equatable, CaseIterable {
        /// Position proportional to the value; ticks at 1-2-5 steps.
        case linear
        /// Position proportional to log10 of the value; ticks at decades, labelled like `1e-8`. Values ≤ 0 have
        /// no position: their points are skipped (lines break there), never clamped.
        case log10
    }

    /// Axis title, drawn centred under the x axis or rotated beside the y axis. Empty: no title.
    public var label: String
    /// Linear or log10.
    public var scale: Scale
    /// Fixed lower end of the axis, or `nil` for automatic.
    public var lowerBound: Double?
    /// Fixed upper end of the axis, or `nil` for automatic.
    public var upperBound: Double?

    /// An axis.
    ///
    /// - Parameters:
    ///   - label: axis title (empty for none).
    ///   - scale: `.linear` (default) or `.log10`.
    ///   - lowerBound: fixed lower end, or `nil` (default) for automatic.
    ///   - upperBound: fixed upper end, or `nil` (default) for automatic.
    public init(label: String = "", scale: Scale = .linear, lowerBound: Double? = nil, upperBound: Double? = nil) {
        self.label = label
        self.scale = scale
        self.lowerBound = lowerBound
        self.upperBound = upperBound
    }

    /// Checks the fixed bounds.
    ///
    /// - Throws: `TangentFlowError.invalidArgument` when a bound is not finite, is ≤ 0 on a log axis, or
    ///   `lowerBound >= upperBound`.
    public func validate() throws {
        for (name, bound) in [("lowerBound", lowerBound), ("upperBound", upperBound)] {
            guard let b = bound else { continue }
            guard b.isFinite else {
                throw TangentFlowError.invalidArgument(operation: "PlotAxis", reason: "\(name) \(b) is not finite")
            }
            guard scale == .linear || b > 0 else {
                throw TangentFlowError.invalidArgument(operation: "PlotAxis",
                    reason: "\(name) \(b) is not positive, but the axis '\(label)' is log10; use a bound > 0")
            }
        }
        if let lo = lowerBound, let hi = upperBound, !(lo < hi) {
            throw TangentFlowError.invalidArgument(operation: "PlotAxis",
                reason: "lowerBound \(lo) must be below upperBound \(hi) on axis '\(label)'")
        }
    }

    /// Whether `v` has a position on this axis: finite, and positive on a log axis.
    func accepts(_ v: Double) -> Bool {
        v.isFinite && (scale == .linear || v > 0)
    }

    /// The axis position of `v`: `v` itself (linear) or `log10(v)` (log).
    func transform(_ v: Double) -> Double {
        scale == .linear ? v : Foundation.log10(v)
    }

    /// The displayed range: fixed bounds where valid, else the data's range padded by 4 % of its span.
    ///
    /// - Parameter values: data values (any; those the axis does not accept are skipped).
    /// - Returns: `(lower, upper)` in data units, `lower < upper`, both accepted by the axis.
    func range(for values: [Double]) -> (lower: Double, upper: Double) {
        // Work in transformed units (log10 for a log axis), where padding is symmetric.
        var lo = Double.infinity, hi = -Double.infinity
        for v in values where accepts(v) {
            let t = transform(v)
            lo = min(lo, t)
            hi = max(hi, t)
        }
        let fixedLo = lowerBound.flatMap { accepts($0) ? transform($0) : nil }
        var fixedHi = upperBound.flatMap { accepts($0) ? transform($0) : nil }
        if let a = fixedLo, let b = fixedHi, !(a < b) { fixedHi = nil }
        if lo > hi {  // no data: [0, 1], i.e. [1, 10] on a log axis
            (lo, hi) = (0, 1)
        } else if lo == hi {
            let half = scale == .log10 ? 0.5 : (lo == 0 ? 1 : abs(lo) * 0.1)
            (lo, hi) = (lo - half, hi + half)
        } else {
            let pad = 0.04 * (hi - lo)
            (lo, hi) = (lo - pad, hi + pad)
        }
        if let a = fixedLo { lo = a }
        if let b = fixedHi { hi = b }
        if !(lo < hi) {  // one fixed end on the wrong side of the data
            let span = max(abs(fixedLo ?? fixedHi ?? 1), 1)
            if fixedLo != nil { hi = lo + span } else { lo = hi - span }
        }
        // Padding data near the largest magnitudes must not overflow to ±∞ (or underflow to 0 on a log axis).
        let big = Double.greatestFiniteMagnitude
        if scale == .linear { return (max(lo, -big), min(hi, big)) }
        return (max(pow(10, lo), .leastNormalMagnitude), min(pow(10, hi), big))
    }
}

/// Ticks of one axis: labelled major ticks and unlabelled minor ones.
struct PlotTicks: Equatable {
    /// Positions of labelled ticks, ascending, in data units.
    var major: [Double]
    /// One label per major tick.
    var labels: [String]
    /// Positions of unlabelled ticks (log axes: other decades and 2…9 multiples), ascending.
    var minor: [Double]
}

extension PlotAxis {
    /// "Nice" ticks inside `[lower, upper]`.
    ///
    /// Linear: the smallest step m·10^k, m ∈ {1, 2, 5}, giving at most `maxCount` ticks, e.g. [0, 1] with
    /// `maxCount` 6…10 → 0, 0.2, …, 1. Log: every decade inside the range if at most `maxCount`, else every 2nd,
    /// 3rd, 5th, 10th, … decade (exponents divisible by the stride), e.g. [3e-9, 2e-2] → 1e-8, …, 1e-2; minor
    /// ticks at the other decades and, when `minorDecades` is true, at 2…9 × each decade. With at most two
    /// decades inside, 1-2-5 (or, with none, 1…9) mantissas are labelled if they fit, e.g. [1.9, 8.4] → 2, …, 8.
    /// A log range shorter than a decade that would get fewer than 3 labels gets linear ticks when they give more,
    /// e.g. [0.97, 2.06] → 1.0, 1.2, …, 2.0.
    ///
    /// - Parameters:
    ///   - lower: lower end, `lower < upper` (both > 0 on a log axis).
    ///   - upper: upper end.
    ///   - scale: linear or log10.
    ///   - maxCount: most labelled ticks wanted (at least 2 is sensible; values below 1 act as 1).
    ///   - minorDecades: on a log axis, add the 2…9 multiples as minor ticks.
    /// - Returns: ticks with labels; a degenerate or non-finite range gives no ticks.
    static func niceTicks(lower: Double, upper: Double, scale: Scale, maxCount: Int,
                          minorDecades: Bool = true) -> PlotTicks {
        let empty = PlotTicks(major: [], labels: [], minor: [])
        guard lower.isFinite, upper.isFinite, lower < upper else { return empty }
        let maxCount = max(maxCount, 1)
        switch scale {
        case .linear:
            return linearTicks(lower: lower, upper: upper, maxCount: maxCount)
        case .log10:
            guard lower > 0 else { return empty }
            return logTicks(lower: lower, upper: upper, maxCount: maxCount, minorDecades: minorDecades)
        }
    }

    private static func linearTicks(lower: Double, upper: Double, maxCount: Int) -> PlotTicks {
        let span = upper - lower
        guard span.isFinite, span > 0 else {  // e.g. [-1e308, 1e308]: no nice step, label the ends
            return PlotTicks(major: [lower, upper], labels: [lower, upper].map { String(describing: $0) }, minor: [])
        }
        var k = Int(Foundation.log10(span / Double(maxCount)).rounded(.down)) - 1
        // Steps 1, 2, 5 × 10^k for growing k: the first that yields at most maxCount ticks.
        for _ in 0..<8 {
            for m in [1, 2, 5] {
                let step = Double(m) * pow(10, Double(k))
                let first = (lower / step - 1e-9).rounded(.up)
                let last = (upper / step + 1e-9).rounded(.down)
                guard abs(first) < 1e15, abs(last) < 1e15 else { continue }
                let count = Int(last - first) + 1
                guard count <= maxCount else { continue }
                let indices = count > 0 ? Array(Int(first)...Int(last)) : []
                let major = indices.map { exactValue(mantissa: $0 * m, exponent: k) }
                let maxAbs = max(abs(lower), abs(upper))
                // Fixed notation with the step's decimals (0.0, 0.2, …, 1.0; 1.000005, …), unless the values are
                // large or tiny in magnitude.
                let scientific = maxAbs >= 1e5 || maxAbs < 1e-3
                let labels = indices.map {
                    decimalLabel(mantissa: $0 * m, exponent: k, scientific: scientific, minimumDecimals: max(0, -k))
                }
                return PlotTicks(major: major, labels: labels, minor: [])
            }
            k += 1
        }
        return PlotTicks(major: [lower, upper], labels: [String(describing: lower), String(describing: upper)],
                         minor: [])
    }

    private static func logTicks(lower: Double, upper: Double, maxCount: Int, minorDecades: Bool) -> PlotTicks {
        let ticks = decadeTicks(lower: lower, upper: upper, maxCount: maxCount, minorDecades: minorDecades)
        if ticks.major.count < 3 && upper < 10 * lower {
            let linear = linearTicks(lower: lower, upper: upper, maxCount: maxCount)
            if linear.major.count > ticks.major.count && linear.major.allSatisfy({ $0 > 0 }) { return linear }
        }
        return ticks
    }

    /// Log ticks from decades and their mantissas (see `niceTicks`), before the short-range fallback.
    private static func decadeTicks(lower: Double, upper: Double, maxCount: Int, minorDecades: Bool) -> PlotTicks {
        let eLo = Int(Foundation.log10(lower).rounded(.down)) - 1
        let eHi = Int(Foundation.log10(upper).rounded(.up)) + 1
        let inRange = { (v: Double) in v >= lower * (1 - 1e-12) && v <= upper * (1 + 1e-12) }
        let decades = (eLo...eHi).filter { inRange(exactValue(mantissa: 1, exponent: $0)) }
        // Every 2…9 multiple inside the range (used as minor ticks, or as majors on short ranges).
        func multiples(_ ms: [Int]) -> [(m: Int, e: Int)] {
            (eLo...eHi).flatMap { e in ms.map { (m: $0, e: e) } }
                .filter { inRange(exactValue(mantissa: $0.m, exponent: $0.e)) }
        }
        // At most two decades inside: mantissa ticks say more than one or two decade labels, if they fit
        // (1…9 first when no decade is inside, else 1-2-5).
        if decades.count <= 2 {
            for ms in decades.count == 2 ? [[1, 2, 5]] : [Array(1...9), [1, 2, 5]] {
                let picks = multiples(ms)
                guard picks.count >= max(2, decades.count + 1), picks.count <= maxCount else { continue }
                let plain = picks.allSatisfy { (-2...3).contains($0.e) }
                let pickedValues = Set(picks.map { exactValue(mantissa: $0.m, exponent: $0.e) })
                let minor = multiples(Array(1...9)).map { exactValue(mantissa: $0.m, exponent: $0.e) }
                    .filter { !pickedValues.contains($0) }
                return PlotTicks(
                    major: picks.map { exactValue(mantissa: $0.m, exponent: $0.e) },
                    labels: picks.map { decimalLabel(mantissa: $0.m, exponent: $0.e, scientific: !plain) },
                    minor: minorDecades ? minor : [])
            }
        }
        if !decades.isEmpty {
            // Label every stride-th decade (exponent divisible by stride), so labels never crowd.
            var stride = 1
            let strides = [1, 2, 3, 4, 5, 10, 20, 25, 50, 100]
            for s in strides {
                stride = s
                if decades.filter({ $0 % s == 0 }).count <= maxCount { break }
            }
            let labelled = decades.filter { $0 % stride == 0 }
            let plain = labelled.allSatisfy { (-2...3).contains($0) }
            var minor = decades.filter { $0 % stride != 0 }.map { exactValue(mantissa: 1, exponent: $0) }
            if minorDecades && stride == 1 {
                minor += multiples(Array(2...9)).map { exactValue(mantissa: $0.m, exponent: $0.e) }
            }
            return PlotTicks(
                major: labelled.map { exactValue(mantissa: 1, exponent: $0) },
                labels: labelled.map { plain ? decimalLabel(mantissa: 1, exponent: $0, scientific: false) : "1e\($0)" },
                minor: minor.sorted())
        }
        return linearTicks(lower: lower, upper: upper, maxCount: maxCount)
    }

    /// n·10^e as the correctly rounded Double (10^|e| is exact for |e| ≤ 22, and one division or product of
    /// exact operands rounds once).
    static func exactValue(mantissa n: Int, exponent e: Int) -> Double {
        if e >= 0 { return Double(n) * pow(10, Double(e)) }
        if e >= -22 { return Double(n) / pow(10, Double(-e)) }
        return Double(n) * pow(10, Double(e))
    }

    /// The decimal text of n·10^e, built from the integers, without trailing zeros beyond `minimumDecimals`:
    /// fixed ("0.25", "1500", "-3"; with `minimumDecimals` 1, "1.0") or scientific ("2.5e-7", "1e6").
    static func decimalLabel(mantissa n: Int, exponent e: Int, scientific: Bool, minimumDecimals: Int = 0) -> String {
        if n == 0 && (scientific || minimumDecimals == 0) { return "0" }
        let sign = n < 0 ? "-" : ""
        var digits = String(n.magnitude)
        var e = e
        while digits.count > 1, digits.hasSuffix("0") {  // 1500·10^-3 → 15·10^-1
            digits.removeLast()
            e += 1
        }
        if scientific {
            let exponent = e + digits.count - 1
            let tail = digits.dropFirst()
            return "\(sign)\(digits.prefix(1))\(tail.isEmpty ? "" : "." + tail)e\(exponent)"
        }
        if e >= 0 {
            let whole = digits == "0" ? "0" : digits + String(repeating: "0", count: e)
            return minimumDecimals > 0 ? "\(sign)\(whole).\(String(repeating: "0", count: minimumDecimals))"
                                       : sign + whole
        }
        // e < 0: pad with trailing zeros to the wanted decimals, then place the point.
        let decimals = max(-e, minimumDecimals)
        digits += String(repeating: "0", count: decimals + e)
        if digits.count > decimals {
            let cut = digits.index(digits.endIndex, offsetBy: -decimals)
            return "\(sign)\(digits[..<cut]).\(digits[cut...])"
        }
        return "\(sign)0.\(String(repeating: "0", count: decimals - digits.count))\(digits)"
    }
}
