import TangentFlow

/// Depth of a deep linear network for the explicit geodesic: finite `N ≥ 1`, or the limit `N → ∞` ((2.10) in
/// file 002).
public enum DeepLinearDepth: Sendable, Equatable, CustomStringConvertible {
    /// `N` factors.
    case finite(Int)
    /// The infinite-depth limit.
    case infinite

    /// `"4"` or `"inf"`.
    public var description: String {
        switch self {
        case let .finite(n): "\(n)"
        case .infinite: "inf"
        }
    }

    /// Parses `"4"`, `"inf"`, `"infinity"` or `"∞"`; `nil` otherwise.
    public init?(_ text: String) {
        switch text.lowercased() {
        case "inf", "infinity", "∞": self = .infinite
        default:
            guard let n = Int(text) else { return nil }
            self = .finite(n)
        }
    }
}
