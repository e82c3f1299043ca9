import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowWasserstein
import TangentFlowReporting

/// `tangentflow wasserstein pde`: the (r, η) PDE of §4.2 of Mercklé's notes (Chizat–Bach's reduction of a
/// 2-homogeneous network) on the circle, by finite volumes, against the particle flow it describes.
let polarPDECommand = CommandSpec(
    name: "pde",
    abstract: "The (r, η) PDE of §4.2 on the circle (finite volumes) against the particle flow it describes.",
    discussion: """
        Neurons w = (a, b) ∈ R² with a trainable output weight a and input weight b act on scalar inputs (no bias):
        h(x) = (1/m) Σ_j a_j σ(b_j x) (the §9 network, mean-field scale). Writing w = rη, η = (cos φ, sin φ), the
        measure ν = (1/m) Σ_j r_j² δ_{φ_j} obeys ∂_t ν = −4 J ν + ∂_φ(ν ∂_φ J), J(φ) = (1/n) Σ_i e_i cos φ σ(sin φ x_i)
        (the notes print the reaction term without its factor ν). Scheme: N cells, upwind fluxes with the discrete
        gradient u = −(J_{k+1} − J_k)/Δφ, RK4 at half the positivity limit; it conserves the transport's mass exactly
        ((Σν)' = −4ΣJν) and dissipates F exactly (F' = −4ΣJ²ν − Σ u²ν_upwind). The particles start from the same
        measure (default: m particles at the centres of a fine grid with density 1 + 0.6 cos(φ − φ₀), φ₀ from --seed,
        total mass 0.5; or --theta, rows (a, b), binned into the cells) and follow w' = −∇_w J (mean-field time).
        The PDE is solved with N/2 and N cells: a first-order scheme halves its gap to the particles.
        --x must hold scalar inputs (n×1). Writes pde.csv, pde-density.csv, pde.svg (and .png), run.json.
        """,
    options: wassersteinCommonOptions("wasserstein-pde") + wassersteinDataOptions + [
        OptionSpec(name: "theta", value: "W.npy", help: "Initial particles, one (a, b) per row (m×2); default: a smooth density on a fine grid.",
                   optional: true, kind: .inputFile),
        OptionSpec(name: "cells", value: "N", help: "Cells of the finite-volume grid on the circle (also run with N/2).", defaultValue: "128",
                   kind: .integer(8...4096)),
        OptionSpec(name: "particles", value: "m", help: "Particles of the default initial measure.", defaultValue: "1024", kind: .integer(8...20_000)),
        OptionSpec(name: "time", value: "T", help: "Flow time.", defaultValue: "2", kind: .real(lower: 0, upper: 100, openLower: true)),
    ],
    examples: [
        "tangentflow wasserstein pde -o pde",
        "tangentflow wasserstein pde --cells 256 --time 4 --json -o pde-256",
    ],
    run: { p in
        let data = try wassersteinData(p)
        guard data.inputs.cols == 2 else {
            throw CommandFailure(.dataError, "--x: \(p.string("x")!) has \(data.inputs.cols - 1) input columns; the PDE on the circle needs scalar inputs (n×1)")
        }
        let x = (0..<data.inputs.rows).map { data.inputs[$0, 0] }
        var particles: (a: [Double], b: [Double])? = nil
        if p.values["theta"] != nil {
            let w = try p.matrix("theta")
            guard w.rows > 0, w.cols == 2 else {
                throw CommandFailure(.dataError, "--theta: \(p.string("theta")!) is \(w.rows)×\(w.cols); m×2 particles (a, b) are needed")
            }
            particles = ((0..<w.rows).map { w[$0, 0] }, (0..<w.rows).map { w[$0, 1] })
        }
        try runPolarPDE(output: p.string("output")!, x: x, y: data.targets, particles: particles, cells: intOption(p, "cells"),
                        defaultParticles: intOption(p, "particles"), time: doubleOption(p, "time"), seed: seedOption(p), report: p.report)
    })

func runPolarPDE(output: String, x: [Double], y: [Double], particles given: (a: [Double], b: [Double])?, cells: Int, defaultParticles: Int,
                 time: Double, seed: UInt64, report: RunReport) throws {
    let clock = Date()
    Progress.shared.begin("wasserstein pde")
    defer { Progress.shared.end() }
    try requireFlowTime(time, "pde")
    // The initial particles.
    var rng = SeededGenerator(seed: seed)
    let phase = 2 * Double.pi * rng.nextUniform()
    let (a0, b0): ([Double], [Double])
    if let given {
        (a0, b0) = given
    } else {
        let fine = try CircleMeasurePDE(inputs: x, targets: y, cells: defaultParticles)
        let g = fine.angles.map { 1 + 0.6 * cos($0 - phase) }
        let total = g.reduce(0, +)
        let m = Double(defaultParticles)
        let r = g.map { (m * 0.5 * $0 / total).squareRoot() }
        (a0, b0) = (zip(r, fine.angles).map { $0 * cos($1) }, zip(r, fine.angles).map { $0 * sin($1) })
    }
    let m = a0.count
    // Work cap: the particle run costs ~ steps·m·n, the PDE ~ steps·N·n.
    let problem = try TrainableSecondLayerProblem(inputs: Matrix.column(x), targets: y, outputScale: 1 / Double(m))
    let flow = try TrainableSecondLayerFlow(problem: problem, timeScale: Double(m))
    let start = b0 + a0
    // Particle step: RK4 at a step resolving the fastest particle rate (|∇J| ≤ (1/n)Σ|e_i|(1 + |x_i|)) and ≤ 0.01.
    let e0 = zip(try problem.outputs(start), y).map { abs($0 - $1) }
    let rate = zip(e0, x).map { $0 * (1 + abs($1)) }.reduce(0, +) / Double(x.count) * 4 + 1e-12
    let particleStep = min(0.01, 0.25 / rate)
    // A whole number of steps between the 40 saved times, so no step is clipped.
    let particleSteps = 40 * Int((Double(try stepCount(time / particleStep, limit: 1e6, "pde", "the particle flow to --time")) / 40).rounded(.up))
    guard Double(particleSteps) * Double(m) * Double(x.count) <= 5e8 else {
        throw UsageError(message: "pde: \(particleSteps) particle steps × \(m) particles × \(x.count) samples exceeds the work cap of 5e8",
                         hint: "lower --particles, --time or give fewer samples")
    }
    let saveTimes = (0...40).map { time * Double($0) / 40 }
    // The PDE with N/2 and N cells, from the particles' binned measure: planned (and capped) before any work.
    func plan(_ n: Int) throws -> (pde: CircleMeasurePDE, nu0: [Double], steps: Int) {
        let pde = try CircleMeasurePDE(inputs: x, targets: y, cells: n)
        let nu0 = try pde.measure(ofParticles: a0, b0)
        // Half the positivity limit at the start; the smallest cell mass along the run is reported as a claim.
        let dt = 0.5 * (try pde.stableStep(nu0))
        let steps = 40 * max(1, Int((Double(try stepCount(time / dt, limit: 2e6, "pde", "the PDE to --time at the positivity-limited step")) / 40).rounded(.up)))
        guard Double(steps) * Double(n) * Double(x.count) <= 1e9 else {
            throw UsageError(message: "pde: \(steps) steps × \(n) cells × \(x.count) samples exceeds the work cap of 1e9", hint: "lower --cells or --time")
        }
        return (pde, nu0, steps)
    }
    let plans = [try plan(cells / 2), try plan(cells)]
    Progress.shared.update(fraction: 0, "particle flow, \(m) particles")
    let particleRun = try integrate(flow, stepper: .rk4, controller: ConstantStepSize(time / Double(particleSteps)), from: 0, to: time, start: start,
                                    saveAt: .times(saveTimes), maxSteps: particleSteps + 2 * saveTimes.count)
    guard particleRun.status == .success, particleRun.states.count == saveTimes.count else {
        throw CommandFailure(.stopped, "the particle flow stopped early: \(particleRun.status)")
    }
    func solve(_ p: (pde: CircleMeasurePDE, nu0: [Double], steps: Int)) throws -> (pde: CircleMeasurePDE, states: [[Double]], steps: Int) {
        let sol = try integrate(p.pde, stepper: .rk4, controller: ConstantStepSize(time / Double(p.steps)), from: 0, to: time, start: p.nu0,
                                saveAt: .times(saveTimes), maxSteps: p.steps + 2 * saveTimes.count)
        guard sol.status == .success, sol.states.count == saveTimes.count else { throw CommandFailure(.stopped, "the PDE solve stopped early: \(sol.status)") }
        return (p.pde, sol.states, p.steps)
    }
    Progress.shared.update(fraction: 0.4, "PDE, \(cells / 2) cells")
    let coarse = try solve(plans[0])
    Progress.shared.update(fraction: 0.6, "PDE, \(cells) cells")
    let fine = try solve(plans[1])

    var table = CSVTable(columns: ["time", "energy_pde", "energy_pde_coarse", "energy_particles", "mass_pde", "mass_particles",
                                   "output_gap", "output_gap_coarse", "mass_rate_residual", "energy_rate_residual"])
    var maxIncrease = -Double.infinity, massResidual = 0.0, energyResidual = 0.0, minMass = Double.infinity
    var gapFine = 0.0, gapCoarse = 0.0
    let scale = max(1e-12, y.map(abs).max()!)
    for (k, t) in saveTimes.enumerated() {
        let nu = fine.states[k]
        let hp = try problem.outputs(particleRun.states[k])
        let gf = zip(try fine.pde.outputs(nu), hp).map { abs($0 - $1) }.max()! / scale
        let gc = zip(try coarse.pde.outputs(coarse.states[k]), hp).map { abs($0 - $1) }.max()! / scale
        gapFine = max(gapFine, gf)
        gapCoarse = max(gapCoarse, gc)
        let v = try fine.pde.velocity(at: t, nu), j = try fine.pde.potential(nu)
        let massRate = v.reduce(0, +), predicted = -4 * zip(j, nu).reduce(0) { $0 + $1.0 * $1.1 }
        let energyRate = zip(j, v).reduce(0) { $0 + $1.0 * $1.1 }, dissipation = try fine.pde.dissipation(nu)
        let mr = abs(massRate - predicted) / max(1e-300, zip(j, nu).reduce(0) { $0 + abs(4 * $1.0 * $1.1) })
        let er = abs(energyRate + dissipation) / max(1e-300, dissipation)
        massResidual = max(massResidual, dissipation > 0 ? mr : 0)
        energyResidual = max(energyResidual, dissipation > 0 ? er : 0)
        minMass = min(minMass, nu.min()!)
        if k > 0 { maxIncrease = max(maxIncrease, try fine.pde.energy(nu) - fine.pde.energy(fine.states[k - 1])) }
        let (pw, pa) = (particleRun.states[k][0..<m], particleRun.states[k][m...])
        let particleMass = zip(pw, pa).reduce(0) { $0 + $1.0 * $1.0 + $1.1 * $1.1 } / Double(m)
        try table.append([t, try fine.pde.energy(nu), try coarse.pde.energy(coarse.states[k]), try problem.loss(particleRun.states[k]),
                          nu.reduce(0, +), particleMass, gf, gc, mr, er])
    }
    var density = CSVTable(columns: ["angle", "initial", "final", "final_particles_binned"])
    let finalParticles = particleRun.states.last!
    let binned = try fine.pde.measure(ofParticles: Array(finalParticles[m...]), Array(finalParticles[0..<m]))
    for (k, phi) in fine.pde.angles.enumerated() { try density.append([phi, fine.states[0][k], fine.states.last![k], binned[k]]) }

    print("TangentFlow: the (r, η) PDE of §4.2 on the circle (Mercklé; Chizat & Bach, arXiv 1805.09545), n = \(x.count), m = \(m) particles")
    print("cells \(cells / 2) and \(cells): \(coarse.steps) and \(fine.steps) RK4 steps to T = \(time); particles: \(particleSteps) RK4 steps\n")
    print(String(format: "energy: PDE %.5e → %.5e, particles %.5e → %.5e", try fine.pde.energy(fine.states[0]), try fine.pde.energy(fine.states.last!),
                 try problem.loss(start), try problem.loss(finalParticles)))
    print(String(format: "largest output gap to the particles (relative to max|y|): %.3e with %d cells, %.3e with %d cells (ratio %.2f; first order: 0.5)",
                 gapCoarse, cells / 2, gapFine, cells, gapFine / max(gapCoarse, 1e-300)))
    print(String(format: "identities of the scheme: mass rate residual %.2e, energy rate residual %.2e; smallest cell mass %.2e", massResidual, energyResidual, minMass))

    var out = try ExperimentOutput(directory: output)
    try out.write(table, "pde.csv")
    try out.write(density, "pde-density.csv")
    var fig = try SVGFigure(rows: 1, columns: 2, title: "The (r, η) PDE on the circle vs particles (n = \(x.count), m = \(m))")
    let energies = saveTimes.indices.map { try? fine.pde.energy(fine.states[$0]) }.map { $0 ?? .nan }
    try fig.place(SVGPlot(title: "energy F = (1/2n)Σ(h(x_i) − y_i)²", xAxis: PlotAxis(label: "flow time t"), yAxis: PlotAxis(label: "energy", scale: .log10), series: [
        try PlotSeries(name: "PDE, \(cells) cells", x: saveTimes, y: energies),
        try PlotSeries(name: "particles (\(m))", x: saveTimes, y: particleRun.states.map { (try? problem.loss($0)) ?? .nan }, line: .dashed, marker: .circle),
    ]), row: 0, column: 0)
    let angles = fine.pde.angles
    try fig.place(SVGPlot(title: "ν per cell on the circle", xAxis: PlotAxis(label: "angle φ of (a, b)"), yAxis: PlotAxis(label: "cell mass"), series: [
        try PlotSeries(name: "t = 0", x: angles, y: fine.states[0], line: .dotted),
        try PlotSeries(name: "PDE, t = \(time)", x: angles, y: fine.states.last!),
        try PlotSeries(name: "particles binned, t = \(time)", x: angles, y: binned, line: .dashed),
    ]), row: 0, column: 1)
    try out.write(fig, "pde.svg")

    report.record("cells", [cells / 2, cells])
    report.record("particles", m)
    report.record("output_gap", [gapCoarse, gapFine])
    report.record("energy_pde", [try fine.pde.energy(fine.states[0]), try fine.pde.energy(fine.states.last!)])
    report.record("energy_particles", [try problem.loss(start), try problem.loss(finalParticles)])
    report.record(claims: [
        DemoClaim(name: "pde_energy_increase", value: maxIncrease, relation: .atMost, bound: 0,
                  statement: "the discretised PDE's energy never increases (the scheme dissipates F exactly)"),
        DemoClaim(name: "mass_identity_residual", value: massResidual, relation: .atMost, bound: 1e-10,
                  statement: "(Σν)' = −4ΣJν: transport conserves mass, only the reaction changes it"),
        DemoClaim(name: "energy_identity_residual", value: energyResidual, relation: .atMost, bound: 1e-10,
                  statement: "F' = −4ΣJ²ν − Σu²ν_upwind for the semi-discrete scheme"),
        DemoClaim(name: "smallest_cell_mass", value: minMass, relation: .atLeast, bound: 0,
                  statement: "cell masses stay non-negative at half the positivity-limited step"),
        DemoClaim(name: "refinement_gap_ratio", value: gapFine / max(gapCoarse, 1e-300), relation: .atMost, bound: 0.75,
                  statement: "doubling the cells shrinks the gap to the particle flow (first order: ratio ≈ 0.5)"),
    ])
    out.printFiles(since: clock)
}
