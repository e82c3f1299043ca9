import Foundation

/// Pure-Swift grid Sinkhorn: the same iteration as `CKernels/sinkhorn_grid.c` (ε-scaling, over-relaxation,
/// marginal-error stopping), with every kernel application a direct, max-shifted log-sum-exp along each axis
/// (`2·n1·n2·(n1 + n2)`-ish exponentials per iteration instead of the C path's two dgemm passes). The second
/// opinion in tests and the baseline in `kernels-bench`.
enum SwiftGridSinkhorn {
    /// The separable log-domain kernel: `out_k = log Σ_l exp(w_l − C_kl/ε)`, `C_kl = ½|x_k − x_l|²`.
    struct LogKernel {
        let n1: Int, n2: Int
        let c1: [Double], c2: [Double]  // n×n, symmetric
        var eps: Double
        private var l: [Double], column: [Double]

        init(grid: RegularGrid2D, eps: Double) {
            let m1 = grid.x1.count, m2 = grid.x2.count
            n1 = m1
            n2 = m2
            c1 = (0..<(m1 * m1)).map { t in let d = grid.x1[t % m1] - grid.x1[t / m1]; return 0.5 * d * d }
            c2 = (0..<(m2 * m2)).map { t in let d = grid.x2[t % m2] - grid.x2[t / m2]; return 0.5 * d * d }
            self.eps = eps
            l = [Double](repeating: 0, count: n1 * n2)
            column = [Double](repeating: 0, count: n1)
        }

        /// `log Σ_t exp(v_t + λ_t)` (`λ_t` the log of a kernel factor), max-shifted.
        @inline(__always)
        static func lse(_ count: Int, _ v: (Int) -> Double, _ logK: (Int) -> Double) -> Double {
            var m = -Double.infinity
            for t in 0..<count { m = Swift.max(m, v(t) + logK(t)) }
            if m == -.infinity { return -.infinity }
            var s = 0.0
            for t in 0..<count { s += Foundation.exp(v(t) + logK(t) - m) }
            return m + Foundation.log(s)
        }

        /// `log(c·e^{−c/ε}) = log c − c/ε` (`−∞` where `c = 0`) or `−c/ε`: the log of one axis factor.
        @inline(__always)
        static func logFactor(_ c: Double, _ eps: Double, weighted: Bool) -> Double {
            weighted ? (c > 0 ? Foundation.log(c) - c / eps : -.infinity) : -c / eps
        }

        /// `out_k = log Σ_l exp(w_l − C_kl/ε)`, or with `weightedAxis` 1 or 2 the cost-weighted
        /// `log Σ_l exp(w_l − C_kl/ε)·c_axis(k, l)` (`c_1 = ½(x1_i − x1_i')²`, `c_2 = ½(x2_j − x2_j')²`): the factor
        /// of that axis is `c·e^{−c/ε}` instead of `e^{−c/ε}`, as in `CKernels/grid_kernel.c`.
        mutating func apply(_ w: [Double], into out: inout [Double], weightedAxis: Int = 0) {
            let eps = self.eps, n1 = self.n1, n2 = self.n2
            let weight1 = weightedAxis == 1, weight2 = weightedAxis == 2
            // pass 1: over j' for every (i', j)
            for i in 0..<n1 {
                for j in 0..<n2 {
                    l[i * n2 + j] = LogKernel.lse(n2, { w[i * n2 + $0] }, { LogKernel.logFactor(self.c2[$0 + j * n2], eps, weighted: weight2) })
                }
            }
            // pass 2: over i' for every (i, j)
            for j in 0..<n2 {
                for p in 0..<n1 { column[p] = l[p * n2 + j] }
                for i in 0..<n1 {
                    out[i * n2 + j] = LogKernel.lse(n1, { self.column[$0] }, { LogKernel.logFactor(self.c1[$0 + i * n1], eps, weighted: weight1) })
                }
            }
        }
    }

    static func solve(grid: RegularGrid2D, a: [Double], b: [Double], options: SinkhornOptions) throws -> SinkhornResult {
        let nn = grid.count, reg = options.regularization
        let loga = a.map { $0 > 0 ? Foundation.log($0) : -Double.infinity }
        let logb = b.map { $0 > 0 ? Foundation.log($0) : -Double.infinity }
        var f = [Double](repeating: 0, count: nn), g = f, lse = f, w = f
        let start = Swift.max(options.epsilonScalingStart ?? 0, reg)
        var kernel = LogKernel(grid: grid, eps: start)

        func error(_ pot: [Double], _ mass: [Double], _ eps: Double) -> Double {
            var e = 0.0
            for t in 0..<nn { e += abs((mass[t] > 0 ? Foundation.exp(Swift.min(pot[t] / eps + lse[t], 700)) : 0) - mass[t]) }
            return e
        }
        func apply(_ other: [Double], _ eps: Double) {
            for t in 0..<nn { w[t] = other[t] / eps }
            kernel.eps = eps
            kernel.apply(w, into: &lse)
        }
        func update(_ pot: inout [Double], _ mass: [Double], _ logmass: [Double], _ eps: Double, _ omega: Double) {
            for t in 0..<nn {
                guard mass[t] > 0 else { pot[t] = -.infinity; continue }
                let target = eps * (logmass[t] - lse[t])
                pot[t] = omega == 1 ? target : (1 - omega) * pot[t] + omega * target
            }
        }

        var total = 0
        var eps = start
        while eps > reg * (1 + 1e-12), total < options.maxIterations {
            for _ in 0..<options.iterationsPerScale where total < options.maxIterations {
                apply(g, eps); update(&f, a, loga, eps, 1)
                apply(f, eps); update(&g, b, logb, eps, 1)
                total += 1
            }
            eps *= options.epsilonScalingDecay
        }
        let automatic = options.overRelaxation == .automatic
        var omega = automatic ? 1.0 : options.omegaCode
        var best = Double.infinity, worse = 0, atTarget = 0, converged = false
        var errA = Double.infinity, errB = Double.infinity
        let probe = 10
        var history = [Double](repeating: 0, count: 2 * probe + 1)
        while total < options.maxIterations {
            apply(g, reg); update(&f, a, loga, reg, omega); errA = error(f, a, reg)
            apply(f, reg); errB = error(g, b, reg)
            total += 1
            atTarget += 1
            guard errA.isFinite, errB.isFinite else {
                throw TangentFlowError.invalidArgument(operation: "GridSinkhorn.solve", reason: "the iteration produced non-finite marginals")
            }
            if errA <= options.tolerance, errB <= options.tolerance { converged = true; break }
            let e = errA + errB
            if automatic, atTarget <= 2 * probe + 1 {
                history[atTarget - 1] = e
                if atTarget == 2 * probe + 1, history[probe] > 0 {
                    let r = Foundation.pow(e / history[probe], 1 / Double(probe))
                    if r > 0, r < 1 { omega = Swift.min(2 / (1 + (1 - r).squareRoot()), 1.95); best = .infinity }
                }
            }
            if e < best {
                best = e
                worse = 0
            } else if omega != 1 {
                worse += 1
                if worse >= 20 {  // no progress: halve the over-relaxation (plain Sinkhorn always converges)
                    omega = 1 + 0.5 * (omega - 1)
                    if omega < 1.05 { omega = 1 }
                    worse = 0
                    best = e
                }
            }
            update(&g, b, logb, reg, omega)
        }
        if !converged {
            apply(g, reg); errA = error(f, a, reg)
            apply(f, reg); errB = error(g, b, reg)
        }
        return SinkhornResult(
            f: f, g: g, iterations: atTarget, totalIterations: total, marginalErrorA: errA, marginalErrorB: errB,
            overRelaxation: omega, exactFallbacks: 0)
    }

    /// `⟨P, C⟩` and `Σ P` of the plan of `(f, g)` in `O(n1·n2·(n1 + n2))`: `C = c_1 ⊕ c_2` is separable, so
    /// `Σ_kl P_kl c_a(k, l) = Σ_k exp(f_k/ε + log Σ_l exp(g_l/ε − C_kl/ε)·c_a(k, l))` by a cost-weighted kernel
    /// application per axis, and the mass by a plain one (the twin of `ck_sinkhorn_grid_cost`).
    static func transportCost(grid: RegularGrid2D, f: [Double], g: [Double], regularization: Double) -> (cost: Double, mass: Double) {
        let nn = grid.count
        var kernel = LogKernel(grid: grid, eps: regularization)
        let w = g.map { $0 / regularization }
        var lse = [Double](repeating: 0, count: nn)
        var parts = [0.0, 0.0, 0.0]
        for axis in 0...2 {
            kernel.apply(w, into: &lse, weightedAxis: axis)
            let z = (0..<nn).map { f[$0] == -.infinity ? -Double.infinity : f[$0] / regularization + lse[$0] }
            let m = z.max() ?? -.infinity
            guard m.isFinite else { parts[axis] = m == -.infinity ? 0 : m; continue }
            parts[axis] = Foundation.exp(m) * z.reduce(0) { $0 + Foundation.exp($1 - m) }
        }
        return (parts[1] + parts[2], parts[0])
    }
}
