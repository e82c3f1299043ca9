import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein

/// Log-domain grid Sinkhorn against an independent dense log-domain solver, and its own invariants.
@Suite struct GridSinkhornTests {
    /// A smooth positive density on the grid (two bumps and a floor), normalised.
    static func density(_ grid: RegularGrid2D, _ c1: (Double, Double), _ c2: (Double, Double), floor: Double = 0.05) -> [Double] {
        var p = (0..<grid.count).map { k -> Double in
            let (u, v) = grid.point(k)
            let d1 = (u - c1.0) * (u - c1.0) + (v - c1.1) * (v - c1.1)
            let d2 = (u - c2.0) * (u - c2.0) + (v - c2.1) * (v - c2.1)
            return Foundation.exp(-d1 / 0.02) + 0.6 * Foundation.exp(-d2 / 0.05) + floor
        }
        let s = p.reduce(0, +)
        for k in p.indices { p[k] /= s }
        return p
    }

    /// Dense log-domain Sinkhorn over all `(n1·n2)²` pairs, iterated until the marginal error is at rounding
    /// level: the independent reference (no separability, no dgemm, no over-relaxation).
    static func denseReference(_ grid: RegularGrid2D, _ a: [Double], _ b: [Double], reg: Double) -> (f: [Double], g: [Double]) {
        let n = grid.count
        var f = [Double](repeating: 0, count: n), g = f
        let c = (0..<(n * n)).map { grid.cost($0 / n, $0 % n) }
        func lse(_ terms: [Double]) -> Double {
            let m = terms.max()!
            return m + Foundation.log(terms.reduce(0) { $0 + Foundation.exp($1 - m) })
        }
        for _ in 0..<200_000 {
            for k in 0..<n { f[k] = reg * (Foundation.log(a[k]) - lse((0..<n).map { (g[$0] - c[k * n + $0]) / reg })) }
            var err = 0.0
            for l in 0..<n {
                let s = lse((0..<n).map { (f[$0] - c[$0 * n + l]) / reg })
                err += abs(Foundation.exp(g[l] / reg + s) - b[l])
                g[l] = reg * (Foundation.log(b[l]) - s)
            }
            if err < 1e-14 { break }
        }
        return (f, g)
    }

    /// Dense marginals and cost of the plan of `(f, g)`, computed here (not by the solver).
    static func plan(_ grid: RegularGrid2D, _ f: [Double], _ g: [Double], reg: Double) -> (rows: [Double], cols: [Double], cost: Double) {
        let n = grid.count
        var rows = [Double](repeating: 0, count: n), cols = rows, cost = 0.0
        for k in 0..<n where f[k] != -.infinity {
            for l in 0..<n where g[l] != -.infinity {
                let c = grid.cost(k, l), p = Foundation.exp((f[k] + g[l] - c) / reg)
                rows[k] += p
                cols[l] += p
                cost += p * c
            }
        }
        return (rows, cols, cost)
    }

    /// Potentials are unique up to `(f + t, g − t)`: compare after removing the mean of `f`.
    static func maxPotentialGap(_ f1: [Double], _ g1: [Double], _ f2: [Double], _ g2: [Double]) -> Double {
        let t = zip(f1, f2).map { $0 - $1 }.reduce(0, +) / Double(f1.count)
        let df = zip(f1, f2).map { abs($0 - $1 - t) }.max()!, dg = zip(g1, g2).map { abs($0 - $1 + t) }.max()!
        return Swift.max(df, dg)
    }

    /// The separable log-domain kernel against the dense definition, for log-weights spanning ±300 (so the
    /// shifted exponentials of the dgemm path underflow for many entries), some −∞, at ε from 1 down to 1e-4
    /// (where e^{−C/ε} underflows for most pairs).
    @Test(arguments: [1.0, 1e-2, 1e-3, 1e-4])
    func logKernelMatchesDenseDefinition(epsilon: Double) throws {
        let grid = try RegularGrid2D(x1: (0..<9).map { Double($0) / 8 }, x2: (0..<7).map { 0.9 * Double($0) / 6 })
        var rng = SeededGenerator(seed: 77)
        var w = (0..<grid.count).map { _ in 300 * (2 * rng.nextUniform() - 1) }
        w[4] = -.infinity
        w[30] = -.infinity
        let n = grid.count
        let dense = (0..<n).map { k -> Double in
            let terms = (0..<n).map { w[$0] - grid.cost(k, $0) / epsilon }
            let m = terms.max()!
            return m + Foundation.log(terms.reduce(0) { $0 + Foundation.exp($1 - m) })
        }
        for backend in KernelBackend.allCases {
            let out = try GridLogKernel(grid: grid, epsilon: epsilon, backend: backend).apply(w)
            for k in 0..<n {
                // log-sum-exp values are O(300 + C/ε): compare to rounding of that magnitude.
                #expect(abs(out[k] - dense[k]) <= 1e-13 * Swift.max(1, abs(dense[k])), "\(backend) ε=\(epsilon) k=\(k): \(out[k]) vs \(dense[k])")
            }
        }
        let kernel = try GridLogKernel(grid: grid, epsilon: epsilon)
        #expect(throws: TangentFlowError.self) { try kernel.apply([1, 2]) }
        var bad = w
        bad[2] = .nan
        #expect(throws: TangentFlowError.self) { try kernel.apply(bad) }
        #expect(throws: TangentFlowError.self) { try GridLogKernel(grid: grid, epsilon: 0) }
    }

    @Test(arguments: [(5, 5, 0.05), (6, 4, 0.01), (7, 7, 0.004)])
    func matchesDenseLogDomainReference(n1: Int, n2: Int, reg: Double) throws {
        let grid = try RegularGrid2D(x1: (0..<n1).map { Double($0) / Double(n1 - 1) }, x2: (0..<n2).map { 0.8 * Double($0) / Double(n2 - 1) })
        let a = Self.density(grid, (0.2, 0.3), (0.7, 0.6)), b = Self.density(grid, (0.8, 0.2), (0.3, 0.7))
        let ref = Self.denseReference(grid, a, b, reg: reg)
        let refCost = Self.plan(grid, ref.f, ref.g, reg: reg).cost
        for backend in KernelBackend.allCases {
            var options = SinkhornOptions(regularization: reg)
            options.tolerance = 1e-13
            let r = try GridSinkhorn.solve(grid: grid, a: a, b: b, options: options, backend: backend)
            // A marginal error δ moves the potentials by about ε·δ/min(a); δ ≤ 1e-13 here.
            let gap = Self.maxPotentialGap(r.f, r.g, ref.f, ref.g)
            #expect(gap <= 1e-9 * Swift.max(reg, 1e-2), "\(backend): potentials differ by \(gap)")
            let cost = try GridSinkhorn.transportCost(grid: grid, f: r.f, g: r.g, regularization: reg, backend: backend).cost
            #expect(abs(cost - refCost) <= 1e-10 * refCost, "\(backend): cost \(cost) vs dense \(refCost)")
        }
    }

    /// At ε = 6e-4 the Gibbs kernel `e^{−C/ε}` underflows for the far pairs (`C/ε` up to 1,667 > 745); the log
    /// domain must not: the potentials stay finite and match the dense log-domain reference, marginals hold.
    @Test func smallRegularizationDoesNotUnderflow() throws {
        let grid = try RegularGrid2D.unitSquare(5)
        let a = Self.density(grid, (0.2, 0.2), (0.6, 0.8)), b = Self.density(grid, (0.9, 0.5), (0.1, 0.9))
        let reg = 6e-4
        #expect(Foundation.exp(-grid.maximumCost / reg) == 0)
        var options = SinkhornOptions(regularization: reg)
        options.tolerance = 1e-10
        options.epsilonScalingStart = 0.5
        let ref = Self.denseReference(grid, a, b, reg: reg)
        for backend in KernelBackend.allCases {
            let r = try GridSinkhorn.solve(grid: grid, a: a, b: b, options: options, backend: backend)
            #expect(r.f.allSatisfy(\.isFinite) && r.g.allSatisfy(\.isFinite))
            let p = Self.plan(grid, r.f, r.g, reg: reg)
            let errA = zip(p.rows, a).map { abs($0 - $1) }.reduce(0, +), errB = zip(p.cols, b).map { abs($0 - $1) }.reduce(0, +)
            #expect(errA <= 2e-10 && errB <= 2e-10, "\(backend): marginal errors \(errA), \(errB)")
            #expect(Self.maxPotentialGap(r.f, r.g, ref.f, ref.g) <= 1e-9, "\(backend)")
        }
    }

    /// The C path (dgemm passes, ε-scaling, over-relaxation) and the Swift path (direct log-sum-exp) agree, and
    /// the reported marginal errors are the true ones.
    @Test func cAndSwiftPathsAgreeAndReportTrueErrors() throws {
        let grid = try RegularGrid2D.unitSquare(12)
        let a = Self.density(grid, (0.3, 0.35), (0.7, 0.7)), b = Self.density(grid, (0.65, 0.3), (0.25, 0.75))
        var options = SinkhornOptions(regularization: 2e-3)
        options.tolerance = 1e-11
        let c = try GridSinkhorn.solve(grid: grid, a: a, b: b, options: options, backend: .c)
        let s = try GridSinkhorn.solve(grid: grid, a: a, b: b, options: options, backend: .swift)
        #expect(Self.maxPotentialGap(c.f, c.g, s.f, s.g) <= 1e-10)
        let p = Self.plan(grid, c.f, c.g, reg: 2e-3)
        let errA = zip(p.rows, a).map { abs($0 - $1) }.reduce(0, +), errB = zip(p.cols, b).map { abs($0 - $1) }.reduce(0, +)
        #expect(abs(errA - c.marginalErrorA) <= 1e-13 && abs(errB - c.marginalErrorB) <= 1e-13)
        #expect(errA <= 1e-11 && errB <= 1e-11)
        // Plain Sinkhorn reaches the same potentials.
        options.overRelaxation = .none
        let plain = try GridSinkhorn.solve(grid: grid, a: a, b: b, options: options, backend: .c)
        #expect(Self.maxPotentialGap(c.f, c.g, plain.f, plain.g) <= 1e-10)
        #expect(plain.overRelaxation == 1)
    }

    /// Zero masses are allowed: their potentials are −∞ and the plan has no mass there.
    @Test func zeroMassesGetMinusInfinity() throws {
        let grid = try RegularGrid2D.unitSquare(5)
        var a = Self.density(grid, (0.2, 0.3), (0.7, 0.6))
        a[3] = 0
        a[17] = 0
        let s = a.reduce(0, +)
        a = a.map { $0 / s }
        let b = Self.density(grid, (0.8, 0.2), (0.3, 0.7))
        var options = SinkhornOptions(regularization: 0.02)
        options.tolerance = 1e-12
        for backend in KernelBackend.allCases {
            let r = try GridSinkhorn.solve(grid: grid, a: a, b: b, options: options, backend: backend)
            #expect(r.f[3] == -.infinity && r.f[17] == -.infinity)
            let p = Self.plan(grid, r.f, r.g, reg: 0.02)
            #expect(p.rows[3] == 0 && p.rows[17] == 0)
            #expect(zip(p.cols, b).map { abs($0 - $1) }.reduce(0, +) <= 1e-12)
        }
    }

    @Test(arguments: KernelBackend.allCases)
    func badInputThrows(backend: KernelBackend) throws {
        let grid = try RegularGrid2D.unitSquare(4)
        let u = [Double](repeating: 1.0 / 16, count: 16)
        let ok = SinkhornOptions(regularization: 0.01)
        var negative = u
        negative[0] = -1.0 / 16
        negative[1] += 2.0 / 16
        var nan = u
        nan[5] = .nan
        for bad in [negative, nan, [Double](repeating: 0.1, count: 16), Array(u.dropLast())] {
            #expect(throws: TangentFlowError.self) { try GridSinkhorn.solve(grid: grid, a: bad, b: u, options: ok, backend: backend) }
            #expect(throws: TangentFlowError.self) { try GridSinkhorn.solve(grid: grid, a: u, b: bad, options: ok, backend: backend) }
        }
        for reg in [0.0, -1, .nan, .infinity] {
            #expect(throws: TangentFlowError.self) {
                try GridSinkhorn.solve(grid: grid, a: u, b: u, options: SinkhornOptions(regularization: reg), backend: backend)
            }
        }
        var capped = SinkhornOptions(regularization: 1e-3)
        capped.maxIterations = 2
        let a = Self.density(grid, (0.1, 0.1), (0.2, 0.2)), b = Self.density(grid, (0.9, 0.9), (0.8, 0.7))
        #expect {
            try GridSinkhorn.solve(grid: grid, a: a, b: b, options: capped, backend: backend)
        } throws: { error in
            guard case .didNotConverge = error as? TangentFlowError else { return false }
            return true
        }
        var badOmega = ok
        badOmega.overRelaxation = .fixed(2.5)
        #expect(throws: TangentFlowError.self) { try GridSinkhorn.solve(grid: grid, a: u, b: u, options: badOmega, backend: backend) }
        #expect(throws: TangentFlowError.self) { try RegularGrid2D(x1: [0, .nan], x2: [0, 1]) }
        #expect(throws: TangentFlowError.self) { try RegularGrid2D.unitSquare(1) }
    }
}
