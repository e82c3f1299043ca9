import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowReporting

/// `tangentflow experiment fibre`: parameters with the same outputs but different tangent kernels (Remark 3.1 of
/// Chen & Muñoz Ewald, arXiv 2408.01517: rank and `range(DDᵀ)` may depend on `θ₀` within `{θ : x(θ) = x₀}`).
let fibreExperimentCommand = CommandSpec(
    name: "fibre",
    abstract: "Same outputs, different parameters: sample the fibre x(θ) = x₀ and compare the NTKs along it.",
    discussion: """
        Generic regression data (inputs N(0, 1), N samples in R^M) and a one-hidden-layer network M-m-Q. The fibre
        {θ : x(θ) = x₀} of θ₀ is walked by --samples independent walks: each takes --moves steps along a random
        direction of ker D(θ) (P_ker = 1 − D⁺D) of length --step·|θ₀|/--moves, each followed by Gauss–Newton
        projection back onto the fibre, θ ← θ − D⁺(x(θ) − x₀), until |x(θ) − x₀| ≤ 1e-13·|x₀|. For every fibre
        point: |x(θ) − x₀|/|x₀|, |θ − θ₀|/|θ₀|, the NTK distance ‖G(θ) − G(θ₀)‖_F/‖G(θ₀)‖_F, the extreme
        eigenvalues of G and rank D. Two exact symmetries are checked beside the walk: ReLU's positive rescaling
        (W¹_j, b¹_j, W²_{:,j}) → (λ_jW¹_j, λ_jb¹_j, W²_{:,j}/λ_j) keeps the outputs but changes the NTK, and tanh's
        sign flip (W¹_j, b¹_j, W²_{:,j}) → −(…) keeps both (it is an isometry of parameter space).
        Headline: the fibre points reproduce x₀ to rounding while their NTKs differ by a visible fraction.
        Writes fibre.csv, fibre.svg (and .png), fibre-parameters.npy (one fibre point per row, θ₀ first), run.json.
        """,
    options: [
        OptionSpec(name: "output", short: "o", value: "DIR", help: "Output folder.", defaultValue: "experiment-fibre", kind: .outputFolder),
        OptionSpec(name: "seed", value: "S", help: "Seed of the data, θ₀ and the walk.", defaultValue: "2024", kind: .seed),
        OptionSpec(name: "samples", value: "N", help: "Training samples.", defaultValue: "8", kind: .integer(1...128)),
        OptionSpec(name: "inputs", value: "M", help: "Input dimension.", defaultValue: "3", kind: .integer(1...32)),
        OptionSpec(name: "outputs", value: "Q", help: "Output dimension.", defaultValue: "2", kind: .integer(1...8)),
        OptionSpec(name: "width", value: "m", help: "Hidden width.", defaultValue: "16", kind: .integer(1...256)),
        OptionSpec(name: "walks", value: "W", help: "Fibre points (independent walks from θ₀).", defaultValue: "8", kind: .integer(1...64)),
        OptionSpec(name: "moves", value: "k", help: "Null-space moves (each projected back) per walk.", defaultValue: "8", kind: .integer(1...100)),
        OptionSpec(name: "step", value: "r", help: "Length of a walk's moves together, as a fraction of |θ₀|.", defaultValue: "2",
                   kind: .real(lower: 0, upper: 10, openLower: true)),
    ],
    examples: ["tangentflow experiment fibre -o fibre", "tangentflow experiment fibre --width 32 --walks 16 --step 1 --json -o fibre-far"],
    run: { p in
        let study = FibreStudy(samples: try p.int("samples"), inputs: try p.int("inputs"), outputs: try p.int("outputs"), width: try p.int("width"),
                               walks: try p.int("walks"), moves: try p.int("moves"), step: try p.double("step"), seed: try p.seed())
        let result = try study.run()
        try study.write(result, to: p.string("output")!, report: p.report)
    })

/// The fibre study: walks on `{θ : x(θ) = x₀}` of a tanh network, and the exact ReLU / tanh symmetries.
struct FibreStudy {
    let samples: Int, inputs: Int, outputs: Int, width: Int, walks: Int, moves: Int, step: Double, seed: UInt64

    /// One parameter point compared with its start.
    struct Point {
        let kind: String, index: Int, parameterDistance: Double, outputDeviation: Double, ntkDistance: Double
        let lambdaMin: Double, lambdaMax: Double, rank: Int, newtonSteps: Int
    }

    struct Result {
        let points: [Point]
        let fibre: [[Double]]
        let spectra: [[Double]]
    }

    /// The data set and the network with `activation`.
    func problem(_ activation: Activation) throws -> TrainingProblem {
        let data = try SyntheticData.gaussian(samples: samples, inputDimension: inputs, outputs: outputs, seed: seed)
        return try TrainingProblem(model: MLP(widths: [inputs, width, outputs], activation: activation), inputs: data.inputs, targets: data.targets)
    }

    func run() throws -> Result {
        let prob = try problem(.tanh)
        let theta0 = prob.model.initialParameters(seed: seed &+ 7)
        let x0 = try prob.outputs(theta0), g0 = try prob.ntk(theta0)
        let k = prob.model.parameterCount, qn = prob.outputCount
        guard k > qn else {
            throw CommandFailure(.usage, "--width \(width): K = \(k) parameters ≤ QN = \(qn) outputs, so D has no null space to walk along",
                                 hint: "raise --width or lower --samples / --outputs")
        }
        Progress.shared.begin("experiment fibre")
        defer { Progress.shared.end() }
        var rng = SeededGenerator(seed: seed &+ 11)
        var points: [Point] = [try compare(prob, "start", 0, theta0, theta0, x0, g0, newtonSteps: 0)]
        var fibre: [[Double]] = [theta0]
        var spectra: [[Double]] = [try prob.backend.kernels.symmetricEigen(g0).values]
        let moveLength = step * norm(theta0) / Double(moves)
        for w in 0..<walks {
            Progress.shared.update(fraction: Double(w) / Double(walks), "walk \(w + 1)")
            var theta = theta0, newton = 0
            for _ in 0..<moves {
                let pinv = try Pseudoinverse(of: prob.jacobian(theta))
                let xi = (0..<k).map { _ in rng.nextGaussian() }
                let v = try pinv.projectOntoRowSpaceComplement(Matrix.column(xi)).elements
                let len = norm(v)
                guard len > 0 else { throw CommandFailure(.stopped, "walk \(w + 1): ker D(θ) is empty along the walk") }
                theta = zip(theta, v).map { $0 + moveLength * $1 / len }
                newton += try project(prob, &theta, onto: x0, walk: w + 1)
            }
            let g = try prob.ntk(theta)
            points.append(try compare(prob, "fibre", w + 1, theta, theta0, x0, g0, newtonSteps: newton))
            fibre.append(theta)
            spectra.append(try prob.backend.kernels.symmetricEigen(g).values)
        }
        // ReLU positive rescaling, λ_j = 2^{u_j}, u_j uniform in [−2, 2]: same outputs, another NTK.
        let relu = try problem(.relu)
        let r0 = relu.model.initialParameters(seed: seed &+ 7)
        var r1 = r0
        let h = width, w2 = h * (inputs + 1)
        for j in 0..<h {
            let lambda = pow(2, 4 * rng.nextUniform() - 2)
            for c in 0..<inputs { r1[j * inputs + c] *= lambda }
            r1[h * inputs + j] *= lambda
            for q in 0..<outputs { r1[w2 + q * h + j] /= lambda }
        }
        points.append(try compare(relu, "relu-rescaling", 0, r1, r0, try relu.outputs(r0), try relu.ntk(r0), newtonSteps: 0))
        // tanh sign flip of every other unit: same outputs, same NTK.
        var t1 = theta0
        for j in stride(from: 0, to: h, by: 2) {
            for c in 0..<inputs { t1[j * inputs + c] = -t1[j * inputs + c] }
            t1[h * inputs + j] = -t1[h * inputs + j]
            for q in 0..<outputs { t1[w2 + q * h + j] = -t1[w2 + q * h + j] }
        }
        points.append(try compare(prob, "tanh-sign-flip", 0, t1, theta0, x0, g0, newtonSteps: 0))
        return Result(points: points, fibre: fibre, spectra: spectra)
    }

    /// Gauss–Newton onto `{x(θ) = x₀}`: `θ ← θ − D⁺(x(θ) − x₀)` (the minimal-norm correction); returns the steps taken.
    func project(_ prob: TrainingProblem, _ theta: inout [Double], onto x0: [Double], walk: Int) throws -> Int {
        let target = 1e-13 * max(norm(x0), 1e-300)
        for it in 0..<50 {
            let r = zip(try prob.outputs(theta), x0).map { $0 - $1 }
            if norm(r) <= target { return it }
            let d = try Pseudoinverse(of: prob.jacobian(theta)).apply(Matrix.column(r)).elements
            theta = zip(theta, d).map { $0 - $1 }
        }
        throw CommandFailure(.stopped, "walk \(walk): Gauss–Newton did not return to the fibre in 50 steps (|x(θ) − x₀| > 1e-13·|x₀|)",
                             hint: "lower --step or raise --moves")
    }

    func compare(_ prob: TrainingProblem, _ kind: String, _ index: Int, _ theta: [Double], _ theta0: [Double], _ x0: [Double], _ g0: Matrix,
                 newtonSteps: Int) throws -> Point {
        let x = try prob.outputs(theta), g = try prob.ntk(theta)
        let eig = try prob.backend.kernels.symmetricEigen(g).values
        let rank = try numericalRank(of: prob.jacobian(theta))
        return Point(kind: kind, index: index, parameterDistance: norm(zip(theta, theta0).map { $0 - $1 }) / norm(theta0),
                     outputDeviation: norm(zip(x, x0).map { $0 - $1 }) / norm(x0),
                     ntkDistance: norm(zip(g.elements, g0.elements).map { $0 - $1 }) / norm(g0.elements),
                     lambdaMin: eig.first ?? 0, lambdaMax: eig.last ?? 0, rank: rank, newtonSteps: newtonSteps)
    }

    func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    func write(_ r: Result, to dir: String, report: RunReport) throws {
        let start = Date()
        var out = try ExperimentOutput(directory: dir)
        let columns = ["kind", "index", "parameter_distance", "output_deviation", "ntk_distance", "ntk_lambda_min", "ntk_lambda_max", "rank_D",
                       "gauss_newton_steps"]
        var table = try CSVTable(columns: columns, kinds: [.text] + Array(repeating: .number, count: columns.count - 1))
        for p in r.points {
            try table.append(cells: [.text(p.kind)] + [Double(p.index), p.parameterDistance, p.outputDeviation, p.ntkDistance, p.lambdaMin, p.lambdaMax,
                                                      Double(p.rank), Double(p.newtonSteps)].map { .number($0) })
        }
        try out.write(table, "fibre.csv")
        var params = try Matrix(rows: r.fibre.count, cols: r.fibre[0].count)
        for (i, t) in r.fibre.enumerated() { for (j, v) in t.enumerated() { params[i, j] = v } }
        try out.write(npy: params, "fibre-parameters.npy")

        let fibre = r.points.filter { $0.kind == "fibre" }
        let rescale = r.points.first { $0.kind == "relu-rescaling" }!, flip = r.points.first { $0.kind == "tanh-sign-flip" }!
        var fig = try SVGFigure(rows: 1, columns: 2, title: "The fibre x(θ) = x₀ of a tanh \(inputs)-\(width)-\(outputs) network (N = \(samples), \(walks) walks)")
        var spectra: [PlotSeries] = []
        for (i, s) in r.spectra.enumerated() {
            spectra.append(try PlotSeries(name: i == 0 ? "θ₀" : (i == 1 ? "fibre points" : ""), x: s.indices.map { Double($0 + 1) },
                                          y: s.reversed().map { max($0, 1e-18) }, color: i == 0 ? "#000000" : PlotSeries.palette[1],
                                          line: i == 0 ? .solid : .dotted))
        }
        try fig.place(SVGPlot(title: "NTK eigenvalues along the fibre", xAxis: PlotAxis(label: "index (largest first)"),
                              yAxis: PlotAxis(label: "eigenvalue of G(θ)", scale: .log10), series: spectra), row: 0, column: 0)
        try fig.place(SVGPlot(title: "same outputs, different kernels", xAxis: PlotAxis(label: "|θ − θ₀| / |θ₀|"),
                              yAxis: PlotAxis(label: "‖G(θ) − G(θ₀)‖_F / ‖G(θ₀)‖_F"), series: [
                                  try PlotSeries(name: "fibre walks (tanh)", x: fibre.map(\.parameterDistance), y: fibre.map(\.ntkDistance), line: .none, marker: .circle),
                                  try PlotSeries(name: "ReLU rescaling", x: [rescale.parameterDistance], y: [rescale.ntkDistance], line: .none, marker: .square),
                                  try PlotSeries(name: "tanh sign flip", x: [flip.parameterDistance], y: [flip.ntkDistance], line: .none, marker: .triangle),
                              ]), row: 0, column: 1)
        try out.write(fig, "fibre.svg")

        print("fibre of θ₀ (tanh \(inputs)-\(width)-\(outputs), N = \(samples), K = \(r.fibre[0].count)): \(walks) walks of \(moves) null-space moves")
        for p in r.points {
            print(String(format: "  %-15@ %2d: |θ−θ₀|/|θ₀| %.3f, |x−x₀|/|x₀| %.2e, NTK distance %.3e, λ(G) in [%.3e, %.3e], rank D %d",
                         p.kind, p.index, p.parameterDistance, p.outputDeviation, p.ntkDistance, p.lambdaMin, p.lambdaMax, p.rank))
        }
        let maxDev = fibre.map(\.outputDeviation).max() ?? 0
        let minNTK = fibre.map(\.ntkDistance).min() ?? 0
        let kappa = r.points.filter { $0.kind != "relu-rescaling" && $0.kind != "tanh-sign-flip" }.map { $0.lambdaMax / max($0.lambdaMin, 1e-300) }
        report.record("fibre_output_deviation", fibre.map(\.outputDeviation))
        report.record("fibre_parameter_distance", fibre.map(\.parameterDistance))
        report.record("fibre_ntk_distance", fibre.map(\.ntkDistance))
        report.record("fibre_rank", fibre.map(\.rank))
        report.record("ntk_condition_numbers", kappa)
        report.record("relu_rescaling_output_deviation", rescale.outputDeviation)
        report.record("relu_rescaling_ntk_distance", rescale.ntkDistance)
        report.record("tanh_sign_flip_output_deviation", flip.outputDeviation)
        report.record("tanh_sign_flip_ntk_distance", flip.ntkDistance)
        report.record(claims: [
            DemoClaim(name: "fibre_max_output_deviation", value: maxDev, relation: .atMost, bound: 1e-12,
                      statement: "every fibre point reproduces x₀: |x(θ) − x₀|/|x₀| ≤ 1e-12"),
            DemoClaim(name: "fibre_min_ntk_distance", value: minNTK, relation: .atLeast, bound: 0.01,
                      statement: "every fibre point has another NTK: ‖G(θ) − G(θ₀)‖_F/‖G(θ₀)‖_F ≥ 0.01"),
            DemoClaim(name: "relu_rescaling_output_deviation", value: rescale.outputDeviation, relation: .atMost, bound: 1e-13,
                      statement: "ReLU positive rescaling keeps the outputs (to rounding)"),
            DemoClaim(name: "relu_rescaling_ntk_distance", value: rescale.ntkDistance, relation: .atLeast, bound: 0.1,
                      statement: "ReLU positive rescaling changes the NTK"),
            DemoClaim(name: "tanh_sign_flip_ntk_distance", value: flip.ntkDistance, relation: .atMost, bound: 1e-13,
                      statement: "tanh's sign flip keeps the outputs and the NTK (an isometry)"),
        ])
        out.printFiles(since: start)
    }
}
