import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowWasserstein
import TangentFlowReporting

/// `tangentflow wasserstein prox-stuck`: the W₂ proximal descent of §1.2 of Mercklé's notes that gets stuck, and why.
let proxStuckCommand = CommandSpec(
    name: "prox-stuck",
    abstract: "The W₂ proximal descent that gets stuck (§1.2 of the notes): where, and which constraint holds it.",
    discussion: """
        W₂ proximal-point steps W ← argmin_V F(V) + W₂²(V, W)/(2γ) (particle measures, an exact assignment per round,
        block-coordinate solve from V = W, σ = id) at a large γ, until the steps stop moving. At the stuck point W*
        one more step is taken and dissected: the number of assignment rounds and whether σ is the identity, the
        distance moved, the dead neurons (inactive on every sample: zero gradient), the binding activation
        constraints (neuron i held on the kink ⟨w_i, x_j⟩ = 0 where activating x_j would raise the loss, α_i e_j > 0),
        and the inner solve's stationarity measure. Probes: random perturbations of W* never lower the proximal
        objective (a local minimiser, so the local method cannot leave), while exchanging the positions of two
        neurons of opposite signs costs nothing in W₂ — the particle measure ignores the signs — and may lower the
        loss, so the exact proximal step could move where the local method does not. Writes prox-stuck.csv,
        prox-stuck-point.csv, prox-stuck.svg (and .png), prox-stuck-summary.json, run.json (headline claims).
        """,
    options: wassersteinCommonOptions("wasserstein-prox-stuck") + wassersteinDataOptions + wassersteinNetworkOptions + [
        OptionSpec(name: "neurons", value: "m", help: "Number of neurons.", defaultValue: "8", kind: .integer(2...64)),
        OptionSpec(name: "gamma", value: "γ", help: "Proximal parameter γ.", defaultValue: "10", kind: .real(lower: 0, upper: 1000, openLower: true)),
        OptionSpec(name: "steps", value: "k", help: "Cap on W₂ proximal steps (the run stops at the first step that does not move).", defaultValue: "200",
                   kind: .integer(1...2000)),
        OptionSpec(name: "tolerance", value: "tol", help: "Inner stationarity tolerance of each proximal step.", defaultValue: "1e-9",
                   kind: .real(lower: 1e-14, upper: 1)),
        OptionSpec(name: "max-inner", value: "K", help: "Cap on inner iterations per proximal solve (reported when reached).",
                   defaultValue: "200000", kind: .integer(1...10_000_000)),
    ],
    examples: [
        "tangentflow wasserstein prox-stuck -o prox-stuck",
        "tangentflow wasserstein prox-stuck --neurons 12 --seed 4 --json -o prox-stuck-12",
    ],
    run: { p in
        let data = try wassersteinData(p)
        let (w0, signs) = try wassersteinNeurons(p, columns: data.inputs.cols, neurons: intOption(p, "neurons"), scale: 0.5, seed: seedOption(p))
        try runProxStuck(output: p.string("output")!, data: data, start: w0, signs: signs, gamma: doubleOption(p, "gamma"), steps: intOption(p, "steps"),
                         tolerance: doubleOption(p, "tolerance"), maxInner: intOption(p, "max-inner"), seed: seedOption(p), report: p.report)
    })

func runProxStuck(output: String, data: (inputs: Matrix, targets: [Double]), start w0: Matrix, signs: [Double], gamma: Double, steps: Int,
                  tolerance: Double, maxInner: Int, seed: UInt64, report: RunReport) throws {
    let start = Date()
    Progress.shared.begin("wasserstein prox-stuck")
    defer { Progress.shared.end() }
    let (m, d) = (w0.rows, w0.cols)
    let problem = try TwoLayerReLUProblem(inputs: data.inputs, targets: data.targets, signs: signs)
    let n = problem.samples
    // Steps until one does not move at all (the inner solve starts stationary: zero iterations, V = W) or the cap.
    var iterates = [w0]
    typealias Row = (step: Int, time: Double, loss: Double, distance: Double, innerIterations: Int, innerGradientNorm: Double, assignmentRounds: Int, converged: Bool)
    var records: [Row] = [(0, 0, try problem.loss(w0), 0, 0, 0, 0, true)]
    var stuckSince: Int? = nil
    for t in 1...steps {
        Progress.shared.update(fraction: Double(t) / Double(steps), "W₂ proximal step \(t)")
        let (next, r) = try problem.proximalStep(from: iterates.last!, distance: .wasserstein, gamma: gamma, tolerance: tolerance, maxInnerIterations: maxInner)
        records.append((t, Double(t * m) * gamma, r.loss, r.distance, r.innerIterations, r.innerGradientNorm, r.assignmentRounds, r.converged))
        iterates.append(next)
        if next.elements == iterates[iterates.count - 2].elements {
            stuckSince = t
            break
        }
    }
    let trace = (records: records, final: iterates.last!)
    let stuck = trace.final
    // One more step from W*, dissected through the stepper's report.
    let field = try TwoLayerReLUGradientFlow(problem: problem, timeScale: Double(m) * gamma)
    let stepper = try WassersteinProximalStepper(particles: m, tolerance: tolerance, maxInnerIterations: maxInner)
    let probe = try stepper.step(field, at: 0, stuck.elements, size: 1, f0: nil)
    guard let probeReport = probe.report as? ProximalStepReport else {
        throw CommandFailure(.internalError, "the W₂ proximal step returned no report")
    }
    var moved = 0.0
    for k in 0..<(m * d) { moved += (probe.y[k] - stuck.elements[k]) * (probe.y[k] - stuck.elements[k]) }
    let identity = probeReport.permutation == Array(0..<m)
    // The constraints: dead neurons, and binding activation constraints ⟨w_i, x_j⟩ = 0 with α_i e_j > 0.
    let dead = try problem.deadNeurons(stuck)
    let f = try problem.outputs(stuck)
    var kinks: [(neuron: Int, sample: Int)] = []
    for i in 0..<m where !dead.contains(i) {
        let wNorm = (0..<d).reduce(0.0) { $0 + stuck[i, $1] * stuck[i, $1] }.squareRoot()
        for j in 0..<n {
            let xNorm = (0..<d).reduce(0.0) { $0 + data.inputs[j, $1] * data.inputs[j, $1] }.squareRoot()
            let z = (0..<d).reduce(0.0) { $0 + stuck[i, $1] * data.inputs[j, $1] }
            if abs(z) <= 1e-9 * wNorm * xNorm && signs[i] * (f[j] - data.targets[j]) > 0 { kinks.append((i, j)) }
        }
    }
    // Probes of the proximal objective G(V) = F(V) + (1/(2γm)) Σ|V_i − W*_i|² (σ = id is optimal near W*).
    let loss = try problem.loss(stuck)
    func objective(_ v: Matrix) throws -> Double {
        var s = 0.0
        for k in 0..<(m * d) { s += (v.elements[k] - stuck.elements[k]) * (v.elements[k] - stuck.elements[k]) }
        return try problem.loss(v) + s / (2 * gamma * Double(m))
    }
    var rng = SeededGenerator(seed: seed &+ 101)
    var perturbationImprovements = 0, bestPerturbed = Double.infinity
    // A decrease counts only beyond what the stopping tolerance allows to first order (tolerance·|δ|).
    for scale in [1e-3, 1e-4, 1e-5] {
        for _ in 0..<100 {
            let delta = (0..<(m * d)).map { _ in scale * rng.nextGaussian() }
            let v = Matrix(uncheckedRows: m, cols: d, elements: zip(stuck.elements, delta).map { $0 + $1 })
            let g = try objective(v)
            bestPerturbed = min(bestPerturbed, g - loss)
            let size = delta.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            if g < loss - tolerance * size - 1e-15 * max(loss, 1) { perturbationImprovements += 1 }
        }
    }
    // Exchanges of two neurons' positions: W₂ (between the unsigned particle measures) is 0, so G = F(V).
    var swapImprovements = 0, bestSwap = loss, bestPair: [Int] = []
    for i in 0..<m {
        for k in (i + 1)..<m where signs[i] != signs[k] {
            var v = stuck
            for c in 0..<d { (v[i, c], v[k, c]) = (stuck[k, c], stuck[i, c]) }
            let g = try problem.loss(v)
            if g < loss - 1e-12 * max(loss, 1) { swapImprovements += 1 }
            if g < bestSwap { (bestSwap, bestPair) = (g, [i, k]) }
        }
    }
    let explanation: String
    if stuckSince != nil, identity, probeReport.assignmentRounds == 1 {
        explanation = "stuck: one assignment round, σ = identity, V = W* (moved \(String(format: "%.1e", moved))): W* is a local minimiser of the proximal objective with σ = id — "
            + "\(dead.count) dead neuron(s) get no gradient, \(kinks.count) binding activation constraint(s) ⟨w_i, x_j⟩ = 0 hold neurons at kinks where activating x_j would raise the loss, "
            + "the other neurons are stationary; the block-coordinate solve is local, so it cannot leave"
            + (swapImprovements > 0 ? "; \(swapImprovements) exchange(s) of opposite-sign neurons (W₂ cost 0) would lower the loss, so the exact W₂ proximal step is elsewhere" : "")
    } else {
        explanation = "not stuck within \(steps) steps at γ = \(gamma): the last step moved W₂² = \(String(format: "%.2e", trace.records.last!.distance))"
            + " (a step stops moving once the loss's stationarity measure is below --tolerance at its start)"
    }
    print("TangentFlow: the W₂ proximal descent that gets stuck (Mercklé §1.2), m = \(m), n = \(n), γ = \(gamma)\n")
    for r in trace.records {
        print(String(format: "step %3d  loss %.6e  W₂² moved %.3e  assignment rounds %d  inner iterations %d", r.step, r.loss, r.distance, r.assignmentRounds, r.innerIterations))
    }
    print("\n" + explanation)
    report.record("neurons", m)
    report.record("gamma", gamma)
    report.record("stuck", stuckSince != nil)
    report.record("stuck_since_step", stuckSince ?? -1)
    report.record("stuck_loss", loss)
    report.record("initial_loss", trace.records[0].loss)
    report.record("probe_assignment_rounds", probeReport.assignmentRounds)
    report.record("probe_assignment_is_identity", identity)
    report.record("probe_assignment", probeReport.permutation)
    report.record("probe_moved_squared", moved)
    report.record("probe_stationarity", probeReport.residual)
    report.record("stopping_rule", "stop at the first round whose optimal assignment cost is not below the kept assignment's cost minus 1e-13 relative; σ kept")
    report.record("dead_neurons", dead)
    report.record("binding_kinks", kinks.map { [$0.neuron, $0.sample] })
    report.record("binding_constraint", kinks.isEmpty && dead.isEmpty ? "none" : "activation constraints ⟨w_i, x_j⟩ ≤ 0 (dead neurons) and ⟨w_i, x_j⟩ = 0 at kinks with α_i e_j > 0")
    report.record("perturbation_probes", 300)
    report.record("perturbation_improvements", perturbationImprovements)
    report.record("perturbation_best_change", bestPerturbed)
    report.record("opposite_sign_swap_improvements", swapImprovements)
    report.record("best_swap_loss", bestSwap)
    report.record("best_swap_pair", bestPair)
    report.record("explanation", explanation)
    report.record(claims: [
        DemoClaim(name: "stuck", value: stuckSince == nil ? 0 : 1, relation: .atLeast, bound: 1,
                  statement: "the W₂ proximal descent stops moving"),
        DemoClaim(name: "stuck_one_round_identity", value: identity && probeReport.assignmentRounds == 1 ? 1 : 0, relation: .atLeast, bound: 1,
                  statement: "at the stuck point the step takes one assignment round and keeps σ = identity"),
        DemoClaim(name: "stuck_no_movement", value: moved, relation: .atMost, bound: 1e-20,
                  statement: "at the stuck point the step does not move"),
        DemoClaim(name: "stuck_local_minimum", value: Double(perturbationImprovements), relation: .atMost, bound: 0,
                  statement: "no random perturbation of the stuck point lowers the proximal objective"),
    ])

    var out = try ExperimentOutput(directory: output)
    var table = CSVTable(columns: ["step", "time", "loss", "w2_moved", "assignment_rounds", "inner_iterations", "inner_gradient_norm", "converged"])
    for r in trace.records {
        try table.append([Double(r.step), r.time, r.loss, r.distance, Double(r.assignmentRounds), Double(r.innerIterations), r.innerGradientNorm, r.converged ? 1 : 0])
    }
    try out.write(table, "prox-stuck.csv")
    var point = CSVTable(columns: ["neuron", "sign", "dead", "kinks"] + (0..<d).map { "w\($0)" })
    for i in 0..<m {
        try point.append([Double(i), signs[i], dead.contains(i) ? 1 : 0, Double(kinks.filter { $0.neuron == i }.count)] + (0..<d).map { stuck[i, $0] })
    }
    try out.write(point, "prox-stuck-point.csv")
    var fig = try SVGFigure(rows: 1, columns: 2, title: "W₂ proximal descent, γ = \(gamma) (m = \(m), n = \(n))")
    let steps1 = trace.records.filter { $0.step > 0 }
    try fig.place(SVGPlot(title: "loss F", xAxis: PlotAxis(label: "step"), yAxis: PlotAxis(label: "loss F", scale: .log10), series: [
        try PlotSeries(name: "W₂ proximal point", x: trace.records.map { Double($0.step) }, y: trace.records.map(\.loss), marker: .circle),
    ]), row: 0, column: 0)
    try fig.place(SVGPlot(title: "W₂² moved per step (0 once stuck: drawn at 1e-30)", xAxis: PlotAxis(label: "step"), yAxis: PlotAxis(label: "W₂²", scale: .log10), series: [
        try PlotSeries(name: "W₂² moved", x: steps1.map { Double($0.step) }, y: steps1.map { max($0.distance, 1e-30) }, marker: .triangle),
    ]), row: 0, column: 1)
    try out.write(fig, "prox-stuck.svg")
    try out.writeSummary(report, "prox-stuck-summary.json")
    out.printFiles(since: start)
}
