import Foundation
import Testing

@testable import TangentFlow

/// Prop. 2.5 of 2408.01517 (corrected, MATH.md §3) with a projector that turns along the flow: the prediction is
/// integrated together with `θ` (`IntegratedRankLossPrediction`) and compared with the simulated deviation — the
/// network's outputs along `θ(s)`, a route that never sees the projector ODE.
@Suite struct IntegratedRankLossPredictionTests {
    /// A tanh network with a one-unit bottleneck, 2-1-2 on 3 samples: `K = 7 ≥ QN = 6`, yet every output
    /// `x_i = u·tanh(a_i) + b₂` varies only in `u ⊗ R³ + R² ⊗ span(tanh a, 1)`, so `rank D = 5 < QN` all along the
    /// flow (rank loss in the sense of Prop. 2.5), and `ran(D)` turns with `u` and `a = w·x + b₁`.
    static func rankLossProblem(loss: Loss = .squared) throws -> (TrainingProblem, [Double]) {
        let net = try MLP(widths: [2, 1, 2], activation: .tanh)
        var r = SeededGenerator(seed: 51)
        let x = try Matrix.gaussian(rows: 3, cols: 2, using: &r)
        let y = try Matrix.gaussian(rows: 3, cols: 2, using: &r)
        return (try TrainingProblem(model: net, inputs: x, targets: y, loss: loss), net.initialParameters(seed: 52))
    }

    static func solve(_ field: IntegratedRankLossPrediction, _ theta0: [Double], tEnd: Double, points: Int) throws -> FlowSolution {
        let problem = field.flow.problem
        let sEnd = problem.loss.flowTime(reaching: tEnd, samples: problem.samples)!
        return try integrate(
            field, stepper: .dopri5, controller: PIController(rtol: 1e-11, atol: 1e-13), from: 0, to: sEnd,
            // Save times clamped to sEnd: `SaveAt.evenly` computes s1·(k−1)/(k−1), which can round above s1.
            start: field.augmentedStart(theta0),
            saveAt: .times((0..<points).map { min(sEnd, sEnd * Double($0) / Double(points - 1)) }))
    }

    @Test(arguments: [PseudoinverseRoute.svd, .gram(.automatic)], [Loss.squared, .squaredMean])
    func integratedPredictionMatchesTheSimulatedDeviation(_ route: PseudoinverseRoute, _ loss: Loss) throws {
        let (problem, theta0) = try Self.rankLossProblem(loss: loss)
        let field = try IntegratedRankLossPrediction(flow: AdaptedFlow(problem: problem, route: route), startingAt: theta0)
        let sol = try Self.solve(field, theta0, tEnd: 0.9, points: 6)
        #expect(sol.status == .success)
        let pts = try field.compare(sol)
        // Rank loss all along, with a projector that turns (else the constant-P closed form would do).
        let thetas = field.parameterSolution(sol).states
        let p0 = try Pseudoinverse(of: problem.jacobian(thetas.first!)), p1 = try Pseudoinverse(of: problem.jacobian(thetas.last!))
        #expect(p0.rank == 5 && p1.rank == 5, "ranks \(p0.rank), \(p1.rank)")
        let basis0 = try p0.projectOntoRange(Self.identity(6)), basis1 = try p1.projectOntoRange(Self.identity(6))
        #expect(relativeError(basis1, basis0) > 0.05, "P_t barely moves: \(relativeError(basis1, basis0)), σ(D) \(p0.svd.singularValues)")
        for p in pts {
            #expect(p.predictionError <= 1e-7, "\(route) \(loss) t = \(p.t): error \(p.predictionError), deviation \(p.simulatedDeviation)")
        }
        #expect(pts.last!.simulatedDeviation > 0.05, "deviation \(pts.last!.simulatedDeviation)")  // the deviation is real
        #expect(sol.stats.acceptedSteps < 2000, "steps \(sol.stats.acceptedSteps)")
    }

    @Test func frozenProjectorPredictionIsCoarserThanTheIntegratedOne() throws {
        // The diagnostics' prediction freezes P between saved points: with 3 saved points its error is far above
        // the integrated one's, and it shrinks as saved points are added (a test that the comparison can fail).
        let (problem, theta0) = try Self.rankLossProblem()
        let flow = AdaptedFlow(problem: problem, route: .svd)
        let field = try IntegratedRankLossPrediction(flow: flow, startingAt: theta0)
        var errors: [Double] = []
        for k in [3, 9] {
            let sol = try Self.solve(field, theta0, tEnd: 0.9, points: k)
            let frozen = try TrajectoryDiagnostics.compute(problem, field.parameterSolution(sol), field: flow)
            let integrated = try field.compare(sol)
            #expect(integrated.last!.predictionError <= 1e-7)
            #expect(abs(frozen.last!.deviation! - integrated.last!.simulatedDeviation) <= 1e-12)
            errors.append(frozen.last!.predictionError!)
        }
        #expect(errors[0] > 1e-3, "frozen-P error with 3 points: \(errors[0])")
        #expect(errors[1] < errors[0] / 2, "frozen-P error does not shrink: \(errors)")
    }

    @Test func constantProjectorGivesTheClosedForm() throws {
        // Linear model: constant D, δ(t) = t·P^⊥(x₀ − y) exactly (MATH.md §3 test pin).
        let net = try MLP(widths: [3, 2], activation: .identity)
        var r = SeededGenerator(seed: 61)
        let problem = try TrainingProblem(
            model: net, inputs: Matrix.gaussian(rows: 5, cols: 3, using: &r), targets: Matrix.gaussian(rows: 5, cols: 2, using: &r))
        let theta0 = net.initialParameters(seed: 62)
        let field = try IntegratedRankLossPrediction(flow: AdaptedFlow(problem: problem), startingAt: theta0)
        let sol = try Self.solve(field, theta0, tEnd: 0.95, points: 5)
        let x0 = try problem.outputs(theta0)
        let c = (0..<10).map { x0[$0] - problem.targetVector[$0] }
        let perp = try Pseudoinverse(of: problem.jacobian(theta0)).projectOntoRangeComplement(Matrix.column(c)).elements
        for (s, state) in zip(sol.times, sol.states) {
            let t = problem.loss.reparametrizedTime(s, samples: 5)!
            let delta = Array(state[8...])
            #expect(relativeError(delta, perp.map { t * $0 }) <= 1e-8 || t == 0, "t = \(t)")
        }
    }

    @Test func crossEntropyAndBadStatesAreRejected() throws {
        let (problem, theta0) = try FlowTheoremTests.fullRankProblem(loss: .crossEntropy, smoothing: 0.2)
        #expect(throws: TangentFlowError.self) { try IntegratedRankLossPrediction(flow: AdaptedFlow(problem: problem), startingAt: theta0) }
        let (sq, t0) = try Self.rankLossProblem()
        let field = try IntegratedRankLossPrediction(flow: AdaptedFlow(problem: sq), startingAt: t0)
        #expect(throws: TangentFlowError.self) { try field.velocity(at: 0, t0) }  // θ without δ
    }

    static func identity(_ n: Int) -> Matrix {
        var m = Matrix(zerosRows: n, cols: n)
        for i in 0..<n { m.elements[i + i * n] = 1 }
        return m
    }
}
