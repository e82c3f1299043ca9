import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowWasserstein
import TangentFlowReporting

/// `tangentflow wasserstein signed`: a fixed-sign two-layer ReLU network as a signed mean-field measure
/// μ = μ₊ − μ₋ (§10 of Mercklé's notes): the four representations against the particle network, and the W₂
/// gradient flow of the measure against the network's gradient flow.
let signedMeasureCommand = CommandSpec(
    name: "signed",
    abstract: "A ReLU network as a signed measure μ₊ − μ₋: representations and W₂ flow against the particle network.",
    discussion: """
        The network f(x) = Σ_i α_i σ(⟨w_i, (x, 1)⟩) with signs α_i = ±1 is written as the signed measure
        μ = q Σ_i α_i δ_{w/q} with atoms of mass q = 1/m (mean-field scale): one positive measure per sign (± copies),
        lifted atoms (w, α) of a probability measure, pairs (w̃₊, w̃₋) with neuron σ(⟨w̃₊, x⟩) − σ(⟨w̃₋, x⟩) (when
        m₊ = m₋), and directions on the sphere with amplitudes |w|α. Each representation's output is computed by its
        own formula and compared with the particle network. Then the W₂ gradient flow of μ (atoms of μ± move with
        ∓∇F'(μ)) and the network's gradient flow W' = −q∇F(W) are integrated (RK4) to --time: by 1-homogeneity they
        are the same curve, atoms × q = neurons. Writes signed.csv, signed.svg (and .png), run.json.
        """,
    options: wassersteinCommonOptions("wasserstein-signed") + wassersteinDataOptions + wassersteinNetworkOptions + [
        OptionSpec(name: "neurons", value: "m", help: "Number of neurons.", defaultValue: "12", kind: .integer(1...256)),
        OptionSpec(name: "time", value: "T", help: "Flow time of the measure (network time q·T).", defaultValue: "20",
                   kind: .real(lower: 0, upper: 1000, openLower: true)),
    ],
    examples: ["tangentflow wasserstein signed -o signed", "tangentflow wasserstein signed --neurons 32 --time 50 --json -o signed-32"],
    run: { p in
        let data = try wassersteinData(p)
        let (w0, signs) = try wassersteinNeurons(p, columns: data.inputs.cols, neurons: intOption(p, "neurons"), scale: 0.5, seed: seedOption(p))
        try runSignedMeasure(output: p.string("output")!, data: data, neurons: w0, signs: signs, time: doubleOption(p, "time"), report: p.report)
    })

func runSignedMeasure(output: String, data: (inputs: Matrix, targets: [Double]), neurons w0: Matrix, signs: [Double], time: Double,
                      report: RunReport) throws {
    let clock = Date()
    Progress.shared.begin("wasserstein signed")
    defer { Progress.shared.end() }
    try requireFlowTime(time, "signed")
    let (x, y) = data
    let m = w0.rows
    let q = 1 / Double(m)
    // Atoms w/q of mass q: the measure is the network itself (neurons q·(w/q) = w).
    let atoms = Matrix(uncheckedRows: m, cols: w0.cols, elements: w0.elements.map { $0 / q })
    let mu = try SignedParticleMeasure(network: atoms, signs: signs, atomMass: q)
    let particle = try TwoLayerReLUProblem(inputs: x, targets: y, signs: signs)
    let reference = try particle.outputs(w0)
    let scale = max(1e-300, reference.map(abs).max()!)
    func gap(_ h: [Double]) -> Double { zip(h, reference).map { abs($0 - $1) }.max()! / scale }
    // The network the measure stands for lists positive atoms first: compare on the same neuron order.
    let net = mu.network
    let ordered = try TwoLayerReLUProblem(inputs: x, targets: y, signs: net.signs)
    var gaps: [(String, Double)] = [
        ("signed weights μ₊ − μ₋", gap(try mu.outputs(x))),
        ("lifted (w, α)", gap(try SignedParticleMeasure.liftedOutputs(mu.lifted, totalMass: q * Double(m), x))),
        ("sphere × amplitude", gap(try SignedParticleMeasure.sphereOutputs(directions: mu.sphereAmplitude.directions, amplitudes: mu.sphereAmplitude.amplitudes, x))),
    ]
    if let pairs = mu.pairs { gaps.append(("± pairs", gap(try SignedParticleMeasure.pairOutputs(pairs, massPerPart: q * Double(mu.positive.rows), x)))) }
    let energyGap = abs(try mu.energy(inputs: x, targets: y) - particle.loss(w0))

    // The two flows, RK4 with a step resolving the gradient's scale (L = gradientLipschitzBound of the network).
    let flow = try SignedMeasureFlow(inputs: x, targets: y, positiveAtoms: mu.positive.rows, negativeAtoms: mu.negative.rows, atomMass: q)
    let field = try TwoLayerReLUGradientFlow(problem: ordered, timeScale: q)
    let h = min(0.05, 0.2 / (q * ordered.gradientLipschitzBound))
    let steps = 50 * Int((Double(try stepCount(time / h, limit: 1e6, "signed", "the flows to --time")) / 50).rounded(.up))
    guard Double(steps) * Double(m) * Double(y.count) <= 2e8 else {
        throw UsageError(message: "signed: \(steps) RK4 steps × \(m) neurons × \(y.count) samples exceeds the work cap of 2e8", hint: "lower --time or --neurons")
    }
    let saveTimes = (0...50).map { time * Double($0) / 50 }
    let measureRun = try integrate(flow, stepper: .rk4, controller: ConstantStepSize(time / Double(steps)), from: 0, to: time,
                                   start: SignedMeasureFlow.state(of: mu), saveAt: .times(saveTimes), maxSteps: steps + 110)
    let networkRun = try integrate(field, stepper: .rk4, controller: ConstantStepSize(time / Double(steps)), from: 0, to: time,
                                   start: net.neurons.elements, saveAt: .times(saveTimes), maxSteps: steps + 110)
    guard measureRun.status == .success, networkRun.status == .success, measureRun.states.count == saveTimes.count,
          networkRun.states.count == saveTimes.count else {
        throw CommandFailure(.stopped, "a flow stopped early: \(measureRun.status), \(networkRun.status)")
    }
    var table = CSVTable(columns: ["time", "energy_measure", "loss_network", "atom_gap"])
    var flowGap = 0.0
    var energies: [Double] = [], losses: [Double] = []
    for k in saveTimes.indices {
        let e = try flow.measure(measureRun.states[k]).energy(inputs: x, targets: y)
        let l = try ordered.loss(Matrix(uncheckedRows: m, cols: w0.cols, elements: networkRun.states[k]))
        let size = max(1, networkRun.states[k].map(abs).max()!)
        // The measure's state lists μ₊ then μ₋, each column-major: compare through the network it stands for.
        let neuronsOfMeasure = try flow.measure(measureRun.states[k]).network.neurons.elements
        let g = zip(neuronsOfMeasure, networkRun.states[k]).map { abs($0 - $1) }.max()! / size
        flowGap = max(flowGap, g)
        energies.append(e)
        losses.append(l)
        try table.append([saveTimes[k], e, l, g])
    }
    print("TangentFlow: a ReLU network as a signed measure μ₊ − μ₋ (Mercklé §10), m = \(m) (\(mu.positive.rows) positive, \(mu.negative.rows) negative), n = \(y.count)\n")
    for (name, g) in gaps { print(String(format: "  %-24@ output gap to the network %.2e (relative)", name as NSString, g)) }
    print(String(format: "energy F(μ) vs network loss: gap %.2e", energyGap))
    print(String(format: "W₂ flow of μ vs network flow to T = %g (%d RK4 steps): largest gap of q·atoms vs neurons %.2e", time, steps, flowGap))
    print(String(format: "energy %.5e → %.5e", energies.first!, energies.last!))

    var out = try ExperimentOutput(directory: output)
    try out.write(table, "signed.csv")
    var fig = try SVGFigure(rows: 1, columns: 2, title: "A ReLU network as a signed measure μ₊ − μ₋ (m = \(m))")
    try fig.place(SVGPlot(title: "energy along the flows", xAxis: PlotAxis(label: "measure time t"), yAxis: PlotAxis(label: "F", scale: .log10), series: [
        try PlotSeries(name: "W₂ flow of μ", x: saveTimes, y: energies),
        try PlotSeries(name: "network flow W' = −q∇F", x: saveTimes, y: losses, line: .none, marker: .circle),
    ]), row: 0, column: 0)
    let end = try flow.measure(measureRun.states.last!)
    func cloud(_ a: Matrix, _ scale: Double) -> ([Double], [Double]) { ((0..<a.rows).map { scale * a[$0, 0] }, (0..<a.rows).map { scale * a[$0, a.cols - 1] }) }
    var series: [PlotSeries] = []
    for (name, part, marker) in [("μ₊ at t = 0", mu.positive, PlotSeries.Marker.circle), ("μ₋ at t = 0", mu.negative, .triangle),
                                 ("μ₊ at t = T", end.positive, .square), ("μ₋ at t = T", end.negative, .diamond)] where part.rows > 0 {
        let (a, b) = cloud(part, q)
        series.append(try PlotSeries(name: name, x: a, y: b, line: .none, marker: marker))
    }
    try fig.place(SVGPlot(title: "neurons q·w (first weight, bias)", xAxis: PlotAxis(label: "weight"), yAxis: PlotAxis(label: "bias"), series: series),
                  row: 0, column: 1)
    try out.write(fig, "signed.svg")

    report.record("representation_gaps", gaps.map(\.1))
    report.record("energy_gap", energyGap)
    report.record("flow_gap", flowGap)
    report.record("energy", [energies.first!, energies.last!])
    report.record(claims: [
        DemoClaim(name: "representation_gap", value: gaps.map(\.1).max()!, relation: .atMost, bound: 1e-12,
                  statement: "every representation of §10 gives the particle network's outputs"),
        DemoClaim(name: "flow_gap", value: flowGap, relation: .atMost, bound: 1e-10,
                  statement: "the W₂ gradient flow of the signed measure is the network's gradient flow (atoms × q = neurons)"),
        DemoClaim(name: "energy_ratio", value: energies.last! / energies.first!, relation: .atMost, bound: 1,
                  statement: "the energy decreases along the flow"),
    ])
    out.printFiles(since: clock)
}
