/// What an option's value must be. The parser checks numbers (so no out-of-range count ever reaches an
/// allocation or a `Double → Int` conversion), the runner checks paths before the command starts computing, and
/// help prints the accepted range.
package enum ValueKind: Sendable {
    /// Any text (checked by the command).
    case text
    /// An integer in the closed range.
    case integer(ClosedRange<Int>)
    /// A finite number in `[lower, upper]`, or `(lower, upper]` when `openLower`, `[lower, upper)` when `openUpper`.
    case real(lower: Double, upper: Double, openLower: Bool = false, openUpper: Bool = false)
    /// An input file that must exist and be a regular, readable file (`file.npz:name` names an array in an
    /// archive).
    case inputFile
    /// An output file (`-` is standard output): its folder must exist and be writable.
    case outputFile
    /// An output folder: it must exist, or its parent must.
    case outputFolder
    /// A random seed: an integer in 0…2⁶⁴−1.
    case seed

    /// A number > 0 (and finite).
    package static let positive = ValueKind.real(lower: 0, upper: .greatestFiniteMagnitude, openLower: true)
    /// A number ≥ 0 (and finite).
    package static let nonNegative = ValueKind.real(lower: 0, upper: .greatestFiniteMagnitude)
    /// Any finite number.
    package static let finite = ValueKind.real(lower: -.greatestFiniteMagnitude, upper: .greatestFiniteMagnitude)

    /// "an integer in 1…1000", "a number in (0, 1]", … (nil for text and paths).
    package var expectation: String? {
        switch self {
        case let .integer(r):
            if r.upperBound == Int.max { return "an integer in \(r.lowerBound)…\(Int.max) (2⁶³ − 1)" }
            return "an integer in \(r.lowerBound)…\(r.upperBound)"
        case let .real(lo, hi, openLo, openHi):
            let big = Double.greatestFiniteMagnitude
            switch (lo == -big, hi == big) {
            case (true, true): return "a finite number"
            case (false, true): return openLo ? "a number > \(Self.text(lo))" : "a number ≥ \(Self.text(lo))"
            case (true, false): return openHi ? "a number < \(Self.text(hi))" : "a number ≤ \(Self.text(hi))"
            case (false, false):
                return "a number in \(openLo ? "(" : "[")\(Self.text(lo)), \(Self.text(hi))\(openHi ? ")" : "]")"
            }
        case .seed: return "an integer in 0…\(UInt64.max)"
        default: return nil
        }
    }

    /// Checks `value` for option `name`; throws a usage error naming both.
    package func check(_ value: String, option name: String) throws {
        switch self {
        case let .integer(r):
            guard let v = Int(value.trimmingCharacters(in: [" "])) else {
                let hint = Double(value) != nil && value.contains(where: { $0 == "e" || $0 == "E" || $0 == "." })
                    ? "write the integer out in digits (no exponent or decimal point)" : nil
                throw UsageError.invalid(name, value, expected: expectation!, hint: hint)
            }
            guard r.contains(v) else { throw UsageError.invalid(name, value, expected: expectation!) }
        case let .real(lo, hi, openLo, openHi):
            guard let v = Double(value.trimmingCharacters(in: [" "])), v.isFinite else {
                throw UsageError.invalid(name, value, expected: expectation!)
            }
            let above = openLo ? v > lo : v >= lo
            let below = openHi ? v < hi : v <= hi
            guard above, below else { throw UsageError.invalid(name, value, expected: expectation!) }
        case .seed:
            guard UInt64(value) != nil else { throw UsageError.invalid(name, value, expected: expectation!) }
        case .inputFile, .outputFile, .outputFolder:
            guard !value.isEmpty else { throw UsageError.invalid(name, value, expected: "a path") }
        case .text:
            break
        }
    }

    private static func text(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
    }
}

private extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
