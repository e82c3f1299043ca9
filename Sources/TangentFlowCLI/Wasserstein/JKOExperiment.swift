import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowWasserstein
import TangentFlowReporting

/// `tangentflow wasserstein jko`: a mean-field ReLU network on a 2-D parameter grid, moved by entropic JKO steps
/// (MATH.md §6; §8.1, §10 of file 004), beside the particle discretisation of the same flow.
let jkoCommand = CommandSpec(
    name: "jko",
    abstract: "Entropic JKO flow of a mean-field ReLU network on a 2-D parameter grid (density over time).",
    discussion: """
        Neurons θ = (a, b) act on x ∈ [−1, 1] as max(0, a x + b), output sign +1; the measure lives on an n×n grid
        over [−R, R]² and starts as a Gaussian bump. The targets come from two teacher neurons of mass 1/2 each
        (circled). Each step solves p ← argmin W_γ(p, p_t) + τ f(p) in the log domain (flow time τ/2 per step);
        the same flow is also run with 400 particles (explicit Euler on θ' = −∇_θ F'(μ)), drawn as white dots.
        --x/--y replace the teacher data by your own scalar inputs and targets. Writes jko.csv, jko-density.csv,
        jko-particles.csv, jko-density.svg, jko-energy.svg (and .png copies), jko-summary.json, run.json (claims: the
        JKO energy never increases, tracks the particles' energy, and both flows lower it by 5%).
        """,
    options: wassersteinCommonOptions("wasserstein-jko") + wassersteinDataOptions + [
        OptionSpec(name: "grid", value: "n", help: "Grid points per axis.", defaultValue: "16", kind: .integer(2...64)),
        OptionSpec(name: "extent", value: "R", help: "Grid half-width R.", defaultValue: "2", kind: .real(lower: 0, upper: 100, openLower: true)),
        OptionSpec(name: "gamma", value: "γ", help: "Entropic regularisation γ.", defaultValue: "0.05", kind: .real(lower: 1e-4, upper: 100)),
        OptionSpec(name: "tau", value: "τ", help: "JKO step τ (flow time τ/2 per step).", defaultValue: "1", kind: .real(lower: 1e-6, upper: 1e4)),
        OptionSpec(name: "steps", value: "k", help: "Number of JKO steps.", defaultValue: "12", kind: .integer(1...10_000)),
        OptionSpec(name: "tolerance", value: "tol", help: "Marginal L1 error at which each step stops (20,000 iterations at most per step).", defaultValue: "1e-9",
                   kind: .real(lower: 1e-14, upper: 1)),
    ],
    examples: [
        "tangentflow wasserstein jko -o jko",
        "tangentflow wasserstein jko --grid 24 --steps 20 --json -o jko-24",
    ],
    run: { p in
        let data = p.values["x"] == nil && p.values["y"] == nil ? nil : try wassersteinData(p)
        if let data, data.inputs.cols != 2 {
            throw CommandFailure(.dataError, "--x: \(p.string("x")!) has \(data.inputs.cols - 1) input columns; the JKO grid holds neurons (a, b) in R² and needs scalar inputs (n×1)")
        }
        try runJKO(output: p.string("output")!, data: data.map { d in ((0..<d.inputs.rows).map { d.inputs[$0, 0] }, d.targets) }, seed: seedOption(p), grid: intOption(p, "grid"), extent: doubleOption(p, "extent"),
                   gamma: doubleOption(p, "gamma"), tau: doubleOption(p, "tau"), steps: intOption(p, "steps"), tolerance: doubleOption(p, "tolerance"), report: p.report)
    })

func runJKO(output: String, data: (x: [Double], y: [Double])? = nil, seed: UInt64, grid n: Int, extent: Double, gamma: Double, tau: Double, steps: Int, tolerance: Double, report: RunReport) throws {
    let start = Date()
    Progress.shared.begin("wasserstein jko")
    defer { Progress.shared.end() }
    guard n <= 64 else { throw TangentFlowError.invalidArgument(operation: "jko", reason: "--grid must be ≤ 64 for an interactive run, got \(n)") }
    guard extent.isFinite, extent > 0 else { throw TangentFlowError.invalidArgument(operation: "jko", reason: "--extent must be finite and > 0, got \(extent)") }
    let grid = try ParameterGrid(pointsPerAxis: n, lower: -extent, upper: extent)
    // Teacher neurons: the grid points nearest (1.5, 0.25) and (−1.5, 0.25), i.e. kinks near x = ∓0.17.
    func nearest(_ a: Double, _ b: Double) -> Int {
        (0..<grid.count).min { l, r in
            let (p, q) = (grid.point(l), grid.point(r))
            return hypot(p.0 - a, p.1 - b) < hypot(q.0 - a, q.1 - b)
        }!
    }
    let teacher = [grid.point(nearest(1.5 * extent / 2, 0.25)), grid.point(nearest(-1.5 * extent / 2, 0.25))]
    let defaultX: [Double] = (0..<12).map { -1 + 2 * Double($0) / 11 }
    let x: [Double] = data?.x ?? defaultX
    let teacherY: [Double] = x.map { (xj: Double) -> Double in teacher.reduce(0.0) { $0 + 0.5 * max(0, $1.0 * xj + $1.1) } }
    let y: [Double] = data?.y ?? teacherY
    let model = try MeanFieldReLUModel(inputs: x, targets: y, sign: 1)
    let energy = MeanFieldGridEnergy(model: model, grid: grid)
    // Initial density: a Gaussian bump of width 0.35R around (0, 0.25R).
    let width = 0.35 * extent
    var p0 = (0..<grid.count).map { k -> Double in
        let (a, b) = grid.point(k)
        return exp(-(a * a + (b - 0.25 * extent) * (b - 0.25 * extent)) / (2 * width * width))
    }
    let mass = p0.reduce(0, +)
    p0 = p0.map { $0 / mass }
    guard tau.isFinite, tau > 0, steps >= 0, Double(steps) * tau / 2 <= 1e4 else {
        throw TangentFlowError.invalidArgument(operation: "jko", reason: "tau τ must be finite and > 0 and the flow time steps·τ/2 at most 1e4, got τ = \(tau), steps = \(steps)")
    }
    let settings = EntropicJKOSettings(gamma: gamma, tau: tau, marginalTolerance: tolerance, maxIterations: 20_000, proxTolerance: 1e-12)
    let flow = try EntropicJKO.flow(from: p0, energy: energy, settings: settings, steps: steps)

    // Particles from the same bump (Gaussian samples), run to the same flow time.
    var rng = SeededGenerator(seed: seed)
    let count = 400
    var particles = try Matrix(rows: count, cols: 2)
    for i in 0..<count {
        particles[i, 0] = width * rng.nextGaussian()
        particles[i, 1] = 0.25 * extent + width * rng.nextGaussian()
    }
    let dt = 0.01
    let tEnd = flow.times.last ?? 0
    let particleSteps = try stepCount(tEnd / dt, limit: 1e6, "jko", "the particle flow")
    let particleFlow = try model.particleFlow(from: particles, step: dt, steps: particleSteps, saveEvery: max(1, try stepCount(tau / 2 / dt, limit: 1e6, "jko", "a JKO step of the particle flow")))

    print("TangentFlow: entropic JKO flow of a mean-field ReLU network (Mercklé §8.1, §10), grid \(n)×\(n) on [−\(extent), \(extent)]²")
    print(String(format: "γ = %g (spacing² = %.3g), τ = %g, %d steps, flow time %.3g\n", gamma, grid.spacing * grid.spacing, tau, steps, tEnd))
    var table = CSVTable(columns: ["step", "time", "energy", "iterations", "marginal_error", "prox_iterations", "prox_residual", "mass", "converged"])
    try table.append([0, 0, flow.energies[0], 0, 0, 0, 0, p0.reduce(0, +), 1])
    for (k, r) in flow.reports.enumerated() {
        try table.append([Double(k + 1), flow.times[k + 1], flow.energies[k + 1], Double(r.iterations), r.marginalError, Double(r.proxIterations), r.proxResidual, r.mass, r.converged ? 1 : 0])
    }
    var density = CSVTable(columns: ["step", "time", "a", "b", "p"])
    for (k, p) in flow.densities.enumerated() {
        for l in 0..<grid.count { try density.append([Double(k), flow.times[k], grid.point(l).0, grid.point(l).1, p[l]]) }
    }
    var particleTable = CSVTable(columns: ["time", "energy"])
    for (t, e) in zip(particleFlow.times, particleFlow.energies) { try particleTable.append([t, e]) }
    let iterations = flow.reports.map(\.iterations)
    print(String(format: "energy f(p): %.4e → %.4e (JKO), %.4e → %.4e (particles)", flow.energies.first!, flow.energies.last!,
                 particleFlow.energies.first!, particleFlow.energies.last!))
    print("scaling iterations per step: \(iterations.min() ?? 0)–\(iterations.max() ?? 0); largest marginal error "
        + String(format: "%.2e", flow.reports.map(\.marginalError).max() ?? 0) + "; unconverged steps \(flow.unconvergedSteps)")

    // JKO against particles: the particle energy at the flow time of each JKO step (nearest saved time).
    var worstGap = 0.0
    for (k, t) in flow.times.enumerated() {
        let j = particleFlow.times.indices.min { abs(particleFlow.times[$0] - t) < abs(particleFlow.times[$1] - t) }!
        worstGap = max(worstGap, abs(flow.energies[k] - particleFlow.energies[j]))
    }
    let (e0, eJKO, eParticles) = (flow.energies[0], flow.energies.last!, particleFlow.energies.last!)
    let monotone = zip(flow.energies, flow.energies.dropFirst()).allSatisfy { $1 <= $0 + 1e-12 * max(abs($0), 1) }
    report.record("initial_energy", e0)
    report.record("final_energy_jko", eJKO)
    report.record("final_energy_particles", eParticles)
    report.record("largest_energy_gap", worstGap)
    report.record("unconverged_steps", flow.unconvergedSteps)
    print(String(format: "largest |f_JKO − f_particles| over the JKO times: %.3e (initial energy %.3e)", worstGap, e0))
    report.record(claims: [
        DemoClaim(name: "jko_energy_decreases", value: monotone ? 1 : 0, relation: .atLeast, bound: 1,
                  statement: "the entropic JKO energy never increases from step to step"),
        DemoClaim(name: "jko_tracks_particles", value: worstGap / max(e0, 1e-300), relation: .atMost, bound: 0.25,
                  statement: "JKO and particle energies stay within a quarter of the initial energy of each other at every JKO time"),
        DemoClaim(name: "both_flows_descend", value: max(eJKO, eParticles) / max(e0, 1e-300), relation: .atMost, bound: 0.95,
                  statement: "both flows lower the energy by at least 5%"),
    ])
    var out = try ExperimentOutput(directory: output)
    try out.write(table, "jko.csv")
    try out.write(density, "jko-density.csv")
    try out.write(particleTable, "jko-particles.csv")
    // Six panels at evenly spread steps, particles at the matching times.
    let picks = (0..<6).map { Int((Double($0) * Double(steps) / 5).rounded()) }.reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
    var heat = HeatmapPanels(pointsPerAxis: n, lower: -extent, upper: extent,
                             title: "Entropic JKO density on the (a, b) grid (circles: teacher neurons, dots: particles)", xLabel: "slope a", yLabel: "bias b")
    if data == nil { heat.markers = teacher }
    for k in picks {
        let t = flow.times[k]
        let nearestSaved = particleFlow.times.indices.min { abs(particleFlow.times[$0] - t) < abs(particleFlow.times[$1] - t) }!
        let cloud = particleFlow.particles[nearestSaved]
        heat.panels.append(.init(title: String(format: "step %d, t = %.2f", k, t), values: flow.densities[k],
                                 dots: (0..<count).map { (cloud[$0, 0], cloud[$0, 1]) }))
    }
    try out.write(svg: heat.render(), "jko-density.svg")
    var fig = try SVGFigure(rows: 1, columns: 1, title: "Mean-field energy along the flow")
    try fig.place(SVGPlot(title: "f = (1/2n)Σ(h(x_j) − y_j)²", xAxis: PlotAxis(label: "flow time t"), yAxis: PlotAxis(label: "energy", scale: .log10), series: [
        try PlotSeries(name: "entropic JKO (γ = \(gamma), τ = \(tau))", x: flow.times, y: flow.energies, marker: .circle),
        try PlotSeries(name: "particles (\(count), Euler dt = \(dt))", x: particleFlow.times, y: particleFlow.energies, line: .dashed),
    ]), row: 0, column: 0)
    try out.write(fig, "jko-energy.svg")
    try out.writeSummary(report, "jko-summary.json")
    out.printFiles(since: start)
}
