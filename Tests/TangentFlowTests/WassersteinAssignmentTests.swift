import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein

/// The exact linear assignment (`LinearAssignment`, `SwiftAssignment`): optimality against brute force for
/// m ≤ 7, and the LP certificate (dual feasibility, complementary slackness, primal = dual) at m = 50–200.
struct WassersteinAssignmentTests {
    /// Every permutation of 0..<m (Heap's algorithm).
    static func permutations(_ m: Int) -> [[Int]] {
        var out: [[Int]] = []
        var a = Array(0..<m)
        func generate(_ k: Int) {
            if k <= 1 { out.append(a); return }
            for i in 0..<k {
                generate(k - 1)
                a.swapAt(k % 2 == 0 ? i : 0, k - 1)
            }
        }
        generate(m)
        return out
    }

    @Test(arguments: 1...7, KernelBackend.allCases)
    func matchesBruteForce(m: Int, backend: KernelBackend) throws {
        for seed in UInt64(1)...4 {
            let c = Fixtures.gaussian(m, m, seed: seed &* 31 &+ UInt64(m))
            let result = try LinearAssignment.solve(cost: c, backend: backend)
            #expect(Set(result.permutation) == Set(0..<m), "not a permutation: \(result.permutation)")
            let best = Self.permutations(m).map { p in (0..<m).reduce(0.0) { $0 + c[$1, p[$1]] } }.min()!
            // Both are sums of the same m entries in possibly different orders: m·ε·max|C| covers the rounding.
            let tol = Double(m) * .ulpOfOne * c.maxAbs
            #expect(abs(result.totalCost - best) <= tol, "m = \(m), seed \(seed), \(backend): \(result.totalCost) vs brute force \(best)")
        }
    }

    @Test(arguments: [50, 120, 200])
    func dualCertificate(m: Int) throws {
        // Squared distances between random point clouds, the W₂ use case.
        let a = Fixtures.gaussian(m, 3, seed: UInt64(m)), b = Fixtures.gaussian(m, 3, seed: UInt64(m) + 1)
        var c = Matrix(zerosRows: m, cols: m)
        for i in 0..<m { for j in 0..<m { c[i, j] = (0..<3).reduce(0.0) { $0 + pow(a[i, $1] - b[j, $1], 2) } } }
        let r = try LinearAssignment.solve(cost: c)
        let (u, v) = (r.rowPotentials, r.columnPotentials)
        // Each potential is a sum of at most 2m shifts, each a difference of entries: error ≲ 2m·ε·max|C|.
        let tol = 4 * Double(m) * .ulpOfOne * c.maxAbs
        var worstFeasibility = -Double.infinity, worstSlackness = 0.0
        for i in 0..<m {
            for j in 0..<m { worstFeasibility = max(worstFeasibility, u[i] + v[j] - c[i, j]) }
            worstSlackness = max(worstSlackness, abs(u[i] + v[r.permutation[i]] - c[i, r.permutation[i]]))
        }
        #expect(worstFeasibility <= tol, "max (u_i + v_j − C_ij) = \(worstFeasibility), tolerance \(tol)")
        #expect(worstSlackness <= tol, "max |u_i + v_σ(i) − C_iσ(i)| = \(worstSlackness), tolerance \(tol)")
        let dual = u.reduce(0, +) + v.reduce(0, +)
        #expect(abs(r.totalCost - dual) <= Double(m) * tol, "primal \(r.totalCost) vs dual \(dual)")
        #expect(Set(r.permutation).count == m)
    }

    @Test func integerCostsGiveAnExactCertificate() throws {
        // Small integers with many ties: every operation is exact, so the gap is exactly zero.
        let m = 40
        var rng = SeededGenerator(seed: 3)
        var c = Matrix(zerosRows: m, cols: m)
        for k in 0..<(m * m) { c.elements[k] = Double(rng.next() % 5) }
        let r = try LinearAssignment.solve(cost: c)
        #expect(r.totalCost == r.rowPotentials.reduce(0, +) + r.columnPotentials.reduce(0, +))
        for i in 0..<m { for j in 0..<m { #expect(r.rowPotentials[i] + r.columnPotentials[j] <= c[i, j]) } }
        // A permutation-matrix cost has optimum 0 on the hidden permutation.
        let hidden = (0..<m).map { ($0 * 7 + 3) % m }
        var p = try Matrix(rows: m, cols: m, repeating: 1)
        for i in 0..<m { p[i, hidden[i]] = 0 }
        let q = try LinearAssignment.solve(cost: p)
        #expect(q.permutation == hidden && q.totalCost == 0)
    }

    @Test(arguments: [0x1p1020, 0x1p-1000, 1e300])
    func extremeMagnitudesGiveTheSamePermutation(scale: Double) throws {
        // Scaling the costs by any positive factor keeps the optimal permutation; near the ends of the double
        // range an unscaled solver would overflow (C − u − v → ±∞) or flush differences to zero.
        let c = Fixtures.gaussian(30, 30, seed: 12)
        let reference = try LinearAssignment.solve(cost: c)
        let scaled = try LinearAssignment.solve(cost: try Matrix(rows: 30, cols: 30, columnMajor: c.elements.map { $0 * scale }))
        #expect(scaled.permutation == reference.permutation, "scale \(scale)")
        // Potentials are the reference ones times the scale (power-of-two scaling is exact); check slackness per
        // row (a sum of 30 potentials near 1e307 would itself overflow).
        let tol = 4 * 30 * .ulpOfOne * c.maxAbs * scale
        for i in 0..<30 {
            let j = scaled.permutation[i]
            let slack = scaled.rowPotentials[i] + scaled.columnPotentials[j] - c[i, j] * scale
            #expect(slack.isFinite && abs(slack) <= tol, "row \(i): slack \(slack), tolerance \(tol)")
        }
    }

    @Test func rejectsBadCosts() throws {
        #expect(throws: TangentFlowError.emptyInput(operation: "LinearAssignment.solve", argument: "cost")) {
            try LinearAssignment.solve(cost: try Matrix(rows: 0, cols: 0))
        }
        #expect(throws: TangentFlowError.shapeMismatch(operation: "LinearAssignment.solve", expected: "cost square", got: "2×3")) {
            try LinearAssignment.solve(cost: try Matrix(rows: 2, cols: 3))
        }
        var nan = try Matrix(rows: 3, cols: 3)
        nan[1, 2] = .nan
        #expect(throws: TangentFlowError.nonFinite(operation: "LinearAssignment.solve", argument: "cost", row: 1, column: 2)) {
            try LinearAssignment.solve(cost: nan)
        }
        var inf = try Matrix(rows: 2, cols: 2)
        inf[0, 0] = -.infinity
        #expect(throws: TangentFlowError.self) { try LinearAssignment.solve(cost: inf, backend: .swift) }
    }
}
