import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowTruncation
import TangentFlowReporting

/// The `truncation demo` run: data, flow, 1-D truncation times, files.
struct TruncationDemo {
    let outputDirectory: String
    let pointsPerCluster: Int
    let until: Double
    let step: Double
    let seed: UInt64

    /// Snapshot times for the input-space panels (clipped to `until`).
    var snapshotTimes: [Double] {
        let base = [0, 0.25, 0.5, 1, 2, until]
        return Array(Set(base.filter { $0 <= until })).sorted()
    }

    /// The demo's headline numbers (README "What the demo shows"; checked by `scripts/check-demo.py`).
    struct Headlines {
        /// `max_s ‖RᵀR − I‖_F` along the Heun–Cayley flow.
        var orthogonalityDefect = 0.0
        /// `max_n |s_n(4.49) − s_n(event-located RK4)|` over both coordinates.
        var truncationTimeError = 0.0
        /// Whether the cost decreased monotonically (3.24)–(3.26).
        var monotone = false
    }

    @discardableResult
    func run() throws -> Headlines {
        let t0 = Date()
        var headlines = Headlines()
        Progress.shared.begin("truncation demo", detail: "\(Int((until / step).rounded(.up))) Heun–Cayley steps")
        defer { Progress.shared.end() }
        try makeDirectory(outputDirectory)
        print("TangentFlow truncation demo: ReLU truncation dynamics in input space (Chen, effective gradient flow equations)")
        print("Q = 2, L = 2 layers, 2 clusters × \(pointsPerCluster) points; Heun–Cayley, h = \(step), s ∈ [0, \(until)]\n")
        let (cost, start) = try problem()
        var files: [String] = []
        let run = try integrateFlow(cost, start)
        try writePoints(cost, run, &files)
        (headlines.orthogonalityDefect, headlines.monotone) = try writeFlow(cost, run, &files)
        headlines.truncationTimeError = try truncationTimes(cost, start, &files)
        print("\nFiles written to \(outputDirectory)/:")
        for f in files { print("  \(f)") }
        print(String(format: "\nDone in %.1f s.", Date().timeIntervalSince(t0)))
        return headlines
    }

    // MARK: problem

    /// Cluster 1 near (0, 0) with label ỹ₁ = (1.6, 1.4); cluster 2 near (4, 4) with ỹ₂ = (2.8, 3.0); W^{(3)} = 1.
    /// R₁ = rot(0.25) truncates from below, R₂ = rot(π + 0.2) from above; each threshold starts inside its cluster.
    func problem() throws -> (EuclideanInputCost, AdaptedParameters) {
        var rng = SeededGenerator(seed: seed)
        func cluster(_ c: [Double]) throws -> Matrix {
            try Matrix(rows: pointsPerCluster, cols: 2, rowMajor: (0..<(2 * pointsPerCluster)).map { c[$0 % 2] + 0.3 * rng.nextGaussian() })
        }
        let data = try ClusteredTrainingData(clusters: [cluster([0, 0]), cluster([4, 4])], labels: [[1.6, 1.4], [2.8, 3.0]])
        let cost = try EuclideanInputCost(data: data)
        let r1 = rotation(0.25), r2 = rotation(Double.pi + 0.2)
        // β = Rᵀ(target of R(x + β) at the cluster centre) − centre.
        let b1 = transposeApply(r1, [0.3, 0.25])
        let u2 = transposeApply(r2, [0.25, 0.3])
        let b2 = [u2[0] - 4, u2[1] - 4]
        return (cost, try AdaptedParameters(rotations: [r1, r2], shifts: [b1, b2]))
    }

    func rotation(_ a: Double) -> Matrix { try! Matrix([[cos(a), -sin(a)], [sin(a), cos(a)]]) }
    func apply(_ m: Matrix, _ x: [Double]) -> [Double] { (0..<m.rows).map { i in (0..<m.cols).reduce(0) { $0 + m[i, $1] * x[$1] } } }
    func transposeApply(_ m: Matrix, _ x: [Double]) -> [Double] { (0..<m.cols).map { j in (0..<m.rows).reduce(0) { $0 + m[$1, j] * x[$1] } } }

    // MARK: flow

    struct Run {
        let times: [Double]
        let states: [AdaptedParameters]
        let steps: Int
    }

    func integrateFlow(_ cost: EuclideanInputCost, _ start: AdaptedParameters) throws -> Run {
        let flow = ClusterSeparatedFlow(cost: cost)
        let k = Int((until / 0.05).rounded()) + 1
        var times = (0..<k).map { until * Double($0) / Double(k - 1) } + snapshotTimes
        times = Array(Set(times)).sorted()
        let sol = try integrate(flow, stepper: CayleyStepper(.heunEuler, orthogonalBlocks: start.orthogonalBlocks), controller: ConstantStepSize(step),
                                from: 0, to: until, start: start.packed, saveAt: .times(times))
        guard sol.status == .success else {
            throw TangentFlowError.invalidArgument(operation: "truncation demo", reason: "the flow stopped early: \(sol.status)")
        }
        return Run(times: sol.times, states: try sol.states.map { try AdaptedParameters(packed: $0, width: 2, layers: 2) }, steps: sol.stats.acceptedSteps)
    }

    /// Fully truncated points of cluster `l` (the point is in S^−_ℓ).
    func fullyTruncated(_ cost: EuclideanInputCost, _ p: AdaptedParameters, _ l: Int) throws -> Int {
        let net = try p.network()
        return try (0..<cost.data.clusters[l].rows).filter { try net.classify(cost.data.point(cluster: l, $0), layer: l + 1) == .fullyTruncated }.count
    }

    func writePoints(_ cost: EuclideanInputCost, _ run: Run, _ files: inout [String]) throws {
        var table = CSVTable(columns: ["s", "cluster", "point", "x1", "x2", "t1", "t2", "class"])
        var panels: [SVGPlot] = []
        let classCode: [TruncationClass: Double] = [.untruncated: 0, .partiallyTruncated: 1, .fullyTruncated: 2]
        for s in snapshotTimes {
            guard let k = run.times.firstIndex(of: s) else { continue }
            let net = try run.states[k].network()
            var plot = SVGPlot(title: String(format: "flow time s = %g", s), xLabel: "input coordinate x₁", yLabel: "input coordinate x₂", width: 420, height: 380)
            plot.xAxis.lowerBound = -1.5
            plot.xAxis.upperBound = 5.5
            plot.yAxis.lowerBound = -1.5
            plot.yAxis.upperBound = 5.5
            var raw = try PlotSeries(name: "data x", x: [], y: [], color: "#BBBBBB", line: .none, marker: .circle, lineWidth: 1)
            var series: [PlotSeries] = []
            var rawX: [Double] = [], rawY: [Double] = []
            for l in 0..<2 {
                var tx: [Double] = [], ty: [Double] = []
                for i in 0..<cost.data.clusters[l].rows {
                    let x = cost.data.point(cluster: l, i)
                    let t = try net.truncate(x, layers: 1...2)
                    let cls = try net.classify(x, layer: l + 1)
                    try table.append([s, Double(l + 1), Double(i), x[0], x[1], t[0], t[1], classCode[cls]!])
                    rawX.append(x[0])
                    rawY.append(x[1])
                    tx.append(t[0])
                    ty.append(t[1])
                }
                var ser = try PlotSeries(name: "cluster \(l + 1): 𝒯(x)", x: tx, y: ty, color: PlotSeries.palette[l], line: .none, marker: .circle)
                ser.markerEvery = 1
                series.append(ser)
            }
            raw = try PlotSeries(name: "data x", x: rawX, y: rawY, color: "#BBBBBB", line: .none, marker: .circle, lineWidth: 1)
            raw.markerEvery = 1
            plot.add(raw)
            for s in series { plot.add(s) }
            let labels = cost.pulledBackLabels
            plot.add(try PlotSeries(name: "labels ỹ", x: labels.map { $0[0] }, y: labels.map { $0[1] }, color: "#000000", line: .none, marker: .cross))
            panels.append(plot)
        }
        try table.write(to: "\(outputDirectory)/truncation_points.csv")
        files.append("truncation_points.csv")
        let figure = try SVGFigure(plots: panels, columns: 3, title: "Truncated data 𝒯(x) = τ⁽²⁾∘τ⁽¹⁾(x) in input space along the effective flow")
        try writeFigure(figure, "truncation_input_space.svg", &files)
    }

    func writeFlow(_ cost: EuclideanInputCost, _ run: Run, _ files: inout [String]) throws -> (defect: Double, monotone: Bool) {
        let flow = ClusterSeparatedFlow(cost: cost)
        var table = CSVTable(columns: ["s", "cost", "residual1", "residual2", "omega1", "omega2", "full1", "full2", "orthogonality", "separated"])
        var costs: [Double] = [], res: [[Double]] = [[], []]
        var collapse: [Double?] = [nil, nil]
        var worstDefect = 0.0
        var separatedThroughout = true
        for (s, p) in zip(run.times, run.states) {
            let c = try cost.value(p)
            let v = try flow.effectiveVelocity(p)
            let r = (0..<2).map { l in hypot(p.shifts[l][0] + cost.pulledBackLabels[l][0], p.shifts[l][1] + cost.pulledBackLabels[l][1]) }
            let full = try (0..<2).map { try fullyTruncated(cost, p, $0) }
            let separated = try flow.clusterSeparationHolds(p)
            separatedThroughout = separatedThroughout && separated
            worstDefect = max(worstDefect, p.orthogonalityDefect)
            for l in 0..<2 where collapse[l] == nil && full[l] == cost.data.clusters[l].rows { collapse[l] = s }
            try table.append([s, c, r[0], r[1], v.omegas[0].frobeniusNorm, v.omegas[1].frobeniusNorm, Double(full[0]), Double(full[1]),
                              p.orthogonalityDefect, separated ? 1 : 0])
            costs.append(c)
            res[0].append(r[0])
            res[1].append(r[1])
        }
        try table.write(to: "\(outputDirectory)/truncation_flow.csv")
        files.append("truncation_flow.csv")
        let monotone = zip(costs, costs.dropFirst()).allSatisfy { $1 <= $0 * (1 + 1e-14) }
        print("Effective flow (Cor. 3.5), \(run.steps) Heun–Cayley steps:")
        print(String(format: "  cost %.6e → %.6e (monotone: %@)", costs.first!, costs.last!, monotone ? "yes" : "NO"))
        for l in 0..<2 {
            let when = collapse[l].map { String(format: "fully truncated (collapsed to −β⁽%d⁾) from s ≈ %.2f", l + 1, $0) } ?? "not fully truncated by the end"
            print("  cluster \(l + 1): \(when); |β + ỹ| \(String(format: "%.3e → %.3e", res[l].first!, res[l].last!))")
        }
        print(String(format: "  max ‖RᵀR − I‖_F = %.2e; cluster separation held throughout: %@", worstDefect, separatedThroughout ? "yes" : "no"))
        var plot = SVGPlot(title: "Cost and |β⁽ℓ⁾ + ỹ_ℓ| along the flow", xLabel: "flow time s", yLabel: "value", yScale: .log10)
        plot.add(try PlotSeries(name: "cost C (2.26)", x: run.times, y: costs))
        for l in 0..<2 { plot.add(try PlotSeries(name: "|β⁽\(l + 1)⁾ + ỹ_\(l + 1)|", x: run.times, y: res[l], line: .dashed)) }
        if let s1 = collapse[0], let k = run.times.firstIndex(of: s1) {
            plot.add(try PlotSeries(name: "rate 1 after collapse", x: Array(run.times[k...]), y: run.times[k...].map { res[0][k] * exp(-($0 - s1)) }, color: "#000000", line: .dotted))
        }
        try writeFigure(try SVGFigure(plots: [plot], columns: 1), "truncation_flow.svg", &files)
        return (worstDefect, monotone)
    }

    /// §4.3: cluster 1 at its initial R₁, coordinate r — exact s_n (4.49) vs event-located RK4.
    func truncationTimes(_ cost: EuclideanInputCost, _ start: AdaptedParameters, _ files: inout [String]) throws -> Double {
        let r = start.rotations[0]
        let rb = apply(r, start.shifts[0]), ry = apply(r, cost.pulledBackLabels[0])
        var table = CSVTable(columns: ["coordinate", "n", "point", "s_formula", "s_numerical", "difference"])
        var plots: [SVGPlot] = []
        var worstOverall = 0.0
        print("\nTruncation times of §4.3 (cluster 1 at fixed R₁): formula (4.49) vs event-located RK4 (h = 1e-3)")
        for c in 0..<2 {
            let xs = (0..<cost.data.clusters[0].rows).map { apply(r, cost.data.point(cluster: 0, $0))[c] }
            let exact = try OneDimensionalTruncation(points: xs, offset: -rb[c], target: ry[c])
            let sEnd = (exact.times.last ?? 0) + 3
            let numerical = try NumericalTruncationEvents.solve(points: xs, offset: -rb[c], target: ry[c], until: sEnd, step: 1e-3)
            var worst = 0.0
            for (k, e) in exact.events.enumerated() {
                let sn = k < numerical.times.count ? numerical.times[k] : .nan
                worst = max(worst, abs(sn - e.time))
                worstOverall = max(worstOverall, worst)
                try table.append([Double(c + 1), Double(e.truncatedCount), e.point, e.time, sn, sn - e.time])
            }
            print(String(format: "  coordinate %d: %d truncated at s = 0, %d events, last s_n = %.4f, max |Δs_n| = %.1e, final rate %.3f",
                         c + 1, exact.initialCount, exact.events.count, exact.times.last ?? 0, worst, exact.finalRate))
            if c == 0 {
                for e in exact.events.prefix(6) {
                    print(String(format: "    n = %2d  x_n = %+.4f  s_n = %.6f", e.truncatedCount, e.point, e.time))
                }
                if exact.events.count > 6 { print("    …") }
            }
            let grid = (0...400).map { sEnd * Double($0) / 400 }
            var plot = SVGPlot(title: "Coordinate \(c + 1): b(s) and the truncation times", xLabel: "flow time s", yLabel: "truncation threshold b", width: 560, height: 400)
            plot.add(try PlotSeries(name: "b(s), exact (4.47)", x: grid, y: grid.map { exact.offset(at: $0) }))
            plot.add(try PlotSeries(name: "s_n numerical", x: numerical.times, y: exact.events.prefix(numerical.times.count).map(\.point), line: .none, marker: .circle))
            plot.add(try PlotSeries(name: "target y", x: [0, sEnd], y: [ry[c], ry[c]], color: "#000000", line: .dotted))
            plots.append(plot)
        }
        try table.write(to: "\(outputDirectory)/truncation_times.csv")
        files.append("truncation_times.csv")
        try writeFigure(try SVGFigure(plots: plots, columns: 2), "truncation_times.svg", &files)
        return worstOverall
    }

    // MARK: files

    func writeFigure(_ figure: SVGFigure, _ name: String, _ files: inout [String]) throws {
        let path = "\(outputDirectory)/\(name)"
        let png = try figure.write(to: path)  // also writes the 2× PNG beside it when rsvg-convert is installed
        files.append(name)
        if let png = png.fileName { files.append(png) }
    }
}
