import Testing

@testable import TangentFlow

/// The Gram route `D⁺g = Dᵀ(DDᵀ)⁺g` ((2.21)–(2.22) in 2408.01517) against the SVD route, with the eigenvalue
/// cut-off `max(tol_D², QN·ε·λ_max)` of MATH.md §2.
@Suite struct GramPseudoinverseTests {
    @Test(arguments: KernelBackend.allCases, GramPseudoinverse.Method.allCases)
    func fullRankWideJacobianMatchesSVDRoute(_ backend: KernelBackend, _ method: GramPseudoinverse.Method) throws {
        let d = Fixtures.gaussian(12, 40, seed: 61)
        let g = Fixtures.gaussian(12, 2, seed: 62)
        let gram = try backend.kernels.gram(d)
        let route = try GramPseudoinverse(gram: gram, parameterCount: 40, method: method, backend: backend)
        #expect(route.rank == 12)
        let viaGram = try route.applyPseudoinverse(jacobian: d, g)
        let viaSVD = try Pseudoinverse(of: d, backend: backend).apply(g)
        // κ(G) = κ(D)² ≈ 10 here: error ≲ κ(G)·QN·ε.
        #expect(relativeError(viaGram, viaSVD) <= 1e-12, "\(backend)/\(method)")
    }

    @Test(arguments: KernelBackend.allCases)
    func rankDeficientJacobianRankAndSolutionMatchSVD(_ backend: KernelBackend) throws {
        // MATH.md §2: with tol_D² alone the rank came out wrong 20/20 times; with the corrected cut-off it is right.
        for seed in 0..<20 {
            let d = Fixtures.lowRank(15, 50, rank: 9, seed: UInt64(300 + seed))
            let g = Fixtures.gaussian(15, 1, seed: UInt64(400 + seed))
            let route = try GramPseudoinverse(gram: backend.kernels.gram(d), parameterCount: 50, backend: backend)
            let svd = try Pseudoinverse(of: d, backend: backend)
            #expect(route.rank == 9 && svd.rank == 9, "seed \(seed): gram rank \(route.rank), svd rank \(svd.rank)")
            let viaGram = try route.applyPseudoinverse(jacobian: d, g)
            let viaSVD = try svd.apply(g)
            #expect(relativeError(viaGram, viaSVD) <= 1e-8, "seed \(seed)")
            // P_ran(G) g equals P_ran(D) g.
            #expect(relativeError(try route.projectOntoRange(g), try svd.projectOntoRange(g)) <= 1e-8)
        }
    }

    @Test func choleskyRefusesASingularGramWithTheMinor() throws {
        let d = Fixtures.lowRank(6, 20, rank: 3, seed: 7)
        var gram = try CBackend().gram(d)
        // Make it exactly singular in a known way: zero the last row and column.
        for i in 0..<6 { gram[5, i] = 0; gram[i, 5] = 0 }
        #expect(throws: TangentFlowError.self) {
            try GramPseudoinverse(gram: gram, parameterCount: 20, method: .cholesky)
        }
        let asym = Fixtures.gaussian(4, 4, seed: 8)
        #expect(throws: TangentFlowError.self) { try GramPseudoinverse(gram: asym, parameterCount: 10) }
    }

    @Test(arguments: KernelBackend.allCases)
    func streamedGramEqualsOneShotGram(_ backend: KernelBackend) throws {
        let d = Fixtures.gaussian(30, 101, seed: 9)
        var acc = try GramAccumulator(rows: 30, backend: backend)
        var start = 0
        for width in [1, 40, 0, 37, 23] {
            let panel = try d.columns(start..<(start + width)).copy()
            try acc.add(panel: panel)
            start += width
        }
        #expect(acc.columnsSeen == 101)
        let ref = try SwiftBackend().multiply(d, transposeA: false, d, transposeB: true)
        #expect(relativeError(acc.gram, ref) <= 1e-13)
        #expect(acc.gram == acc.gram.transposed)
        #expect(throws: TangentFlowError.self) { try acc.add(panel: Fixtures.gaussian(29, 2, seed: 1)) }
    }
}
