import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowReporting

/// `tangentflow demo`: the main job — the three experiments of summary file 000 ("First 3 experiments").
let demoCommand = CommandSpec(
    name: "demo",
    abstract: "Run the three experiments of Chen & Muñoz Ewald (arXiv 2408.01517) on synthetic clustered data, then one per other source paper (the main job).",
    discussion: """
        1. Rank monitoring: rank and singular values of the Jacobian D and the NTK spectrum along training, for
           a wide tanh network (full rank QN) and a narrow ReLU one (K < QN: rank-deficient by construction).
        2. Standard vs adapted flow: the adapted flow moves the outputs on the straight line from x₀ to y
           (Prop. 2.4), the standard one does not; under rank loss the deviation matches Prop. 2.5 (corrected).
        3. Cross-entropy, label smoothing vs one-hot: the adapted flow keeps every sample's logit sum; smoothed
           labels converge to the explicit minimiser, one-hot logits diverge.
        Then, with --papers all (the default), one experiment per other source paper, each in its own subfolder:
        dln/ (Geodesics in the Deep Linear Network: singular values along geodesics, N = 1, 2, 4, ∞), truncation/
        (Chen, effective gradient flow equations and truncation of training data: clusters truncated and collapsed,
        exact s_n vs integration), wasserstein-*/ (Mercklé, Wasserstein gradient flow of two-layer ReLU networks: gradient flow vs
        proximal flows, small vs large initialisation, an entropic JKO run on a parameter grid).
        Writes CSV files and SVG plots (and PNG copies when rsvg-convert is installed) to the output folder.
        """,
    options: [
        OptionSpec(name: "output", short: "o", value: "DIR", help: "Output folder.", defaultValue: "tangentflow-demo", kind: .outputFolder),
        ModelOptions.backendSpec,
        OptionSpec(name: "seed", value: "S", help: "Seed of the synthetic data of the three flow experiments (initial parameters derive from it).",
                   defaultValue: "2024", kind: .seed),
        OptionSpec(name: "papers", value: "which", help: "'all': every source paper; '001': the three flow experiments only.", defaultValue: "all", values: ["all", "001"]),
    ],
    examples: [
        "tangentflow demo",
        "tangentflow demo --papers 001 -o flows-only",
        "tangentflow demo --quiet --json -o demo > demo.json",
    ],
    run: { p in
        let dir = p.string("output")!
        var claims = try Demo(outputDirectory: dir, backend: KernelBackend(rawValue: p.string("backend")!)!, seed: p.seed()).run()
        if p.string("papers") == "all" { claims += try runOtherPapers(into: dir) }
        p.report.record(claims: claims)
    })

/// The other papers' experiments, each through its own subcommand (same code path as running it by hand); returns
/// the headline claims of the truncation run.
func runOtherPapers(into dir: String) throws -> [DemoClaim] {
    var claims: [DemoClaim] = []
    let t0 = Date()
    let experiments: [(folder: String, title: String, command: CommandSpec)] = [
        ("dln", "Deep linear networks: singular values along geodesics (tangentflow dln singular-values)", dlnSingularValuesCommand),
        ("truncation", "ReLU truncation dynamics (Chen) (tangentflow truncation demo)", truncationDemoCommand),
        ("wasserstein-gd-vs-prox", "Two-layer ReLU networks (Mercklé): gradient flow vs proximal flows (tangentflow wasserstein gd-vs-prox)", gdVersusProxCommand),
        ("wasserstein-init-scale", "Two-layer ReLU networks (Mercklé): small vs large initialisation (tangentflow wasserstein init-scale)", initScaleCommand),
        ("wasserstein-jko", "Two-layer ReLU networks (Mercklé): entropic JKO on a parameter grid (tangentflow wasserstein jko)", jkoCommand),
    ]
    for (k, e) in experiments.enumerated() {
        Progress.shared.begin("demo \(k + 4)/8", detail: e.folder)
        print("\n=== \(e.title) → \(dir)/\(e.folder)/")
        let parsed = try parse(["-o", dir + "/" + e.folder], for: e.command)
        try e.command.run!(parsed)
        Progress.shared.end()
        if e.folder == "truncation" {
            let r = Dictionary(parsed.report.recordedResults, uniquingKeysWith: { a, _ in a })
            if case let .number(defect)? = r["max_orthogonality_defect"] {
                claims.append(DemoClaim(name: "truncation_orthogonality_defect", value: defect, relation: .atMost, bound: 1e-12,
                                        statement: "RᵀR = I to 1e-12 along the Heun–Cayley flow"))
            }
            if case let .number(ds)? = r["max_truncation_time_error"] {
                claims.append(DemoClaim(name: "truncation_time_error", value: ds, relation: .atMost, bound: 1e-12,
                                        statement: "exact truncation times s_n (4.49) agree with event-located integration to 1e-12"))
            }
        }
    }
    print(String(format: "\nOther papers done in %.1f s.", Date().timeIntervalSince(t0)))
    return claims
}

/// The three experiments, their CSV files and plots.
struct Demo {
    let outputDirectory: String
    let backend: KernelBackend
    /// Seed of the synthetic data; the networks' initial parameters use seeds derived from it (7, 8, 9 for the
    /// default 2024).
    var seed: UInt64 = 2024

    /// The seed of initial parameters number `k` (7, 8 or 9 in the default run).
    func parameterSeed(_ k: UInt64) -> UInt64 { seed &- 2024 &+ k }

    /// Rows of the summary table.
    struct Row {
        let experiment, run: String
        let result: FlowResult
    }

    func run() throws -> [DemoClaim] {
        let t0 = Date()
        try makeDirectory(outputDirectory)
        print("TangentFlow demo: three experiments of Chen & Muñoz Ewald (arXiv 2408.01517) on synthetic clustered data")
        print("BLAS core \(RuntimeInfo.current.blasCore); output folder \(outputDirectory)/\n")
        var rows: [Row] = []
        var files: [String] = []
        Progress.shared.begin("demo 1/8", detail: "rank along gradient descent")
        rows += try rankMonitoring(&files)
        Progress.shared.begin("demo 2/8", detail: "standard vs adapted flow")
        rows += try standardVersusAdapted(&files)
        Progress.shared.begin("demo 3/8", detail: "cross-entropy")
        rows += try crossEntropy(&files)
        Progress.shared.end()
        printTable(rows)
        print("\nFiles written to \(outputDirectory)/:")
        for f in files { print("  \(f)") }
        print(String(format: "\nDone in %.1f s.", Date().timeIntervalSince(t0)))
        return try claims(rows)
    }

    // MARK: problems

    /// Clustered data in R⁴, 3 classes, N = 24 (QN = 72).
    func clusters(smoothing: Double = 0) throws -> SyntheticData.Dataset {
        try SyntheticData.clusters(samples: 24, inputDimension: 4, classes: 3, smoothing: smoothing, seed: seed)
    }

    func problem(_ widths: [Int], _ act: Activation, loss: Loss = .squared, smoothing: Double = 0) throws -> TrainingProblem {
        let data = try clusters(smoothing: smoothing)
        return try TrainingProblem(model: MLP(widths: widths, activation: act), inputs: data.inputs, targets: data.targets, loss: loss, backend: backend)
    }

    /// Dopri5 with PI control, or — with `step` — explicit Euler at that constant step (gradient descent, which
    /// copes with ReLU's kinks where an adaptive high-order method rejects step after step).
    func solve(_ field: any ParameterFlow, _ theta0: [Double], to sEnd: Double, saveAt: SaveAt, rtol: Double = 1e-9, atol: Double = 1e-11, step: Double? = nil) throws -> FlowResult {
        let t0 = Date()
        let sol = step == nil
            ? try integrate(field, stepper: .dopri5, controller: PIController(rtol: rtol, atol: atol), from: 0, to: sEnd, start: theta0, saveAt: saveAt)
            : try integrate(field, stepper: .euler, controller: ConstantStepSize(step!), from: 0, to: sEnd, start: theta0, saveAt: saveAt)
        guard sol.status == .success else {
            throw TangentFlowError.invalidArgument(operation: "demo", reason: "a flow stopped early: \(sol.status)")
        }
        let wall = Date().timeIntervalSince(t0)
        return FlowResult(solution: sol, points: try TrajectoryDiagnostics.compute(field.problem, sol, field: field), wallTime: wall)
    }

    /// Save points evenly spaced in t = 1 − e^{−s/N} up to tMax.
    func tGrid(_ problem: TrainingProblem, to tMax: Double, _ k: Int) -> (Double, SaveAt) {
        let n = problem.samples
        let ss = (0..<k).map { problem.loss.flowTime(reaching: tMax * Double($0) / Double(k - 1), samples: n)! }
        return (ss.last!, .times(ss))
    }

    func write(_ result: FlowResult, _ name: String, _ files: inout [String]) throws {
        try TrajectoryDiagnostics.table(result.points).write(to: "\(outputDirectory)/\(name)")
        files.append(name)
    }

    func writePlot(_ figure: SVGFigure, _ name: String, _ files: inout [String]) throws {
        let path = "\(outputDirectory)/\(name)"
        let png = try figure.write(to: path)  // also writes the 2× PNG beside it when rsvg-convert is installed
        files.append(name)
        if let png = png.fileName { files.append(png) }
    }
}
