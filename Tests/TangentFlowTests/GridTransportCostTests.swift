import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein

/// The transport cost `⟨P, C⟩` and mass `Σ P` of a grid plan, computed in `O(n³)` by separable (cost-weighted)
/// log-domain kernel applications, against the brute-force `O(n⁴)` sum over all pairs, on both backends.
@Suite struct GridTransportCostTests {
    /// `Σ_kl P_kl C_kl` and `Σ_kl P_kl` over all `(n1·n2)²` pairs with compensated (Neumaier) sums: the
    /// independent reference (no separability, no log-sum-exp).
    static func bruteForce(_ grid: RegularGrid2D, _ f: [Double], _ g: [Double], reg: Double) -> (cost: Double, mass: Double) {
        var cost = 0.0, costC = 0.0, mass = 0.0, massC = 0.0
        func add(_ s: inout Double, _ c: inout Double, _ x: Double) {
            let t = s + x
            c += abs(s) >= abs(x) ? (s - t) + x : (x - t) + s
            s = t
        }
        for k in 0..<grid.count where f[k] != -.infinity {
            for l in 0..<grid.count where g[l] != -.infinity {
                let c = grid.cost(k, l)
                let p = Foundation.exp(f[k] / reg + g[l] / reg - c / reg)
                add(&cost, &costC, p * c)
                add(&mass, &massC, p)
            }
        }
        return (cost + costC, mass + massC)
    }

    /// A grid with `n1 ≠ n2` allowed and coordinates scaled by `scale` (so one axis' cost is not the other's).
    static func grid(_ n1: Int, _ n2: Int, scale: Double) throws -> RegularGrid2D {
        try RegularGrid2D(x1: (0..<n1).map { scale * Double($0) / Double(n1 - 1) },
                          x2: (0..<n2).map { 0.7 * scale * Double($0) / Double(n2 - 1) })
    }

    /// Potentials far from any solution: `g/ε` spread over ±300 (so the shifted exponentials of the dgemm path
    /// underflow and its exact fallbacks run), a few `−∞` entries, and `f/ε = −max(g/ε) ± 5` so the plan's
    /// largest entries are of order 1 (at most `e^5`): every term of the brute-force sum is representable.
    static func wildPotentials(_ count: Int, reg: Double, seed: UInt64) -> (f: [Double], g: [Double]) {
        var rng = SeededGenerator(seed: seed)
        var g = (0..<count).map { _ in reg * 300 * (2 * rng.nextUniform() - 1) }
        let top = g.max()! / reg
        var f = (0..<count).map { _ in reg * (-top + 5 * (2 * rng.nextUniform() - 1)) }
        g[1] = -.infinity
        f[count - 2] = -.infinity
        return (f, g)
    }

    /// Wild potentials at ε from 1e-4 (the kernel `e^{−C/ε}` underflows for most pairs) to 10 (`c·e^{−c/ε}`
    /// exceeds 1 on the scaled grid), on square and rectangular grids: both backends equal the brute force to
    /// 1e-12 relative, and each other to 1e-13.
    @Test(arguments: [
        (4, 4, 1.0, 1.0), (4, 4, 1.0, 1e-4), (5, 9, 1.0, 1e-2), (7, 6, 1.0, 1e-3), (11, 11, 1.0, 1e-4),
        (16, 16, 1.0, 1e-3), (16, 16, 1.0, 1e-4), (6, 8, 10.0, 10.0), (16, 12, 1.0, 1.0),
    ])
    func wildPotentialsMatchBruteForce(n1: Int, n2: Int, scale: Double, reg: Double) throws {
        let grid = try Self.grid(n1, n2, scale: scale)
        let (f, g) = Self.wildPotentials(grid.count, reg: reg, seed: UInt64(n1 * 100 + n2))
        let ref = Self.bruteForce(grid, f, g, reg: reg)
        #expect(ref.cost > 0 && ref.cost.isFinite && ref.mass.isFinite)
        var costs: [Double] = []
        for backend in KernelBackend.allCases {
            let got = try GridSinkhorn.transportCost(grid: grid, f: f, g: g, regularization: reg, backend: backend)
            #expect(abs(got.cost - ref.cost) <= 1e-12 * ref.cost, "\(backend) \(n1)×\(n2) ε=\(reg): cost \(got.cost) vs brute force \(ref.cost)")
            #expect(abs(got.mass - ref.mass) <= 1e-12 * ref.mass, "\(backend) \(n1)×\(n2) ε=\(reg): mass \(got.mass) vs brute force \(ref.mass)")
            costs.append(got.cost)
        }
        #expect(abs(costs[0] - costs[1]) <= 1e-13 * ref.cost, "C vs Swift twin: \(costs)")
    }

    /// Solved potentials (the plan the command line reports) at ε = 1e-2 … 1e-4 on n = 4 … 16: cost and mass
    /// equal the brute force to 1e-12 relative on both backends; the mass is 1 to the marginal tolerance.
    @Test(arguments: [(4, 1e-2), (8, 1e-3), (12, 1e-3), (16, 1e-4)])
    func solvedPotentialsMatchBruteForce(n: Int, reg: Double) throws {
        let grid = try RegularGrid2D.unitSquare(n)
        let a = GridSinkhornTests.density(grid, (0.2, 0.3), (0.7, 0.6)), b = GridSinkhornTests.density(grid, (0.8, 0.2), (0.3, 0.7))
        var options = SinkhornOptions(regularization: reg)
        options.tolerance = 1e-11
        options.epsilonScalingStart = 1
        let r = try GridSinkhorn.solve(grid: grid, a: a, b: b, options: options, backend: .c)
        let ref = Self.bruteForce(grid, r.f, r.g, reg: reg)
        #expect(abs(ref.mass - 1) <= 1e-10)
        for backend in KernelBackend.allCases {
            let got = try GridSinkhorn.transportCost(grid: grid, f: r.f, g: r.g, regularization: reg, backend: backend)
            #expect(abs(got.cost - ref.cost) <= 1e-12 * ref.cost, "\(backend) n=\(n) ε=\(reg): \(got.cost) vs brute force \(ref.cost)")
            #expect(abs(got.mass - ref.mass) <= 1e-12, "\(backend) n=\(n) ε=\(reg): mass \(got.mass) vs \(ref.mass)")
        }
    }

    /// Log-stability: the plan of `(f + t, g − t)` is the plan of `(f, g)`; with `t/ε = ±3,000` the factors
    /// `e^{f/ε}` and `e^{g/ε}` alone overflow or underflow, the log-domain sums must not.
    @Test(arguments: [0.3, -0.3])
    func gaugeShiftDoesNotOverflow(shift: Double) throws {
        let grid = try RegularGrid2D.unitSquare(10)
        let reg = 1e-4
        let a = GridSinkhornTests.density(grid, (0.2, 0.3), (0.7, 0.6)), b = GridSinkhornTests.density(grid, (0.8, 0.2), (0.3, 0.7))
        var options = SinkhornOptions(regularization: reg)
        options.tolerance = 1e-11
        options.epsilonScalingStart = 1
        let r = try GridSinkhorn.solve(grid: grid, a: a, b: b, options: options, backend: .c)
        #expect(!Foundation.exp(abs(shift) / reg).isFinite)
        for backend in KernelBackend.allCases {
            let base = try GridSinkhorn.transportCost(grid: grid, f: r.f, g: r.g, regularization: reg, backend: backend)
            let moved = try GridSinkhorn.transportCost(
                grid: grid, f: r.f.map { $0 + shift }, g: r.g.map { $0 - shift }, regularization: reg, backend: backend)
            // (f + t) + (g − t) differs from f + g by rounding of |t| ≈ 0.3: 0.3·2^−52/ε ≈ 7e-13 in the exponent.
            #expect(abs(moved.cost - base.cost) <= 5e-12 * base.cost, "\(backend) t=\(shift): \(moved.cost) vs \(base.cost)")
            #expect(abs(moved.mass - base.mass) <= 5e-12, "\(backend) t=\(shift)")
        }
    }
}
