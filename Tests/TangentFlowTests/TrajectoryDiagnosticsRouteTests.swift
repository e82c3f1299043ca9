import Foundation
import Testing

@testable import TangentFlow

/// The diagnostics follow the field they describe: the prescribed path's own clock (3.5) and, on the SVD route,
/// the rank decided from the singular values of `D` (MATH.md §2) rather than from the NTK's eigenvalues.
@Suite struct TrajectoryDiagnosticsRouteTests {
    @Test func prescribedPathIsMeasuredOnItsOwnClock() throws {
        let (problem, theta0) = try FlowTheoremTests.fullRankProblem()
        let field = try PrescribedPathFlow(problem: problem, startingAt: theta0)
        let sol = try integrate(
            field, stepper: .dopri5, controller: PIController(rtol: 1e-10, atol: 1e-12), from: 0, to: 1, start: theta0,
            saveAt: .evenly(5, from: 0, to: 1))
        let points = try TrajectoryDiagnostics.compute(problem, sol, field: field)
        #expect(points.count == 5)
        for p in points {
            #expect(p.t == p.s)
            // x(θ(s)) against x₀ + s(y − x₀), computed here independently of the diagnostics.
            let x = try problem.outputs(sol.states[points.firstIndex { $0.s == p.s }!])
            let x0 = try problem.outputs(theta0), y = problem.targetVector
            let direct = norm2((0..<x.count).map { x[$0] - (x0[$0] + p.s * (y[$0] - x0[$0])) }) / norm2(field.direction)
            #expect(abs(p.deviation! - direct) <= 1e-12)
            #expect(p.deviation! <= 1e-7, "s = \(p.s): deviation \(p.deviation!)")
        }
        // The squared-loss clock would have compared x(1) = y with (1 − t(1))x₀ + t(1)y, t(1) = 1 − e^{−2/N} < 1.
        let tWrong = problem.loss.reparametrizedTime(1, samples: problem.samples)!
        #expect(tWrong < 0.9)
    }

    /// Two samples 1e-9 apart make `D` nearly rank-deficient: σ_min(D) ≈ 1e-9·σ_max is far above the SVD cut-off
    /// `max(QN,K)·ε·σ_max` but its square is below the Gram cut-off `QN·ε·λ_max`.
    static func nearlyDuplicatedProblem() throws -> (TrainingProblem, [Double]) {
        let net = try MLP(widths: [3, 12, 1], activation: .tanh)
        var r = FlowTheoremTests.rng(11)
        var x = try Matrix.gaussian(rows: 3, cols: 3, using: &r)
        for j in 0..<3 { x.elements[2 + j * 3] = x.elements[1 + j * 3] + (j == 0 ? 1e-9 : 0) }
        let y = try Matrix.gaussian(rows: 3, cols: 1, using: &r)
        return (try TrainingProblem(model: net, inputs: x, targets: y), net.initialParameters(seed: 7))
    }

    @Test func svdRouteDecidesRankFromTheSingularValuesOfD() throws {
        let (problem, theta) = try Self.nearlyDuplicatedProblem()
        var sol = FlowSolution()
        sol.times = [0]
        sol.states = [theta]
        // Independent: the singular values of the materialised Jacobian, by both backends.
        let d = try problem.jacobian(theta)
        let sv = try KernelBackend.swift.kernels.svd(d).singularValues
        let svC = try KernelBackend.c.kernels.svd(d).singularValues
        #expect(sv.count == 3)
        #expect(sv[2] / sv[0] > 1e-11 && sv[2] / sv[0] < 1e-7, "\(sv)")
        #expect(abs(sv[2] - svC[2]) <= 1e-3 * sv[2])

        let viaSVD = try TrajectoryDiagnostics.compute(problem, sol, field: AdaptedFlow(problem: problem, route: .svd))[0]
        #expect(viaSVD.rank == 3)
        #expect(abs(viaSVD.sigmaMin - sv[2]) <= 1e-3 * sv[2])
        #expect(abs(viaSVD.sigmaMax - sv[0]) <= 1e-12 * sv[0])

        // The Gram route cannot resolve σ_min² ≈ 1e-18·λ_max: it reports the loss of rank.
        let viaGram = try TrajectoryDiagnostics.compute(problem, sol, field: AdaptedFlow(problem: problem))[0]
        #expect(viaGram.rank == 2)
        #expect(viaGram.sigmaMin > 1e3 * sv[2])
    }
}
