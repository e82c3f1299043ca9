import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowTruncation

/// Gradients of both costs (2.26, 2.22) and the `Ω` of Thm 3.2 / Thm 5.1 against central finite differences.
///
/// Tolerance: the costs are piecewise smooth (kinks only where a point crosses a sector boundary, which these
/// seeded random points do not do within `h`); central differences with `h = 1e-6` carry truncation error
/// `h²·|C'''| ≲ 1e-11` and rounding `ε·|C|/h ≲ 1e-9`, so `Tolerance.finiteDifference = 1e-7` relative
/// (to the gradient's norm) leaves two orders of margin while any real slip (a sign, a factor 2, a dropped term) is O(1).
struct TruncationCostTests {
    static func fdCheck(_ got: [Double], _ fd: [Double], _ what: String) {
        let scale = Swift.max(1, fd.map(Swift.abs).max() ?? 0)
        let err = zip(got, fd).map { Swift.abs($0 - $1) }.max() ?? 0
        #expect(err <= Tolerance.finiteDifference * scale, "\(what): expected \(fd), got \(got), error \(err), tolerance \(Tolerance.finiteDifference * scale)")
    }

    /// Euclidean cost, general invertible cumulative weights: `∂C/∂W^{(ℓ)}`, `∂C/∂β^{(ℓ)}` vs central differences.
    @Test(arguments: [2, 3])
    func euclideanGradientGeneralWeights(q: Int) throws {
        let data = TruncationFixtures.randomData(q: q, clusters: 3, perCluster: 7, seed: UInt64(q))
        let cost = try EuclideanInputCost(data: data, outputWeight: TruncationFixtures.generalWeight(q, seed: 77))
        var rng = SeededGenerator(seed: 5)
        let ws = (0..<3).map { TruncationFixtures.generalWeight(q, seed: 30 &+ UInt64($0)) }
        let bs = (0..<3).map { _ in (0..<q).map { _ in 0.5 * rng.nextGaussian() } }
        let net = try TruncationNetwork(cumulativeWeights: ws, shifts: bs)
        let g = try cost.gradient(net)
        let h = 1e-6
        for l in 0..<3 {
            let fdB = try (0..<q).map { r in
                try TruncationFixtures.central(h) { e in
                    var b2 = bs
                    b2[l][r] += e
                    return try cost.value(TruncationNetwork(cumulativeWeights: ws, shifts: b2))
                }
            }
            Self.fdCheck(g.shifts[l], fdB, "∂C/∂β^{(\(l + 1))}")
            let fdW = try (0..<(q * q)).map { k in
                try TruncationFixtures.central(h) { e in
                    var w2 = ws
                    w2[l].elements[k] += e
                    return try cost.value(TruncationNetwork(cumulativeWeights: w2, shifts: bs))
                }
            }
            Self.fdCheck(g.weights[l].elements, fdW, "∂C/∂W^{(\(l + 1))}")
        }
    }

    /// Standard cost (2.22): every parameter vs central differences, and the pullback-metric form with the
    /// restored offset `β^{(L)}` equals it (the printed form without the offset does not).
    @Test func standardCostGradientAndPullbackForm() throws {
        let q = 3
        let data = TruncationFixtures.randomData(q: q, clusters: 2, perCluster: 6, seed: 21)
        let cost = StandardCost(data: data)
        var rng = SeededGenerator(seed: 6)
        let ws = (0..<2).map { TruncationFixtures.generalWeight(q, seed: 40 &+ UInt64($0)) }
        let bs = (0..<2).map { _ in (0..<q).map { _ in 0.5 * rng.nextGaussian() } }
        let wOut = TruncationFixtures.generalWeight(q, seed: 50)
        let bOut = (0..<q).map { _ in rng.nextGaussian() }
        let net = try TruncationNetwork(cumulativeWeights: ws, shifts: bs)
        let g = try cost.gradient(net, outputWeight: wOut, outputBias: bOut)
        let c0 = try cost.value(net, outputWeight: wOut, outputBias: bOut)
        #expect(Swift.abs(try cost.valueInPullbackMetric(net, outputWeight: wOut, outputBias: bOut) - c0) <= 1e-12 * c0)
        let h = 1e-6
        func value(_ ws: [Matrix], _ bs: [[Double]], _ wo: Matrix, _ bo: [Double]) throws -> Double {
            try cost.value(TruncationNetwork(cumulativeWeights: ws, shifts: bs), outputWeight: wo, outputBias: bo)
        }
        for l in 0..<2 {
            Self.fdCheck(g.shifts[l], try (0..<q).map { r in
                try TruncationFixtures.central(h) { e in
                    var b2 = bs
                    b2[l][r] += e
                    return try value(ws, b2, wOut, bOut)
                }
            }, "∂C̃/∂β^{(\(l + 1))}")
            Self.fdCheck(g.weights[l].elements, try (0..<(q * q)).map { k in
                try TruncationFixtures.central(h) { e in
                    var w2 = ws
                    w2[l].elements[k] += e
                    return try value(w2, bs, wOut, bOut)
                }
            }, "∂C̃/∂W^{(\(l + 1))}")
        }
        Self.fdCheck(g.outputWeight.elements, try (0..<(q * q)).map { k in
            try TruncationFixtures.central(h) { e in
                var w2 = wOut
                w2.elements[k] += e
                return try value(ws, bs, w2, bOut)
            }
        }, "∂C̃/∂W_{L+1}")
        Self.fdCheck(g.outputBias, try (0..<q).map { r in
            try TruncationFixtures.central(h) { e in
                var b2 = bOut
                b2[r] += e
                return try value(ws, bs, wOut, b2)
            }
        }, "∂C̃/∂b_{L+1}")
    }

    /// Thm 5.1 on adapted parameters: `∂C/∂β` and `Ω̃_ℓ` vs finite differences along `exp(εA)R_ℓ`; `Ω̃` also equals
    /// `−π₋((∂_WC)Rᵀ)` from the general-weight gradient, and `∂C/∂β` the explicit `−Σ(P⁻)ᵀ(𝒯 − ỹ)` of (7.14).
    @Test(arguments: [2, 3])
    func generalFlowGradient(q: Int) throws {
        let data = TruncationFixtures.randomData(q: q, clusters: 3, perCluster: 8, seed: 100 &+ UInt64(q))
        let cost = try EuclideanInputCost(data: data)
        let p = TruncationFixtures.randomAdapted(q: q, layers: 3, seed: 7)
        let g = try cost.adaptedGradient(p)
        let general = try cost.gradient(p.network())
        let net = try p.network()
        for l in 0..<3 {
            Self.fdCheck(g.shifts[l], try TruncationFixtures.shiftGradientByFiniteDifferences(p, layer: l) { try cost.value($0) }, "∂C/∂β^{(\(l + 1))}")
            let fdOmega = try TruncationFixtures.omegaByFiniteDifferences(p, layer: l) { try cost.value($0) }
            Self.fdCheck(g.omegas[l].elements, fdOmega.elements, "Ω̃_\(l + 1)")
            let viaW = TruncationAlgebra.scale(TruncationAlgebra.antisymmetricPart(TruncationAlgebra.multiply(general.weights[l], p.rotations[l], transposeB: true)), -1)
            #expect(relativeError(g.omegas[l], viaW) <= 1e-12, "Ω̃ vs −π₋(∂_WC Rᵀ), layer \(l + 1)")
            // (7.14) with the products of Lemma 7.1.
            var explicit = [Double](repeating: 0, count: q)
            for (j, cluster) in data.clusters.enumerated() {
                for i in 0..<cluster.rows {
                    let x = cluster.row(i)
                    let minus = try net.truncationProducts(x, layers: 1...3).minus[l]
                    let e = zip(try net.truncate(x, layers: 1...3), cost.pulledBackLabels[j]).map { $0 - $1 }
                    let t = TruncationAlgebra.applyTransposed(minus, e)
                    for r in 0..<q { explicit[r] -= t[r] / Double(cluster.rows) }
                }
            }
            #expect(relativeError(g.shifts[l], explicit) <= 1e-12, "∂C/∂β by (7.14), layer \(l + 1)")
        }
    }

    /// A cluster-separated configuration (two clusters far apart in R², L = 2, cluster ℓ partially truncated by
    /// τ^{(ℓ)} only): the moment formula of Cor. 3.5 (corrected Ω, `J₀^⊥`) equals the finite differences, the
    /// general Thm 5.1 gradient, and — pinned — the printed (3.38) does not.
    static func separatedProblem() throws -> (EuclideanInputCost, AdaptedParameters) {
        let data = TruncationFixtures.clusters(centres: [[0, 0], [6, 6]], labels: [[2, 2.5], [4.5, 4]], perCluster: 12, spread: 0.5, seed: 9)
        let cost = try EuclideanInputCost(data: data, outputWeight: try Matrix([[1.5, 0.2], [-0.1, 0.8]]))
        // Labels map to ỹ = W⁻¹y; R_1 a small rotation (normal orientation), R_2 = rotation by π + 0.2 (truncates
        // from above). β chosen so the thresholds cut through their own cluster.
        let r1 = TruncationFixtures.rotation(0.25), r2 = TruncationFixtures.rotation(Double.pi + 0.2)
        let b1 = zip(TruncationAlgebra.applyTransposed(r1, [0.1, -0.15]), [0.0, 0.0]).map { $0 - $1 }
        let u2 = TruncationAlgebra.applyTransposed(r2, [0.2, -0.1])
        let b2 = zip(u2, [6.0, 6.0]).map { $0 - $1 }
        return (cost, try AdaptedParameters(rotations: [r1, r2], shifts: [b1, b2]))
    }

    @Test func clusterSeparatedOmegaMatchesTheTrueGradient() throws {
        let (cost, p) = try Self.separatedProblem()
        let flow = ClusterSeparatedFlow(cost: cost)
        #expect(try flow.clusterSeparationHolds(p))
        let eff = try flow.effectiveVelocity(p)
        let g = try cost.adaptedGradient(p)
        var printedError = 0.0
        for l in 0..<2 {
            #expect(try ClusterMoments(points: cost.data.clusters[l], rotation: p.rotations[l], shift: p.shifts[l]).sectors.count >= 2,
                    "cluster \(l + 1) should straddle a sector boundary (else Ω = 0 trivially)")
            let fdOmega = try TruncationFixtures.omegaByFiniteDifferences(p, layer: l) { try cost.value($0) }
            #expect(fdOmega.frobeniusNorm > 1e-3)
            Self.fdCheck(eff.omegas[l].elements, fdOmega.elements, "Ω_\(l + 1) (Cor. 3.5, corrected)")
            Self.fdCheck(eff.shifts[l].map { -$0 }, try TruncationFixtures.shiftGradientByFiniteDifferences(p, layer: l) { try cost.value($0) }, "∂C/∂β^{(\(l + 1))} (3.36)")
            #expect(relativeError(eff.omegas[l], g.omegas[l]) <= 1e-12)
            #expect(relativeError(eff.shifts[l], g.shifts[l].map { -$0 }) <= 1e-12)
            // The printed (3.38): Σ_ν (ν_i − ν_j)((J_{1,ν})_i c_j + c_i(J_{1,ν})_j), no second moments, no ½.
            let m = try ClusterMoments(points: cost.data.clusters[l], rotation: p.rotations[l], shift: p.shifts[l])
            let c = TruncationAlgebra.apply(p.rotations[l], zip(p.shifts[l], cost.pulledBackLabels[l]).map(+))
            var printed = Matrix(zerosRows: 2, cols: 2)
            for s in m.sectors {
                for b in 0..<2 { for a in 0..<2 {
                    let dn = (s.pattern[a] ? 1.0 : 0) - (s.pattern[b] ? 1.0 : 0)
                    printed[a, b] += dn * (s.first[a] * c[b] + c[a] * s.first[b])
                } }
            }
            printedError = Swift.max(printedError, relativeError(printed, fdOmega))
        }
        #expect(printedError > 0.1, "the printed (3.38) should disagree with the true gradient")
    }

    /// Bad input for the costs: width mismatch, singular `W^{(L+1)}`, NaN.
    @Test func badInputThrows() throws {
        let data = TruncationFixtures.randomData(q: 2, clusters: 2, perCluster: 3, seed: 1)
        #expect(throws: TangentFlowError.self) { try EuclideanInputCost(data: data, outputWeight: try Matrix([[1, 1], [1, 1]])) }
        #expect(throws: TangentFlowError.self) { try EuclideanInputCost(data: data, outputWeight: try Matrix.identity(3)) }
        let cost = try EuclideanInputCost(data: data)
        let wide = try TruncationFixtures.randomAdapted(q: 3, layers: 2, seed: 1).network()
        #expect(throws: TangentFlowError.self) { try cost.value(wide) }
        let net = try TruncationFixtures.randomAdapted(q: 2, layers: 2, seed: 1).network()
        #expect(throws: TangentFlowError.self) { try StandardCost(data: data).value(net, outputWeight: try Matrix.identity(2), outputBias: [.nan, 0]) }
        #expect(throws: TangentFlowError.self) { try StandardCost(data: data).gradient(net, outputWeight: try Matrix.identity(3), outputBias: [0, 0]) }
        #expect(throws: TangentFlowError.self) { try ClusterSeparatedFlow(cost: cost).effectiveVelocity(TruncationFixtures.randomAdapted(q: 2, layers: 3, seed: 1)) }
    }
}
