import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein

/// Exact assignment: optimality against brute force and against LP duality, C path against Swift path.
@Suite struct LinearAssignmentTests {
    /// All permutations of 0..<m (Heap's algorithm).
    static func permutations(_ m: Int) -> [[Int]] {
        var a = Array(0..<m), out: [[Int]] = []
        func heap(_ k: Int) {
            if k == 1 { out.append(a); return }
            for i in 0..<k {
                heap(k - 1)
                if k % 2 == 0 { a.swapAt(i, k - 1) } else { a.swapAt(0, k - 1) }
            }
        }
        heap(m)
        return out
    }

    static func bruteForce(_ c: Matrix) -> Double {
        permutations(c.rows).map { p in (0..<c.rows).reduce(0.0) { $0 + c[$1, p[$1]] } }.min()!
    }

    @Test(arguments: KernelBackend.allCases)
    func matchesBruteForceOnSmallProblems(backend: KernelBackend) throws {
        var rng = SeededGenerator(seed: 41)
        for m in 1...7 {
            for trial in 0..<6 {
                // Continuous costs, and small-integer costs (many ties, several optimal permutations).
                let values = (0..<(m * m)).map { _ in trial % 2 == 0 ? rng.nextGaussian() : Double(Int(rng.nextUniform() * 4)) }
                let c = try Matrix(rows: m, cols: m, columnMajor: values)
                let r = try LinearAssignment.solve(cost: c, backend: backend)
                #expect(Set(r.permutation) == Set(0..<m), "not a permutation: \(r.permutation)")
                let direct = (0..<m).reduce(0.0) { $0 + c[$1, r.permutation[$1]] }
                #expect(abs(direct - r.totalCost) <= 1e-12 * Swift.max(1, abs(direct)))
                let best = Self.bruteForce(c)
                #expect(abs(r.totalCost - best) <= 1e-12 * Swift.max(1, abs(best)), "m=\(m) trial=\(trial): \(r.totalCost) vs brute force \(best)")
            }
        }
    }

    /// LP duality certifies optimality: `u_i + v_j ≤ C_ij` everywhere, equality on the assignment, so
    /// `Σu + Σv = Σ C_{i,σ(i)}` (complementary slackness).
    @Test(arguments: [50, 200])
    func dualCertificateHolds(m: Int) throws {
        let x = Fixtures.gaussian(m, 5, seed: UInt64(m)), y = Fixtures.gaussian(m, 5, seed: UInt64(m) + 1)
        let c = try LinearAssignment.squaredDistances(x, y)
        let scale = c.maxAbs
        var totals: [Double] = []
        for backend in KernelBackend.allCases {
            let r = try LinearAssignment.solve(cost: c, backend: backend)
            var worstViolation = 0.0, worstSlack = 0.0
            for j in 0..<m {
                for i in 0..<m { worstViolation = Swift.max(worstViolation, r.rowPotentials[i] + r.columnPotentials[j] - c[i, j]) }
            }
            for i in 0..<m {
                worstSlack = Swift.max(worstSlack, abs(c[i, r.permutation[i]] - r.rowPotentials[i] - r.columnPotentials[r.permutation[i]]))
            }
            let dual = r.rowPotentials.reduce(0, +) + r.columnPotentials.reduce(0, +)
            // Potentials are sums of O(m) cost differences: rounding grows like m·ε·max|C|.
            let tol = Double(m) * 64 * .ulpOfOne * scale
            #expect(worstViolation <= tol, "\(backend): dual infeasible by \(worstViolation)")
            #expect(worstSlack <= tol, "\(backend): complementary slackness off by \(worstSlack)")
            #expect(abs(dual - r.totalCost) <= Double(m) * tol, "\(backend): dual \(dual) vs primal \(r.totalCost)")
            totals.append(r.totalCost)
        }
        #expect(abs(totals[0] - totals[1]) <= 1e-12 * totals[0], "C \(totals[0]) vs Swift \(totals[1])")
    }

    @Test func squaredDistancesMatchDefinition() throws {
        let x = Fixtures.gaussian(7, 3, seed: 1), y = Fixtures.gaussian(5, 3, seed: 2)
        let c = try LinearAssignment.squaredDistances(x, y)
        for i in 0..<7 {
            for j in 0..<5 {
                let d = (0..<3).reduce(0.0) { $0 + (x[i, $1] - y[j, $1]) * (x[i, $1] - y[j, $1]) }
                #expect(abs(c[i, j] - d) <= 1e-14 * Swift.max(1, d))
            }
        }
    }

    /// W₂² of a point set and a permutation of it is 0, attained by the inverse permutation.
    @Test func wassersteinOfAPermutedCopyIsZero() throws {
        let x = Fixtures.gaussian(30, 4, seed: 9)
        var rng = SeededGenerator(seed: 3)
        let shuffle = Array(0..<30).shuffled(using: &rng)
        let y = try Matrix(rows: 30, cols: 4, rowMajor: shuffle.flatMap { x.row($0) })
        let (w, perm) = try LinearAssignment.wassersteinSquared(x, y)
        #expect(w == 0)
        for i in 0..<30 { #expect(shuffle[perm[i]] == i) }
    }

    @Test(arguments: KernelBackend.allCases)
    func badInputThrows(backend: KernelBackend) throws {
        #expect(throws: TangentFlowError.self) { try LinearAssignment.solve(cost: Matrix(rows: 2, cols: 3), backend: backend) }
        #expect(throws: TangentFlowError.self) { try LinearAssignment.solve(cost: Matrix(rows: 0, cols: 0), backend: backend) }
        var c = try Matrix(rows: 3, cols: 3, repeating: 1)
        c[1, 2] = .nan
        #expect(throws: TangentFlowError.self) { try LinearAssignment.solve(cost: c, backend: backend) }
        c[1, 2] = .infinity
        #expect(throws: TangentFlowError.self) { try LinearAssignment.solve(cost: c, backend: backend) }
        #expect(throws: TangentFlowError.self) {
            try LinearAssignment.wassersteinSquared(Fixtures.gaussian(3, 2, seed: 1), Fixtures.gaussian(4, 2, seed: 2))
        }
    }
}
