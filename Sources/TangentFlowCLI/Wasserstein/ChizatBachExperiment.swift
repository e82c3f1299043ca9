import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowWasserstein
import TangentFlowReporting

/// `tangentflow wasserstein chizat-bach`: the mean-field network from a spread-out initialisation as the number of
/// neurons m grows (Chizat & Bach, NeurIPS 2018, as used in §4 and §10 of Mercklé's notes): final loss against m.
let chizatBachCommand = CommandSpec(
    name: "chizat-bach",
    abstract: "Mean-field gradient flow from spread-out neurons as m grows: final loss against m (Chizat–Bach).",
    discussion: """
        The mean-field network f(x) = (1/m) Σ_i α_i max(0, ⟨w_i, (x, 1)⟩), its neurons spread evenly over all
        directions of the plane for each sign (norm --radius), trained by gradient descent on w' = −m∇F (Chizat and
        Bach's scaling, in which the particles follow the Wasserstein gradient flow of the loss as m → ∞) up to the
        same mean-field time --time for each m in --widths. Chizat and Bach prove that such a flow, started with
        support on all directions, can only converge to a global minimiser; with the default data — targets of a
        four-neuron ReLU teacher, so the global minimum is 0 — the final loss falls as m grows. Step: 0.5/L in flow
        time, L the gradient's Lipschitz bound. Writes chizat-bach.csv (m, final loss), chizat-bach-loss.csv
        (curves), chizat-bach.svg (and .png), chizat-bach-summary.json, run.json (headline claims).
        """,
    options: wassersteinCommonOptions("wasserstein-chizat-bach") + wassersteinDataOptions + [
        OptionSpec(name: "widths", value: "m,m,…", help: "Numbers of neurons m (2 to 12 values, each in 2…1024).", defaultValue: "2,4,8,16,64,256"),
        OptionSpec(name: "time", value: "T", help: "Mean-field time to reach.", defaultValue: "1000", kind: .real(lower: 0, upper: 10_000, openLower: true)),
        OptionSpec(name: "radius", value: "r", help: "Initial norm |w_i| of every neuron (mean-field units).", defaultValue: "1",
                   kind: .real(lower: 0, upper: 100, openLower: true)),
    ],
    examples: [
        "tangentflow wasserstein chizat-bach -o chizat-bach",
        "tangentflow wasserstein chizat-bach --widths 4,32,512 --time 1000 --json -o chizat-bach-long",
    ],
    run: { p in
        let text = try p.required("widths")
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard (2...12).contains(parts.count), parts.allSatisfy({ $0 != nil && (2...1024).contains($0!) }) else {
            throw UsageError.invalid("widths", text, expected: "2 to 12 comma-separated integers in 2…1024")
        }
        let data = try wassersteinData(p)
        guard data.inputs.cols == 2 else {
            throw CommandFailure(.dataError, "--x: \(p.string("x")!) has \(data.inputs.cols - 1) input columns; the spread-out directions live in the plane (a, b) and need scalar inputs (n×1)")
        }
        try runChizatBach(output: p.string("output")!, data: data, widths: parts.map { $0! }.sorted(), time: doubleOption(p, "time"),
                          radius: doubleOption(p, "radius"), seed: seedOption(p), report: p.report)
    })

func runChizatBach(output: String, data: (inputs: Matrix, targets: [Double]), widths: [Int], time: Double, radius: Double, seed: UInt64,
                   report: RunReport) throws {
    let start = Date()
    Progress.shared.begin("wasserstein chizat-bach")
    defer { Progress.shared.end() }
    try requireFlowTime(time, "chizat-bach")
    var problems: [(m: Int, problem: TwoLayerReLUProblem, w0: Matrix, eta: Double, steps: Int)] = []
    // Every step count is checked before any work, so a refused run prints its error and nothing else.
    for m in widths {
        let init0 = try SpreadOutNeurons(count: m, radius: radius, seed: seed)
        let problem = try TwoLayerReLUProblem(inputs: data.inputs, targets: data.targets, signs: init0.signs)
        let eta = 0.5 / problem.gradientLipschitzBound
        let steps = try stepCount(time / Double(m) / eta, limit: 2e5, "chizat-bach", "gradient descent to --time for m = \(m)")
        problems.append((m, problem, init0.neurons, eta, steps))
    }
    print("TangentFlow: mean-field ReLU network from spread-out neurons (Chizat–Bach), n = \(data.targets.count), mean-field time \(time)\n")
    var table = CSVTable(columns: ["m", "steps", "initial_loss", "final_loss", "dead_at_end"])
    var curves = CSVTable(columns: ["m", "time", "loss"])
    var rows: [(m: Int, initial: Double, final: Double)] = []
    var series: [PlotSeries] = []
    for (k, c) in problems.enumerated() {
        Progress.shared.update(fraction: Double(k) / Double(problems.count), "m = \(c.m), \(c.steps) steps")
        let trace = try c.problem.gradientDescent(from: c.w0, step: c.eta, steps: c.steps)
        let every = max(1, c.steps / 200)
        let kept = trace.records.filter { $0.step % every == 0 || $0.step == c.steps }
        // Mean-field time = m × flow time of the stored neurons.
        for r in kept { try curves.append([Double(c.m), Double(c.m) * r.time, r.loss]) }
        let (first, last) = (trace.records[0].loss, trace.records.last!.loss)
        let dead = try c.problem.deadNeurons(trace.final).count
        try table.append([Double(c.m), Double(c.steps), first, last, Double(dead)])
        rows.append((c.m, first, last))
        series.append(try PlotSeries(name: "m = \(c.m)", x: kept.map { max(Double(c.m) * $0.time, 1e-3) }, y: kept.map(\.loss)))
        print(String(format: "m = %4d   steps %6d   loss %.4e → %.4e   dead neurons at the end %d", c.m, c.steps, first, last, dead))
    }
    let (smallest, largest) = (rows.first!, rows.last!)
    report.record("widths", rows.map(\.m))
    report.record("initial_losses", rows.map(\.initial))
    report.record("final_losses", rows.map(\.final))
    report.record("mean_field_time", time)
    report.record(claims: [
        DemoClaim(name: "largest_m_reaches_global_minimum", value: largest.final / largest.initial, relation: .atMost, bound: 1e-2,
                  statement: "at the largest m the loss falls below 1% of its start (the teacher's global minimum is 0)"),
        DemoClaim(name: "loss_falls_with_m", value: largest.final / max(smallest.final, 1e-300), relation: .atMost, bound: 0.1,
                  statement: "the final loss at the largest m is at most a tenth of that at the smallest m"),
    ])
    var out = try ExperimentOutput(directory: output)
    try out.write(table, "chizat-bach.csv")
    try out.write(curves, "chizat-bach-loss.csv")
    var fig = try SVGFigure(rows: 1, columns: 2, title: "Mean-field ReLU network from spread-out neurons (Chizat–Bach), n = \(data.targets.count)")
    try fig.place(SVGPlot(title: "final loss at mean-field time \(String(format: "%g", time))", xAxis: PlotAxis(label: "neurons m", scale: .log10),
                          yAxis: PlotAxis(label: "final loss F", scale: .log10), series: [
                              try PlotSeries(name: "final loss", x: rows.map { Double($0.m) }, y: rows.map { max($0.final, 1e-300) }, marker: .circle),
                          ]), row: 0, column: 0)
    try fig.place(SVGPlot(title: "loss along the flow", xAxis: PlotAxis(label: "mean-field time t", scale: .log10), yAxis: PlotAxis(label: "loss F", scale: .log10),
                          series: series), row: 0, column: 1)
    try out.write(fig, "chizat-bach.svg")
    try out.writeSummary(report, "chizat-bach-summary.json")
    out.printFiles(since: start)
}
