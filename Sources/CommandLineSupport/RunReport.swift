import Foundation
import TangentFlow

/// What one run reports: its results (printed as `key=value` lines, or as the `results` object of `--json`),
/// the inputs it read (path, shape, dtype), the files it wrote, and human-readable notes.
/// One instance per run, shared by the runner and the command (a reference type on purpose).
package final class RunReport: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var results: [(String, JSONValue)] = []
    private(set) var inputs: [JSONValue] = []
    private(set) var outputs: [String] = []
    private(set) var timings: [(String, Double)] = []
    /// Result keys whose value may be non-finite (documented as "not defined"); any other non-finite result
    /// makes the run fail with status 75.
    private(set) var nonFiniteAllowed: Set<String> = []
    /// `--json`: human text goes to standard error, one JSON object to standard output at the end.
    package internal(set) var json = false
    /// `--quiet`: no progress lines.
    package internal(set) var quiet = false

    /// A fresh report.
    package init() {}

    /// Records results and prints them as one `key=value key=value` line (text mode).
    package func results(_ pairs: KeyValuePairs<String, any JSONRepresentable>) {
        var line: [String] = []
        lock.withLock {
            for (k, v) in pairs {
                results.append((k, v.json))
                line.append("\(k)=\(Self.plain(v.json))")
            }
        }
        say(line.joined(separator: " "))
    }

    /// The results recorded so far, in order.
    package var recordedResults: [(String, JSONValue)] { lock.withLock { results } }

    /// Records one result without printing it.
    package func record(_ key: String, _ value: any JSONRepresentable, mayBeUndefined: Bool = false) {
        lock.withLock {
            results.append((key, value.json))
            if mayBeUndefined { nonFiniteAllowed.insert(key) }
        }
    }

    /// Records an input file: its option, path and (when known) shape and dtype.
    package func input(_ option: String, path: String, shape: [Int]? = nil, dtype: String? = nil) {
        var o: [(String, JSONValue)] = [("option", .string(option)), ("path", .string(path))]
        if let shape { o.append(("shape", .array(shape.map { .int($0) }))) }
        if let dtype { o.append(("dtype", .string(dtype))) }
        lock.withLock { inputs.append(.object(o)) }
    }

    /// Records a written file (once).
    package func output(_ path: String) {
        lock.withLock { if !outputs.contains(path) { outputs.append(path) } }
    }

    /// Records a named duration in seconds.
    package func timing(_ name: String, _ seconds: Double) { lock.withLock { timings.append((name, seconds)) } }

    /// Prints a human-readable line on standard output (under `--json` the runner has pointed standard output
    /// at standard error, so that the real standard output carries the JSON object alone).
    package func say(_ line: String) {
        print(line)
    }

    /// The first result that is not finite and not allowed to be, if any.
    package var firstNonFiniteResult: String? {
        lock.withLock { results.first { !$0.1.isFinite && !nonFiniteAllowed.contains($0.0) }?.0 }
    }

    static func plain(_ v: JSONValue) -> String {
        switch v {
        case let .string(s): return s
        case let .number(x): return "\(x)"
        case let .array(a): return a.map(plain).joined(separator: ",")
        default: return v.text
        }
    }
}
