import Foundation
import TangentFlow
import TangentFlowReporting

extension Demo {
    /// Experiment 1: rank and spectrum of D along gradient descent (the standard flow, explicit Euler).
    func rankMonitoring(_ files: inout [String]) throws -> [Row] {
        let wide = try problem([4, 24, 24, 3], .tanh)       // K = 795 ≫ QN = 72
        let narrow = try problem([4, 6, 3], .relu)           // K = 51 < QN = 72: rank ≤ 51
        var rows: [Row] = []
        var sigmaSeries: [PlotSeries] = [], rankSeries: [PlotSeries] = []
        var spectrumSeries: [PlotSeries] = []
        for (name, prob, seed) in [("wide tanh 4-24-24-3", wide, parameterSeed(7)), ("narrow ReLU 4-6-3", narrow, parameterSeed(8))] {
            let (sEnd, _) = tGrid(prob, to: 0.99, 2)
            let save = SaveAt.times((0..<25).map { sEnd * pow(Double($0) / 24, 2) })
            // Gradient descent (explicit Euler, step 0.02 < 2N/λ_max(G)), the way these networks are trained.
            let r = try solve(StandardFlow(problem: prob), prob.model.initialParameters(seed: seed), to: sEnd, saveAt: save, step: 0.02)
            let slug = name.hasPrefix("wide") ? "wide" : "narrow"
            try write(r, "exp1-rank-\(slug).csv", &files)
            rows.append(Row(experiment: "1 rank", run: "standard, \(name)", result: r))
            let s = r.points.map(\.s)
            sigmaSeries.append(try PlotSeries(name: "σ_min, \(name)", x: s, y: r.points.map(\.sigmaMin)))
            sigmaSeries.append(try PlotSeries(name: "σ_max, \(name)", x: s, y: r.points.map(\.sigmaMax), line: .dashed))
            rankSeries.append(try PlotSeries(name: name, x: s, y: r.points.map { $0.rank.map(Double.init) ?? .nan }, marker: .circle))
            if slug == "wide" {
                for (label, idx) in [("s = 0", 0), ("s = \(Int(r.points[12].s))", 12), ("s = \(Int(r.points.last!.s))", r.points.count - 1)] {
                    let spec = r.points[idx].spectrum
                    spectrumSeries.append(try PlotSeries(name: label, x: (1...spec.count).map(Double.init), y: spec))
                }
                var spectra = CSVTable(columns: ["s"] + (1...72).map { "lambda_\($0)" })
                for p in r.points { try spectra.append([p.s] + p.spectrum) }
                try spectra.write(to: "\(outputDirectory)/exp1-spectrum-wide.csv")
                files.append("exp1-spectrum-wide.csv")
            }
        }
        var fig = try SVGFigure(rows: 1, columns: 3, title: "Experiment 1 — rank of D along gradient descent (N = 24, Q = 3, QN = 72)")
        try fig.place(SVGPlot(title: "NTK spectrum, wide tanh", xAxis: PlotAxis(label: "eigenvalue index", scale: .linear), yAxis: PlotAxis(label: "eigenvalue of G = DDᵀ", scale: .log10), series: spectrumSeries), row: 0, column: 0)
        try fig.place(SVGPlot(title: "extreme singular values of D", xAxis: PlotAxis(label: "flow time s"), yAxis: PlotAxis(label: "singular value σ(D)", scale: .log10), series: sigmaSeries), row: 0, column: 1)
        try fig.place(SVGPlot(title: "numerical rank of D", xAxis: PlotAxis(label: "flow time s"), yAxis: PlotAxis(label: "rank of D (QN = 72)", lowerBound: 0, upperBound: 80), series: rankSeries), row: 0, column: 2)
        try writePlot(fig, "spectrum.svg", &files)
        return rows
    }

    /// Experiment 2: standard vs adapted flow, and the linear-interpolation check (Prop. 2.4, 2.5).
    func standardVersusAdapted(_ files: inout [String]) throws -> [Row] {
        let prob = try problem([4, 24, 24, 3], .tanh)
        let theta0 = prob.model.initialParameters(seed: parameterSeed(7))
        let (sEnd, save) = tGrid(prob, to: 0.99, 34)
        let adapted = try solve(AdaptedFlow(problem: prob), theta0, to: sEnd, saveAt: save, rtol: 1e-10, atol: 1e-12)
        let standard = try solve(StandardFlow(problem: prob), theta0, to: sEnd, saveAt: save)
        // Rank loss: a linear model R⁴ → R³ (K = 15 < QN = 72) has a constant Jacobian of rank 15, so the deviation
        // is real and Prop. 2.5 (corrected) predicts it as t·P^⊥(x₀ − y). (Narrow *nonlinear* networks drive σ_min(D)
        // towards 0 under the adapted flow, which makes it stiff; see `tangentflow flow --widths 4,6,3`.)
        let narrow = try problem([4, 3], .identity)
        let (sEndN, saveN) = tGrid(narrow, to: 0.99, 34)
        let deficient = try solve(AdaptedFlow(problem: narrow), narrow.model.initialParameters(seed: parameterSeed(9)), to: sEndN, saveAt: saveN, rtol: 1e-10, atol: 1e-12)
        try write(adapted, "exp2-adapted.csv", &files)
        try write(standard, "exp2-standard.csv", &files)
        try write(deficient, "exp2-adapted-rank-deficient.csv", &files)
        func t(_ r: FlowResult) -> [Double] { r.points.map { $0.t! } }
        let c0 = adapted.points[0].loss
        var fig = try SVGFigure(rows: 1, columns: 3, title: "Experiment 2 — standard vs adapted flow, squared loss |x − y|²/(2N), t = 1 − e^{−s/N}")
        try fig.place(SVGPlot(title: "loss", xAxis: PlotAxis(label: "reparametrised time t"), yAxis: PlotAxis(label: "loss C", scale: .log10), series: [
            try PlotSeries(name: "adapted", x: t(adapted), y: adapted.points.map(\.loss)),
            try PlotSeries(name: "standard", x: t(standard), y: standard.points.map(\.loss)),
            try PlotSeries(name: "(1 − t)² C(0)", x: t(adapted), y: t(adapted).map { (1 - $0) * (1 - $0) * c0 }, line: .dotted),
        ]), row: 0, column: 0)
        try fig.place(SVGPlot(title: "|x − ((1−t)x₀ + ty)| / |x₀ − y|", xAxis: PlotAxis(label: "reparametrised time t"), yAxis: PlotAxis(label: "deviation from linear interpolation", scale: .log10), series: [
            try PlotSeries(name: "adapted (full rank)", x: t(adapted), y: adapted.points.map { $0.deviation! }, marker: .circle),
            try PlotSeries(name: "standard", x: t(standard), y: standard.points.map { $0.deviation! }),
        ]), row: 0, column: 1)
        try fig.place(SVGPlot(title: "rank loss: linear 4→3, K = 15 < QN = 72", xAxis: PlotAxis(label: "reparametrised time t"), yAxis: PlotAxis(label: "relative deviation", scale: .log10), series: [
            try PlotSeries(name: "simulated", x: t(deficient), y: deficient.points.map { $0.deviation! }),
            try PlotSeries(name: "predicted (corrected 2.59–2.60)", x: t(deficient), y: deficient.points.map { $0.predictedDeviation! }, line: .dashed),
            try PlotSeries(name: "|simulated − predicted|", x: t(deficient), y: deficient.points.map { $0.predictionError! }, line: .dotted),
        ]), row: 0, column: 2)
        try writePlot(fig, "deviation.svg", &files)
        return [
            Row(experiment: "2 interp", run: "adapted, full rank", result: adapted),
            Row(experiment: "2 interp", run: "standard, full rank", result: standard),
            Row(experiment: "2 interp", run: "adapted, K < QN", result: deficient),
        ]
    }

    /// Experiment 3: cross-entropy under the adapted flow, label smoothing (ε = 0.1) vs one-hot.
    func crossEntropy(_ files: inout [String]) throws -> [Row] {
        let sEnd = 20_000.0
        let save = SaveAt.times([0] + (0...32).map { min(sEnd, pow(10, -1 + Double($0) * (log10(sEnd) + 1) / 32)) })
        var rows: [Row] = []
        var drift: [PlotSeries] = [], distance: [PlotSeries] = [], margins: [PlotSeries] = []
        for (name, eps) in [("smoothed ε = 0.1", 0.1), ("one-hot", 0.0)] {
            let prob = try problem([4, 24, 24, 3], .tanh, loss: .crossEntropy, smoothing: eps)
            let r = try solve(AdaptedFlow(problem: prob), prob.model.initialParameters(seed: parameterSeed(7)), to: sEnd, saveAt: save)
            try write(r, eps > 0 ? "exp3-crossentropy-smoothed.csv" : "exp3-crossentropy-onehot.csv", &files)
            rows.append(Row(experiment: "3 x-entropy", run: "adapted, \(name)", result: r))
            let pts = r.points.dropFirst()
            let s = pts.map(\.s)
            drift.append(try PlotSeries(name: name, x: s, y: pts.map { max($0.logitSumDrift!, 1e-17) }))
            if eps > 0 { distance.append(try PlotSeries(name: "|x − f*| / |f*|, \(name)", x: s, y: pts.map { $0.distanceToMinimiser! })) }
            let marginsY = try r.solution.states.dropFirst().map { try minimumMargin(prob, $0) }
            margins.append(try PlotSeries(name: name, x: s, y: marginsY))
        }
        // One-hot, full rank: x' = −(σ(x) − y)/N per sample gives e^m m' ≈ Q/N for the margin m, so m ≈ ln(Qs/N).
        let s = drift[0].x
        margins.append(try PlotSeries(name: "ln(Qs/N), one-hot asymptote", x: s, y: s.map { log(3 * $0 / 24) }, line: .dotted))
        var fig = try SVGFigure(rows: 1, columns: 3, title: "Experiment 3 — softmax cross-entropy under the adapted flow")
        try fig.place(SVGPlot(title: "logit-sum drift max_i |u·f(x_i)(s) − u·f(x_i)(0)|", xAxis: PlotAxis(label: "flow time s", scale: .log10), yAxis: PlotAxis(label: "drift", scale: .log10), series: drift), row: 0, column: 0)
        try fig.place(SVGPlot(title: "distance to the explicit minimiser", xAxis: PlotAxis(label: "flow time s", scale: .log10), yAxis: PlotAxis(label: "relative distance", scale: .log10), series: distance), row: 0, column: 1)
        try fig.place(SVGPlot(title: "smallest true-class logit margin", xAxis: PlotAxis(label: "flow time s", scale: .log10), yAxis: PlotAxis(label: "logit margin min_i (f_c − max_{k≠c} f_k)"), series: margins), row: 0, column: 2)
        try writePlot(fig, "crossentropy.svg", &files)
        return rows
    }

    /// `min_i (f(x_i)_{c_i} − max_{k≠c_i} f(x_i)_k)`, `c_i` the class with the largest label.
    func minimumMargin(_ prob: TrainingProblem, _ theta: [Double]) throws -> Double {
        let x = try prob.outputs(theta), y = prob.targetVector, q = prob.model.outputDimension
        var m = Double.infinity
        for i in 0..<prob.samples {
            let c = (0..<q).max { y[i * q + $0] < y[i * q + $1] }!
            let other = (0..<q).filter { $0 != c }.map { x[i * q + $0] }.max()!
            m = min(m, x[i * q + c] - other)
        }
        return m
    }

    func printTable(_ rows: [Row]) {
        let w = [12, 31, 6, 6, 11, 10, 5, 9, 7]
        func line(_ c: [String]) -> String { zip(c, w).map { $0.count >= $1 ? $0 : $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: " ") }
        print(line(["experiment", "run", "steps", "evals", "final loss", "deviation", "rank", "σ_min(D)", "time"]))
        for r in rows {
            let last = r.result.points.last!
            print(line([
                r.experiment, r.run, "\(r.result.solution.stats.acceptedSteps)", "\(r.result.solution.stats.fieldEvaluations)",
                String(format: "%.3e", last.loss), last.deviation.map { String(format: "%.2e", $0) } ?? "—", last.rank.map { "\($0)" } ?? "—",
                String(format: "%.2e", last.sigmaMin), String(format: "%.2fs", r.result.wallTime),
            ]))
        }
    }
}
