import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein

/// The mean-field ReLU model on a parameter grid: the separable log-domain Gibbs kernel, the KL-prox, the
/// entropic JKO step (against a direct minimiser), and the particle discretisation of the same flow.
struct WassersteinMeanFieldTests {
    /// Data x ∈ [−1, 1], targets realised by two neurons of `grid` with mass 1/2 each.
    static func fixture(pointsPerAxis n: Int, extent: Double = 1, samples: Int = 5) throws -> MeanFieldGridEnergy {
        let grid = try ParameterGrid(pointsPerAxis: n, lower: -extent, upper: extent)
        let x = (0..<samples).map { -1 + 2 * Double($0) / Double(samples - 1) }
        let teacher = [grid.point(n * n - 1), grid.point(n - 1)]   // (R, R) and (R, −R)
        let y = x.map { xj in teacher.reduce(0.0) { $0 + 0.5 * max(0, $1.0 * xj + $1.1) } }
        return MeanFieldGridEnergy(model: try MeanFieldReLUModel(inputs: x, targets: y), grid: grid)
    }

    /// A positive, non-uniform probability vector.
    static func bump(_ grid: ParameterGrid) -> [Double] {
        let w = (0..<grid.count).map { k -> Double in
            let (a, b) = grid.point(k)
            return exp(-((a + 0.3) * (a + 0.3) + b * b) / 0.5) + 0.01
        }
        let s = w.reduce(0, +)
        return w.map { $0 / s }
    }

    static func logSumExp(_ v: [Double]) -> Double {
        let top = v.max()!
        guard top > -.infinity else { return -.infinity }
        return top + log(v.reduce(0) { $0 + exp($1 - top) })
    }

    /// Dense log-domain Sinkhorn: W_γ(p, q) = γ(⟨p, log a⟩ + ⟨q, log b⟩ − Σπ) and the potential log a, to a
    /// first-marginal L1 error of 1e-15 (independent of SeparableLogKernel and of the JKO iteration).
    static func entropicTransport(_ p: [Double], _ q: [Double], _ grid: ParameterGrid, gamma: Double, logB: inout [Double]) -> (value: Double, logA: [Double]) {
        let count = p.count
        let pts = (0..<count).map { grid.point($0) }
        var logK = [Double](repeating: 0, count: count * count)   // symmetric
        for i in 0..<count { for j in 0..<count { logK[i * count + j] = -(pow(pts[i].0 - pts[j].0, 2) + pow(pts[i].1 - pts[j].1, 2)) / gamma } }
        func apply(_ v: [Double]) -> [Double] {
            (0..<count).map { i in
                var top = -Double.infinity
                for j in 0..<count { top = max(top, logK[i * count + j] + v[j]) }
                var s = 0.0
                for j in 0..<count { s += exp(logK[i * count + j] + v[j] - top) }
                return top + log(s)
            }
        }
        var logA = [Double](repeating: 0, count: count)
        var kb = apply(logB)
        for _ in 0..<100_000 {
            logA = (0..<count).map { log(p[$0]) - kb[$0] }
            let ka = apply(logA)
            logB = (0..<count).map { log(q[$0]) - ka[$0] }
            kb = apply(logB)
            var err = 0.0
            for i in 0..<count { err += abs(exp(logA[i] + kb[i]) - p[i]) }
            if err <= 1e-15 { break }
        }
        var value = 0.0
        for i in 0..<count { value += p[i] * logA[i] + q[i] * logB[i] }
        return (gamma * (value - q.reduce(0, +)), logA)
    }

    /// `W_γ(p, q) + τ f(p)`.
    static func jkoObjective(_ p: [Double], _ q: [Double], _ energy: MeanFieldGridEnergy, gamma: Double, tau: Double) throws -> Double {
        var logB = [Double](repeating: 0, count: p.count)
        return entropicTransport(p, q, energy.grid, gamma: gamma, logB: &logB).value + tau * (try energy.energy(p))
    }

    @Test func separableLogKernelMatchesDenseLogSumExp() throws {
        let grid = try ParameterGrid(pointsPerAxis: 5, lower: -1, upper: 1.5)
        let gamma = 0.07
        var rng = SeededGenerator(seed: 8)
        var logV = (0..<grid.count).map { _ in 3 * rng.nextGaussian() }
        logV[4] = -.infinity   // a zero mass
        for backend in KernelBackend.allCases {
            let got = try SeparableLogKernel(axis: grid.axis, gamma: gamma, backend: backend).apply(logV)
            var worst = 0.0
            for k in 0..<grid.count {
                let (a, b) = grid.point(k)
                let dense = Self.logSumExp((0..<grid.count).map { l in
                    let (c, d) = grid.point(l)
                    return -((a - c) * (a - c) + (b - d) * (b - d)) / gamma + logV[l]
                })
                worst = max(worst, abs(got[k] - dense) / max(1, abs(dense)))
            }
            // Two nested log-sum-exps vs one: each is accurate to a few ulps of its largest term (|·| ≲ 100 here).
            #expect(worst <= 1e-13, "\(backend): max relative difference \(worst)")
            // γ far below the spacing² (0.39): e^{−c/γ} underflows for every off-diagonal pair, the log domain does not.
            let tiny = try SeparableLogKernel(axis: grid.axis, gamma: 1e-4, backend: backend).apply(logV)
            #expect(tiny.allSatisfy { $0.isFinite })
            #expect(abs(tiny[0] - logV[0]) <= 1e-12, "\(backend): diagonal dominates: \(tiny[0]) vs \(logV[0])")
        }
    }

    @Test func klProxSatisfiesItsOptimalityCondition() throws {
        let energy = try Self.fixture(pointsPerAxis: 6)
        let sigma = 7.0
        var rng = SeededGenerator(seed: 2)
        let logPrior = (0..<energy.grid.count).map { _ in rng.nextGaussian() - log(Double(energy.grid.count)) }
        let solver = KLProximalSolver(features: energy.features, targets: energy.model.targets, sigma: sigma)
        var z = [Double](repeating: 0, count: energy.model.samples)
        let s = solver.solve(logPrior: logPrior, dual: &z, tolerance: 1e-13, maxIterations: 50)
        #expect(s.converged && s.iterations < 50)
        // log p = log p̄ − σ∇f(p); the dual residual 1e-13 becomes ≲ σ·|Φ|·1e-13/(n/σ)… ≪ 1e-10.
        let grad = try energy.firstVariation(s.logP.map { exp($0) })
        let worst = (0..<grad.count).map { abs(s.logP[$0] - logPrior[$0] + sigma * grad[$0]) }.max()!
        #expect(worst <= 1e-10, "max |log p − log p̄ + σ∇f(p)| = \(worst)")
    }

    @Test func jkoStepMatchesADirectMinimiser() throws {
        let energy = try Self.fixture(pointsPerAxis: 4)
        let (gamma, tau) = (0.2, 0.5)
        let q = Self.bump(energy.grid)
        let settings = EntropicJKOSettings(gamma: gamma, tau: tau, marginalTolerance: 1e-14, maxIterations: 100_000, proxTolerance: 1e-14)
        let (p, report) = try EntropicJKO.step(from: q, energy: energy, settings: settings)
        #expect(report.converged && report.marginalError <= 1e-14, "\(report)")
        #expect(abs(report.mass - 1) <= 1e-14)
        // Direct minimiser: mirror descent on the simplex for J(p) = W_γ(p, q) + τ f(p), with ∇_p W_γ = γ log a
        // from a dense log-domain Sinkhorn. Step 1/(γ + τ λ_max(ΦᵀΦ/n)): J is that smooth relative to entropy.
        let n = Double(energy.model.samples)
        let lambda = energy.features.elements.reduce(0) { $0 + $1 * $1 } / n
        let eta = 1 / (gamma + tau * lambda)
        var direct = q
        var logB = [Double](repeating: 0, count: q.count)
        for _ in 0..<20_000 {
            let (_, logA) = Self.entropicTransport(direct, q, energy.grid, gamma: gamma, logB: &logB)
            let grad = try energy.firstVariation(direct)
            var next = (0..<q.count).map { direct[$0] * exp(-eta * (gamma * logA[$0] + tau * grad[$0])) }
            let s = next.reduce(0, +)
            next = next.map { $0 / s }
            let change = zip(next, direct).reduce(0) { $0 + abs($1.0 - $1.1) }
            direct = next
            if change <= 1e-13 { break }
        }
        let gap = zip(p, direct).reduce(0) { $0 + abs($1.0 - $1.1) }
        // The JKO step meets its marginals to 1e-14. Mirror descent contracts by ≈ 0.93 per iteration here, so
        // stopping at a change of 1e-13 leaves it ≈ 1e-13/(1 − 0.93) ≈ 1.5e-12 from its limit (run to 1e-15 the gap
        // measured 2e-14).
        #expect(gap <= 1e-10, "‖p_JKO − p_direct‖₁ = \(gap)")
        let jJKO = try Self.jkoObjective(p, q, energy, gamma: gamma, tau: tau)
        let jStart = try Self.jkoObjective(q, q, energy, gamma: gamma, tau: tau)
        let jDirect = try Self.jkoObjective(direct, q, energy, gamma: gamma, tau: tau)
        #expect(jJKO < jStart, "J(p_{t+1}) = \(jJKO) must be below J(p_t) = \(jStart)")
        #expect(jJKO <= jDirect + 1e-12, "J(p_JKO) = \(jJKO) vs J(p_direct) = \(jDirect)")
    }

    @Test func smallGammaStaysInTheLogDomain() throws {
        // γ = 1e-3 against spacing² = (2/7)² ≈ 0.08: e^{−c/γ} underflows to 0 for every off-diagonal pair.
        let energy = try Self.fixture(pointsPerAxis: 8)
        let q = Self.bump(energy.grid)
        let settings = EntropicJKOSettings(gamma: 1e-3, tau: 0.05, marginalTolerance: 1e-12, maxIterations: 10_000, proxTolerance: 1e-13)
        let (p, report) = try EntropicJKO.step(from: q, energy: energy, settings: settings)
        #expect(report.converged && report.marginalError <= 1e-12, "\(report)")
        #expect(p.allSatisfy { $0.isFinite && $0 > 0 })
        #expect(abs(report.mass - 1) <= 1e-12)
        // (A dense Sinkhorn for W_γ(p, p_t) at this γ would need ~e^{c/γ} iterations; the JKO iteration does not,
        // because p adapts.) Moving mass costs ≥ spacing² ≫ γ, so the energy decreases with little blur.
        #expect(try energy.energy(p) < energy.energy(q))
    }

    @Test func jkoFlowReportsEveryStep() throws {
        let energy = try Self.fixture(pointsPerAxis: 8, extent: 1.5)
        let start = Self.bump(energy.grid)
        let settings = EntropicJKOSettings(gamma: 0.02, tau: 1, marginalTolerance: 1e-10, maxIterations: 5000, proxTolerance: 1e-12)
        let flow = try EntropicJKO.flow(from: start, energy: energy, settings: settings, steps: 6)
        #expect(flow.densities.count == 7 && flow.reports.count == 6 && flow.unconvergedSteps == 0, "\(flow.reports)")
        #expect(abs(flow.times[6] - 6 * 1.0 / 2) <= 1e-15)
        for p in flow.densities { #expect(abs(p.reduce(0, +) - 1) <= 1e-12) }
        #expect(flow.energies.last! < flow.energies[0], "energy \(flow.energies)")
        // A cap of one iteration is reported, not hidden.
        var capped = settings
        capped.maxIterations = 1
        let (_, r) = try EntropicJKO.step(from: start, energy: energy, settings: capped)
        #expect(!r.converged && r.iterations == 1 && r.marginalError > 1e-10)
    }

    @Test func particleVelocityIsTheScaledNetworkGradient() throws {
        let energy = try Self.fixture(pointsPerAxis: 5)
        let model = energy.model
        var rng = SeededGenerator(seed: 4)
        let m = 7
        let theta = try Matrix.gaussian(rows: m, cols: 2, using: &rng)
        let v = try model.particleVelocity(theta)
        // ReLU is 1-homogeneous: (1/M)σ(⟨θ, x⟩) = σ(⟨θ/M, x⟩), so the particle measure is the finite network with
        // W = Θ/M, and −∇_θ F'(μ)(θ_i) = −∂F/∂w_i.
        let x = try TwoLayerReLUProblem.augmented(Matrix.column(model.inputs))
        let net = try TwoLayerReLUProblem(inputs: x, targets: model.targets, signs: [Double](repeating: model.sign, count: m))
        var w = theta
        for k in 0..<w.elements.count { w.elements[k] /= Double(m) }
        let g = try net.gradient(w)
        var worst = 0.0
        for k in 0..<g.elements.count { worst = max(worst, abs(v.elements[k] + g.elements[k])) }
        #expect(worst <= 1e-14 * max(1, g.maxAbs), "max |v + ∇F| = \(worst)")
        #expect(abs(try model.particleEnergy(theta) - net.loss(w)) <= 1e-14)
    }

    @Test func gridAndParticleEnergiesAgreeOnAtoms() throws {
        let energy = try Self.fixture(pointsPerAxis: 6, extent: 2)
        let atoms = [3, 17, 29]
        var p = [Double](repeating: 0, count: energy.grid.count)
        for k in atoms { p[k] = 1.0 / 3 }
        let particles = try Matrix(atoms.map { [energy.grid.point($0).0, energy.grid.point($0).1] })
        let fGrid = try energy.energy(p), fParticles = try energy.model.particleEnergy(particles)
        #expect(abs(fGrid - fParticles) <= 1e-15 * max(1, fGrid), "grid \(fGrid) vs particles \(fParticles)")
        // The first variation at an atom is the particle's potential: its gradient is the particle velocity.
        let flow = try energy.model.particleFlow(from: particles, step: 0.01, steps: 200, saveEvery: 50)
        #expect(flow.times == [0, 0.5, 1, 1.5, 2])
        for i in 1..<flow.energies.count { #expect(flow.energies[i] <= flow.energies[i - 1], "energy must decrease: \(flow.energies)") }
    }
}
