import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowWasserstein
import TangentFlowReporting

/// `tangentflow wasserstein init-scale`: small vs large initialisation (§3 of file 004): neuron directions and
/// norms along gradient descent.
let initScaleCommand = CommandSpec(
    name: "init-scale",
    abstract: "Small vs large initialisation: alignment phase, then growth (neuron directions and norms).",
    discussion: """
        The same network and data from two initial scales: neurons w_i ~ N(0, s²I) in R² (slope, bias) — or s times
        the --theta neurons rescaled to unit RMS entry — with s small
        and s large, trained by gradient descent (step 0.5/L). From a small scale the neurons first turn, with
        almost no change of norm, towards a few directions picked by the data (alignment), then grow along them;
        from a large scale directions barely move while the norms adjust. The direction of w = (a, b) is plotted as
        the angle atan2(b, a), against flow time on a log axis. Claims: from the small scale at least half the turning
        happens before the largest norm grows 10×, which then grows 100×; from the large scale neurons turn at most
        half as much and norms change less than 2×. Writes
        init-scale.csv, init-scale.svg (and .png), init-scale-summary.json, run.json.
        """,
    options: wassersteinCommonOptions("wasserstein-init-scale") + wassersteinDataOptions + wassersteinNetworkOptions + [
        OptionSpec(name: "neurons", value: "m", help: "Number of neurons.", defaultValue: "10", kind: .integer(1...256)),
        OptionSpec(name: "small", value: "s", help: "Small initial scale.", defaultValue: "1e-3", kind: .real(lower: 0, upper: 1000, openLower: true)),
        OptionSpec(name: "large", value: "s", help: "Large initial scale.", defaultValue: "1", kind: .real(lower: 0, upper: 1000, openLower: true)),
        OptionSpec(name: "time", value: "T", help: "Flow time to reach.", defaultValue: "60", kind: .real(lower: 0, upper: 1000, openLower: true)),
    ],
    examples: [
        "tangentflow wasserstein init-scale -o init-scale",
        "tangentflow wasserstein init-scale --small 1e-4 --time 100 -o init-scale-long",
    ],
    run: { p in
        let data = try wassersteinData(p)
        guard data.inputs.cols == 2 else {
            throw CommandFailure(.dataError, "--x: \(p.string("x")!) has \(data.inputs.cols - 1) input columns; init-scale plots neuron directions in R² and needs scalar inputs (n×1)")
        }
        // The shape of the start: N(0, 1) neurons, or --theta rescaled to unit RMS entry; each run multiplies it by its scale.
        let (w, signs) = try wassersteinNeurons(p, columns: 2, neurons: intOption(p, "neurons"), scale: 1, seed: seedOption(p))
        let rms = p.values["theta"] == nil ? 1 : (w.elements.reduce(0) { $0 + $1 * $1 } / Double(w.elements.count)).squareRoot()
        guard rms > 0 else { throw CommandFailure(.dataError, "--theta: \(p.string("theta")!) is all zeros; the scales multiply its shape") }
        try runInitScale(output: p.string("output")!, data: data, shape: Matrix(uncheckedRows: w.rows, cols: w.cols, elements: w.elements.map { $0 / rms }),
                         signs: signs, small: doubleOption(p, "small"), large: doubleOption(p, "large"), time: doubleOption(p, "time"), report: p.report)
    })

func runInitScale(output: String, data: (inputs: Matrix, targets: [Double]), shape: Matrix, signs: [Double], small: Double, large: Double,
                  time: Double, report: RunReport) throws {
    let m = shape.rows
    let start = Date()
    Progress.shared.begin("wasserstein init-scale")
    defer { Progress.shared.end() }
    guard m >= 1 else { throw TangentFlowError.invalidArgument(operation: "init-scale", reason: "--neurons must be ≥ 1, got \(m)") }
    for (name, s) in [("--small", small), ("--large", large)] where !(s.isFinite && s > 0) {
        throw TangentFlowError.invalidArgument(operation: "init-scale", reason: "\(name) must be finite and > 0, got \(s)")
    }
    try requireFlowTime(time, "init-scale")
    print("TangentFlow: small vs large initialisation (Mercklé §3), m = \(m), n = \(data.targets.count)\n")
    var table = CSVTable(columns: ["scale", "step", "time", "loss"] + (0..<m).map { "angle_\($0)" } + (0..<m).map { "norm_\($0)" })
    var phases: [InitScalePhases] = []
    var fig = try SVGFigure(rows: 2, columns: 3, title: "Small vs large initialisation, gradient descent on a two-layer ReLU network (m = \(m))")
    for (row, scale) in [small, large].enumerated() {
        let w0 = Matrix(uncheckedRows: m, cols: 2, elements: shape.elements.map { $0 * scale })
        let problem = try TwoLayerReLUProblem(inputs: data.inputs, targets: data.targets, signs: signs)
        let eta = 0.5 / problem.gradientLipschitzBound
        let steps = try stepCount(time / eta, limit: 1e6, "init-scale", "gradient descent to --time")
        let trace = try problem.gradientDescent(from: w0, step: eta, steps: steps)
        let every = max(1, steps / 300)
        let kept = trace.records.indices.filter { $0 <= 100 || $0 % every == 0 || $0 == steps }   // dense early: alignment is fast
        var angles = [[Double]](repeating: [], count: m), norms = [[Double]](repeating: [], count: m)
        var times: [Double] = [], losses: [Double] = []
        for t in kept {
            let w = trace.iterates[t]
            let a = (0..<m).map { atan2(w[$0, 1], w[$0, 0]) }
            let n = (0..<m).map { hypot(w[$0, 0], w[$0, 1]) }
            for i in 0..<m {
                angles[i].append(a[i])
                norms[i].append(n[i])
            }
            times.append(trace.records[t].time)
            losses.append(trace.records[t].loss)
            try table.append([scale, Double(t), trace.records[t].time, trace.records[t].loss] + a + n)
        }
        phases.append(InitScalePhases(trace))
        print(String(format: "scale %-7.3g steps %6d   loss %.3e → %.3e   median norm %.3g → %.3g", scale, steps,
                     losses.first!, losses.last!, median(norms.map { $0.first! }), median(norms.map { $0.last! })))
        let label = "s = \(String(format: "%g", scale))"
        func colour(_ i: Int) -> String { signs[i] > 0 ? "#0072B2" : "#D55E00" }
        try fig.place(SVGPlot(title: "loss, \(label)", xAxis: PlotAxis(label: "flow time t", scale: .log10), yAxis: PlotAxis(label: "loss F", scale: .log10),
                              series: [try PlotSeries(name: "", x: times, y: losses)]), row: row, column: 0)
        try fig.place(SVGPlot(title: "directions atan2(b, a), \(label) (blue α = +1)", xAxis: PlotAxis(label: "flow time t", scale: .log10),
                              yAxis: PlotAxis(label: "angle (rad)", lowerBound: -3.3, upperBound: 3.3),
                              series: try (0..<m).map { try PlotSeries(name: "", x: times, y: angles[$0], color: colour($0), line: .none, marker: .circle, lineWidth: 0.8) }),
                      row: row, column: 1)
        try fig.place(SVGPlot(title: "norms |w_i|, \(label)", xAxis: PlotAxis(label: "flow time t", scale: .log10), yAxis: PlotAxis(label: "neuron norm |w_i|", scale: .log10),
                              series: try (0..<m).map { try PlotSeries(name: "", x: times, y: norms[$0], color: colour($0), lineWidth: 1.2) }),
                      row: row, column: 2)
    }
    let (lo, hi) = (phases[0], phases[1])
    for (name, ph) in [("small", lo), ("large", hi)] {
        report.record("\(name)_growth_time", ph.growthTime ?? -1)
        report.record("\(name)_turn_before_growth", ph.turnBeforeGrowth)
        report.record("\(name)_turn_total", ph.turnTotal)
        report.record("\(name)_norm_growth", ph.normGrowth)
    }
    print(String(format: "small scale: neurons turn by %.3g rad (mean) before the largest norm grows 10×, %.3g rad in all; largest norm grows %.3g×",
                 lo.turnBeforeGrowth, lo.turnTotal, lo.normGrowth))
    print(String(format: "large scale: neurons turn by %.3g rad (mean) in all; largest norm changes %.3g×", hi.turnTotal, hi.normGrowth))
    report.record(claims: [
        DemoClaim(name: "small_init_aligns_first", value: lo.growthTime == nil ? 0 : lo.turnBeforeGrowth / max(lo.turnTotal, 1e-300), relation: .atLeast, bound: 0.5,
                  statement: "from the small scale at least half of the neurons' turning (mean angle) happens before the largest norm has grown 10×"),
        DemoClaim(name: "small_init_then_grows", value: lo.normGrowth, relation: .atLeast, bound: 100,
                  statement: "from the small scale the largest neuron norm then grows at least 100×"),
        DemoClaim(name: "large_init_turns_less", value: hi.turnTotal / max(lo.turnTotal, 1e-300), relation: .atMost, bound: 0.5,
                  statement: "from the large scale the neurons turn at most half as much (mean angle) as from the small scale"),
        DemoClaim(name: "large_init_norms_stay", value: hi.normGrowth, relation: .atMost, bound: 2,
                  statement: "from the large scale the largest neuron norm changes less than 2×"),
    ])
    var out = try ExperimentOutput(directory: output)
    try out.write(table, "init-scale.csv")
    try out.write(fig, "init-scale.svg")
    try out.writeSummary(report, "init-scale-summary.json")
    out.printFiles(since: start)
}

func median(_ v: [Double]) -> Double {
    let s = v.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// The two phases of a small initialisation (§3 of Mercklé's notes): directions first, norms after.
struct InitScalePhases {
    /// First flow time at which the largest neuron norm reaches 10× its start (nil: never).
    let growthTime: Double?
    /// Mean over neurons of the angle between w_i(0) and w_i(growthTime) (the whole run when it never grows).
    let turnBeforeGrowth: Double
    /// Mean over neurons of the angle between w_i(0) and w_i(T).
    let turnTotal: Double
    /// Largest neuron norm at the end over the largest at the start.
    let normGrowth: Double

    init(_ trace: DescentTrace) {
        func norms(_ w: Matrix) -> [Double] { (0..<w.rows).map { hypot(w[$0, 0], w[$0, 1]) } }
        func angle(_ a: Matrix, _ b: Matrix, _ i: Int) -> Double {
            let c = (a[i, 0] * b[i, 0] + a[i, 1] * b[i, 1]) / max(hypot(a[i, 0], a[i, 1]) * hypot(b[i, 0], b[i, 1]), 1e-300)
            return acos(min(1, max(-1, c)))
        }
        let w0 = trace.iterates[0], wT = trace.final
        let n0 = norms(w0).max() ?? 0
        let g = trace.iterates.firstIndex { (norms($0).max() ?? 0) >= 10 * n0 }
        let wg = trace.iterates[g ?? trace.iterates.count - 1]
        growthTime = g.map { trace.records[$0].time }
        // Means, not medians: dead neurons (angle 0 in both) must not decide the comparison.
        turnBeforeGrowth = (0..<w0.rows).reduce(0.0) { $0 + angle(w0, wg, $1) } / Double(w0.rows)
        turnTotal = (0..<w0.rows).reduce(0.0) { $0 + angle(w0, wT, $1) } / Double(w0.rows)
        normGrowth = (norms(wT).max() ?? 0) / max(n0, 1e-300)
    }
}
