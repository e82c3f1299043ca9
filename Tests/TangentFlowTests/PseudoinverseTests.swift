import Testing

@testable import TangentFlow

/// Appendix A of 2408.01517 as property tests (MATH.md §2), on both backends, for tall, wide, square,
/// rank-deficient and zero matrices. Tolerances scale with the size and the condition number of the kept
/// part (κ·ε for A⁺, κ²·ε for identities through AᵀA).
@Suite struct PseudoinverseTests {
    /// (rows, cols, rank)
    static let shapes: [(Int, Int, Int)] = [(9, 5, 5), (5, 9, 5), (7, 7, 7), (9, 6, 3), (6, 11, 2), (8, 8, 5), (4, 6, 0), (1, 1, 1)]

    static func product(_ a: Matrix, _ b: Matrix, ta: Bool = false, tb: Bool = false) -> Matrix {
        try! SwiftBackend().multiply(a, transposeA: ta, b, transposeB: tb)
    }

    /// ε · max(m,n) · κ of the kept singular values, times a safety factor of 10.
    static func tolerance(_ p: Pseudoinverse, power: Double = 1) -> Double {
        let kept = p.svd.singularValues.prefix(p.rank)
        let kappa = kept.isEmpty ? 1 : kept.first! / kept.last!
        return 10 * Double(max(p.rows, p.cols)) * Tolerance.eps * Foundation.pow(kappa, power)
    }

    /// ‖X − Y‖_F / max(‖Y‖_F, 1) (absolute near zero, as the rank-0 case needs).
    static func diff(_ x: Matrix, _ y: Matrix) -> Double {
        var d = x
        for k in 0..<d.elements.count { d.elements[k] -= y.elements[k] }
        return d.frobeniusNorm / max(y.frobeniusNorm, 1)
    }

    @Test(arguments: KernelBackend.allCases)
    func penroseIdentitiesAndRank(_ backend: KernelBackend) throws {
        for (i, (m, n, r)) in Self.shapes.enumerated() {
            let a = Fixtures.lowRank(m, n, rank: r, seed: UInt64(100 + i))
            let p = try Pseudoinverse(of: a, backend: backend)
            #expect(p.rank == r, "\(backend) \(m)×\(n) rank \(r): got \(p.rank)")
            let ap = try p.matrix
            #expect(ap.rows == n && ap.cols == m)
            let tol = Self.tolerance(p)
            let aapa = Self.product(Self.product(a, ap), a)
            let apaap = Self.product(Self.product(ap, a), ap)
            let aap = Self.product(a, ap), apa = Self.product(ap, a)
            #expect(Self.diff(aapa, a) <= tol, "A.1 \(backend) \(m)×\(n)")                 // A A⁺ A = A
            #expect(Self.diff(apaap, ap) <= tol, "A.2 \(backend) \(m)×\(n)")               // A⁺ A A⁺ = A⁺
            #expect(Self.diff(aap, aap.transposed) <= tol, "A.3 \(backend) \(m)×\(n)")     // (AA⁺)ᵀ = AA⁺
            #expect(Self.diff(apa, apa.transposed) <= tol, "A.4 \(backend) \(m)×\(n)")     // (A⁺A)ᵀ = A⁺A
        }
    }

    @Test(arguments: KernelBackend.allCases)
    func furtherIdentitiesOfAppendixA(_ backend: KernelBackend) throws {
        for (i, (m, n, r)) in Self.shapes.enumerated() where r > 0 {
            let a = Fixtures.lowRank(m, n, rank: r, seed: UInt64(200 + i))
            let p = try Pseudoinverse(of: a, backend: backend)
            let ap = try p.matrix
            let tol = Self.tolerance(p), tol2 = Self.tolerance(p, power: 2)
            // (A.5) (A⁺)⁺ = A — the rank of A⁺ must be decided with A's threshold scaled: use relative tol.
            let app = try pseudoinverse(of: ap, tolerance: .relative(1e-10), backend: backend)
            #expect(Self.diff(app, a) <= tol, "A.5 \(backend) \(m)×\(n)")
            // (A.6) (Aᵀ)⁺ = (A⁺)ᵀ
            let atp = try pseudoinverse(of: a.transposed, backend: backend)
            #expect(Self.diff(atp, ap.transposed) <= tol, "A.6 \(backend) \(m)×\(n)")
            // (A.7) (AᵀA)⁺ = A⁺(Aᵀ)⁺
            let ata = Self.product(a, a, ta: true)
            let atap = try pseudoinverse(of: ata, tolerance: .relative(1e-10), backend: backend)
            #expect(Self.diff(atap, Self.product(ap, atp)) <= tol2 * max(1, Self.product(ap, atp).frobeniusNorm), "A.7 \(backend) \(m)×\(n)")
            // (A.12) A = AAᵀ(Aᵀ)⁺ = (Aᵀ)⁺AᵀA
            #expect(Self.diff(Self.product(Self.product(a, a, tb: true), atp), a) <= tol, "A.12a \(backend) \(m)×\(n)")
            #expect(Self.diff(Self.product(atp, ata), a) <= tol, "A.12b \(backend) \(m)×\(n)")
            // Lemma A.2: ker(AᵀA) = ker(A⁺A), i.e. the projectors onto ran(AᵀA) and ran(A⁺A) agree.
            let pAtA = Self.product(atap, ata)
            #expect(Self.diff(pAtA, Self.product(ap, a)) <= tol2, "Lemma A.2 \(backend) \(m)×\(n)")
            // (A.10) ran(A⁺) = ran(Aᵀ): P_ran(A⁺) = P_ran(Aᵀ) = A⁺A.
            let pp = try Pseudoinverse(of: ap, tolerance: .relative(1e-10), backend: backend)
            let pranAp = try pp.projectOntoRange(Matrix.identity(n))
            #expect(Self.diff(pranAp, Self.product(ap, a)) <= tol, "A.10 \(backend) \(m)×\(n)")
            // (A.11) ker(A⁺) = ker(Aᵀ): P_ran(Aᵀ-of-A⁺)… equivalently the row space of A⁺ is ran(A): P = AA⁺.
            let prowAp = try pp.projectOntoRowSpace(Matrix.identity(m))
            #expect(Self.diff(prowAp, Self.product(a, ap)) <= tol, "A.11 \(backend) \(m)×\(n)")
        }
    }

    @Test(arguments: KernelBackend.allCases)
    func fullRankClosedFormsOfDefinitionA1(_ backend: KernelBackend) throws {
        let tall = Fixtures.gaussian(10, 4, seed: 31), wide = Fixtures.gaussian(4, 10, seed: 32)
        let k = SwiftBackend()
        // Tall, full column rank: A⁺ = (AᵀA)⁻¹Aᵀ.
        let tallRef = try k.choleskySolve(Self.product(tall, tall, ta: true), tall.transposed)
        #expect(Self.diff(try pseudoinverse(of: tall, backend: backend), tallRef) <= 1e-13)
        // Wide, full row rank: A⁺ = Aᵀ(AAᵀ)⁻¹.
        let wideRef = try k.choleskySolve(Self.product(wide, wide, tb: true), wide).transposed
        #expect(Self.diff(try pseudoinverse(of: wide, backend: backend), wideRef) <= 1e-13)
    }

    @Test(arguments: KernelBackend.allCases)
    func symmetricMatrixProjectorsCommute(_ backend: KernelBackend) throws {
        let b = Fixtures.lowRank(7, 4, rank: 3, seed: 41)
        let s = Self.product(b, b, tb: true)  // 7×7 symmetric PSD of rank 3
        let p = try Pseudoinverse(of: s, backend: backend)
        let sp = try p.matrix
        #expect(p.rank == 3)
        #expect(Self.diff(Self.product(sp, s), Self.product(s, sp)) <= Self.tolerance(p))
    }

    @Test(arguments: KernelBackend.allCases)
    func projectorsMatchTheirDefinitionsWithoutFormingThem(_ backend: KernelBackend) throws {
        let a = Fixtures.lowRank(8, 12, rank: 5, seed: 51)
        let p = try Pseudoinverse(of: a, backend: backend)
        let ap = try p.matrix
        let bm = Fixtures.gaussian(8, 3, seed: 52), bn = Fixtures.gaussian(12, 3, seed: 53)
        let tol = Self.tolerance(p)
        #expect(Self.diff(try p.projectOntoRange(bm), Self.product(Self.product(a, ap), bm)) <= tol)             // (A.8)
        #expect(Self.diff(try p.projectOntoRowSpace(bn), Self.product(Self.product(ap, a), bn)) <= tol)          // (A.9)
        #expect(Self.diff(try p.apply(bm), Self.product(ap, bm)) <= tol)
        // Complements: P + P^⊥ = I, and P^⊥ annihilates ran(A).
        let sum = try p.projectOntoRangeComplement(bm)
        let proj = try p.projectOntoRange(bm)
        #expect(Self.diff(subtract(bm, proj), sum) <= tol)
        let inRange = Self.product(a, bn)
        #expect((try p.projectOntoRangeComplement(inRange)).frobeniusNorm <= tol * inRange.frobeniusNorm)
        let inRow = Self.product(a, Fixtures.gaussian(8, 2, seed: 54), ta: true)
        #expect((try p.projectOntoRowSpaceComplement(inRow)).frobeniusNorm <= tol * inRow.frobeniusNorm)
    }

    @Test(arguments: KernelBackend.allCases)
    func degenerateShapes(_ backend: KernelBackend) throws {
        let zero = Matrix(zerosRows: 3, cols: 5)
        let p0 = try Pseudoinverse(of: zero, backend: backend)
        #expect(p0.rank == 0)
        #expect(try p0.matrix == Matrix(zerosRows: 5, cols: 3))
        let empty = Matrix(zerosRows: 0, cols: 4)
        let pe = try Pseudoinverse(of: empty, backend: backend)
        #expect(pe.rank == 0)
        #expect(try pe.matrix.rows == 4 && pe.matrix.cols == 0)
        let one = try Matrix([[-4]])
        #expect(try pseudoinverse(of: one, backend: backend)[0, 0] == -0.25)
    }

    @Test func tolerancesDecideTheRank() throws {
        // Singular values 1, 1e-6, 1e-13 (orthogonal factors): default keeps 3 (1e-13 > 3·ε), rtol 1e-8 keeps 2,
        // atol 1e-3 keeps 1.
        var u = SeededGenerator(seed: 5)
        let q1 = try Pseudoinverse(of: Matrix.gaussian(rows: 3, cols: 3, using: &u)).svd.u
        let q2 = try Pseudoinverse(of: Matrix.gaussian(rows: 3, cols: 3, using: &u)).svd.vt
        var s = Matrix(zerosRows: 3, cols: 3)
        s[0, 0] = 1; s[1, 1] = 1e-6; s[2, 2] = 1e-13
        let a = Self.product(Self.product(q1, s), q2)
        #expect(try numericalRank(of: a) == 3)
        #expect(try numericalRank(of: a, tolerance: .relative(1e-8)) == 2)
        #expect(try numericalRank(of: a, tolerance: .absolute(1e-3)) == 1)
    }

    @Test func badInputThrowsTypedErrors() throws {
        var a = Fixtures.gaussian(3, 3, seed: 1)
        a[1, 2] = .nan
        #expect(throws: TangentFlowError.nonFinite(operation: "Pseudoinverse", argument: "A", row: 1, column: 2)) {
            try Pseudoinverse(of: a)
        }
        #expect(throws: TangentFlowError.self) { try Pseudoinverse(of: Fixtures.gaussian(3, 3, seed: 1), tolerance: .relative(-1)) }
        let p = try Pseudoinverse(of: Fixtures.gaussian(3, 4, seed: 2))
        #expect(throws: TangentFlowError.self) { try p.apply(Fixtures.gaussian(4, 1, seed: 3)) }
        var inf = Fixtures.gaussian(3, 1, seed: 4)
        inf[0, 0] = .infinity
        #expect(throws: TangentFlowError.self) { try p.projectOntoRange(inf) }
    }
}

import Foundation
