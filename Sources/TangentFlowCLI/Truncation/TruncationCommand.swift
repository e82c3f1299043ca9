import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowTruncation

/// `tangentflow truncation …`: the ReLU truncation dynamics of file 003 (MATH.md §5).
let truncationCommand = CommandSpec(
    name: "truncation",
    abstract: "ReLU truncation dynamics of data in input space (Chen, effective gradient flow equations and truncation of training data).",
    subcommands: [truncationDemoCommand, truncationEffectiveCommand, truncationGeneralCommand, truncationCollapsedCommand, truncationSectorCommand],
    examples: ["tangentflow truncation demo -o truncation", "tangentflow truncation effective --x X.npy --y Y.npy --theta theta.npy"])

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

/// `--data` and `--theta` of the Euclidean-cost flows.
let truncationNetworkOptions: [OptionSpec] = [
    OptionSpec(name: "theta", value: "T.npy", help: "Initial network: a stack (L, Q, Q+1) of [W^{(ℓ)} | β^{(ℓ)}], each W^{(ℓ)} adapted (diag(d)·R, Def. 2.2).",
               optional: true, kind: .inputFile),
    OptionSpec(name: "data", value: "name", help: "Initial network by construction, without --theta: a threshold through each cluster (clusters), (8.1) (collapsed), (9.1)–(9.2) (positive-sector).",
               defaultValue: "clusters", values: ["clusters", "collapsed", "positive-sector"]),
]

/// `truncation effective` / `truncation general`.
func truncationFlowCommand(_ kind: TruncationFlowRun.Kind) -> CommandSpec {
    let effective = kind == .effective
    return CommandSpec(
        name: kind.rawValue,
        abstract: effective
            ? "The effective flow of Thm 3.2 (cluster-separated truncations) on your data: trajectory, truncation times s_n, plots."
            : "The general flow of Thm 5.1 (no cluster separation, any number of layers) on your data: trajectory, plots.",
        discussion: """
            The gradient flow of the Euclidean input-space cost (2.26) C = ½ Σ_j (1/N_j) Σ_i |𝒯(x_{j,i}) − y_j|² (W^{(L+1)} = 1)
            on adapted parameters (β^{(ℓ)}, R_ℓ), integrated by the Heun–Cayley stepper (R_ℓ stays orthogonal). \(effective
                ? "Layer ℓ truncates cluster ℓ only (Def. 3.1); the effective equations of Cor. 3.5 with the corrected Ω are used, and the run refuses a start that is not cluster separated."
                : "The field is the true gradient of Thm 5.1 (Lemmas 7.2–7.3, the sign of (7.14)).")
            Data: --x/--y (samples and targets as rows; equal targets form a cluster) or Q clusters around 3e_ℓ in R^Q.
            Network: --theta, or the construction named by --data. Writes trajectory.csv (cost, −dC/ds, orthogonality,
            truncated counts), trajectory.npy (packed states: per layer β^{(ℓ)} then R_ℓ column-major, one row per saved
            time), truncation_times.csv (when layer ℓ has truncated n points of cluster ℓ in coordinate r, in the flow and
            by (4.49) at fixed R_ℓ(0)), trajectory.svg, summary.json and run.json with the headline claims.
            """,
        options: [OptionSpec(name: "output", short: "o", value: "DIR", help: "Output folder.", defaultValue: "truncation-\(kind.rawValue)", kind: .outputFolder)]
            + truncationDataOptions(points: "20", spread: "0.15") + truncationNetworkOptions
            + (effective ? [] : [OptionSpec(name: "layers", value: "L", help: "Layers of the constructed network (default: one per cluster).", optional: true, kind: .integer(1...16))])
            + truncationTimeOptions(until: "6", step: "0.005"),
        examples: [
            "tangentflow truncation \(kind.rawValue) -o truncation-\(kind.rawValue)",
            "tangentflow truncation \(kind.rawValue) --x X.npy --y Y.npy --theta theta.npy --json -o mine",
        ],
        run: { p in
            let until = try p.double("until"), step = try p.double("step")
            _ = try truncationSteps(until: until, step: step)
            let data = try truncationData(p)
            var start: AdaptedParameters
            if p.values["theta"] != nil {
                if p.values["layers"] != nil { throw UsageError(message: "--layers contradicts --theta, which sets L", hint: "leave out --layers when giving --theta") }
                start = try truncationTheta(p, width: data.width)
            } else {
                start = try truncationConstruction(p.string("data")!, data: data, dataLabel: truncationDataLabel(p))
                if let l = try p.parsed("layers", as: Int.self), l != start.layerCount {
                    // More layers: identity layers far away (every point untruncated); fewer: the first L.
                    var rs = Array(start.rotations.prefix(l)), bs = Array(start.shifts.prefix(l))
                    while rs.count < l { rs.append(try Matrix.identity(data.width)); bs.append([Double](repeating: 1e3, count: data.width)) }
                    start = try AdaptedParameters(rotations: rs, shifts: bs)
                }
            }
            try TruncationFlowRun(kind: kind, data: data, start: start, until: until, step: step, directory: p.string("output")!).run(report: p.report)
        })
}

let truncationEffectiveCommand = truncationFlowCommand(.effective)
let truncationGeneralCommand = truncationFlowCommand(.general)

/// `truncation collapsed` / `truncation sector`.
func truncationStandardCostCommand(_ kind: TruncationStandardCostRun.Kind) -> CommandSpec {
    let collapsed = kind == .collapsed
    return CommandSpec(
        name: kind.rawValue,
        abstract: collapsed
            ? "§8: a full network started at collapsed data (8.1) against the flow (8.6)–(8.7) of ½‖WB + Y‖², with the bound (8.27)."
            : "§9: a full network started with all data in every positive sector (9.1)–(9.2) against the closed form (9.10).",
        discussion: """
            The full network is the gradient flow, in every parameter (cumulative W^{(ℓ)}, β^{(ℓ)} and W^{(Q+1)}), of the
            standard cost (1.7) ½ Σ_j (1/N_j) Σ_i |W^{(Q+1)}𝒯(x_{j,i}) − y_j|². Its start is built from the data:
            \(collapsed
                ? "layer ℓ maps cluster ℓ to the point −β^{(ℓ)} and leaves everything else untouched (8.1); this needs Q clusters in R^Q, each seeing the others inside one orthant. Then B = [β^{(1)} ⋯ β^{(Q)}] and W^{(Q+1)} should follow (8.6)–(8.7), W^{(ℓ)} should not move (8.4), I = BBᵀ − WᵀW is conserved (8.21) and the cost obeys (8.27) when I(0) is definite. Compared while the regime (8.1) holds."
                : "every layer leaves every data point untruncated (9.2), so only W^{(Q+1)} moves (9.6), along the regression (9.7) whose closed form is (9.10) (with the 1/N_j weights of (2.22)); it needs XXᵀ invertible (9.9).")
            Data: --x/--y or the built-in clusters around 3e_ℓ. Writes \(kind.rawValue).csv, the trajectories as .npy stacks,
            \(kind.rawValue).svg, summary.json and run.json with the headline claims.
            """,
        options: [OptionSpec(name: "output", short: "o", value: "DIR", help: "Output folder.", defaultValue: "truncation-\(kind.rawValue)", kind: .outputFolder)]
            + truncationDataOptions(points: "10", spread: "0.15")
            + [OptionSpec(name: "output-weight", value: "W.npy", help: "Initial W^{(Q+1)} (Q×Q); default 0.5·1.", optional: true, kind: .inputFile)]
            + truncationTimeOptions(until: collapsed ? "3" : "4", step: nil),
        examples: ["tangentflow truncation \(kind.rawValue) -o truncation-\(kind.rawValue)", "tangentflow truncation \(kind.rawValue) --x X.npy --y Y.npy --json -o mine"],
        run: { p in
            let data = try truncationData(p)
            let q = data.width
            var w0 = TruncationAlgebraCLI.scaledIdentity(q, 0.5)
            if p.values["output-weight"] != nil {
                w0 = try p.matrix("output-weight")
                guard w0.rows == q, w0.cols == q else {
                    throw CommandFailure(.dataError, "--output-weight: \(p.string("output-weight")!) is \(w0.rows)×\(w0.cols); W^{(Q+1)} must be \(q)×\(q)")
                }
            }
            if collapsed, data.clusters.count != q {
                throw CommandFailure(.dataError, "\(truncationDataLabel(p)): (8.1)–(8.3) need Q = \(q) clusters in R^\(q), got \(data.clusters.count)")
            }
            try TruncationStandardCostRun(kind: kind, data: data, outputWeight: w0, until: try p.double("until"), directory: p.string("output")!).run(report: p.report)
        })
}

let truncationCollapsedCommand = truncationStandardCostCommand(.collapsed)
let truncationSectorCommand = truncationStandardCostCommand(.sector)
