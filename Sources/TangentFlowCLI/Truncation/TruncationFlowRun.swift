import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowIO
import TangentFlowReporting
import TangentFlowTruncation

/// `truncation effective` / `truncation general`: the Euclidean-cost flows of Thm 3.2 (effective, cluster
/// separated) and Thm 5.1 (general) on adapted parameters, integrated by Heun–Cayley at a fixed step.
struct TruncationFlowRun {
    enum Kind: String { case effective, general }

    let kind: Kind
    let data: ClusteredTrainingData
    let start: AdaptedParameters
    let until: Double
    let step: Double
    let directory: String

    /// Saved times: at most 401, never finer than the step.
    var grid: [Double] {
        let n = Swift.min(401, Int((until / step).rounded(.down)) + 1)
        return truncationGrid(until: until, count: Swift.max(n, 2))
    }

    func field(_ cost: EuclideanInputCost) throws -> any VectorField {
        kind == .effective ? ClusterSeparatedFlow(cost: cost) : try GeneralTruncationFlow(cost: cost, layers: start.layerCount)
    }

    func run(report: RunReport) throws {
        let t0 = Date()
        let cost = try EuclideanInputCost(data: data)
        let paired = start.layerCount == data.clusters.count
        if kind == .effective {
            guard paired else {
                throw CommandFailure(.dataError, "the effective flow (Thm 3.2) pairs layer ℓ with cluster ℓ: the data have \(data.clusters.count) clusters but the network \(start.layerCount) layers",
                                     hint: "use 'tangentflow truncation general' for any number of layers")
            }
            guard try ClusterSeparatedFlow(cost: cost).clusterSeparationHolds(start) else {
                throw CommandFailure(.dataError, "the initial network does not truncate the clusters separately (Def. 3.1): layer ℓ must act as the identity on every cluster but ℓ",
                                     hint: "use 'tangentflow truncation general' (Thm 5.1), which needs no separation")
            }
        }
        Progress.shared.begin("truncation \(kind.rawValue)", detail: "\(Int((until / step).rounded(.up))) Heun–Cayley steps")
        let flow = try field(cost)
        let sol = try integrate(flow, stepper: CayleyStepper(.heunEuler, orthogonalBlocks: start.orthogonalBlocks), controller: ConstantStepSize(step),
                                from: 0, to: until, start: start.packed, saveAt: .times(grid))
        Progress.shared.end()
        guard sol.status == .success else { throw CommandFailure(.stopped, "the flow stopped early: \(sol.status)") }
        let states = try sol.states.map { try AdaptedParameters(packed: $0, width: data.width, layers: start.layerCount) }
        var out = try ExperimentOutput(directory: directory)

        // Along the run: cost, squared speed |β'|² + ‖Ω‖²_F (= −dC/ds, (3.24–3.26)), orthogonality, separation,
        // and per layer ℓ (paired with cluster ℓ) the number of points of cluster ℓ that τ^{(ℓ)} truncates fully.
        var costs: [Double] = [], speeds: [Double] = [], defects: [Double] = [], separated: [Bool] = []
        var fully: [[Int]] = []
        var counts: [[[Int]]] = []  // [time][layer][coordinate]: n_r^{(ℓ)} of (3.40)
        let separation = ClusterSeparatedFlow(cost: cost)
        for (s, p) in zip(sol.times, states) {
            costs.append(try cost.value(p))
            let v = try flow.velocity(at: s, p.packed)
            speeds.append(speedSquared(v, p))
            defects.append(p.orthogonalityDefect)
            separated.append(paired ? try separation.clusterSeparationHolds(p) : false)
            let net = try p.network()
            if paired {
                var f: [Int] = [], c: [[Int]] = []
                for l in 0..<p.layerCount {
                    let cl = data.clusters[l]
                    var n = [Int](repeating: 0, count: data.width), full = 0
                    for i in 0..<cl.rows {
                        let z = l == 0 ? cl.row(i) : try net.truncate(cl.row(i), layers: 1...l)
                        let u = try net.affine(z, layer: l + 1)
                        for r in 0..<data.width where u[r] <= 0 { n[r] += 1 }
                        if u.allSatisfy({ $0 <= 0 }) { full += 1 }
                    }
                    f.append(full)
                    c.append(n)
                }
                fully.append(f)
                counts.append(c)
            }
        }
        var columns = ["s", "cost", "speed_squared", "orthogonality_defect"]
        if paired { columns += ["separated"] + (0..<start.layerCount).map { "fully_truncated_\($0 + 1)" } }
        var table = CSVTable(columns: columns)
        for k in 0..<sol.times.count {
            var row = [sol.times[k], costs[k], speeds[k], defects[k]]
            if paired { row += [separated[k] ? 1 : 0] + fully[k].map(Double.init) }
            try table.append(row)
        }
        try out.write(table, "trajectory.csv")
        let packed = try Matrix(rows: sol.times.count, cols: start.packed.count, rowMajor: sol.states.flatMap { $0 })
        try requireFinite(packed.elements, what: "the trajectory")
        try NpyFile.write(packed, to: "\(directory)/trajectory.npy")
        out.listFile("trajectory.npy")

        // Truncation times: the flow's (first saved time at which n_r^{(ℓ)} reaches n), and for the effective flow
        // the exact s_n of (4.49) for the frozen-R problem of §4.3 at R_ℓ(0).
        var times = CSVTable(columns: ["layer", "coordinate", "n", "s_flow", "s_fixed_rotation"])
        var firstFixed: [Double] = []
        if paired {
            for l in 0..<start.layerCount {
                let r = start.rotations[l]
                let rb = apply(r, start.shifts[l]), ry = apply(r, cost.pulledBackLabels[l])
                for c in 0..<data.width {
                    let xs = (0..<data.clusters[l].rows).map { apply(r, data.point(cluster: l, $0))[c] }
                    let exact = try OneDimensionalTruncation(points: xs, offset: -rb[c], target: ry[c])
                    var reached: [Int: Double] = [:]
                    for k in 0..<sol.times.count {
                        let n = counts[k][l][c]
                        for m in 1...Swift.max(1, n) where n >= m && reached[m] == nil { reached[m] = sol.times[k] }
                    }
                    for e in exact.events {
                        try times.append([Double(l + 1), Double(c + 1), Double(e.truncatedCount), reached[e.truncatedCount] ?? -1, e.time])
                    }
                    if let t = exact.events.first?.time { firstFixed.append(t) }
                }
            }
        }
        try out.write(times, "truncation_times.csv")

        // Plots: cost and speed; for Q = 2 the data 𝒯(x) at the start and the end.
        var plots: [SVGPlot] = []
        var pc = SVGPlot(title: "Euclidean cost (2.26) and −dC/ds along the \(kind.rawValue) flow", xLabel: "flow time s", yLabel: "value", yScale: .log10)
        pc.add(try PlotSeries(name: "cost C", x: sol.times, y: costs.map { Swift.max($0, 1e-300) }))
        pc.add(try PlotSeries(name: "|β'|² + ‖Ω‖²", x: sol.times, y: speeds.map { Swift.max($0, 1e-300) }, line: .dashed))
        plots.append(pc)
        if data.width == 2 {
            for (label, p) in [("s = 0", states.first!), (String(format: "s = %g", until), states.last!)] {
                let net = try p.network()
                var plot = SVGPlot(title: "𝒯(x) in input space, \(label)", xLabel: "x₁", yLabel: "x₂", width: 420, height: 380)
                for (j, cl) in data.clusters.enumerated() {
                    let t = try (0..<cl.rows).map { try net.truncate(cl.row($0), layers: 1...p.layerCount) }
                    var ser = try PlotSeries(name: "cluster \(j + 1)", x: t.map { $0[0] }, y: t.map { $0[1] }, color: PlotSeries.palette[j % 7], line: .none, marker: .circle)
                    ser.markerEvery = 1
                    plot.add(ser)
                }
                let yt = cost.pulledBackLabels
                plot.add(try PlotSeries(name: "labels ỹ", x: yt.map { $0[0] }, y: yt.map { $0[1] }, color: "#000000", line: .none, marker: .cross))
                plots.append(plot)
            }
        }
        try out.write(try SVGFigure(plots: plots, columns: Swift.min(3, plots.count)), "trajectory.svg")

        // Headlines.
        let rise = zip(costs, costs.dropFirst()).map { ($1 - $0) / Swift.max($0, 1e-300) }.max() ?? 0
        var dissipated = 0.0
        for k in 1..<sol.times.count { dissipated += 0.5 * (sol.times[k] - sol.times[k - 1]) * (speeds[k] + speeds[k - 1]) }
        let drop = costs.first! - costs.last!
        let energyMismatch = Swift.abs(drop - dissipated) / Swift.max(Swift.abs(drop), 1e-12 * Swift.max(costs.first!, 1e-300))
        let worstDefect = defects.max() ?? 0
        print("TangentFlow truncation \(kind.rawValue): \(kind == .effective ? "effective flow, Thm 3.2 / Cor. 3.5 (corrected Ω)" : "general flow, Thm 5.1")")
        print("Q = \(data.width), \(data.clusters.count) clusters (N = \(data.totalCount)), L = \(start.layerCount) layers; Heun–Cayley h = \(step), s ∈ [0, \(until)]")
        print(String(format: "  cost %.6e → %.6e; largest relative rise between saved times %.2e", costs.first!, costs.last!, rise))
        print(String(format: "  C(0) − C(S) = %.6e vs ∫(|β'|² + ‖Ω‖²) ds = %.6e (relative mismatch %.2e)", drop, dissipated, energyMismatch))
        print(String(format: "  max ‖RᵀR − I‖_F = %.2e", worstDefect))
        if paired {
            print("  fully truncated (cluster ℓ by layer ℓ) at the end: \(fully.last!.map(String.init).joined(separator: ", ")) of \(data.counts.map(String.init).joined(separator: ", "))")
            print("  cluster separation held at every saved time: \(separated.allSatisfy { $0 } ? "yes" : "no")")
        }
        report.record("initial_cost", costs.first!)
        report.record("final_cost", costs.last!)
        report.record("max_relative_cost_rise", rise)
        report.record("energy_identity_mismatch", energyMismatch)
        report.record("max_orthogonality_defect", worstDefect)
        if paired {
            report.record("fully_truncated_at_end", fully.last!)
            report.record("cluster_separation_held", separated.allSatisfy { $0 })
        }
        var claims = [
            DemoClaim(name: "cost_monotone", value: rise, relation: .atMost, bound: 1e-12,
                      statement: "the cost does not increase along the flow (3.24)"),
            DemoClaim(name: "energy_identity", value: energyMismatch, relation: .atMost, bound: 0.05,
                      statement: "C(0) − C(S) = ∫(|β'|² + ‖Ω‖²_F) ds (3.24–3.26), trapezoid on the saved times"),
            DemoClaim(name: "rotations_orthogonal", value: worstDefect, relation: .atMost, bound: 1e-10,
                      statement: "R_ℓ stays on O(Q) under the Heun–Cayley stepper"),
        ]
        if kind == .effective {
            claims.append(DemoClaim(name: "separation_held", value: separated.allSatisfy { $0 } ? 1 : 0, relation: .atLeast, bound: 1,
                                    statement: "the truncations stayed cluster separated (Def. 3.1), where Thm 3.2 applies"))
        }
        report.record(claims: claims)
        try out.write(json: .object([
            ("command", .string("truncation \(kind.rawValue)")), ("width", .int(data.width)), ("clusters", .int(data.clusters.count)),
            ("layers", .int(start.layerCount)), ("until", .number(until)), ("step", .number(step)),
            ("initial_cost", .number(costs.first!)), ("final_cost", .number(costs.last!)), ("energy_identity_mismatch", .number(energyMismatch)),
            ("first_truncation_times_fixed_rotation", firstFixed.json), ("claims", claims.json),
        ]), "summary.json")
        out.printFiles(since: t0)
    }

    /// `Σ_ℓ |β_ℓ'|² + ‖Ω_ℓ‖²_F` from the packed velocity (`R' = ΩR`, so `‖R'‖_F = ‖Ω‖_F`).
    func speedSquared(_ v: [Double], _ p: AdaptedParameters) -> Double {
        v.reduce(0) { $0 + $1 * $1 }
    }

    func apply(_ m: Matrix, _ x: [Double]) -> [Double] { (0..<m.rows).map { i in (0..<m.cols).reduce(0) { $0 + m[i, $1] * x[$1] } } }
}
