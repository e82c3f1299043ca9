import Testing

@testable import TangentFlow

/// (2.24)–(2.26) in 2408.01517, literally: `ψ̃ = D D⁺ (DDᵀ)⁺ (Dᵀ)⁺ ∇_θC` with `∇_θC = Dᵀg` solves Lemma 2.2's
/// (2.22) `DDᵀψ = P_ran(DDᵀ) g`, and `−Dᵀψ̃ = −(DᵀD)⁺∇_θC` (2.26). Every pseudoinverse is formed separately by
/// the SVD route, for a rank-deficient `D` (the case the two-line condensation is for), and the results are
/// compared with the SVD route's `D⁺g` and the Gram route's ψ (`GramPseudoinverse`).
@Suite struct PsiTildeTests {
    static func mul(_ a: Matrix, _ b: Matrix, ta: Bool = false) throws -> Matrix {
        try CBackend().multiply(a, transposeA: ta, b, transposeB: false)
    }

    @Test(arguments: [12, 7]) func psiTildeSolvesLemma22(_ rank: Int) throws {
        let d = Fixtures.lowRank(12, 30, rank: rank, seed: 501)
        let g = Fixtures.gaussian(12, 1, seed: 502)
        let tol = RankTolerance.relative(1e-10)
        let gradTheta = try Self.mul(d, g, ta: true)
        let dd = try Self.mul(d, d.transposed)
        let dPlus = try Pseudoinverse(of: d, tolerance: tol).matrix
        let ddPlus = try Pseudoinverse(of: dd, tolerance: tol).matrix
        let dtPlus = try Pseudoinverse(of: d.transposed, tolerance: tol).matrix
        let psi = try Self.mul(d, Self.mul(dPlus, Self.mul(ddPlus, Self.mul(dtPlus, gradTheta))))
        // (2.25): DDᵀψ̃ = P_ran(DDᵀ) g.
        let projected = try Pseudoinverse(of: dd, tolerance: tol).projectOntoRange(g)
        #expect(relativeError(try Self.mul(dd, psi), projected) <= 1e-10, "rank \(rank)")
        // (2.26): −(DᵀD)⁺∇_θC = −Dᵀψ̃, and both equal −D⁺g.
        let dtdPlus = try Pseudoinverse(of: Self.mul(d, d, ta: true), tolerance: tol).matrix
        let lhs = try Self.mul(dtdPlus, gradTheta), rhs = try Self.mul(d, psi, ta: true)
        #expect(relativeError(lhs, rhs) <= 1e-9, "rank \(rank)")
        #expect(relativeError(rhs, try Pseudoinverse(of: d).apply(g)) <= 1e-9, "rank \(rank)")
        // The Gram route's ψ gives the same parameter velocity (ψ itself is unique only up to ker(DDᵀ)).
        let gram = try GramPseudoinverse(gram: dd, parameterCount: 30)
        #expect(gram.rank == rank)
        #expect(relativeError(try gram.applyPseudoinverse(jacobian: d, g), rhs) <= 1e-8, "rank \(rank)")
        // The condensation is not vacuous: with rank loss P_ran(DDᵀ) g ≠ g.
        if rank < 12 { #expect(relativeError(projected, g) > 1e-3) }
    }
}
