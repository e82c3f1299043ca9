import CommandLineSupport
import Foundation

/// One headline of `tangentflow demo` as the README states it: the number the run measured and the bound the
/// README prints. The demo reports every claim in `run.json` (`results.claims`), and `scripts/check-demo.py`
/// (run by `scripts/test.sh`) fails when one does not hold, so the README cannot drift from what the code does.
struct DemoClaim: JSONRepresentable {
    /// How the measured value must compare with the bound.
    enum Relation: String { case atMost = "≤", atLeast = "≥" }

    /// Stable key, e.g. `exp2_adapted_max_deviation`.
    let name: String
    /// The measured value.
    let value: Double
    /// The comparison.
    let relation: Relation
    /// The bound the README prints.
    let bound: Double
    /// The README's sentence, for the summary line.
    let statement: String

    /// `value relation bound`; false for NaN.
    var holds: Bool { relation == .atMost ? value <= bound : value >= bound }

    /// `{"name", "value", "relation", "bound", "holds", "statement"}`.
    var json: JSONValue {
        .object([
            ("name", .string(name)), ("value", .number(value)), ("relation", .string(relation.rawValue)), ("bound", .number(bound)),
            ("holds", .bool(holds)), ("statement", .string(statement)),
        ])
    }
}

extension RunReport {
    /// Records the claims (`results.claims`, `results.claims_held`, `results.claims_failed`) and prints a summary.
    func record(claims: [DemoClaim]) {
        record("claims", claims)
        let failed = claims.filter { !$0.holds }
        record("claims_held", claims.count - failed.count)
        record("claims_failed", failed.map(\.name))
        say("\nHeadline claims: \(claims.count - failed.count) of \(claims.count) hold")
        for c in claims {
            say(String(format: "  %@ %@: %.3g %@ %g", c.holds ? "ok  " : "FAIL", c.name, c.value, c.relation.rawValue, c.bound))
        }
    }
}
