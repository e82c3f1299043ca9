import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowWasserstein
import TangentFlowReporting

/// `tangentflow wasserstein classic`: §9 of Mercklé's notes, the two-layer ReLU network with a trainable second
/// layer and weight decay, by its gradient flow; the balance law of each neuron, and the fixed-sign network beside it.
let trainableSecondLayerCommand = CommandSpec(
    name: "classic",
    abstract: "§9: trainable second layer with weight decay; the balance law (α² − |w|²)' = −2λ(α² − |w|²).",
    discussion: """
        L(W, α) = (1/(2n)) Σ_j (Σ_i α_i σ(⟨w_i, (x_j, 1)⟩) − y_j)² + (λ/2)(‖W‖² + ‖α‖²) — the notes' printed formula
        puts λ inside the sum over samples and an unsquared norm in the implicit step; this is the standard form.
        The gradient flow θ' = −∇L (RK4) from W⁰ (--theta, or seeded Gaussian) and α⁰ = 0.5·signs (--signs, or
        alternating) is run to --time; along it every neuron's balance α_i² − |w_i|² decays exactly as e^{−2λt}
        (the ReLU is 1-homogeneous). Beside it: the network with the second layer frozen at the signs (§6).
        Writes classic.csv, classic.svg (and .png), run.json.
        """,
    options: wassersteinCommonOptions("wasserstein-classic") + wassersteinDataOptions + wassersteinNetworkOptions + [
        OptionSpec(name: "neurons", value: "m", help: "Number of neurons.", defaultValue: "16", kind: .integer(1...256)),
        OptionSpec(name: "weight-decay", value: "λ", help: "Weight decay λ.", defaultValue: "0.01", kind: .real(lower: 0, upper: 100)),
        OptionSpec(name: "time", value: "T", help: "Flow time.", defaultValue: "40", kind: .real(lower: 0, upper: 1000, openLower: true)),
    ],
    examples: ["tangentflow wasserstein classic -o classic", "tangentflow wasserstein classic --weight-decay 0 --time 100 --json -o classic-0"],
    run: { p in
        let data = try wassersteinData(p)
        let (w0, signs) = try wassersteinNeurons(p, columns: data.inputs.cols, neurons: intOption(p, "neurons"), scale: 0.5, seed: seedOption(p))
        try runTrainableSecondLayer(output: p.string("output")!, data: data, neurons: w0, signs: signs, weightDecay: doubleOption(p, "weight-decay"),
                                    time: doubleOption(p, "time"), report: p.report)
    })

func runTrainableSecondLayer(output: String, data: (inputs: Matrix, targets: [Double]), neurons w0: Matrix, signs: [Double], weightDecay lambda: Double,
                             time: Double, report: RunReport) throws {
    let clock = Date()
    Progress.shared.begin("wasserstein classic")
    defer { Progress.shared.end() }
    try requireFlowTime(time, "classic")
    let problem = try TrainableSecondLayerProblem(inputs: data.inputs, targets: data.targets, weightDecay: lambda)
    let start = try problem.state(w0, signs.map { 0.5 * $0 })
    let fixed = try TwoLayerReLUProblem(inputs: data.inputs, targets: data.targets, signs: signs, weightDecay: lambda)
    // RK4 step: below 0.2 over a bound on the Hessian's scale, (1/n)Σ_j(|x_j|² + 1)·Σ_i(α_i² + |w_i|²) + λ, and ≤ 0.01.
    var sumX = 0.0
    for v in data.inputs.elements { sumX += v * v }
    let stateSize = start.reduce(0) { $0 + $1 * $1 }
    let bound = (sumX + Double(data.inputs.rows)) / Double(data.inputs.rows) * max(1, stateSize) + lambda
    let h = min(0.01, 0.2 / bound, 0.5 / fixed.gradientLipschitzBound)
    let steps = 50 * Int((Double(try stepCount(time / h, limit: 2e6, "classic", "the flow to --time")) / 50).rounded(.up))
    guard Double(steps) * Double(w0.rows) * Double(data.targets.count) <= 2e8 else {
        throw UsageError(message: "classic: \(steps) RK4 steps × \(w0.rows) neurons × \(data.targets.count) samples exceeds the work cap of 2e8",
                         hint: "lower --time or --neurons")
    }
    let saveTimes = (0...50).map { time * Double($0) / 50 }
    let run = try integrate(try TrainableSecondLayerFlow(problem: problem), stepper: .rk4, controller: ConstantStepSize(time / Double(steps)),
                            from: 0, to: time, start: start, saveAt: .times(saveTimes), maxSteps: steps + 110)
    let fixedRun = try integrate(try TwoLayerReLUGradientFlow(problem: fixed), stepper: .rk4, controller: ConstantStepSize(time / Double(steps)),
                                 from: 0, to: time, start: w0.elements, saveAt: .times(saveTimes), maxSteps: steps + 110)
    guard run.status == .success, fixedRun.status == .success, run.states.count == saveTimes.count, fixedRun.states.count == saveTimes.count else {
        throw CommandFailure(.stopped, "a flow stopped early: \(run.status), \(fixedRun.status)")
    }
    let b0 = try problem.balances(start)
    let balanceScale = max(1e-300, b0.map(abs).max()!)
    var table = CSVTable(columns: ["time", "loss", "loss_fixed_signs", "balance_residual", "sign_changes"])
    var residual = 0.0, increase = -Double.infinity
    var losses: [Double] = [], fixedLosses: [Double] = []
    for (k, t) in saveTimes.enumerated() {
        let b = try problem.balances(run.states[k])
        let r = zip(b, b0).map { abs($0 - $1 * exp(-2 * lambda * t)) }.max()! / balanceScale
        residual = max(residual, r)
        let l = try problem.loss(run.states[k])
        if k > 0 { increase = max(increase, l - losses[k - 1]) }
        losses.append(l)
        fixedLosses.append(try fixed.loss(Matrix(uncheckedRows: w0.rows, cols: w0.cols, elements: fixedRun.states[k])))
        let alpha = try problem.split(run.states[k]).alpha
        let flips = zip(alpha, signs).filter { $0 * $1 < 0 }.count
        try table.append([t, l, fixedLosses[k], r, Double(flips)])
    }
    let alphaEnd = try problem.split(run.finalState).alpha
    let flips = zip(alphaEnd, signs).filter { $0 * $1 < 0 }.count
    print("TangentFlow: §9, trainable second layer with weight decay (Mercklé), m = \(w0.rows), n = \(data.targets.count), λ = \(lambda)\n")
    print(String(format: "loss %.5e → %.5e (second layer frozen at the signs: %.5e); %d of %d output weights changed sign",
                 losses.first!, losses.last!, fixedLosses.last!, flips, w0.rows))
    print(String(format: "balance law (α² − |w|²)(t) = e^{−2λt}(α² − |w|²)(0): largest residual %.2e (relative); RK4 step %.3g, %d steps",
                 residual, time / Double(steps), steps))
    var out = try ExperimentOutput(directory: output)
    try out.write(table, "classic.csv")
    var fig = try SVGFigure(rows: 1, columns: 2, title: "Two-layer ReLU network with a trainable second layer (§9), λ = \(lambda)")
    try fig.place(SVGPlot(title: "loss L(W, α)", xAxis: PlotAxis(label: "flow time t"), yAxis: PlotAxis(label: "loss", scale: .log10), series: [
        try PlotSeries(name: "trainable second layer", x: saveTimes, y: losses),
        try PlotSeries(name: "second layer frozen at ±1", x: saveTimes, y: fixedLosses, line: .dashed),
    ]), row: 0, column: 0)
    let m = w0.rows
    var balanceSeries: [PlotSeries] = []
    for i in 0..<min(m, 6) {
        let values = try run.states.map { try problem.balances($0)[i] }
        balanceSeries.append(try PlotSeries(name: i == 0 ? "α_i² − |w_i|² (6 neurons)" : "", x: saveTimes, y: values))
        balanceSeries.append(try PlotSeries(name: i == 0 ? "e^{−2λt}·(α_i² − |w_i|²)(0)" : "", x: saveTimes, y: saveTimes.map { b0[i] * exp(-2 * lambda * $0) },
                                            line: .none, marker: .circle))
    }
    try fig.place(SVGPlot(title: "balance of each neuron", xAxis: PlotAxis(label: "flow time t"), yAxis: PlotAxis(label: "α² − |w|²"), series: balanceSeries),
                  row: 0, column: 1)
    try out.write(fig, "classic.svg")
    report.record("loss", [losses.first!, losses.last!])
    report.record("loss_fixed_signs", fixedLosses.last!)
    report.record("balance_residual", residual)
    report.record("sign_changes", flips)
    report.record(claims: [
        DemoClaim(name: "balance_law_residual", value: residual, relation: .atMost, bound: 1e-6,
                  statement: "each neuron's α² − |w|² decays as e^{−2λt} along the gradient flow"),
        DemoClaim(name: "loss_increase", value: increase, relation: .atMost, bound: 0, statement: "the loss never increases along the flow"),
    ])
    out.printFiles(since: clock)
}
