import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowWasserstein
import TangentFlowReporting

/// `tangentflow wasserstein sliced`: the sliced Wasserstein distance against W₂ (§8 of Mercklé's notes: "distance
/// to true WS distance has to be studied"): the Monte-Carlo gap as the number of projections grows, and the
/// proximal descent it drives against the W₂ proximal descent (result and cost).
let slicedCommand = CommandSpec(
    name: "sliced",
    abstract: "Sliced Wasserstein vs W₂: Monte-Carlo gap against projections, and the descent it drives.",
    discussion: """
        Distance: between the initial neurons W⁰ and the end of a W₂ proximal descent, the Monte-Carlo sliced
        distance SW₂² with L = 1, 2, 4, … projections (--repeats seeds each) against the exact sliced distance
        (midpoint quadrature over the circle when the neurons are in R², else 65,536 projections) and against the
        exact W₂² (an assignment). SW₂² ≤ W₂² holds for every direction set; the Monte-Carlo error falls as L^{−1/2}.
        Descent: W ← argmin_V F(V) + SW₂²(V, W)/(2γ_s) with L fresh projections per step and γ_s = γ/d (so that its
        flow-time step, ≈ mγ_s·d for small moves, matches the W₂ step mγ), against W ← argmin_V F(V) + W₂²(V, W)/(2γ).
        Every sliced step is proximal, so the loss never increases. The sliced inner solve is gradient descent with
        Armijo backtracking: on a ReLU kink it stops above --tolerance, and such steps are reported as unconverged
        with their ‖∇G‖ (the W₂ step uses the kink-aware solver of gd-vs-prox). Recorded: final loss, W₂² between
        the two descents' final neurons, milliseconds per step. Writes sliced-gap.csv, sliced-descent.csv, sliced.svg (and
        .png), run.json.
        """,
    options: wassersteinCommonOptions("wasserstein-sliced") + wassersteinDataOptions + wassersteinNetworkOptions + [
        OptionSpec(name: "neurons", value: "m", help: "Number of neurons.", defaultValue: "16", kind: .integer(2...256)),
        OptionSpec(name: "gamma", value: "γ", help: "W₂ proximal parameter γ (the sliced descent uses γ/d).", defaultValue: "0.05",
                   kind: .real(lower: 0, upper: 100, openLower: true)),
        OptionSpec(name: "steps", value: "T", help: "Proximal steps of each descent.", defaultValue: "20", kind: .integer(1...1000)),
        OptionSpec(name: "max-projections", value: "L", help: "Largest number of projections (powers of 2 up to it).", defaultValue: "256",
                   kind: .integer(1...4096)),
        OptionSpec(name: "repeats", value: "R", help: "Monte-Carlo repeats (seeds) per number of projections.", defaultValue: "16",
                   kind: .integer(2...1000)),
        OptionSpec(name: "tolerance", value: "tol", help: "Inner stationarity tolerance of each proximal step (2,000 inner iterations at most).",
                   defaultValue: "1e-7", kind: .real(lower: 1e-14, upper: 1)),
    ],
    examples: [
        "tangentflow wasserstein sliced -o sliced",
        "tangentflow wasserstein sliced --neurons 32 --max-projections 1024 --json -o sliced-32",
    ],
    run: { p in
        let data = try wassersteinData(p)
        let (w0, signs) = try wassersteinNeurons(p, columns: data.inputs.cols, neurons: intOption(p, "neurons"), scale: 0.5, seed: seedOption(p))
        guard w0.rows >= 2 else { throw CommandFailure(.dataError, "--theta: \(p.string("theta")!) holds 1 neuron; a distance between particle sets needs m ≥ 2") }
        let study = SlicedStudy(problem: try TwoLayerReLUProblem(inputs: data.inputs, targets: data.targets, signs: signs), start: w0,
                                gamma: try doubleOption(p, "gamma"), steps: try intOption(p, "steps"), maxProjections: try intOption(p, "max-projections"),
                                repeats: try intOption(p, "repeats"), tolerance: try doubleOption(p, "tolerance"), seed: try seedOption(p))
        try study.run(output: p.string("output")!, report: p.report)
    })

/// The sliced-vs-W₂ study of `tangentflow wasserstein sliced`.
struct SlicedStudy {
    let problem: TwoLayerReLUProblem
    let start: Matrix
    let gamma: Double, steps: Int, maxProjections: Int, repeats: Int, tolerance: Double, seed: UInt64

    /// Powers of two up to the cap (and the cap itself).
    var projectionCounts: [Int] {
        var out: [Int] = []
        var l = 1
        while l < maxProjections { out.append(l); l *= 2 }
        out.append(maxProjections)
        return out
    }

    func run(output: String, report: RunReport) throws {
        let clock = Date()
        Progress.shared.begin("wasserstein sliced")
        defer { Progress.shared.end() }
        let (m, d) = (problem.neurons, problem.inputDimension)
        // Work caps, checked before any work: the Monte-Carlo projections and the descents' inner iterations.
        let counts = projectionCounts
        let work = Double(repeats) * Double(counts.reduce(0, +)) * Double(m) * Double(d)
        guard work <= 5e8 else {
            throw UsageError(message: "sliced: \(repeats) repeats × \(counts.reduce(0, +)) projections × m·d = \(String(format: "%.3g", work)) operations, more than the cap of 5e8",
                             hint: "lower --repeats, --max-projections or --neurons")
        }
        var descentCounts = counts.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        if descentCounts.last != maxProjections { descentCounts.append(maxProjections) }
        let descentWork = Double(steps) * Double(descentCounts.reduce(0, +) + 1) * Double(m)
        guard descentWork <= 2e6 else {
            throw UsageError(message: "sliced: \(steps) steps × \(descentCounts.reduce(0, +)) projections × m = \(String(format: "%.3g", descentWork)) per inner iteration, more than the cap of 2e6",
                             hint: "lower --steps, --max-projections or --neurons")
        }
        // W₂ proximal descent (the reference).
        Progress.shared.update(fraction: 0, "W₂ proximal descent")
        var t0 = Date()
        let w2Run = try problem.proximalPoint(from: start, distance: .wasserstein, gamma: gamma, steps: steps, tolerance: tolerance, maxInnerIterations: 2000)
        let w2Cost = Date().timeIntervalSince(t0) / Double(steps)
        let end = w2Run.final

        // 1. The distance between W⁰ and the W₂ descent's end, against the number of projections.
        let w2Distance = try EmpiricalWasserstein.squaredDistance(start, end).value
        let reference = d == 2 ? try SlicedWasserstein.squaredDistanceOnCircle(start, end, angles: 20_000)
                               : try SlicedWasserstein.squaredDistance(start, end, directions: 65_536, seed: seed &+ 999_983)
        var gap = CSVTable(columns: ["projections", "mean_sliced", "rms_error", "max_sliced", "reference_sliced", "w2", "mean_over_w2", "violations"])
        var rmsErrors: [Double] = [], means: [Double] = []
        var violations = 0
        for (k, count) in counts.enumerated() {
            Progress.shared.update(fraction: 0.1 + 0.3 * Double(k) / Double(counts.count), "Monte-Carlo SW₂², L = \(count)")
            var values: [Double] = []
            for r in 0..<repeats {
                values.append(try SlicedWasserstein.squaredDistance(start, end, directions: count, seed: seed &* 1000 &+ UInt64(r * 4096 + count)))
            }
            let mean = values.reduce(0, +) / Double(repeats)
            let rms = (values.reduce(0) { $0 + ($1 - reference) * ($1 - reference) } / Double(repeats)).squareRoot()
            let bad = values.filter { $0 > w2Distance * (1 + 1e-12) }.count
            violations += bad
            rmsErrors.append(rms)
            means.append(mean)
            try gap.append([Double(count), mean, rms, values.max()!, reference, w2Distance, mean / w2Distance, Double(bad)])
        }
        let slope = Self.slope(x: counts.map { log(Double($0)) }, y: rmsErrors.map { log(max($0, 1e-300)) })

        // 2. The sliced descents, L = 1, 4, 16, … (every other power) and the cap.
        let gammaSliced = gamma / Double(d)
        var descent = try CSVTable(columns: ["method", "projections", "step", "time", "loss", "step_distance_w2", "step_distance_sliced", "inner_iterations", "inner_gradient_norm", "converged"],
                                   kinds: [.text] + Array(repeating: .number, count: 9))
        for r in w2Run.records {
            try descent.append(cells: [.text("W2 prox"), .number(0), .number(Double(r.step)), .number(r.time), .number(r.loss), .number(r.distance),
                                       .number(0), .number(Double(r.innerIterations)), .number(r.innerGradientNorm), .number(r.converged ? 1 : 0)])
        }
        struct Outcome { let count: Int; let finalLoss: Double; let gapToW2: Double; let msPerStep: Double; let unconverged: Int; let increase: Double; let losses: [Double]; let residual: Double }
        var outcomes: [Outcome] = []
        for (k, count) in descentCounts.enumerated() {
            Progress.shared.update(fraction: 0.4 + 0.6 * Double(k) / Double(descentCounts.count), "sliced descent, L = \(count)")
            t0 = Date()
            let run = try problem.slicedProximalDescent(from: start, gamma: gammaSliced, steps: steps, directions: count, seed: seed &* 7919 &+ UInt64(count),
                                                        tolerance: tolerance, maxInnerIterations: 2000)
            let ms = 1000 * Date().timeIntervalSince(t0) / Double(steps)
            var increase = -Double.infinity
            for t in 1..<run.records.count { increase = max(increase, run.records[t].loss - run.records[t - 1].loss) }
            let finalGap = try EmpiricalWasserstein.squaredDistance(run.iterates.last!, end).value
            outcomes.append(Outcome(count: count, finalLoss: run.records.last!.loss, gapToW2: finalGap, msPerStep: ms,
                                    unconverged: run.records.filter { !$0.converged }.count, increase: increase, losses: run.records.map(\.loss),
                                    residual: run.records.map(\.innerGradientNorm).max()!))
            for r in run.records {
                try descent.append(cells: [.text("sliced prox"), .number(Double(count)), .number(Double(r.step)), .number(Double(r.step) * Double(m) * gamma),
                                           .number(r.loss), .number(r.wassersteinDistance), .number(r.slicedDistance), .number(Double(r.innerIterations)),
                                           .number(r.innerGradientNorm), .number(r.converged ? 1 : 0)])
            }
        }

        print("TangentFlow: sliced Wasserstein vs W₂ (Mercklé §8), m = \(m), d = \(d), n = \(problem.samples), γ = \(gamma), \(steps) steps\n")
        print(String(format: "W₂²(W⁰, W^T) = %.5g; exact sliced SW₂² = %.5g (%@); ratio %.3f (1/d = %.3f)", w2Distance, reference,
                     d == 2 ? "quadrature, 20,000 angles" : "65,536 projections", reference / w2Distance, 1 / Double(d)))
        for (k, count) in counts.enumerated() {
            print(String(format: "  L = %5d: mean SW₂² %.5g, RMS Monte-Carlo error %.3e", count, means[k], rmsErrors[k]))
        }
        print(String(format: "RMS error against L: slope %.3f on a log–log fit (Monte Carlo: −0.5); SW₂² > W₂² in %d of %d draws\n", slope, violations, repeats * counts.count))
        print(String(format: "W₂ proximal descent: final loss %.5e, %.2f ms per step", w2Run.records.last!.loss, 1000 * w2Cost))
        for o in outcomes {
            print(String(format: "  sliced, L = %4d (γ/d): final loss %.5e, W₂² to the W₂ result %.3e, %.2f ms per step, unconverged steps %d (largest ‖∇G‖ %.1e)",
                         o.count, o.finalLoss, o.gapToW2, o.msPerStep, o.unconverged, o.residual))
        }

        var out = try ExperimentOutput(directory: output)
        try out.write(gap, "sliced-gap.csv")
        try out.write(descent, "sliced-descent.csv")
        let xs = counts.map(Double.init)
        var fig = try SVGFigure(rows: 1, columns: 2, title: "Sliced Wasserstein vs W₂, two-layer ReLU network (m = \(m), d = \(d))")
        try fig.place(SVGPlot(title: "SW₂²(W⁰, W^T) by Monte Carlo against projections", xAxis: PlotAxis(label: "projections L", scale: .log10),
                              yAxis: PlotAxis(label: "squared distance", scale: .log10), series: [
                                  try PlotSeries(name: "RMS error of the estimate", x: xs, y: rmsErrors.map { max($0, 1e-300) }, marker: .circle),
                                  try PlotSeries(name: "L^(−1/2) through L = 1", x: xs, y: xs.map { rmsErrors[0] / $0.squareRoot() }, line: .dotted),
                                  try PlotSeries(name: "mean estimate", x: xs, y: means, line: .dashed, marker: .triangle),
                                  try PlotSeries(name: "W₂² (exact)", x: xs, y: xs.map { _ in w2Distance }, line: .solid),
                              ]), row: 0, column: 0)
        var lossSeries = [try PlotSeries(name: "W₂ prox, γ = \(gamma)", x: w2Run.records.map(\.time), y: w2Run.records.map(\.loss), marker: .circle)]
        let styles: [PlotSeries.LineStyle] = [.dashed, .dotted]
        for (k, o) in outcomes.enumerated() {
            lossSeries.append(try PlotSeries(name: "sliced, L = \(o.count)", x: (0...steps).map { Double($0) * Double(m) * gamma }, y: o.losses, line: styles[k % 2]))
        }
        try fig.place(SVGPlot(title: "loss along the proximal descents (t = step·mγ)", xAxis: PlotAxis(label: "flow time t"),
                              yAxis: PlotAxis(label: "loss F", scale: .log10), series: lossSeries), row: 0, column: 1)
        try out.write(fig, "sliced.svg")

        report.record("w2_distance", w2Distance)
        report.record("sliced_reference", reference)
        report.record("projections", counts)
        report.record("rms_errors", rmsErrors)
        report.record("mean_sliced", means)
        report.record("error_slope", slope)
        report.record("w2_final_loss", w2Run.records.last!.loss)
        report.record("w2_ms_per_step", 1000 * w2Cost)
        report.record("descent_projections", outcomes.map(\.count))
        report.record("sliced_final_loss", outcomes.map(\.finalLoss))
        report.record("sliced_gap_to_w2_result", outcomes.map(\.gapToW2))
        report.record("sliced_ms_per_step", outcomes.map(\.msPerStep))
        report.record("sliced_unconverged_steps", outcomes.map(\.unconverged))
        report.record("sliced_largest_inner_residual", outcomes.map(\.residual))
        let largestIncrease = outcomes.map(\.increase).max()!
        report.record(claims: [
            DemoClaim(name: "sliced_above_w2_draws", value: Double(violations), relation: .atMost, bound: 0,
                      statement: "SW₂² ≤ W₂² for every Monte-Carlo direction set (a projection is 1-Lipschitz)"),
            DemoClaim(name: "error_slope_upper", value: slope, relation: .atMost, bound: -0.3,
                      statement: "the Monte-Carlo error of SW₂² falls with the projections (rate L^{−1/2}: slope ≤ −0.3)"),
            DemoClaim(name: "error_slope_lower", value: slope, relation: .atLeast, bound: -0.7,
                      statement: "… and no faster than Monte Carlo (slope ≥ −0.7)"),
            DemoClaim(name: "sliced_descent_loss_increase", value: largestIncrease, relation: .atMost, bound: 0,
                      statement: "every sliced proximal step lowers (never raises) the loss"),
        ])
        out.printFiles(since: clock)
    }

    /// Least-squares slope of `y` against `x`.
    static func slope(x: [Double], y: [Double]) -> Double {
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        let sxy = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }, sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        return sxx > 0 ? sxy / sxx : 0
    }
}
