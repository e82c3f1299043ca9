/// A JSON value with ordered object keys, written by hand so the output is deterministic (no Foundation
/// serialisation, which reorders keys and escapes `/`).
package indirect enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// Compact JSON text. Non-finite numbers become `null` (JSON has no NaN or infinity).
    package var text: String {
        switch self {
        case .null: return "null"
        case let .bool(b): return b ? "true" : "false"
        case let .int(i): return String(i)
        case let .number(x): return x.isFinite ? "\(x)" : "null"
        case let .string(s): return JSONValue.quote(s)
        case let .array(a): return "[" + a.map(\.text).joined(separator: ", ") + "]"
        case let .object(o): return "{" + o.map { "\(JSONValue.quote($0.0)): \($0.1.text)" }.joined(separator: ", ") + "}"
        }
    }

    /// Whether every number inside is finite.
    package var isFinite: Bool {
        switch self {
        case let .number(x): return x.isFinite
        case let .array(a): return a.allSatisfy(\.isFinite)
        case let .object(o): return o.allSatisfy { $0.1.isFinite }
        default: return true
        }
    }

    /// `s` as a JSON string literal.
    package static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

/// Values a command records as results.
package protocol JSONRepresentable {
    /// This value as JSON.
    var json: JSONValue { get }
}

extension Int: JSONRepresentable { package var json: JSONValue { .int(self) } }
extension Double: JSONRepresentable { package var json: JSONValue { .number(self) } }
extension String: JSONRepresentable { package var json: JSONValue { .string(self) } }
extension Bool: JSONRepresentable { package var json: JSONValue { .bool(self) } }
extension Array: JSONRepresentable where Element: JSONRepresentable { package var json: JSONValue { .array(map(\.json)) } }
