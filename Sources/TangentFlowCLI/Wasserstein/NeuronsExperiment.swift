import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowWasserstein
import TangentFlowReporting

/// `tangentflow wasserstein neurons`: the notes' §1.1 experiment (Mercklé, *Wasserstein gradient flow of two-layer
/// ReLU networks*, 2024): proximal point with γ = 10 from a random grid with near-zero output, the neuron positions
/// at start and end, and the dead neurons (inactive on all data) that do not move.
let neuronsCommand = CommandSpec(
    name: "neurons",
    abstract: "Proximal point at γ = 10 from a random grid: neuron positions at start and end, dead neurons counted.",
    discussion: """
        Neurons (a, b) act on x as max(0, a x + b) with fixed signs ±1. They start on a q×q grid over [−R, R]², each
        grid point holding one neuron of each sign, jittered independently (jitter × spacing), so the output starts
        close to zero. Proximal-point steps W ← argmin_V F(V) + d(V, W)/(2γ) with the Frobenius distance and with
        W₂² between the particle measures (an exact assignment per round) run for --steps steps. A neuron is dead
        when its ReLU is inactive on every sample (⟨w_i, x_j⟩ ≤ 0 for all j): it gets no gradient and does not
        move — the notes' triangle b ≤ −|a| of still neurons for x ∈ [−1, 1]. Dead neurons are counted at the start
        and at the end of each run, and the largest displacement of a neuron dead from start to end is recorded.
        Writes neurons.csv (positions: run, step, neuron, a, b, sign, dead), neurons-loss.csv, neurons.svg (and
        .png), neurons-summary.json, run.json (headline claims).
        """,
    options: wassersteinCommonOptions("wasserstein-neurons") + wassersteinDataOptions + [
        OptionSpec(name: "grid", value: "q", help: "Grid points per axis (2q² neurons).", defaultValue: "6", kind: .integer(2...24)),
        OptionSpec(name: "extent", value: "R", help: "Grid half-width R.", defaultValue: "2", kind: .real(lower: 0, upper: 100, openLower: true)),
        OptionSpec(name: "jitter", value: "j", help: "Jitter of each neuron, as a fraction of the grid spacing.", defaultValue: "0.02",
                   kind: .real(lower: 0, upper: 1)),
        OptionSpec(name: "gamma", value: "γ", help: "Proximal parameter γ (the notes' γ = 10).", defaultValue: "10",
                   kind: .real(lower: 0, upper: 1000, openLower: true)),
        OptionSpec(name: "steps", value: "k", help: "Proximal steps.", defaultValue: "8", kind: .integer(1...200)),
        OptionSpec(name: "tolerance", value: "tol", help: "Inner stationarity tolerance of each proximal step.", defaultValue: "1e-6",
                   kind: .real(lower: 1e-14, upper: 1)),
        OptionSpec(name: "max-inner", value: "K", help: "Cap on inner iterations per proximal solve (reported when reached).",
                   defaultValue: "20000", kind: .integer(1...1_000_000)),
    ],
    examples: [
        "tangentflow wasserstein neurons -o neurons",
        "tangentflow wasserstein neurons --grid 8 --steps 12 --seed 3 --json -o neurons-8",
    ],
    run: { p in
        let data = try wassersteinData(p)
        guard data.inputs.cols == 2 else {
            throw CommandFailure(.dataError, "--x: \(p.string("x")!) has \(data.inputs.cols - 1) input columns; the neuron plane (a, b) needs scalar inputs (n×1)")
        }
        let grid = try RandomGridNeurons(pointsPerAxis: intOption(p, "grid"), extent: doubleOption(p, "extent"), jitter: doubleOption(p, "jitter"),
                                         seed: seedOption(p))
        try runNeurons(output: p.string("output")!, data: data, grid: grid, gamma: doubleOption(p, "gamma"), steps: intOption(p, "steps"),
                       tolerance: doubleOption(p, "tolerance"), maxInner: intOption(p, "max-inner"), report: p.report)
    })

func runNeurons(output: String, data: (inputs: Matrix, targets: [Double]), grid: RandomGridNeurons, gamma: Double, steps: Int,
                tolerance: Double, maxInner: Int, report: RunReport) throws {
    let start = Date()
    Progress.shared.begin("wasserstein neurons")
    defer { Progress.shared.end() }
    let w0 = grid.neurons, m = w0.rows
    let problem = try TwoLayerReLUProblem(inputs: data.inputs, targets: data.targets, signs: grid.signs)
    let n = problem.samples
    let rms = { (v: [Double]) in (v.reduce(0.0) { $0 + $1 * $1 } / Double(v.count)).squareRoot() }
    let outputRMS = rms(try problem.outputs(w0)), targetRMS = rms(data.targets)
    var runs: [(name: String, trace: DescentTrace)] = []
    for (k, distance) in ProximalDistance.allCases.enumerated() {
        Progress.shared.update(fraction: Double(k) / 2, "\(distance.rawValue) proximal point")
        runs.append((distance.rawValue, try problem.proximalPoint(from: w0, distance: distance, gamma: gamma, steps: steps, tolerance: tolerance,
                                                                  maxInnerIterations: maxInner)))
    }
    print("TangentFlow: proximal point from a random grid (Mercklé §1.1), m = \(m) neurons (\(grid.pointsPerAxis)² grid × 2 signs), n = \(n), γ = \(gamma)")
    print(String(format: "initial output RMS %.3e (targets' RMS %.3e)\n", outputRMS, targetRMS))
    var positions = try CSVTable(columns: ["run", "step", "neuron", "a", "b", "sign", "dead"], kinds: [.text] + Array(repeating: .number, count: 6))
    var losses = try CSVTable(columns: ["run", "step", "time", "loss", "distance", "inner_iterations", "inner_gradient_norm", "assignment_rounds", "converged"],
                              kinds: [.text] + Array(repeating: .number, count: 8))
    let dead0 = Set(try problem.deadNeurons(w0))
    func addPositions(_ run: String, _ step: Int, _ w: Matrix, _ dead: Set<Int>) throws {
        for i in 0..<m {
            try positions.append(cells: [.text(run), .number(Double(step)), .number(Double(i)), .number(w[i, 0]), .number(w[i, 1]),
                                         .number(grid.signs[i]), .number(dead.contains(i) ? 1 : 0)])
        }
    }
    try addPositions("start", 0, w0, dead0)
    var summary: [(name: String, dead: Set<Int>, stillMoved: Double, loss: Double, unconverged: Int)] = []
    for (name, trace) in runs {
        let end = trace.final
        let deadEnd = Set(try problem.deadNeurons(end))
        try addPositions(name, steps, end, deadEnd)
        for r in trace.records {
            try losses.append(cells: [.text(name), .number(Double(r.step)), .number(r.time), .number(r.loss), .number(r.distance), .number(Double(r.innerIterations)),
                                      .number(r.innerGradientNorm), .number(Double(r.assignmentRounds)), .number(r.converged ? 1 : 0)])
        }
        // Neurons dead at the start and at the end: how far did they move (0 for the Frobenius step: no gradient)?
        var moved = 0.0
        for i in dead0.intersection(deadEnd) { moved = max(moved, hypot(end[i, 0] - w0[i, 0], end[i, 1] - w0[i, 1])) }
        summary.append((name, deadEnd, moved, trace.records.last!.loss, trace.unconvergedSteps))
        print(String(format: "%-12@ loss %.4e → %.4e   dead neurons %d → %d   largest move of a still-dead neuron %.2e   unconverged steps %d",
                     name as NSString, trace.records[0].loss, trace.records.last!.loss, dead0.count, deadEnd.count, moved, trace.unconvergedSteps))
    }
    let loss0 = runs[0].trace.records[0].loss
    let (frob, w2) = (summary[0], summary[1])
    report.record("neurons", m)
    report.record("samples", n)
    report.record("gamma", gamma)
    report.record("initial_output_rms", outputRMS)
    report.record("target_rms", targetRMS)
    report.record("initial_loss", loss0)
    report.record("dead_start", dead0.count)
    for s in summary {
        report.record("final_loss_\(s.name)", s.loss)
        report.record("dead_end_\(s.name)", s.dead.count)
        report.record("dead_end_indices_\(s.name)", s.dead.sorted())
        report.record("still_dead_largest_move_\(s.name)", s.stillMoved)
        report.record("unconverged_steps_\(s.name)", s.unconverged)
    }
    report.record("dead_start_indices", dead0.sorted())
    report.record(claims: [
        DemoClaim(name: "initial_output_near_zero", value: outputRMS / max(targetRMS, 1e-300), relation: .atMost, bound: 0.1,
                  statement: "the random grid's output RMS is at most a tenth of the targets' RMS"),
        DemoClaim(name: "loss_decrease_frobenius", value: frob.loss / loss0, relation: .atMost, bound: 0.5,
                  statement: "the Frobenius proximal point at least halves the loss"),
        DemoClaim(name: "loss_decrease_wasserstein", value: w2.loss / loss0, relation: .atMost, bound: 0.5,
                  statement: "the W₂ proximal point at least halves the loss"),
        DemoClaim(name: "dead_neurons_do_not_move", value: frob.stillMoved, relation: .atMost, bound: 0,
                  statement: "neurons dead at the start and at the end of the Frobenius run did not move at all"),
        DemoClaim(name: "dead_neurons_exist", value: Double(dead0.count), relation: .atLeast, bound: 1,
                  statement: "the grid has dead neurons (inactive on every sample)"),
    ])

    var out = try ExperimentOutput(directory: output)
    try out.write(positions, "neurons.csv")
    try out.write(losses, "neurons-loss.csv")
    // The dead wedge's boundary for the data: a x + b = 0 at the end of the data range that activates first.
    let xs = (0..<n).map { data.inputs[$0, 0] }
    let (xMin, xMax) = (xs.min()!, xs.max()!)
    let r = grid.extent * 1.1
    let edgeA = [-r, 0, r], edgeB = edgeA.map { a in -max(a * xMin, a * xMax) }
    func panel(_ title: String, _ w: Matrix, _ dead: Set<Int>) throws -> SVGPlot {
        func pick(_ sign: Double, _ isDead: Bool) throws -> PlotSeries {
            let ids = (0..<m).filter { grid.signs[$0] == sign && dead.contains($0) == isDead }
            return try PlotSeries(name: "\(sign > 0 ? "α = +1" : "α = −1")\(isDead ? ", dead" : "")", x: ids.map { w[$0, 0] }, y: ids.map { w[$0, 1] },
                                  color: sign > 0 ? "#0072B2" : "#D55E00", line: .none, marker: isDead ? .cross : (sign > 0 ? .circle : .square))
        }
        return SVGPlot(title: title, xAxis: PlotAxis(label: "slope a", lowerBound: -r, upperBound: r), yAxis: PlotAxis(label: "bias b", lowerBound: -r, upperBound: r),
                       series: [try pick(1, false), try pick(-1, false), try pick(1, true), try pick(-1, true),
                                try PlotSeries(name: "dead wedge edge", x: edgeA, y: edgeB, color: "#555555", line: .dotted)])
    }
    var fig = try SVGFigure(rows: 2, columns: 2, title: "Proximal point from a random grid, γ = \(gamma) (m = \(m), n = \(n))")
    try fig.place(panel("start: \(dead0.count) dead neurons", w0, dead0), row: 0, column: 0)
    try fig.place(panel("Frobenius, step \(steps): \(frob.dead.count) dead", runs[0].trace.final, frob.dead), row: 0, column: 1)
    try fig.place(panel("W₂, step \(steps): \(w2.dead.count) dead", runs[1].trace.final, w2.dead), row: 1, column: 0)
    try fig.place(SVGPlot(title: "loss F along the proximal steps", xAxis: PlotAxis(label: "step"), yAxis: PlotAxis(label: "loss F", scale: .log10), series: [
        try PlotSeries(name: "Frobenius", x: runs[0].trace.records.map { Double($0.step) }, y: runs[0].trace.records.map(\.loss), marker: .circle),
        try PlotSeries(name: "W₂", x: runs[1].trace.records.map { Double($0.step) }, y: runs[1].trace.records.map(\.loss), line: .dashed, marker: .triangle),
    ]), row: 1, column: 1)
    try out.write(fig, "neurons.svg")
    try out.writeSummary(report, "neurons-summary.json")
    out.printFiles(since: start)
}
