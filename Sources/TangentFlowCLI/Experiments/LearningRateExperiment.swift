import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowReporting

/// `tangentflow experiment learning-rate`: discrete gradient descent against the gradient flow it discretises, as
/// the step grows (open question 4 of the summary of arXiv 2408.01517).
let learningRateExperimentCommand = CommandSpec(
    name: "learning-rate",
    abstract: "Gradient descent vs the gradient flow as the learning rate grows: the gap in output space.",
    discussion: """
        One training problem (clustered data, squared loss C = |x − y|²/(2N), a tanh MLP). The standard flow
        θ' = −∇C is integrated to flow time S (Dopri5, rtol 1e-11) as the reference; gradient descent with step η
        is explicit Euler for the same field, run for S/η steps. For each η the gap |x_GD(S) − x_flow(S)| / |x₀ − y|
        is recorded beside η as a fraction of the stability bound 2N/λ_max(G(θ₀)) of the output-space dynamics.
        Headline: the gap is first order in η (Euler's global error): its slope on a log–log plot over the three
        smallest steps is 1 ± 0.2; steps near or past the bound stop tracking the flow (or diverge).
        Writes learning-rate.csv, learning-rate.svg (and .png), run.json.
        """,
    options: [
        OptionSpec(name: "output", short: "o", value: "DIR", help: "Output folder.", defaultValue: "experiment-learning-rate", kind: .outputFolder),
        OptionSpec(name: "seed", value: "S", help: "Seed of the data and the initial parameters.", defaultValue: "2024", kind: .seed),
        OptionSpec(name: "samples", value: "N", help: "Training samples (3 classes in R⁴).", defaultValue: "16", kind: .integer(3...512)),
        OptionSpec(name: "width", value: "M", help: "Width of the two hidden tanh layers.", defaultValue: "32", kind: .integer(1...1024)),
        OptionSpec(name: "t", value: "t", help: "Stop at the flow time S where the flow's t = 1 − e^{−S/N} reaches this.", defaultValue: "0.9",
                   kind: .real(lower: 0, upper: 0.999, openLower: true)),
    ],
    examples: ["tangentflow experiment learning-rate -o learning-rate", "tangentflow experiment learning-rate --width 128 --seed 3 --json -o lr-128"],
    run: { p in
        let study = try LearningRateStudy(samples: p.int("samples"), width: p.int("width"), tEnd: p.double("t"), seed: p.seed())
        let rows = try study.run()
        try study.write(rows, to: p.string("output")!, report: p.report)
    })

/// The learning-rate study: the reference flow and the gradient-descent runs.
struct LearningRateStudy {
    let samples: Int, width: Int, tEnd: Double, seed: UInt64

    /// One gradient-descent run.
    struct Row {
        let steps: Int, eta: Double, fractionOfBound: Double, gap: Double, loss: Double
    }

    /// Steps as fractions of the stability bound 2N/λ_max(G(θ₀)), coarse to fine (each rounded so that S/η is whole).
    static let fractions = [2, 1.5, 1, 0.75, 0.5, 0.25, 0.125, 0.0625, 0.03125]

    func problem() throws -> TrainingProblem {
        let data = try SyntheticData.clusters(samples: samples, inputDimension: 4, classes: 3, seed: seed)
        return try TrainingProblem(model: MLP(widths: [4, width, width, 3], activation: .tanh), inputs: data.inputs, targets: data.targets)
    }

    /// The reference flow's final outputs, and every gradient-descent run.
    func run() throws -> (reference: [Double], flowLoss: Double, sEnd: Double, bound: Double, x0: [Double], rows: [Row]) {
        let prob = try problem()
        let theta0 = prob.model.initialParameters(seed: seed &+ 7)
        let sEnd = prob.loss.flowTime(reaching: tEnd, samples: samples)!
        let field = StandardFlow(problem: prob)
        Progress.shared.begin("experiment learning-rate", detail: "reference flow")
        let ref = try integrate(field, stepper: .dopri5, controller: PIController(rtol: 1e-11, atol: 1e-13), from: 0, to: sEnd, start: theta0,
                                saveAt: .endpoints)
        guard ref.status == .success else { throw CommandFailure(.stopped, "the reference flow stopped early: \(ref.status)") }
        let xRef = try prob.outputs(ref.finalState), x0 = try prob.outputs(theta0)
        let lambdaMax = try prob.backend.kernels.symmetricEigen(prob.ntk(theta0)).values.last ?? 0
        let bound = 2 * Double(samples) / lambdaMax
        var rows: [Row] = []
        for (k, f) in Self.fractions.enumerated() {
            let n = Int((sEnd / (f * bound)).rounded(.up))
            guard n <= 1_000_000 else { throw CommandFailure(.usage, "gradient descent at \(f) of the stability bound would take \(n) steps, more than 10⁶", hint: "lower --t or --width") }
            Progress.shared.update(fraction: Double(k) / Double(Self.fractions.count), "gradient descent, \(n) steps")
            let eta = sEnd / Double(n)
            let gd = try integrate(field, stepper: .euler, controller: ConstantStepSize(eta), from: 0, to: sEnd, start: theta0,
                                   saveAt: .endpoints, maxSteps: n + 1)
            let x = try prob.outputs(gd.finalState)
            let finite = x.allSatisfy(\.isFinite)
            let y = prob.targetVector
            var num = 0.0, den = 0.0
            for i in 0..<x.count {
                num += (x[i] - xRef[i]) * (x[i] - xRef[i])
                den += (x0[i] - y[i]) * (x0[i] - y[i])
            }
            let gap: Double = finite ? (num / den).squareRoot() : .infinity
            rows.append(Row(steps: n, eta: eta, fractionOfBound: eta / bound, gap: gap,
                            loss: finite ? prob.loss.value(outputs: x, targets: prob.targetVector, outputDimension: 3) : .infinity))
        }
        Progress.shared.end()
        return (xRef, prob.loss.value(outputs: xRef, targets: prob.targetVector, outputDimension: 3), sEnd, bound, x0, rows)
    }

    /// Least-squares slope of log gap against log η over the `k` smallest steps.
    static func order(_ rows: [Row], smallest k: Int = 3) -> Double {
        let pts = rows.sorted { $0.eta < $1.eta }.prefix(k).map { (log($0.eta), log($0.gap)) }
        let mx = pts.map(\.0).reduce(0, +) / Double(pts.count), my = pts.map(\.1).reduce(0, +) / Double(pts.count)
        let sxy = pts.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }, sxx = pts.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }
        return sxy / sxx
    }

    func write(_ r: (reference: [Double], flowLoss: Double, sEnd: Double, bound: Double, x0: [Double], rows: [Row]), to dir: String,
               report: RunReport) throws {
        let start = Date()
        var out = try ExperimentOutput(directory: dir)
        var table = CSVTable(columns: ["steps", "eta", "fraction_of_stability_bound", "gap", "final_loss", "flow_final_loss"])
        for row in r.rows { try table.append([Double(row.steps), row.eta, row.fractionOfBound, row.gap, row.loss, r.flowLoss]) }
        try out.write(table, "learning-rate.csv")
        let tracked = r.rows.filter { $0.gap.isFinite && $0.gap > 0 }
        let order = Self.order(tracked)
        let smallest = tracked.min { $0.eta < $1.eta }!
        var fig = try SVGFigure(rows: 1, columns: 2, title: "Gradient descent vs gradient flow (tanh 4-\(width)-\(width)-3, N = \(samples), S = \(String(format: "%.3g", r.sEnd)))")
        try fig.place(SVGPlot(title: "gap |x_GD(S) − x_flow(S)| / |x₀ − y|", xAxis: PlotAxis(label: "learning rate η", scale: .log10),
                              yAxis: PlotAxis(label: "relative gap in output space", scale: .log10), series: [
                                  try PlotSeries(name: "gradient descent", x: tracked.map(\.eta), y: tracked.map(\.gap), marker: .circle),
                                  try PlotSeries(name: "slope 1 (Euler's global error)", x: tracked.map(\.eta), y: tracked.map { smallest.gap * $0.eta / smallest.eta }, line: .dotted),
                              ]), row: 0, column: 0)
        try fig.place(SVGPlot(title: "final loss", xAxis: PlotAxis(label: "η as a fraction of 2N/λ_max(G(θ₀))", scale: .log10),
                              yAxis: PlotAxis(label: "loss C at flow time S", scale: .log10), series: [
                                  try PlotSeries(name: "gradient descent", x: tracked.map(\.fractionOfBound), y: tracked.map(\.loss), marker: .circle),
                                  try PlotSeries(name: "gradient flow", x: tracked.map(\.fractionOfBound), y: tracked.map { _ in r.flowLoss }, line: .dashed),
                              ]), row: 0, column: 1)
        try out.write(fig, "learning-rate.svg")
        print(String(format: "reference flow to S = %.4g: loss %.4e; stability bound 2N/λ_max = %.4g", r.sEnd, r.flowLoss, r.bound))
        for row in r.rows {
            print(String(format: "  η = %.4g (%.3g of the bound, %4d steps): gap %.3e, loss %.4e", row.eta, row.fractionOfBound, row.steps, row.gap, row.loss))
        }
        print(String(format: "order of the gap in η over the three smallest steps: %.3f (Euler: 1)", order))
        report.record("stability_bound", r.bound)
        report.record("flow_final_loss", r.flowLoss)
        report.record("gaps", r.rows.map { $0.gap.isFinite ? $0.gap : -1 })
        report.record("etas", r.rows.map(\.eta))
        report.record("order", order)
        report.record(claims: [
            DemoClaim(name: "gap_order_lower", value: order, relation: .atLeast, bound: 0.8,
                      statement: "gradient descent's gap to the flow is first order in η (slope ≥ 0.8)"),
            DemoClaim(name: "gap_order_upper", value: order, relation: .atMost, bound: 1.2,
                      statement: "gradient descent's gap to the flow is first order in η (slope ≤ 1.2)"),
        ])
        out.printFiles(since: start)
    }
}
