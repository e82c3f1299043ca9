import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowTruncation

/// The initial-data constructions of §8 (8.1) and §9 (9.1–9.2), and the claims that a full network started there
/// reduces to the small flows: (8.2)/(8.6–8.7) with constant cumulative weights (8.4), and (9.3)/(9.7) with constant
/// cumulative parameters (9.6) (to rounding: 1e-13). "Full network" = the gradient flow of the gauge-fixed standard cost (1.7) in every
/// parameter (`GaugeFixedStandardFlow`), whose gradient is itself checked against finite differences here.
struct TruncationInitialDataTests {
    /// (1.7) equals the real network's cost (2.22) in the gauge `β^{(L+1)} = 0` (`W_{L+1} = W^{(L+1)}(W^{(L)})⁻¹`,
    /// `b_{L+1} = −W^{(L+1)}β^{(L)}`), for general invertible cumulative weights; and its gradient in every parameter
    /// matches central finite differences (`Tolerance.finiteDifference` as in `TruncationCostTests`).
    @Test func gaugeFixedCostIsTheNetworkCostAndItsGradientIsTrue() throws {
        let q = 3
        let data = TruncationFixtures.randomData(q: q, clusters: 3, perCluster: 5, seed: 31)
        let ws = (0..<2).map { TruncationFixtures.generalWeight(q, seed: 40 + UInt64($0)) }
        var rng = SeededGenerator(seed: 33)
        let bs = (0..<2).map { _ in (0..<q).map { _ in 0.5 * rng.nextGaussian() } }
        let net = try TruncationNetwork(cumulativeWeights: ws, shifts: bs)
        let wOut = TruncationFixtures.generalWeight(q, seed: 50)
        let cost = GaugeFixedStandardCost(data: data)
        let c = try cost.value(net, outputWeight: wOut)
        let wLayer = TruncationAlgebra.multiply(wOut, try TruncationAlgebra.inverse(ws[1], operation: "test", argument: "W"))
        let bLayer = TruncationAlgebra.apply(wOut, bs[1]).map { -$0 }
        let real = try StandardCost(data: data).value(net, outputWeight: wLayer, outputBias: bLayer)
        #expect(Swift.abs(c - real) <= 1e-13 * Swift.max(1, c), "(1.7) \(c) vs network \(real)")
        let beta = try net.outputShift(outputWeight: wLayer, outputBias: bLayer).shift
        #expect(beta.allSatisfy { Swift.abs($0) <= 1e-13 }, "β^{(L+1)} = \(beta)")

        let flow = try GaugeFixedStandardFlow(cost: cost, layers: 2)
        let y = try flow.pack(net, outputWeight: wOut)
        let v = try flow.velocity(at: 0, y)
        let fd = try (0..<y.count).map { k in
            try TruncationFixtures.central(1e-6) { e in
                var y2 = y
                y2[k] += e
                let (n2, w2) = try flow.unpack(y2)
                return try cost.value(n2, outputWeight: w2)
            }
        }
        TruncationCostTests.fdCheck(v.map { -$0 }, fd, "gauge-fixed (1.7)")
    }

    /// (8.1): the construction collapses cluster `ℓ` to `−β^{(ℓ)}` and no other; started there with `W^{(Q+1)}(0)`,
    /// the full flow's `(B, W^{(Q+1)})` equals the flow (8.6–8.7) of `½‖WB + Y‖²` (8.2) — both by dopri5 at
    /// rtol 1e-11, so they agree to ~1e-9 — while `W^{(ℓ)}` does not move (8.4: its gradient vanishes; rounding ≤ 1e-13).
    /// The comparison runs while the regime (8.1) holds along the full flow (checked at every saved time).
    @Test(arguments: [2, 3])
    func collapsedStartReducesToTheSmallFlow(q: Int) throws {
        let data = try TruncationInitialData.simplexClusters(width: q, clusters: q, perCluster: 6, spread: 0.15, seed: 5)
        let net = try TruncationInitialData.collapsed(data: data)
        #expect(TruncationInitialData.collapsedHolds(data: data, network: net, margin: 0.1 * (1 - 1e-9)))  // the corner sits exactly 0.1 above
        for (l, cluster) in data.clusters.enumerated() {
            for i in 0..<cluster.rows {
                let t = try net.truncate(cluster.row(i), layers: 1...q)
                #expect(relativeError(t, net.shifts[l].map { -$0 }) <= 1e-14, "(8.1) cluster \(l + 1)")
            }
        }
        let w0 = TruncationAlgebra.scale(try Matrix.identity(q), 0.5)
        let full = try GaugeFixedStandardFlow(cost: GaugeFixedStandardCost(data: data), layers: q)
        let labels = try Matrix(rows: q, cols: q, columnMajor: data.labels.flatMap { $0 })
        let small = try CollapsedDataFlow(labels: labels)
        let b0 = try Matrix(rows: q, cols: q, columnMajor: net.shifts.flatMap { $0 })
        let sEnd = 1.5
        let ctl = try PIController(rtol: 1e-11, atol: 1e-11)
        let fullSol = try integrate(full, stepper: .dopri5, controller: ctl, from: 0, to: sEnd, start: try full.pack(net, outputWeight: w0),
                                    saveAt: .evenly(16, from: 0, to: sEnd))
        let smallSol = try integrate(small, stepper: .dopri5, controller: ctl, from: 0, to: sEnd, start: try small.pack(shifts: b0, weight: w0),
                                     saveAt: .evenly(16, from: 0, to: sEnd))
        #expect(fullSol.status == .success && smallSol.status == .success)
        var compared = 0
        for (k, s) in fullSol.times.enumerated() {
            let (n, w) = try full.unpack(fullSol.states[k])
            guard TruncationInitialData.collapsedHolds(data: data, network: n) else { break }
            compared += 1
            let (bs, ws) = try small.unpack(smallSol.states[k])
            let bFull = try Matrix(rows: q, cols: q, columnMajor: n.shifts.flatMap { $0 })
            #expect(relativeError(bFull, bs) <= 1e-8, "B at s = \(s)")
            #expect(relativeError(w, ws) <= 1e-8, "W^{(Q+1)} at s = \(s)")
            // (8.4): the gradient in W^{(ℓ)} is W⁻ᵀg(z + β − W⁻¹σ(W(z + β)))ᵀ on untruncated inputs: zero up to rounding.
            for l in 0..<q { #expect(relativeError(n.weights[l], net.weights[l]) <= 1e-13, "(8.4): W^{(\(l + 1))} moved at s = \(s)") }
            let c = try full.cost.value(n, outputWeight: w)
            #expect(Swift.abs(c - (try small.cost(smallSol.states[k]))) <= 1e-8 * Swift.max(1, c), "(8.2) at s = \(s)")
        }
        #expect(compared >= 8, "the regime (8.1) held only for \(compared) of 16 saved times")
        // The flow makes progress: the cost falls.
        #expect(try small.cost(smallSol.finalState) < 0.5 * (try small.cost(smallSol.states[0])))
    }

    /// (9.1–9.2): every point in every positive sector, so `𝒯(x) = x`; the full flow leaves every `W^{(ℓ)}`,
    /// `β^{(ℓ)}` where they are (9.6, to rounding), and `W^{(Q+1)}(s)` is the closed form (9.10) of the regression (9.7)
    /// in the `1/N_j` weights of (2.22) (dopri5 rtol 1e-11 against the matrix exponential: ≲ 1e-8).
    @Test func positiveSectorStartReducesToTheRegression() throws {
        let q = 3
        let data = try TruncationInitialData.simplexClusters(width: q, clusters: q, perCluster: 5, spread: 0.3, seed: 9)
        let rs = (0..<2).map { TruncationFixtures.orthogonal(q, seed: 60 + UInt64($0)) }
        let net = try TruncationInitialData.positiveSector(data: data, rotations: rs)
        #expect(TruncationInitialData.positiveSectorHolds(data: data, network: net, margin: 0.1 - 1e-12))
        for cluster in data.clusters {
            for i in 0..<cluster.rows { #expect(relativeError(try net.truncate(cluster.row(i), layers: 1...2), cluster.row(i)) <= 1e-14) }
        }
        let w0 = TruncationStandardCostFlowTests.random(q, seed: 70, scale: 0.5)
        let full = try GaugeFixedStandardFlow(cost: GaugeFixedStandardCost(data: data), layers: 2)
        let reg = try ClusteredOutputFlow(data: data, normalization: .perCluster)
        let sol = try integrate(full, stepper: .dopri5, controller: PIController(rtol: 1e-11, atol: 1e-11), from: 0, to: 3,
                                start: try full.pack(net, outputWeight: w0), saveAt: .evenly(7, from: 0, to: 3))
        #expect(sol.status == .success)
        for (s, y) in zip(sol.times, sol.states) {
            let (n, w) = try full.unpack(y)
            for l in 0..<2 {
                #expect(relativeError(n.weights[l], net.weights[l]) <= 1e-13 && relativeError(n.shifts[l], net.shifts[l]) <= 1e-13, "(9.6) at s = \(s)")
            }
            #expect(relativeError(w, try reg.closedForm(start: w0, at: s)) <= 1e-8, "(9.10) at s = \(s)")
        }
    }

    /// Geometry that admits no (8.1) start is refused with a typed error naming the cluster; so are a wrong number
    /// of clusters and a bad margin.
    @Test func constructionsRefuseWhatTheyCannotBuild() throws {
        // Three clusters on a line in R³: the middle one sees the others in opposite directions.
        let line = TruncationFixtures.clusters(centres: [[0, 0, 0], [3, 3, 3], [6, 6, 6]], labels: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
                                               perCluster: 4, spread: 0.1, seed: 3)
        let e = #expect(throws: TangentFlowError.self) { _ = try TruncationInitialData.collapsed(data: line) }
        if case let .invalidArgument(_, reason)? = e {
            #expect(reason.contains("cluster 2"), "\(reason)")
        } else {
            Issue.record("expected .invalidArgument, got \(String(describing: e))")
        }
        let two = try TruncationInitialData.simplexClusters(width: 3, clusters: 2, perCluster: 3, spread: 0.1, seed: 1)
        #expect(throws: TangentFlowError.self) { try TruncationInitialData.collapsed(data: two) }
        #expect(throws: TangentFlowError.self) { try TruncationInitialData.positiveSector(data: two, margin: 0) }
        #expect(throws: TangentFlowError.self) { try TruncationInitialData.simplexClusters(width: 2, clusters: 3, perCluster: 3, spread: 0.1, seed: 1) }
    }
}
