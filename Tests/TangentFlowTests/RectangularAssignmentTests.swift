import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein

/// The C assignment kernel (`ck_assignment_rows`, `ck_assignment_sqeuclidean`) against its pure-Swift twin (the
/// Hungarian method) and against brute force: rectangular both ways, forbidden pairs, negative costs, the points
/// path with its dgemm cost and warm starts.
@Suite struct RectangularAssignmentTests {
    /// min over all injective maps of the smaller side, by enumeration (n, m ≤ 6); nil when all use +∞.
    static func bruteForce(_ c: Matrix) -> Double? {
        let transpose = c.rows > c.cols
        let n = transpose ? c.cols : c.rows, m = transpose ? c.rows : c.cols
        func entry(_ i: Int, _ j: Int) -> Double { transpose ? c[j, i] : c[i, j] }
        var best = Double.infinity
        var used = [Bool](repeating: false, count: m)
        func go(_ i: Int, _ sum: Double) {
            if i == n { best = Swift.min(best, sum); return }
            for j in 0..<m where !used[j] && entry(i, j).isFinite {
                used[j] = true
                go(i + 1, sum + entry(i, j))
                used[j] = false
            }
        }
        go(0, 0)
        return best.isFinite ? best : nil
    }

    static func randomCost(_ n: Int, _ m: Int, forbidden: Double, seed: UInt64) -> Matrix {
        var rng = SeededGenerator(seed: seed)
        var c = Matrix(uncheckedRows: n, cols: m, elements: [Double](repeating: 0, count: n * m))
        for i in 0..<n { for j in 0..<m {
            let u = Double(rng.next() % 1000) / 1000
            c[i, j] = u < forbidden ? .infinity : Double(Int(rng.next() % 41) - 20)
        } }
        return c
    }

    /// Small integer problems of every shape up to 6×6, with 0–60% forbidden pairs: both backends reach the
    /// brute-force optimum exactly, or both report infeasible exactly when brute force finds nothing.
    @Test func smallProblemsMatchBruteForce() throws {
        var seed: UInt64 = 1
        for n in 1...6 { for m in 1...6 { for forbidden in [0.0, 0.3, 0.6] {
            seed += 1
            let c = Self.randomCost(n, m, forbidden: forbidden, seed: seed)
            let expected = Self.bruteForce(c)
            for backend in [KernelBackend.c, .swift] {
                let r = try LinearAssignment.solve(cost: c, maximize: false, backend: backend)
                #expect(r?.totalCost == expected, "\(n)×\(m) forbidden \(forbidden) seed \(seed) [\(backend)]")
            }
        } } }
    }

    /// 60×45 and 45×60 Gaussian costs with 20% forbidden pairs: C and Swift agree to 1e-12 relative, feasibility too.
    @Test func rectangularGaussianCostsAgreeAcrossBackends() throws {
        for (n, m, seed) in [(60, 45, UInt64(3)), (45, 60, 4), (80, 80, 5)] {
            var c = Fixtures.gaussian(n, m, seed: seed)
            var rng = SeededGenerator(seed: seed &+ 100)
            for k in c.elements.indices where rng.next() % 5 == 0 { c.elements[k] = .infinity }
            let a = try LinearAssignment.solve(cost: c, maximize: false, backend: .c)
            let b = try LinearAssignment.solve(cost: c, maximize: false, backend: .swift)
            #expect((a == nil) == (b == nil))
            if let a, let b { #expect(abs(a.totalCost - b.totalCost) <= 1e-12 * abs(b.totalCost), "\(n)×\(m): \(a.totalCost) vs \(b.totalCost)") }
        }
    }

    /// The points path (dgemm cost, norms dropped into the duals) reaches the optimum of the explicit cost matrix
    /// solved by the Swift twin; a warm start from its own potentials, and from a perturbed problem's, changes
    /// nothing but the time; its potentials are a dual certificate for |x − y|².
    @Test func pointAssignmentWithWarmStart() throws {
        let m = 150
        let x = Fixtures.gaussian(m, 17, seed: 11), y = Fixtures.gaussian(m, 17, seed: 12)
        let reference = try LinearAssignment.solve(cost: LinearAssignment.squaredDistances(x, y, backend: .swift), backend: .swift)
        let cold = try LinearAssignment.solve(points: x, y, backend: .c)
        #expect(abs(cold.totalCost - reference.totalCost) <= 1e-12 * reference.totalCost)
        let warm = try LinearAssignment.solve(points: x, y, warmStart: cold.columnPotentials, backend: .c)
        #expect(abs(warm.totalCost - reference.totalCost) <= 1e-12 * reference.totalCost)
        var moved = x
        for k in moved.elements.indices { moved.elements[k] += 0.01 * Double(k % 7 - 3) }
        let movedReference = try LinearAssignment.solve(cost: LinearAssignment.squaredDistances(moved, y, backend: .swift), backend: .swift)
        let movedWarm = try LinearAssignment.solve(points: moved, y, warmStart: cold.columnPotentials, backend: .c)
        #expect(abs(movedWarm.totalCost - movedReference.totalCost) <= 1e-12 * movedReference.totalCost)
        // Dual feasibility u_i + v_j ≤ |x_i − y_j|² to rounding, equality on the assignment.
        let c = try LinearAssignment.squaredDistances(moved, y, backend: .swift)
        var worst = 0.0
        for i in 0..<m { for j in 0..<m { worst = Swift.max(worst, movedWarm.rowPotentials[i] + movedWarm.columnPotentials[j] - c[i, j]) } }
        #expect(worst <= 1e-9, "dual infeasibility \(worst)")
        #expect(throws: TangentFlowError.self) { _ = try LinearAssignment.solve(points: x, y, warmStart: [Double](repeating: .nan, count: m)) }
    }

    /// SciPy's sign conventions: maximising solves −C, −∞ is forbidden, +∞ invalid; a forbidden row is infeasible.
    @Test func maximizeAndForbiddenConventions() throws {
        let c = Matrix(uncheckedRows: 2, cols: 3, elements: [1, 4, 2, 5, 3, 6])  // column-major: [[1,2,3],[4,5,6]]
        for backend in [KernelBackend.c, .swift] {
            #expect(try LinearAssignment.solve(cost: c, maximize: true, backend: backend)?.totalCost == 8)  // 2 + 6 or 3 + 5
            #expect(try LinearAssignment.solve(cost: c, maximize: false, backend: backend)?.totalCost == 6)
            var f = c
            for j in 0..<3 { f[0, j] = Double.infinity }
            #expect(try LinearAssignment.solve(cost: f, maximize: false, backend: backend) == nil)
            #expect(throws: TangentFlowError.self) { _ = try LinearAssignment.solve(cost: f, maximize: true, backend: backend) }
        }
    }
}
