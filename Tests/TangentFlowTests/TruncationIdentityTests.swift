import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowTruncation

/// Results of file 003 that are identities or bounds rather than flows: the cost decomposition (3.6)/(3.7), the
/// gauge freedom (2.25), the integration domain (5.8)–(5.10), the output shift β^{(L+1)} (1.4), the bound (4.30).
struct TruncationIdentityTests {
    /// (3.6)/(3.7): under cluster-separated truncations the cost is the sum over clusters of the spread of
    /// `τ^{(ℓ)}(X_ℓ)` and the squared distance of its mean to `ỹ_ℓ` (rounding: a few hundred terms, 1e-13 relative).
    /// Without separation the other layers also act on cluster `ℓ` and the same sum misses the cost.
    @Test func costDecompositionNeedsSeparation() throws {
        let (cost, p) = try TruncationCostTests.separatedProblem()
        #expect(try ClusterSeparatedFlow(cost: cost).clusterSeparationHolds(p))
        let terms = try cost.clusterDecomposition(p)
        let sum = terms.reduce(0) { $0 + $1.spread + $1.meanOffset }
        let c = try cost.value(p)
        #expect(Swift.abs(sum - c) <= 1e-13 * c, "(3.7) \(sum) vs C \(c)")
        #expect(terms.allSatisfy { $0.spread > 0 && $0.meanOffset > 0 })
        // Not separated: random rotations and shifts near the data.
        let data = TruncationFixtures.randomData(q: 2, clusters: 2, perCluster: 20, seed: 3)
        let other = try EuclideanInputCost(data: data)
        let r = TruncationFixtures.randomAdapted(q: 2, layers: 2, shiftScale: 0.3, seed: 4)
        #expect(!(try ClusterSeparatedFlow(cost: other).clusterSeparationHolds(r)))
        let s2 = try other.clusterDecomposition(r).reduce(0) { $0 + $1.spread + $1.meanOffset }
        #expect(Swift.abs(s2 - (try other.value(r))) >= 1e-3, "the decomposition should fail without separation")
    }

    /// (2.25): the standard cost (2.22) of the ReLU network is unchanged by `W^{(L)} → DW^{(L)}`,
    /// `W_{L+1} → W_{L+1}D⁻¹` for a positive diagonal `D` (ReLU is positively homogeneous; rounding 1e-13), and its
    /// gradient is orthogonal to that orbit: `⟨∂C/∂W^{(L)}, KW^{(L)}⟩ − ⟨∂C/∂W_{L+1}, W_{L+1}K⟩ = 0` for diagonal
    /// `K` (relative to the gradient's size, 1e-12). For a general `A ∈ GL(Q)` only the pullback metric tensor
    /// `(W^{(L+1)})ᵀW^{(L+1)}` is unchanged: once layer `L` truncates a point the cost changes (here by ≥ 1e-3).
    @Test func gaugeFreedom() throws {
        let q = 3
        let data = TruncationFixtures.randomData(q: q, clusters: 3, perCluster: 6, seed: 12)
        let ws = (0..<2).map { TruncationFixtures.generalWeight(q, seed: 80 + UInt64($0)) }
        var rng = SeededGenerator(seed: 13)
        let bs = (0..<2).map { _ in (0..<q).map { _ in 0.4 * rng.nextGaussian() } }
        let net = try TruncationNetwork(cumulativeWeights: ws, shifts: bs)
        let wOut = TruncationFixtures.generalWeight(q, seed: 90)
        let bOut = [0.1, -0.2, 0.3]
        let cost = StandardCost(data: data)
        let c0 = try cost.value(net, outputWeight: wOut, outputBias: bOut)
        func gauged(_ a: Matrix) throws -> (TruncationNetwork, Matrix) {
            let ainv = try TruncationAlgebra.inverse(a, operation: "test", argument: "A")
            return (try TruncationNetwork(cumulativeWeights: [ws[0], TruncationAlgebra.multiply(a, ws[1])], shifts: bs),
                    TruncationAlgebra.multiply(wOut, ainv))
        }
        let d = try Matrix([[2.0, 0, 0], [0, 0.5, 0], [0, 0, 1.7]])
        let (nd, wd) = try gauged(d)
        #expect(Swift.abs(try cost.value(nd, outputWeight: wd, outputBias: bOut) - c0) <= 1e-13 * c0)
        let g = try cost.gradient(net, outputWeight: wOut, outputBias: bOut)
        let scale = g.weights[1].frobeniusNorm * ws[1].frobeniusNorm + g.outputWeight.frobeniusNorm * wOut.frobeniusNorm
        for r in 0..<q {
            var k = Matrix(zerosRows: q, cols: q)
            k[r, r] = 1
            let inner = TruncationAlgebra.dot(g.weights[1].elements, TruncationAlgebra.multiply(k, ws[1]).elements)
                - TruncationAlgebra.dot(g.outputWeight.elements, TruncationAlgebra.multiply(wOut, k).elements)
            #expect(Swift.abs(inner) <= 1e-12 * scale, "orbit direction \(r): \(inner)")
        }
        let a = TruncationFixtures.generalWeight(q, seed: 91)
        let (na, wa) = try gauged(a)
        let metric0 = TruncationAlgebra.multiply(wOut, ws[1]), metricA = TruncationAlgebra.multiply(wa, na.weights[1])
        #expect(relativeError(metricA, metric0) <= 1e-13, "W^{(L+1)} is gauge invariant")
        let truncates = try data.clusters.contains { c in try (0..<c.rows).contains { try net.classify(net.truncate(c.row($0), layer: 1), layer: 2) != .untruncated } }
        #expect(truncates)
        #expect(Swift.abs(try cost.value(na, outputWeight: wa, outputBias: bOut) - c0) >= 1e-3 * c0, "a general A changes the network")
    }

    /// (5.8)–(5.10): wherever `P⁻_{ℓ',L}(x) ≠ 0`, `x` is in the set (5.10) (layer ℓ' truncates a coordinate of its
    /// input, no later layer truncates all of its input) — over 400 random points of random 3-layer networks, for
    /// every ℓ'. The printed (5.9), which asks the later inputs to be untruncated, misses some of those points.
    @Test(arguments: [2, 3])
    func integrationDomain(q: Int) throws {
        var missedByPrinted = 0, nonzero = 0
        for seed in UInt64(1)...4 {
            let p = TruncationFixtures.randomAdapted(q: q, layers: 3, shiftScale: 0.6, seed: 100 + seed)
            let net = try p.network()
            var rng = SeededGenerator(seed: 200 + seed)
            for _ in 0..<100 {
                let x = (0..<q).map { _ in rng.nextGaussian() }
                let minus = try net.truncationProducts(x, layers: 1...3).minus
                for l in 1...3 where minus[l - 1].maxAbs > 1e-14 {
                    nonzero += 1
                    #expect(try net.shiftGradientDomainContains(x, layer: l), "(5.10) misses x = \(x), ℓ' = \(l)")
                    if !(try net.printedIntersectionDomainContains(x, layer: l)) { missedByPrinted += 1 }
                }
                // Outside (5.10) the ℓ'-th term vanishes.
                for l in 1...3 where !(try net.shiftGradientDomainContains(x, layer: l)) {
                    #expect(minus[l - 1].maxAbs == 0)
                }
            }
        }
        #expect(nonzero >= 100)
        #expect(missedByPrinted > 0, "the printed (5.9) should miss points with P⁻ ≠ 0")
    }

    /// β^{(L+1)} by (1.3) continued to the output layer: `x^{(L+1)} = W^{(L+1)}(𝒯(x) + β^{(L+1)})` equals the forward
    /// pass `W_{L+1}x^{(L)} + b_{L+1}` (rounding, 1e-12); the printed (1.4) `β^{(L+1)} = (W_{L+1})⁻¹β^{(L)}` does not.
    @Test func outputShift() throws {
        let q = 3
        let (ws, bs) = TruncationNetworkTests.layers(q: q, count: 2, seed: 17)
        let net = try TruncationNetwork(layerWeights: ws, layerBiases: bs)
        let wOut = TruncationFixtures.generalWeight(q, seed: 18)
        let bOut = [0.3, -0.1, 0.2]
        let (w, beta) = try net.outputShift(outputWeight: wOut, outputBias: bOut)
        let printed = TruncationAlgebra.apply(try TruncationAlgebra.inverse(wOut, operation: "t", argument: "W"), net.shifts[1])
        var rng = SeededGenerator(seed: 19)
        var printedWorst = 0.0
        for _ in 0..<20 {
            let x = (0..<q).map { _ in rng.nextGaussian() }
            let z = try net.truncate(x, layers: 1...2)
            let viaShift = TruncationAlgebra.apply(w, (0..<q).map { z[$0] + beta[$0] })
            // The plain forward pass through the hidden layers, then the linear output layer (2.4).
            let hidden = TruncationNetworkTests.forward(ws, bs, x).last!
            let out = zip(TruncationAlgebra.apply(wOut, hidden), bOut).map { $0 + $1 }
            #expect(relativeError(viaShift, out) <= 1e-12)
            #expect(relativeError(try net.output(x, outputWeight: wOut, outputBias: bOut), out) <= 1e-13)
            let viaPrinted = TruncationAlgebra.apply(w, (0..<q).map { z[$0] + printed[$0] })
            printedWorst = Swift.max(printedWorst, relativeError(viaPrinted, out))
        }
        #expect(printedWorst >= 0.05, "the printed (1.4) should miss: \(printedWorst)")
    }

    /// (4.30) on the run of Prop. 4.2 in `TruncationFlowTests.collapseInFiniteTimeThenRateOne`: with `η₀`, `η₁`
    /// measured along the run up to the collapse and `γ` the largest radius of (4.16–4.17) over the rotations seen,
    /// the collapse time `s₁` (first saved step with the cluster in `R^Q_−`, h = 2e-3) is at most
    /// `log(1/γ)/(1 − η₀ − η₁')`.
    @Test func collapseTimeBound() throws {
        let data = TruncationFixtures.clusters(centres: [[0, 0]], labels: [[3, 3]], perCluster: 40, spread: 0.3, seed: 8)
        let cost = try EuclideanInputCost(data: data)
        let r = TruncationFixtures.rotation(0.3)
        let p = try AdaptedParameters(rotations: [r], shifts: [TruncationAlgebra.applyTransposed(r, [-0.5, -0.55])])
        let sol = try TruncationFlowTests.run(ClusterSeparatedFlow(cost: cost), p, to: 3, h: 2e-3)
        let states = try sol.states.map { try TruncationFlowTests.params($0, like: p) }
        let full = try states.map { try ClusterMoments(points: data.clusters[0], rotation: $0.rotations[0], shift: $0.shifts[0]).truncatedFractions == [1, 1] }
        let k1 = try #require(full.firstIndex(of: true))
        let yt = cost.pulledBackLabels[0]
        let b0 = hypot(p.shifts[0][0] + yt[0], p.shifts[0][1] + yt[1])
        var eta0 = 0.0, eta1 = 0.0, gamma = Double.infinity
        for q in states[...k1] {
            let m = try ClusterMoments(points: data.clusters[0], rotation: q.rotations[0], shift: q.shifts[0])
            eta0 = Swift.max(eta0, 1 - m.truncatedFractions.min()!)
            eta1 = Swift.max(eta1, TruncationFlowTests.offDiagonalFirstMoment(data.clusters[0], q))
            gamma = Swift.min(gamma, try CollapseTimeBound.gamma(cluster: data.clusters[0], rotation: q.rotations[0], label: yt, initialResidual: b0))
        }
        let bound = try #require(CollapseTimeBound.bound(eta0: eta0, eta1Prime: 1.1 * b0 * eta1, gamma: gamma))
        #expect(sol.times[k1] <= bound, "s₁ = \(sol.times[k1]) > (4.30) bound \(bound)")
        #expect(bound < 20 * sol.times[k1], "the bound should be informative: \(bound) vs s₁ = \(sol.times[k1])")
        #expect(CollapseTimeBound.bound(eta0: 0.5, eta1Prime: 0.6, gamma: 0.5) == nil)
        #expect(CollapseTimeBound.bound(eta0: 0.01, eta1Prime: 0.01, gamma: 1.5) == nil)
    }
}
