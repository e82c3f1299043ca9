import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein

/// The entropic JKO flow as an `integrate` solve (`MeanFieldGridGradientFlow` + `EntropicJKOStepper`): the
/// public `EntropicJKO.step`/`flow` equal a direct `integrate` call and, bit for bit, the hand-written loop they
/// replaced (kept below as the reference); the stepper conserves mass.
struct EntropicJKOStepperTests {
    /// `EntropicJKO.stepUnchecked` and `flow` before they became `integrate` solves (verbatim).
    enum Reference {
        static func step(_ previous: [Double], _ energy: MeanFieldGridEnergy, _ settings: EntropicJKOSettings,
                         _ kernel: SeparableLogKernel) throws -> ([Double], EntropicJKOReport) {
            let count = previous.count
            let logPrevious = previous.map { log($0) }
            let prox = KLProximalSolver(features: energy.features, targets: energy.model.targets, sigma: settings.tau / settings.gamma)
            var dual = [Double](repeating: 0, count: energy.model.samples)
            var logB = [Double](repeating: 0, count: count)
            var logXiB = try kernel.apply(logB)
            var logP = logXiB
            var iterations = 0, proxIterations = 0
            var proxResidual = 0.0, proxConverged = true
            var error = Double.infinity
            while iterations < settings.maxIterations {
                iterations += 1
                let solution = prox.solve(logPrior: logXiB, dual: &dual, tolerance: settings.proxTolerance, maxIterations: settings.maxProxIterations)
                logP = solution.logP
                proxIterations += solution.iterations
                proxResidual = max(proxResidual, solution.residual)
                proxConverged = proxConverged && solution.converged
                let logA = zip(logP, logXiB).map { $0 - $1 }
                let logXiA = try kernel.apply(logA)
                logB = zip(logPrevious, logXiA).map { $0 - $1 }
                logXiB = try kernel.apply(logB)
                error = 0
                for k in 0..<count { error += abs(exp(logA[k] + logXiB[k]) - exp(logP[k])) }
                if error <= settings.marginalTolerance { break }
            }
            let p = logP.map { exp($0) }
            let report = EntropicJKOReport(
                iterations: iterations, marginalError: error, converged: error <= settings.marginalTolerance && proxConverged,
                proxIterations: proxIterations, proxResidual: proxResidual, mass: p.reduce(0, +))
            return (p, report)
        }

        static func flow(_ start: [Double], _ energy: MeanFieldGridEnergy, _ settings: EntropicJKOSettings, steps: Int) throws -> EntropicJKOTrajectory {
            let kernel = try SeparableLogKernel(axis: energy.grid.axis, gamma: settings.gamma)
            var p = start
            var times = [0.0], densities = [start], energies = [energy.model.energy(residuals: energy.residuals(start))]
            var reports: [EntropicJKOReport] = []
            for t in stride(from: 1, through: steps, by: 1) {
                let (next, report) = try step(p, energy, settings, kernel)
                let mass = next.reduce(0, +)
                p = next.map { $0 / mass }
                times.append(Double(t) * settings.tau / 2)
                densities.append(p)
                energies.append(energy.model.energy(residuals: energy.residuals(p)))
                reports.append(report)
            }
            return EntropicJKOTrajectory(times: times, densities: densities, energies: energies, reports: reports)
        }
    }

    static func same(_ a: EntropicJKOReport, _ b: EntropicJKOReport) -> Bool {
        a.iterations == b.iterations && a.marginalError == b.marginalError && a.converged == b.converged
            && a.proxIterations == b.proxIterations && a.proxResidual == b.proxResidual && a.mass == b.mass
    }

    /// τ = 0.3 (flow time 0.15 per step, not dyadic) and τ = 1; a capped run reports unconverged steps.
    @Test(arguments: [(0.3, 5000), (1.0, 5000), (0.3, 2)])
    func flowIsIntegrateAndMatchesTheOldLoop(tau: Double, maxIterations: Int) throws {
        let energy = try WassersteinMeanFieldTests.fixture(pointsPerAxis: 8, extent: 1.5)
        let start = WassersteinMeanFieldTests.bump(energy.grid)
        let settings = EntropicJKOSettings(gamma: 0.02, tau: tau, marginalTolerance: 1e-10, maxIterations: maxIterations, proxTolerance: 1e-12)
        let steps = 5
        let flow = try EntropicJKO.flow(from: start, energy: energy, settings: settings, steps: steps)
        let ref = try Reference.flow(start, energy, settings, steps: steps)
        #expect(flow.times == ref.times && flow.densities == ref.densities && flow.energies == ref.energies, "τ = \(tau): trajectory differs")
        #expect(flow.reports.count == steps && zip(flow.reports, ref.reports).allSatisfy(Self.same), "τ = \(tau): reports \(flow.reports) vs \(ref.reports)")
        #expect(flow.unconvergedSteps == ref.unconvergedSteps && (maxIterations > 2 || flow.unconvergedSteps == steps))
        // The wrapper is this integrate call; the solution's stats sum the reports.
        let field = try MeanFieldGridGradientFlow(energy: energy, timeScale: tau / 2)
        let stepper = try EntropicJKOStepper(settings: settings)
        let sol = try integrate(field, stepper: stepper, controller: ConstantStepSize(1), from: 0, to: Double(steps), start: start, saveAt: .steps)
        #expect(sol.states == flow.densities)
        #expect(sol.stats.innerIterations == ref.reports.reduce(0) { $0 + $1.iterations } && sol.stats.unconvergedSteps == ref.unconvergedSteps)
        // In flow time (c = 1, step τ/2) it is the same flow: bit for bit when τ/2 sums exactly (τ = 1), else to rounding.
        let flowTime = try integrate(try MeanFieldGridGradientFlow(energy: energy), stepper: stepper, controller: ConstantStepSize(tau / 2),
                                     from: 0, to: Double(steps) * tau / 2, start: start)
        let gap = zip(flowTime.finalState, flow.densities[steps]).reduce(0) { $0 + abs($1.0 - $1.1) }
        #expect(flowTime.stats.acceptedSteps == steps && (tau == 1 ? gap == 0 : gap <= 1e-12), "flow-time solve: L1 gap \(gap)")
    }

    @Test func stepMatchesTheOldStep() throws {
        let energy = try WassersteinMeanFieldTests.fixture(pointsPerAxis: 8)
        let q = WassersteinMeanFieldTests.bump(energy.grid)
        for settings in [EntropicJKOSettings(gamma: 1e-3, tau: 0.05, marginalTolerance: 1e-12, maxIterations: 10_000, proxTolerance: 1e-13),
                         EntropicJKOSettings(gamma: 0.2, tau: 0.7, marginalTolerance: 1e-13, maxIterations: 100_000, proxTolerance: 1e-14)] {
            let (p, report) = try EntropicJKO.step(from: q, energy: energy, settings: settings)
            let (pRef, rRef) = try Reference.step(q, energy, settings, SeparableLogKernel(axis: energy.grid.axis, gamma: settings.gamma))
            #expect(p == pRef && Self.same(report, rRef), "γ = \(settings.gamma): \(report) vs \(rRef)")
        }
    }

    /// Mass: a renormalising step returns a probability vector (to rounding) whatever the marginal error; the raw
    /// step's mass is within the first-marginal error of 1 (the second marginal carries `p_t`'s unit mass).
    @Test func stepperConservesMass() throws {
        let energy = try WassersteinMeanFieldTests.fixture(pointsPerAxis: 8, extent: 1.5)
        let q = WassersteinMeanFieldTests.bump(energy.grid)
        let field = try MeanFieldGridGradientFlow(energy: energy, timeScale: 0.5)
        for maxIterations in [3, 5000] {
            let settings = EntropicJKOSettings(gamma: 0.02, tau: 1, marginalTolerance: 1e-10, maxIterations: maxIterations, proxTolerance: 1e-12)
            let raw = try EntropicJKOStepper(settings: settings, renormalizes: false).step(field, at: 0, q, size: 1, f0: nil)
            let report = try #require(raw.report as? EntropicJKOReport)
            let rawMass = raw.y.reduce(0, +)
            #expect(rawMass == report.mass && abs(rawMass - 1) <= report.marginalError + 1e-14, "mass \(rawMass), marginal error \(report.marginalError)")
            var p = q
            for _ in 0..<4 {
                p = try EntropicJKOStepper(settings: settings).step(field, at: 0, p, size: 1, f0: nil).y
                #expect(abs(p.reduce(0, +) - 1) <= 1e-14 && p.allSatisfy { $0 > 0 }, "Σp = \(p.reduce(0, +))")
            }
        }
        // Only the grid field can drive the stepper.
        let settings = EntropicJKOSettings(gamma: 0.02, tau: 1, marginalTolerance: 1e-10, maxIterations: 10, proxTolerance: 1e-12)
        #expect(throws: TangentFlowError.self) {
            _ = try EntropicJKOStepper(settings: settings).step(TwoLayerReLUGradientFlowTests.StandardFlowStub(), at: 0, q, size: 1, f0: nil)
        }
    }
}
