import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowTruncation

/// Cumulative parameters (1.3), truncation maps (1.6), sectors (Def. 2.1), adapted weights (Def. 2.2), Lemma 7.1.
struct TruncationNetworkTests {
    /// Plain ReLU forward pass `x ↦ σ(W_ℓx + b_ℓ)` (1.1): the independent route.
    static func forward(_ ws: [Matrix], _ bs: [[Double]], _ x: [Double]) -> [[Double]] {
        var h = x
        var out: [[Double]] = []
        for (w, b) in zip(ws, bs) {
            let u = TruncationAlgebra.apply(w, h)
            h = (0..<u.count).map { Swift.max(u[$0] + b[$0], 0) }
            out.append(h)
        }
        return out
    }

    static func layers(q: Int, count: Int, seed: UInt64) -> ([Matrix], [[Double]]) {
        var rng = SeededGenerator(seed: seed)
        let ws = (0..<count).map { TruncationFixtures.generalWeight(q, seed: seed &+ UInt64($0)) }
        let bs = (0..<count).map { _ in (0..<q).map { _ in 0.5 * rng.nextGaussian() } }
        return (ws, bs)
    }

    /// `x^{(ℓ)} = W^{(ℓ)}(𝒯^{(ℓ)}(x) + β^{(ℓ)})`: the corrected (2.17) reproduces the forward pass; the printed
    /// (2.17) without the offset does not. Rounding: a few products of `Q×Q` matrices and inverses with κ ≲ 10.
    @Test(arguments: [2, 3, 4])
    func hiddenVectorsMatchTheForwardPass(q: Int) throws {
        let (ws, bs) = Self.layers(q: q, count: 3, seed: UInt64(q))
        let net = try TruncationNetwork(layerWeights: ws, layerBiases: bs)
        var rng = SeededGenerator(seed: 99)
        var printedMisses = 0.0
        for _ in 0..<20 {
            let x = (0..<q).map { _ in rng.nextGaussian() }
            let reference = Self.forward(ws, bs, x)
            let got = try net.hiddenVectors(x)
            for l in 0..<3 {
                #expect(relativeError(got[l], reference[l]) <= 1e-13 || zip(got[l], reference[l]).allSatisfy { Swift.abs($0 - $1) <= 1e-13 },
                        "layer \(l + 1): \(got[l]) vs \(reference[l])")
                let printed = TruncationAlgebra.apply(net.weights[l], try net.truncate(x, layers: 1...(l + 1)))
                printedMisses = Swift.max(printedMisses, zip(printed, reference[l]).map { Swift.abs($0 - $1) }.max()!)
            }
        }
        #expect(printedMisses > 1e-3, "the printed (2.17) should miss by the offset b^{(ℓ)}")
    }

    /// (1.3) round trip: layer parameters → cumulative → layer parameters, and β^{(ℓ)} = Σ_j (W^{(j)})⁻¹ b_j.
    @Test func cumulativeParametersRoundTrip() throws {
        let (ws, bs) = Self.layers(q: 3, count: 4, seed: 5)
        let net = try TruncationNetwork(layerWeights: ws, layerBiases: bs)
        let back = net.layerParameters
        for l in 0..<4 {
            #expect(relativeError(back.weights[l], ws[l]) <= 1e-13)
            #expect(relativeError(back.biases[l], bs[l]) <= 1e-12)
            // b^{(ℓ)} = W^{(ℓ)}β^{(ℓ)} equals the recursion W_ℓ b^{(ℓ−1)} + b_ℓ.
        }
        var bCum = bs[0]
        for l in 1..<4 {
            bCum = zip(TruncationAlgebra.apply(ws[l], bCum), bs[l]).map(+)
            #expect(relativeError(net.cumulativeBiases[l], bCum) <= 1e-13)
        }
    }

    /// (2.14)/(2.15): `τ` is the identity on `S^+` and maps `S^−` to `−β`; the classes of Def. 2.1.
    @Test func truncationMapOnSectors() throws {
        let r = TruncationFixtures.rotation(0.4)
        let beta = [0.3, -0.2]
        let net = try TruncationNetwork.adapted(rotations: [r], shifts: [beta])
        // Points u in a chosen sector mapped back: x = Rᵀu − β.
        func point(_ u: [Double]) -> [Double] { zip(TruncationAlgebra.applyTransposed(r, u), beta).map { $0 - $1 } }
        let inside = point([1.5, 0.7]), below = point([-0.4, -2]), mixed = point([0.8, -0.5])
        #expect(try net.classify(inside, layer: 1) == .untruncated)
        #expect(try net.classify(below, layer: 1) == .fullyTruncated)
        #expect(try net.classify(mixed, layer: 1) == .partiallyTruncated)
        #expect(try net.classify(point([0, -1]), layer: 1) == .fullyTruncated, "σ'(0) = 0: a zero coordinate is truncated (3.28)")
        #expect(relativeError(try net.truncate(inside, layer: 1), inside) <= 1e-15)
        #expect(relativeError(try net.truncate(below, layer: 1), beta.map { -$0 }) <= 1e-15)
        // Partially truncated: the truncated coordinate of a(x) is set to 0, the other kept.
        let t = try net.truncate(mixed, layer: 1)
        let u = try net.affine(t, layer: 1)
        #expect(Swift.abs(u[0] - 0.8) <= 1e-15 && Swift.abs(u[1]) <= 1e-15)
    }

    /// (6.2): with `W^{(ℓ)} = W_*R_ℓ`, `W_*` positive diagonal, `τ` does not depend on `W_*`; a non-diagonal
    /// symmetric factor (`R̃ ≠ 1`, (2.29)) changes it.
    @Test func adaptedTruncationIgnoresTheDiagonalFactor() throws {
        let r = TruncationFixtures.orthogonal(3, seed: 4)
        let beta = [0.1, -0.3, 0.2]
        let plain = try TruncationNetwork.adapted(rotations: [r], shifts: [beta])
        let scaled = try TruncationNetwork.adapted(rotations: [r], shifts: [beta], scales: [[0.2, 3, 7]])
        let rt = TruncationFixtures.orthogonal(3, seed: 8)
        let misaligned = try TruncationNetwork(
            cumulativeWeights: [TruncationAlgebra.multiply(TruncationAlgebra.multiply(rt, TruncationAlgebra.multiply(try Matrix([[0.2, 0, 0], [0, 3, 0], [0, 0, 7]]), rt, transposeB: false), transposeA: true), r)],
            shifts: [beta])
        var rng = SeededGenerator(seed: 1)
        var worst = 0.0, misalignedGap = 0.0
        for _ in 0..<30 {
            let x = (0..<3).map { _ in rng.nextGaussian() }
            worst = Swift.max(worst, relativeError(try scaled.truncate(x, layer: 1), try plain.truncate(x, layer: 1)))
            misalignedGap = Swift.max(misalignedGap, relativeError(try misaligned.truncate(x, layer: 1), try plain.truncate(x, layer: 1)))
        }
        #expect(worst <= 1e-14)
        #expect(misalignedGap > 1e-2)
    }

    /// Lemma 7.1 (7.2): `τ^{(ℓ2)}∘⋯∘τ^{(ℓ1)}(x) = P⁺x − Σ P⁻β`, for general and adapted weights.
    @Test(arguments: [false, true])
    func lemma71(adapted: Bool) throws {
        let q = 3
        let net: TruncationNetwork
        if adapted {
            net = try TruncationFixtures.randomAdapted(q: q, layers: 4, seed: 3).network()
        } else {
            let (ws, bs) = Self.layers(q: q, count: 4, seed: 11)
            net = try TruncationNetwork(layerWeights: ws, layerBiases: bs)
        }
        var rng = SeededGenerator(seed: 2)
        for _ in 0..<20 {
            let x = (0..<q).map { _ in rng.nextGaussian() }
            for range in [1...4, 2...3, 3...3] {
                let (plus, minus) = try net.truncationProducts(x, layers: range)
                var rhs = TruncationAlgebra.apply(plus, x)
                for (k, l) in range.enumerated() {
                    let m = TruncationAlgebra.apply(minus[k], net.shifts[l - 1])
                    rhs = zip(rhs, m).map { $0 - $1 }
                }
                let lhs = try net.truncate(x, layers: range)
                #expect(zip(lhs, rhs).allSatisfy { Swift.abs($0 - $1) <= 1e-12 }, "\(range): \(lhs) vs \(rhs)")
            }
        }
    }

    /// Bad input is a typed error with a message, never a crash.
    @Test func badInputThrows() throws {
        let singular = try Matrix([[1, 2], [2, 4]])
        #expect(throws: TangentFlowError.self) { try TruncationNetwork(cumulativeWeights: [singular], shifts: [[0, 0]]) }
        do {
            _ = try TruncationNetwork(layerWeights: [try Matrix.identity(2), singular], layerBiases: [[0, 0], [0, 0]])
            Issue.record("a singular layer weight must throw")
        } catch let e as TangentFlowError {
            #expect(e.description.contains("W_2 is not invertible"), "\(e)")
        }
        #expect(throws: TangentFlowError.self) { try TruncationNetwork(cumulativeWeights: [try Matrix.identity(2)], shifts: [[0, 0, 0]]) }
        #expect(throws: TangentFlowError.self) { try TruncationNetwork(cumulativeWeights: [try Matrix.identity(2)], shifts: [[.nan, 0]]) }
        #expect(throws: TangentFlowError.self) { try TruncationNetwork(cumulativeWeights: [], shifts: []) }
        #expect(throws: TangentFlowError.self) { try TruncationNetwork.adapted(rotations: [try Matrix([[1, 0.1], [0, 1]])], shifts: [[0, 0]]) }
        #expect(throws: TangentFlowError.self) { try TruncationNetwork.adapted(rotations: [try Matrix.identity(2)], shifts: [[0, 0]], scales: [[1, -1]]) }
        let net = try TruncationNetwork.adapted(rotations: [try Matrix.identity(2)], shifts: [[0, 0]])
        #expect(throws: TangentFlowError.self) { try net.truncate([1, 2, 3], layer: 1) }
        #expect(throws: TangentFlowError.self) { try net.truncate([1, 2], layer: 2) }
        #expect(throws: TangentFlowError.self) { try net.truncate([.infinity, 2], layer: 1) }
        #expect(throws: TangentFlowError.self) { try ClusteredTrainingData(clusters: [try Matrix([[1, 2]])], labels: [[1]]) }
        #expect(throws: TangentFlowError.self) { try ClusteredTrainingData(clusters: [try Matrix([[1, .nan]])], labels: [[1, 1]]) }
        #expect(throws: TangentFlowError.self) { try ClusteredTrainingData(clusters: [], labels: []) }
    }
}

/// Polar decomposition (1.9/2.28) and Def. 2.2.
struct TruncationPolarTests {
    /// `W = |W|R` to rounding, `R` orthogonal, `|W|` symmetric with the singular values as eigenvalues; an adapted
    /// network `W = diag(d)R` gives back `R` and `diag(d)` and its `τ` equals that of `W = R` (6.2); a general
    /// weight is reported as not adapted and refused by `adaptedParameters`.
    @Test func polarDecompositionAndAdaptedness() throws {
        let w = TruncationFixtures.generalWeight(3, seed: 17)
        let net = try TruncationNetwork(cumulativeWeights: [w], shifts: [[0.1, 0.2, -0.3]])
        let (m, r) = try net.polarDecomposition(layer: 1)
        #expect(relativeError(TruncationAlgebra.multiply(m, r), w) <= 1e-14)
        #expect(TruncationAlgebra.orthogonalityDefect(r) <= 1e-14)
        #expect(relativeError(m, m.transposed) == 0)
        #expect(!(try net.isAdapted(layer: 1, tolerance: 1e-10)))
        #expect(throws: TangentFlowError.self) { try net.adaptedParameters(tolerance: 1e-10) }
        let rot = TruncationFixtures.orthogonal(3, seed: 18)
        let adapted = try TruncationNetwork.adapted(rotations: [rot], shifts: [[0.1, 0.2, -0.3]], scales: [[0.5, 2, 4]])
        #expect(try adapted.isAdapted(layer: 1, tolerance: 1e-12))
        let (ma, ra) = try adapted.polarDecomposition(layer: 1)
        #expect(relativeError(ra, rot) <= 1e-14)
        #expect(relativeError(ma, try Matrix([[0.5, 0, 0], [0, 2, 0], [0, 0, 4]])) <= 1e-14)
        let p = try adapted.adaptedParameters(tolerance: 1e-12)
        let x = [0.3, -0.7, 0.2]
        #expect(relativeError(try p.network().truncate(x, layer: 1), try adapted.truncate(x, layer: 1)) <= 1e-14)
        #expect(throws: TangentFlowError.self) { try net.isAdapted(layer: 1, tolerance: -1) }
    }
}
