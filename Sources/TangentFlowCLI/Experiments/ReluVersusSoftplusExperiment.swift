import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowReporting

/// `tangentflow experiment relu-vs-softplus`: how often and how fast the Jacobian `D` loses rank along the standard
/// gradient flow, ReLU against softplus (the summary's checks "rank stability monitoring" and "smooth activation
/// impact" for Chen & Muñoz Ewald, arXiv 2408.01517: the theorems assume Lipschitz derivatives and `rank D = QN`).
let reluVersusSoftplusExperimentCommand = CommandSpec(
    name: "relu-vs-softplus",
    abstract: "Rank of the Jacobian D along the gradient flow, ReLU vs softplus, over widths and seeds.",
    discussion: """
        Generic regression data (inputs and targets N(0, 1), N samples in R^M, Q outputs) and a one-hidden-layer
        network M-m-Q, the same data and the same initial parameters for both activations. The standard flow
        θ' = −∇C, C = |x − y|²/(2N), is integrated (explicit Euler, step N/(10·λ_max(G(θ₀))): ReLU's field jumps, adaptive solvers chatter
        there) to flow time S = T·N/λ_max(G(θ₀)) and D is
        checked at --points evenly spaced times: its numerical rank is the number of singular values above
        max(QN, K)·ε·σ_max (numpy.linalg.matrix_rank's cut-off), and it has lost rank when that is below
        min(QN, K). For ReLU the run also counts dead hidden units (pre-activation ≤ 0 on every sample): each
        zeroes M + 1 + Q columns of D, so rank D ≤ K − dead·(M + 1 + Q), an exact bound checked at every point.
        Headline: softplus never loses rank; ReLU does, at the narrow widths, as units die.
        Writes relu-vs-softplus.csv (every checked point), relu-vs-softplus-summary.csv (one row per activation and
        width; median_first_loss_s_over_S is −1 where no seed lost rank), relu-vs-softplus.svg (and .png), run.json.
        """,
    options: [
        OptionSpec(name: "output", short: "o", value: "DIR", help: "Output folder.", defaultValue: "experiment-relu-vs-softplus", kind: .outputFolder),
        OptionSpec(name: "seed", value: "S", help: "Base seed: run k uses data seed S + k and parameter seed S + 1000 + k.", defaultValue: "2024", kind: .seed),
        OptionSpec(name: "seeds", value: "R", help: "Runs (seeds) per activation and width.", defaultValue: "8", kind: .integer(1...64)),
        OptionSpec(name: "samples", value: "N", help: "Training samples.", defaultValue: "12", kind: .integer(1...256)),
        OptionSpec(name: "inputs", value: "M", help: "Input dimension.", defaultValue: "3", kind: .integer(1...64)),
        OptionSpec(name: "outputs", value: "Q", help: "Output dimension.", defaultValue: "2", kind: .integer(1...16)),
        OptionSpec(name: "widths", value: "m,m,…", help: "Hidden widths to compare (each 1…512).", defaultValue: "4,5,6,8,16"),
        OptionSpec(name: "time", value: "T", help: "Flow time S = T·N/λ_max(G(θ₀)).", defaultValue: "200", kind: .real(lower: 0, upper: 2000, openLower: true)),
        OptionSpec(name: "points", value: "P", help: "Times at which D is checked.", defaultValue: "41", kind: .integer(2...1000)),
    ],
    examples: ["tangentflow experiment relu-vs-softplus -o relu-vs-softplus",
               "tangentflow experiment relu-vs-softplus --widths 5,6 --seeds 16 --json -o rank-narrow"],
    run: { p in
        let study = RankLossStudy(
            samples: try p.int("samples"), inputs: try p.int("inputs"), outputs: try p.int("outputs"),
            widths: try integerList(p, "widths", range: 1...512, maxCount: 8), seeds: try p.int("seeds"), time: try p.double("time"),
            points: try p.int("points"), seed: try p.seed())
        try study.validateSize()
        let runs = try study.run()
        try study.write(runs, to: p.string("output")!, report: p.report)
    })

/// The rank-loss study: one standard flow per activation, width and seed, with `D` checked along it.
struct RankLossStudy {
    let samples: Int, inputs: Int, outputs: Int, widths: [Int], seeds: Int, time: Double, points: Int, seed: UInt64

    static let activations: [Activation] = [.relu, .softplus]

    /// One checked point of one run.
    struct Point {
        let s: Double, loss: Double, rank: Int, relativeSigmaMin: Double, dead: Int, deadSamples: Int, deadBound: Int
    }

    /// One flow.
    struct Run {
        let activation: Activation, width: Int, seedIndex: Int, parameters: Int, fullRank: Int, sEnd: Double
        let points: [Point]
        /// Flow time of the first point with `rank < min(QN, K)`, nil if none.
        var firstLoss: Double? { points.first { $0.rank < fullRank }?.s }
        /// `D` is rank-deficient already at `θ₀`.
        var deficientAtStart: Bool { points[0].rank < fullRank }
        /// Full rank at `θ₀`, deficient at some later point.
        var lostAlongFlow: Bool { !deficientAtStart && firstLoss != nil }
        /// The exact activation-pattern bound holds at every point.
        var boundHolds: Bool { points.allSatisfy { $0.rank <= $0.deadBound } }
    }

    /// Refuses sizes whose Jacobian alone would be absurd (the options' ranges already bound each number).
    func validateSize() throws {
        let k = (widths.max() ?? 1) * (inputs + 1 + outputs) + outputs
        guard samples * outputs * k <= 50_000_000 else {
            throw CommandFailure(.usage, "--samples \(samples) × --outputs \(outputs) × K \(k) is a Jacobian of more than 5·10⁷ entries",
                                 hint: "lower --samples or --widths")
        }
        // Euler steps × (samples·K) multiply-adds per step, over every run: refuse what would take hours.
        let work = Double(Self.activations.count * widths.count * seeds) * 10 * time * Double(samples * k)
        guard work <= 2e11 else {
            throw CommandFailure(.usage, String(format: "--time %g with %d seeds and widths up to %d is about %.1e operations (more than 2·10¹¹)", time, seeds, widths.max()!, work),
                                 hint: "lower --time, --seeds or --widths")
        }
    }

    func run() throws -> [Run] {
        Progress.shared.begin("experiment relu-vs-softplus")
        defer { Progress.shared.end() }
        var runs: [Run] = []
        let total = Double(Self.activations.count * widths.count * seeds)
        for activation in Self.activations {
            for width in widths {
                for k in 0..<seeds {
                    Progress.shared.update(fraction: Double(runs.count) / total, "\(activation.rawValue), width \(width), seed \(k)")
                    runs.append(try flow(activation, width: width, seedIndex: k))
                }
            }
        }
        return runs
    }

    /// The standard flow of one network, with `D` checked at `points` times.
    func flow(_ activation: Activation, width: Int, seedIndex k: Int) throws -> Run {
        let data = try SyntheticData.gaussian(samples: samples, inputDimension: inputs, outputs: outputs, seed: seed &+ UInt64(k))
        let model = try MLP(widths: [inputs, width, outputs], activation: activation)
        let prob = try TrainingProblem(model: model, inputs: data.inputs, targets: data.targets)
        let theta0 = model.initialParameters(seed: seed &+ 1000 &+ UInt64(k))
        let lambdaMax = try prob.backend.kernels.symmetricEigen(prob.ntk(theta0)).values.last ?? 0
        guard lambdaMax > 0, lambdaMax.isFinite else {
            throw CommandFailure(.dataError, "the NTK at θ₀ is zero (\(activation.rawValue), width \(width), seed \(k)): no flow to follow")
        }
        let sEnd = time * Double(samples) / lambdaMax
        // Explicit Euler at a tenth of the stability bound 2N/λ_max: ReLU's field jumps where a pre-activation crosses
        // 0, and an adaptive solver chatters there (a sliding mode), so both activations get the same fixed step.
        let perInterval = Int((10 * time / Double(points - 1)).rounded(.up))
        let h = sEnd / Double((points - 1) * perInterval)
        let sol = try integrate(StandardFlow(problem: prob), stepper: .euler, controller: ConstantStepSize(h), from: 0, to: sEnd,
                                start: theta0, saveAt: .evenly(points, from: 0, to: sEnd), maxSteps: (points - 1) * perInterval + points)
        guard sol.status == .success, sol.finalState.allSatisfy(\.isFinite) else {
            throw CommandFailure(.stopped, "the flow (\(activation.rawValue), width \(width), seed \(k)) stopped early: \(sol.status)",
                                 hint: "lower --time")
        }
        let qn = prob.outputCount, kParams = model.parameterCount
        let full = min(qn, kParams)
        var pts: [Point] = []
        for (s, theta) in zip(sol.times, sol.states) {
            let sv = try prob.backend.kernels.svd(prob.jacobian(theta)).singularValues
            let smax = sv.first ?? 0
            let cut = RankTolerance.default.threshold(rows: qn, cols: kParams, sigmaMax: smax)
            let rank = sv.filter { $0 > cut }.count
            let dead = activation == .relu ? deadUnitsAndSamples(theta, data.inputs, width: width) : (units: 0, samples: 0)
            pts.append(Point(s: s, loss: try prob.lossValue(theta), rank: rank, relativeSigmaMin: smax > 0 ? sv[full - 1] / smax : 0, dead: dead.units,
                             deadSamples: dead.samples, deadBound: patternBound(units: dead.units, samples: dead.samples, parameters: kParams)))
        }
        return Run(activation: activation, width: width, seedIndex: k, parameters: kParams, fullRank: full, sEnd: sEnd, points: pts)
    }

    /// Dead hidden units (pre-activation `W¹x_i + b¹` ≤ 0 on every sample) and dead samples (no hidden unit active),
    /// read from `θ` directly (`W¹` row-major, then `b¹`, MATH.md §1): independent of the kernels that build `D`.
    func deadUnitsAndSamples(_ theta: [Double], _ x: Matrix, width: Int) -> (units: Int, samples: Int) {
        var unitAlive = [Bool](repeating: false, count: width), sampleAlive = [Bool](repeating: false, count: x.rows)
        for j in 0..<width {
            for i in 0..<x.rows {
                var z = theta[width * inputs + j]
                for c in 0..<inputs { z += theta[j * inputs + c] * x[i, c] }
                if z > 0 {
                    unitAlive[j] = true
                    sampleAlive[i] = true
                }
            }
        }
        return (unitAlive.filter { !$0 }.count, sampleAlive.filter { !$0 }.count)
    }

    /// The exact ReLU bound on `rank D` from the activation pattern: a dead unit zeroes its `M + 1 + Q` columns, and
    /// every dead sample's `Q` rows are the same (`∂f_q/∂b²_q = 1`, every other entry 0), so
    /// `rank D ≤ min(QN − Q·max(0, deadSamples − 1), K − deadUnits·(M + 1 + Q))`.
    func patternBound(units: Int, samples deadSamples: Int, parameters k: Int) -> Int {
        min(samples * outputs - outputs * max(0, deadSamples - 1), k - units * (inputs + 1 + outputs))
    }

    /// Per activation and width: fraction of seeds that lost rank, median first-loss time as a fraction of `S`.
    struct Summary {
        let activation: Activation, width: Int, parameters: Int, fullRank: Int
        let lossFraction: Double, startFraction: Double, alongFlowFraction: Double, medianFirstLoss: Double?, meanFinalDead: Double
        let medianFinalSigma: Double
    }

    func summarise(_ runs: [Run]) -> [Summary] {
        var out: [Summary] = []
        for activation in Self.activations {
            for width in widths {
                let group = runs.filter { $0.activation == activation && $0.width == width }
                let firsts = group.compactMap { r in r.firstLoss.map { $0 / r.sEnd } }
                out.append(Summary(activation: activation, width: width, parameters: group[0].parameters, fullRank: group[0].fullRank,
                                   lossFraction: Double(firsts.count) / Double(group.count),
                                   startFraction: Double(group.filter(\.deficientAtStart).count) / Double(group.count),
                                   alongFlowFraction: Double(group.filter(\.lostAlongFlow).count) / Double(group.count), medianFirstLoss: firsts.isEmpty ? nil : median(firsts),
                                   meanFinalDead: Double(group.map { $0.points.last!.dead }.reduce(0, +)) / Double(group.count),
                                   medianFinalSigma: median(group.map { $0.points.last!.relativeSigmaMin })))
            }
        }
        return out
    }

    func write(_ runs: [Run], to dir: String, report: RunReport) throws {
        let start = Date()
        var out = try ExperimentOutput(directory: dir)
        let pointColumns = ["activation", "width", "seed", "K", "full_rank", "s", "s_over_S", "loss", "rank", "sigma_min_over_sigma_max",
                            "dead_units", "dead_samples", "pattern_rank_bound"]
        var table = try CSVTable(columns: pointColumns, kinds: [.text] + Array(repeating: .number, count: pointColumns.count - 1))
        for r in runs {
            for pt in r.points {
                let row = [Double(r.width), Double(r.seedIndex), Double(r.parameters), Double(r.fullRank), pt.s, pt.s / r.sEnd, pt.loss,
                           Double(pt.rank), pt.relativeSigmaMin, Double(pt.dead), Double(pt.deadSamples), Double(pt.deadBound)]
                try table.append(cells: [.text(r.activation.rawValue)] + row.map { .number($0) })
            }
        }
        try out.write(table, "relu-vs-softplus.csv")
        let summary = summarise(runs)
        let summaryColumns = ["activation", "width", "K", "full_rank", "fraction_of_seeds_losing_rank", "fraction_deficient_at_start",
                              "fraction_losing_rank_along_flow", "median_first_loss_s_over_S",
                              "mean_final_dead_units", "median_final_sigma_min_over_sigma_max"]
        var sumTable = try CSVTable(columns: summaryColumns, kinds: [.text] + Array(repeating: .number, count: summaryColumns.count - 1))
        for s in summary {
            let row = [Double(s.width), Double(s.parameters), Double(s.fullRank), s.lossFraction, s.startFraction, s.alongFlowFraction, s.medianFirstLoss ?? -1, s.meanFinalDead,
                       s.medianFinalSigma]
            try sumTable.append(cells: [.text(s.activation.rawValue)] + row.map { .number($0) })
        }
        try out.write(sumTable, "relu-vs-softplus-summary.csv")

        let qn = samples * outputs
        var fig = try SVGFigure(rows: 1, columns: 2, title: "Rank of D along the gradient flow: ReLU vs softplus (\(inputs)-m-\(outputs), N = \(samples), QN = \(qn), \(seeds) seeds)")
        let w = widths.map(Double.init)
        var left: [PlotSeries] = []
        var right: [PlotSeries] = []
        // The right panel follows one ReLU run that starts at full rank and loses it (else the narrowest's first seed),
        // and the softplus run from the same data and θ₀.
        let shown = runs.first { $0.activation == .relu && $0.lostAlongFlow } ?? runs.first { $0.activation == .relu && $0.width == widths.min()! }!
        for (a, marker) in zip(Self.activations, [PlotSeries.Marker.circle, .square]) {
            let rows = summary.filter { $0.activation == a }
            left.append(try PlotSeries(name: "\(a.rawValue): rank-deficient at some point", x: w, y: rows.map(\.lossFraction), marker: marker))
            if a == .relu {
                left.append(try PlotSeries(name: "relu: full at θ₀, lost along the flow", x: w, y: rows.map(\.alongFlowFraction), line: .dashed, marker: .triangle))
            }
            if let r = runs.first(where: { $0.activation == a && $0.width == shown.width && $0.seedIndex == shown.seedIndex }) {
                right.append(try PlotSeries(name: "\(a.rawValue), m = \(r.width), seed \(r.seedIndex)", x: r.points.map { $0.s / r.sEnd },
                                            y: r.points.map { max($0.relativeSigmaMin, 1e-18) }, marker: marker))
            }
        }
        let cut = Double(max(qn, shown.parameters)) * Double.ulpOfOne
        right.append(try PlotSeries(name: "rank cut-off max(QN, K)·ε", x: [0, 1], y: [cut, cut], line: .dotted))
        try fig.place(SVGPlot(title: "runs whose D lost rank", xAxis: PlotAxis(label: "hidden width m"),
                              yAxis: PlotAxis(label: "fraction of seeds", lowerBound: 0, upperBound: 1), series: left), row: 0, column: 0)
        try fig.place(SVGPlot(title: "σ_{min(QN,K)}(D)/σ_max(D) along one flow", xAxis: PlotAxis(label: "flow time s/S"),
                              yAxis: PlotAxis(label: "relative smallest singular value", scale: .log10), series: right), row: 0, column: 1)
        try out.write(fig, "relu-vs-softplus.svg")

        print("rank of D along the standard flow, QN = \(qn), \(seeds) seeds per activation and width, S = \(time)·N/λ_max(G(θ₀))")
        for s in summary {
            print(String(format: "  %-8@ m = %3d (K = %4d): %5.1f%% of seeds rank-deficient (%5.1f%% at θ₀, %5.1f%% lose rank along the flow), median first loss at s/S = %@, mean dead units at S %.2f, median σ_min/σ_max at S %.2e",
                         s.activation.rawValue, s.width, s.parameters, 100 * s.lossFraction, 100 * s.startFraction, 100 * s.alongFlowFraction, s.medianFirstLoss.map { String(format: "%.3f", $0) } ?? "—",
                         s.meanFinalDead, s.medianFinalSigma))
        }
        let relu = runs.filter { $0.activation == .relu }, soft = runs.filter { $0.activation == .softplus }
        let reluLost = relu.filter { $0.firstLoss != nil }.count, softLost = soft.filter { $0.firstLoss != nil }.count
        let reluAlong = relu.filter(\.lostAlongFlow).count, reluStart = relu.filter(\.deficientAtStart).count
        let boundViolations = runs.filter { !$0.boundHolds }.count
        // Rank-deficient ReLU points that the activation-pattern bound alone forces (dead units or dead samples).
        let deficient = relu.flatMap { r in r.points.filter { $0.rank < r.fullRank }.map { ($0, r.fullRank) } }
        let forced = deficient.filter { $0.0.deadBound < $0.1 }.count
        report.record("widths", widths)
        report.record("runs_per_activation", relu.count)
        report.record("relu_runs_rank_deficient", reluLost)
        report.record("relu_runs_deficient_at_start", reluStart)
        report.record("relu_runs_losing_rank_along_flow", reluAlong)
        report.record("softplus_runs_rank_deficient", softLost)
        report.record("relu_deficient_points", deficient.count)
        report.record("relu_deficient_points_forced_by_pattern", forced)
        report.record("pattern_bound_violations", boundViolations)
        report.record("relu_fraction_rank_deficient", summary.filter { $0.activation == .relu }.map(\.lossFraction))
        report.record("relu_fraction_losing_rank_along_flow", summary.filter { $0.activation == .relu }.map(\.alongFlowFraction))
        report.record("softplus_fraction_rank_deficient", summary.filter { $0.activation == .softplus }.map(\.lossFraction))
        report.record("relu_median_first_loss", summary.filter { $0.activation == .relu }.map { $0.medianFirstLoss ?? -1 })
        report.record("softplus_min_sigma_ratio", soft.flatMap { $0.points.map(\.relativeSigmaMin) }.min() ?? 0)
        report.record(claims: [
            DemoClaim(name: "softplus_runs_rank_deficient", value: Double(softLost), relation: .atMost, bound: 0,
                      statement: "softplus keeps D at full rank min(QN, K) at every checked point of every flow"),
            DemoClaim(name: "relu_runs_losing_rank_along_flow", value: Double(reluAlong), relation: .atLeast, bound: 1,
                      statement: "ReLU flows that start at full rank lose it along the way"),
            DemoClaim(name: "pattern_bound_violations", value: Double(boundViolations), relation: .atMost, bound: 0,
                      statement: "rank D ≤ min(QN − Q·(dead samples − 1), K − dead units·(M + 1 + Q)) at every ReLU point (exact)"),
        ])
        out.printFiles(since: start)
    }
}
