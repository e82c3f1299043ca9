import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowWasserstein
import TangentFlowReporting

/// `tangentflow wasserstein gd-vs-prox`: gradient descent against the Frobenius and the W₂ proximal-point flows
/// on one problem (§1–§2 of file 004), loss against flow time.
let gdVersusProxCommand = CommandSpec(
    name: "gd-vs-prox",
    abstract: "Gradient flow vs Frobenius and Wasserstein proximal-point flows: loss against flow time.",
    discussion: """
        One two-layer ReLU problem (16 points x ∈ [−1, 1], a 3-neuron teacher, m student neurons with signs ±1),
        three descents to the same flow time T: gradient descent (step η = 0.5/L), and proximal-point steps
        W ← argmin_V F(V) + d(V, W)/(2γ) with d the Frobenius distance (1/m)Σ|V_i − W_i|² or W₂² between the
        particle measures (an exact assignment per round). A proximal step is implicit Euler with step mγ, so
        both are plotted against flow time. Also plotted: W₂² vs the Frobenius distance moved per step; they are
        equal unless a step exchanges neuron labels (none at the default γ, as the notes observed; one at
        --gamma 0.3). --weight-decay λ adds (λ/2)‖W‖² to the loss (§9).
        Writes gd-vs-prox.csv, gd-vs-prox.svg (and .png).
        """,
    options: wassersteinCommonOptions("wasserstein-gd-vs-prox") + wassersteinDataOptions + wassersteinNetworkOptions + [
        OptionSpec(name: "neurons", value: "m", help: "Number of neurons.", defaultValue: "16", kind: .integer(1...256)),
        OptionSpec(name: "time", value: "T", help: "Flow time to reach.", defaultValue: "20", kind: .real(lower: 0, upper: 1000, openLower: true)),
        OptionSpec(name: "gamma", value: "γ", help: "Proximal parameter γ (step mγ in flow time; at most 10⁴ proximal steps).", defaultValue: "0.05",
                   kind: .real(lower: 0, upper: 100, openLower: true)),
        OptionSpec(name: "tolerance", value: "tol", help: "Inner stationarity tolerance of each proximal step.", defaultValue: "1e-7",
                   kind: .real(lower: 1e-14, upper: 1)),
        OptionSpec(name: "weight-decay", value: "λ", help: "Weight decay λ: the loss becomes F(W) + (λ/2)‖W‖².", defaultValue: "0",
                   kind: .real(lower: 0, upper: 1e6)),
    ],
    examples: [
        "tangentflow wasserstein gd-vs-prox -o gd-vs-prox",
        "tangentflow wasserstein gd-vs-prox --neurons 32 --gamma 0.02 --seed 3 -o gd-vs-prox-32",
    ],
    run: { p in
        let data = try wassersteinData(p)
        let (w0, signs) = try wassersteinNeurons(p, columns: data.inputs.cols, neurons: intOption(p, "neurons"), scale: 0.5, seed: seedOption(p))
        try runGDVersusProx(output: p.string("output")!, data: data, start: w0, signs: signs,
                            time: doubleOption(p, "time"), gamma: doubleOption(p, "gamma"), tolerance: doubleOption(p, "tolerance"),
                            weightDecay: doubleOption(p, "weight-decay"))
    })

func runGDVersusProx(output: String, data: (inputs: Matrix, targets: [Double]), start w0: Matrix, signs: [Double], time: Double, gamma: Double,
                     tolerance: Double, weightDecay: Double) throws {
    let start = Date()
    Progress.shared.begin("wasserstein gd-vs-prox")
    defer { Progress.shared.end() }
    let m = w0.rows
    let problem = try TwoLayerReLUProblem(inputs: data.inputs, targets: data.targets, signs: signs, weightDecay: weightDecay)
    try requireFlowTime(time, "gd-vs-prox")
    guard gamma.isFinite, gamma > 0 else {
        throw TangentFlowError.invalidArgument(operation: "gd-vs-prox", reason: "gamma γ must be finite and > 0, got \(gamma)")
    }
    let eta = 0.5 / problem.gradientLipschitzBound
    let proxStep = Double(m) * gamma
    // Both caps are checked before any work, so a refused run prints its error and nothing else.
    let gdSteps = try stepCount(time / eta, limit: 1e6, "gd-vs-prox", "gradient descent to --time")
    let proxSteps = max(1, try stepCount(time / proxStep, limit: 1e4, "gd-vs-prox", "T/(mγ): the proximal flow to --time"))
    let gd = try problem.gradientDescent(from: w0, step: eta, steps: gdSteps)
    let frobenius = try problem.proximalPoint(from: w0, distance: .frobenius, gamma: gamma, steps: proxSteps, tolerance: tolerance, maxInnerIterations: 20_000)
    let wasserstein = try problem.proximalPoint(from: w0, distance: .wasserstein, gamma: gamma, steps: proxSteps, tolerance: tolerance, maxInnerIterations: 20_000)

    print("TangentFlow: gradient flow vs proximal-point flows (Mercklé §1–2), m = \(m), n = \(problem.samples), λ = \(weightDecay)")
    print(String(format: "GD step η = %.4g (0.5/L), proximal γ = %.4g (flow-time step mγ = %.4g), T = %.4g\n", eta, gamma, proxStep, time))
    var table = try CSVTable(
        columns: ["method", "step", "time", "loss", "distance", "wasserstein_distance", "inner_iterations", "inner_gradient_norm", "assignment_rounds", "converged"],
        kinds: [.text] + Array(repeating: .number, count: 9))
    var distanceRows: [(t: Double, frob: Double, w2: Double)] = []
    for (name, trace) in [("gradient descent", gd), ("prox Frobenius", frobenius), ("prox W2", wasserstein)] {
        for r in trace.records {
            // W₂² between consecutive iterates (exact assignment), beside the method's own distance.
            var w2 = 0.0
            if r.step > 0 && name != "gradient descent" {
                w2 = try EmpiricalWasserstein.squaredDistance(trace.iterates[r.step], trace.iterates[r.step - 1]).value
            }
            if name == "prox W2" && r.step > 0 {
                var frob = 0.0
                for k in 0..<trace.iterates[r.step].elements.count {
                    frob += pow(trace.iterates[r.step].elements[k] - trace.iterates[r.step - 1].elements[k], 2)
                }
                distanceRows.append((r.time, frob / Double(m), r.distance))
            }
            try table.append(cells: [.text(name), .number(Double(r.step)), .number(r.time), .number(r.loss), .number(r.distance), .number(w2),
                                     .number(Double(r.innerIterations)), .number(r.innerGradientNorm), .number(Double(r.assignmentRounds)), .number(r.converged ? 1 : 0)])
        }
        let last = trace.records.last!
        let inner = trace.records.reduce(0) { $0 + $1.innerIterations }
        print(String(format: "%-18@ steps %6d   final loss %.4e   inner iterations %7d   unconverged steps %d",
                     name as NSString, last.step, last.loss, inner, trace.unconvergedSteps))
    }
    let exchanged = distanceRows.filter { $0.frob - $0.w2 > 1e-12 * $0.frob }.count
    print("W₂ steps that exchanged neuron labels (W₂² < Frobenius distance): \(exchanged) of \(distanceRows.count)")
    var out = try ExperimentOutput(directory: output)
    try out.write(table, "gd-vs-prox.csv")
    func series(_ name: String, _ trace: DescentTrace, _ line: PlotSeries.LineStyle, _ marker: PlotSeries.Marker = .none) throws -> PlotSeries {
        try PlotSeries(name: name, x: trace.records.map(\.time), y: trace.records.map(\.loss), line: line, marker: marker)
    }
    var fig = try SVGFigure(rows: 1, columns: 2, title: "Gradient flow vs proximal-point flows, two-layer ReLU (m = \(m), n = \(problem.samples))")
    try fig.place(SVGPlot(title: "loss F(W) = (1/2n)Σ(f(x_j) − y_j)²", xAxis: PlotAxis(label: "flow time t"), yAxis: PlotAxis(label: "loss F", scale: .log10), series: [
        try series("gradient descent, η = \(String(format: "%.3g", eta))", gd, .solid),
        try series("prox Frobenius, mγ = \(String(format: "%.3g", proxStep))", frobenius, .dashed, .circle),
        try series("prox W₂, mγ = \(String(format: "%.3g", proxStep))", wasserstein, .dotted, .triangle),
    ]), row: 0, column: 0)
    try fig.place(SVGPlot(title: "distance moved per W₂ proximal step (equal unless labels are exchanged)", xAxis: PlotAxis(label: "flow time t"), yAxis: PlotAxis(label: "distance", scale: .log10), series: [
        try PlotSeries(name: "Frobenius (1/m)Σ|ΔW_i|²", x: distanceRows.map(\.t), y: distanceRows.map(\.frob)),
        try PlotSeries(name: "W₂² (assignment)", x: distanceRows.map(\.t), y: distanceRows.map(\.w2), line: .dashed),
        try PlotSeries(name: "Frobenius − W₂²", x: distanceRows.map(\.t), y: distanceRows.map { $0.frob - $0.w2 }, line: .none, marker: .circle),
    ]), row: 0, column: 1)
    try out.write(fig, "gd-vs-prox.svg")
    out.printFiles(since: start)
}

/// Throws unless the flow time is finite and > 0.
func requireFlowTime(_ t: Double, _ op: String) throws {
    guard t.isFinite, t > 0 else { throw TangentFlowError.invalidArgument(operation: op, reason: "--time must be finite and > 0, got \(t)") }
}
