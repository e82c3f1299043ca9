import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowTruncation

/// `tangentflow truncation …`: the ReLU truncation dynamics of file 003 (MATH.md §5).
let truncationCommand = CommandSpec(
    name: "truncation",
    abstract: "ReLU truncation dynamics of data in input space (Chen, effective gradient flow equations and truncation of training data).",
    subcommands: [truncationDemoCommand],
    examples: ["tangentflow truncation demo -o truncation"])

/// `tangentflow truncation demo`.
let truncationDemoCommand = CommandSpec(
    name: "demo",
    abstract: "Two clusters in R² truncated and collapsed by the effective gradient flow; exact vs numerical s_n.",
    discussion: """
        A two-layer, width-2 ReLU network with weights adapted to the activation; layer ℓ truncates cluster ℓ
        only (cluster-separated truncations, Thm 3.2). The effective flow of (β_ℓ, R_ℓ) (Cor. 3.5, with the
        corrected Ω) is integrated with the Heun–Cayley stepper, which keeps R_ℓ orthogonal. Writes the truncated
        data 𝒯(x) at snapshot times, the cost and the truncation counts along the run, and the truncation times
        s_n of the 1-D problem of §4.3 — formula (4.49) against event-located RK4 — as CSV and SVG (and PNG copies
        when rsvg-convert is installed).
        """,
    options: [
        OptionSpec(name: "output", short: "o", value: "DIR", help: "Output folder.", defaultValue: "tangentflow-truncation", kind: .outputFolder),
        OptionSpec(name: "points", value: "n", help: "Points per cluster.", defaultValue: "30", kind: .integer(2...10_000)),
        OptionSpec(name: "until", value: "s", help: "Flow time to integrate to.", defaultValue: "8", kind: .real(lower: 0, upper: 1000, openLower: true)),
        OptionSpec(name: "step", value: "h", help: "Step of the Heun–Cayley stepper (at most 10⁶ steps to --until).", defaultValue: "0.002", kind: .positive),
        OptionSpec(name: "seed", value: "seed", help: "Seed of the synthetic clusters.", defaultValue: "2024", kind: .seed),
    ],
    examples: [
        "tangentflow truncation demo -o truncation",
        "tangentflow truncation demo --points 50 --until 4 --seed 7 -o truncation-50",
    ],
    run: { p in
        guard let n = try p.parsed("points", as: Int.self), n >= 2, n <= 10_000 else {
            throw UsageError.invalid("points", p.string("points")!, expected: "an integer in 2…10000")
        }
        guard let until = try p.parsed("until", as: Double.self), until.isFinite, until > 0, until <= 1000 else {
            throw UsageError.invalid("until", p.string("until")!, expected: "a number in (0, 1000]")
        }
        guard let step = try p.parsed("step", as: Double.self), step.isFinite, step > 0, step <= until else {
            throw UsageError.invalid("step", p.string("step")!, expected: "a number in (0, --until]")
        }
        guard until / step <= 1_000_000 else {
            throw UsageError(message: "'--until'/'--step' asks for \(String(format: "%.3g", until / step)) steps (at most 1000000)",
                             hint: "use a larger --step or a smaller --until")
        }
        guard let seed = try p.parsed("seed", as: UInt64.self) else { throw UsageError(message: "Missing value for '--seed'") }
        let h = try TruncationDemo(outputDirectory: p.string("output")!, pointsPerCluster: n, until: until, step: step, seed: seed).run()
        p.report.record("max_orthogonality_defect", h.orthogonalityDefect)
        p.report.record("max_truncation_time_error", h.truncationTimeError)
        p.report.record("cost_monotone", h.monotone)
    })
