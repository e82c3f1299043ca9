import Foundation
import Testing

@testable import TangentFlow

/// The theorems of 2408.01517 as tests (issue #12 §4; MATH.md §3).
@Suite struct FlowTheoremTests {
    /// Overparametrised, full-rank: tanh 3-12-2, N = 4 (QN = 8 ≪ K = 74).
    static func fullRankProblem(loss: Loss = .squared, smoothing: Double = 0) throws -> (TrainingProblem, [Double]) {
        let net = try MLP(widths: [3, 12, 2], activation: .tanh)
        let data = try SyntheticData.clusters(samples: 4, inputDimension: 3, classes: 2, smoothing: smoothing, seed: 3)
        var r = rng(4)
        let targets = loss == .crossEntropy ? data.targets : try Matrix.gaussian(rows: 4, cols: 2, using: &r)
        return (try TrainingProblem(model: net, inputs: data.inputs, targets: targets, loss: loss), net.initialParameters(seed: 5))
    }

    static func rng(_ seed: UInt64) -> SeededGenerator { SeededGenerator(seed: seed) }

    @Test(arguments: [PseudoinverseRoute.gram(.automatic), .gram(.eigen), .svd])
    func adaptedFlowFollowsLinearInterpolation(_ route: PseudoinverseRoute) throws {
        let (problem, theta0) = try Self.fullRankProblem()
        let flow = AdaptedFlow(problem: problem, route: route)
        let sEnd = problem.loss.flowTime(reaching: 0.9, samples: problem.samples)!
        let sol = try integrate(
            flow, stepper: .dopri5, controller: PIController(rtol: 1e-11, atol: 1e-13), from: 0, to: sEnd, start: theta0,
            saveAt: .evenly(6, from: 0, to: sEnd))
        #expect(sol.status == .success)
        let points = try TrajectoryDiagnostics.compute(problem, sol, field: flow)
        for p in points {
            #expect(p.rank == problem.outputCount)
            #expect(p.deviation! <= 1e-6, "\(route) t = \(p.t!): deviation \(p.deviation!)")
        }
        // The loss follows (1−t)² C(0) exactly under linear interpolation.
        let c0 = points[0].loss
        for p in points { #expect(abs(p.loss - (1 - p.t!) * (1 - p.t!) * c0) <= 1e-6 * c0) }
    }

    @Test func standardFlowDeviatesFromLinearInterpolation() throws {
        // The counterpart: the standard flow's path is curved (a test of the test).
        let (problem, theta0) = try Self.fullRankProblem()
        let sEnd = problem.loss.flowTime(reaching: 0.5, samples: problem.samples)!
        let sol = try integrate(
            StandardFlow(problem: problem), stepper: .dopri5, controller: PIController(rtol: 1e-9, atol: 1e-11), from: 0, to: sEnd,
            start: theta0, saveAt: .endpoints)
        let dev = try TrajectoryDiagnostics.compute(problem, sol).last!.deviation!
        #expect(dev > 1e-3)
    }

    @Test func outputVelocityEqualsDTimesParameterVelocityForEveryField() throws {
        let (problem, theta) = try Self.fullRankProblem()
        let fields: [any ParameterFlow] = [
            StandardFlow(problem: problem), AdaptedFlow(problem: problem), AdaptedFlow(problem: problem, route: .svd),
            try InterpolatedFlow(problem: problem, alpha: 0.3), try PrescribedPathFlow(problem: problem, startingAt: theta),
        ]
        for f in fields {
            let v = try f.velocity(at: 0, theta)
            let dv = try problem.pushforward(theta, v)
            let closed = try f.outputVelocity(at: 0, theta)
            #expect(relativeError(dv, closed) <= 1e-10, "\(type(of: f))")
        }
    }

    @Test(arguments: [PseudoinverseRoute.gram(.automatic), .svd])
    func alphaFamilySharesEquilibria(_ route: PseudoinverseRoute) throws {
        // Rank-deficient by construction: a linear map R³ → R² has K = 8 < QN = 10 (N = 5), with a well-conditioned
        // non-zero spectrum (the Gram route cannot resolve σ(D) below √(QN·ε)·σ_max, MATH.md §2). Targets
        // y = x(θ₀) + w with 0 ≠ w ⟂ ran(D): g = −w/N ∈ ker Dᵀ, so θ₀ is an equilibrium of every V_α (Thm 2.3),
        // although the loss is not zero.
        let net = try MLP(widths: [3, 2], activation: .identity)
        var r = Self.rng(8)
        let x = try Matrix.gaussian(rows: 5, cols: 3, using: &r)
        let theta0 = net.initialParameters(seed: 9)
        let d = try CBackend().mlpJacobian(net, theta: theta0, inputs: x)
        let p = try Pseudoinverse(of: d)
        #expect(p.rank == 8)
        let noise = try Matrix.gaussian(rows: 10, cols: 1, using: &r)
        let w = try p.projectOntoRangeComplement(noise).elements
        #expect(norm2(w) > 0.1)
        let x0 = try CBackend().mlpForward(net, theta: theta0, inputs: x).rowMajorElements
        let y = try Matrix(rows: 5, cols: 2, rowMajor: (0..<10).map { x0[$0] + w[$0] })
        let problem = try TrainingProblem(model: net, inputs: x, targets: y)
        #expect(try problem.lossValue(theta0) > 1e-3)
        for alpha in [0.0, 0.25, 0.5, 1.0] {
            let v = try InterpolatedFlow(problem: problem, alpha: alpha, route: route).velocity(at: 0, theta0)
            #expect(norm2(v) <= 1e-12, "\(route) α = \(alpha): |θ'| = \(norm2(v))")
        }
        // A generic target is not an equilibrium (the check above can fail).
        let other = try TrainingProblem(model: net, inputs: x, targets: Matrix.gaussian(rows: 5, cols: 2, using: &r))
        for alpha in [0.0, 0.5, 1.0] {
            #expect(norm2(try InterpolatedFlow(problem: other, alpha: alpha, route: route).velocity(at: 0, theta0)) > 1e-3)
        }
    }

    @Test func alphaFamilyConvergesToCommonEquilibriaAndSharesThem() throws {
        // Run the adapted flow to (near) convergence; the end point is then an equilibrium of every member.
        let (problem, theta0) = try Self.fullRankProblem()
        let sEnd = problem.loss.flowTime(reaching: 1 - 1e-9, samples: problem.samples)!
        let sol = try integrate(
            AdaptedFlow(problem: problem), stepper: .dopri5, controller: PIController(rtol: 1e-10, atol: 1e-12), from: 0, to: sEnd,
            start: theta0)
        let thetaStar = sol.finalState
        let v0 = try InterpolatedFlow(problem: problem, alpha: 0.5).velocity(at: 0, theta0)
        for alpha in [0.0, 0.5, 1.0] {
            let v = try InterpolatedFlow(problem: problem, alpha: alpha).velocity(at: 0, thetaStar)
            #expect(norm2(v) <= 1e-7 * norm2(v0), "α = \(alpha)")
        }
    }

    @Test func prescribedLinearPathReachesTargetsAtSOne() throws {
        let (problem, theta0) = try Self.fullRankProblem()
        let field = try PrescribedPathFlow(problem: problem, startingAt: theta0)
        let sol = try integrate(field, stepper: .dopri5, controller: PIController(rtol: 1e-10, atol: 1e-12), from: 0, to: 1, start: theta0, saveAt: .evenly(5, from: 0, to: 1))
        let x1 = try problem.outputs(sol.finalState)
        let gap = norm2((0..<x1.count).map { x1[$0] - problem.targetVector[$0] }) / norm2(field.direction)
        #expect(gap <= 1e-7)
        for p in try TrajectoryDiagnostics.compute(problem, sol, field: field) { #expect(p.feasibilityResidual! <= 1e-9) }
    }

    @Test func crossEntropyLogitSumsAreInvariantAndTheLimitIsExplicit() throws {
        let (problem, theta0) = try Self.fullRankProblem(loss: .crossEntropy, smoothing: 0.2)
        let sol = try integrate(
            AdaptedFlow(problem: problem), stepper: .dopri5, controller: PIController(rtol: 1e-10, atol: 1e-12), from: 0, to: 400,
            start: theta0, saveAt: .evenly(5, from: 0, to: 400))
        let pts = try TrajectoryDiagnostics.compute(problem, sol)
        for p in pts { #expect(p.logitSumDrift! <= 1e-8) }
        #expect(pts.last!.distanceToMinimiser! <= 1e-6)
        #expect(pts.last!.distanceToMinimiser! < pts[1].distanceToMinimiser!)
        // The standard flow drifts (the invariance needs the adapted flow).
        let std = try integrate(StandardFlow(problem: problem), stepper: .dopri5, controller: PIController(rtol: 1e-9, atol: 1e-11), from: 0, to: 50, start: theta0)
        #expect(try TrajectoryDiagnostics.compute(problem, std).last!.logitSumDrift! > 1e-4)
    }

    @Test func oneHotCrossEntropyLogitsDivergeWithFixedSum() throws {
        let (problem, theta0) = try Self.fullRankProblem(loss: .crossEntropy, smoothing: 0)
        let sol = try integrate(
            AdaptedFlow(problem: problem), stepper: .dopri5, controller: PIController(rtol: 1e-9, atol: 1e-11), from: 0, to: 1000,
            start: theta0, saveAt: .times([0, 100, 1000]))
        let pts = try TrajectoryDiagnostics.compute(problem, sol)
        for p in pts { #expect(p.logitSumDrift! <= 1e-7) }
        #expect(pts.last!.distanceToMinimiser == nil)
        // The logit margin of the true class grows without bound (like ½ ln s per MATH.md §3): larger at 1000 than 100.
        func margin(_ theta: [Double]) throws -> Double {
            let x = try problem.outputs(theta), y = problem.targetVector
            var m = Double.infinity
            for i in 0..<problem.samples {
                let c = (0..<2).first { y[i * 2 + $0] == 1 }!
                m = min(m, x[i * 2 + c] - x[i * 2 + (1 - c)])
            }
            return m
        }
        let m100 = try margin(sol.states[1]), m1000 = try margin(sol.states[2])
        #expect(m1000 > m100 + 0.5, "margins \(m100) → \(m1000)")
    }

    @Test func rankLossDeviationMatchesPredictionAndConstantProjectorClosedForm() throws {
        // A linear model f(x) = Wx + b has a constant Jacobian: with QN = 15 > K = 8 it has constant rank 8,
        // so P_t is constant and the corrected Prop. 2.5 gives δ(t) = t·P^⊥(x₀ − y) exactly.
        let net = try MLP(widths: [3, 2], activation: .identity)
        var r = Self.rng(21)
        let x = try Matrix.gaussian(rows: 5, cols: 3, using: &r)  // 5 samples: QN = 10 > K = 8
        let y = try Matrix.gaussian(rows: 5, cols: 2, using: &r)
        let problem = try TrainingProblem(model: net, inputs: x, targets: y)
        let theta0 = net.initialParameters(seed: 22)
        let sEnd = problem.loss.flowTime(reaching: 0.9, samples: 5)!
        let flow = AdaptedFlow(problem: problem)
        let sol = try integrate(
            flow, stepper: .dopri5, controller: PIController(rtol: 1e-11, atol: 1e-13), from: 0, to: sEnd,
            start: theta0, saveAt: .evenly(8, from: 0, to: sEnd))
        let pts = try TrajectoryDiagnostics.compute(problem, sol, field: flow)
        let d = try problem.jacobian(theta0)
        let p = try Pseudoinverse(of: d)
        #expect(p.rank == 8)
        let x0 = try problem.outputs(theta0)
        let c = (0..<10).map { x0[$0] - problem.targetVector[$0] }
        let perp = try p.projectOntoRangeComplement(Matrix.column(c)).elements
        for pt in pts {
            let t = pt.t!
            #expect(abs(pt.deviation! - t * norm2(perp) / norm2(c)) <= 1e-7, "closed form at t = \(t)")
            #expect(pt.predictionError! <= 1e-7, "prediction at t = \(t)")
            #expect(pt.rank == 8)
        }
        #expect(pts.last!.deviation! > 0.1)  // the deviation is real, not rounding
    }

    @Test func collapseIdentityOfEquation311() throws {
        let net = try MLP(widths: [3, 6, 2], activation: .tanh)
        let data = try SyntheticData.clusters(samples: 6, inputDimension: 3, classes: 2, seed: 31)
        for loss in [Loss.squared, .squaredMean] {
            let problem = try TrainingProblem(model: net, inputs: data.inputs, targets: data.targets, loss: loss)
            var sol = FlowSolution()
            sol.times = [0]
            sol.states = [net.initialParameters(seed: 32)]
            let p = try TrajectoryDiagnostics.compute(problem, sol)[0]
            #expect(abs(p.collapseWithin! + p.collapseMeans! - p.loss) <= 1e-13 * p.loss, "\(loss)")
        }
    }

    @Test func gramRouteFallsBackToTheEigendecompositionUnderRankLoss() throws {
        // Linear 3 → 2 on 5 samples: K = 8 < QN = 10, so G is singular. `.automatic` must fall back to the
        // eigendecomposition and agree with the SVD route. (`.cholesky` is not tested here: dpotrf can succeed on a
        // rounding-level singular G, which is why `.automatic` checks the condition estimate.)
        let net = try MLP(widths: [3, 2], activation: .identity)
        var r = Self.rng(41)
        let problem = try TrainingProblem(
            model: net, inputs: Matrix.gaussian(rows: 5, cols: 3, using: &r), targets: Matrix.gaussian(rows: 5, cols: 2, using: &r))
        let theta = net.initialParameters(seed: 42)
        let auto = try AdaptedFlow(problem: problem).velocity(at: 0, theta)
        let svd = try AdaptedFlow(problem: problem, route: .svd).velocity(at: 0, theta)
        #expect(relativeError(auto, svd) <= 1e-10)
    }

    @Test func badFieldArgumentsThrow() throws {
        let (problem, _) = try Self.fullRankProblem()
        #expect(throws: TangentFlowError.self) { try InterpolatedFlow(problem: problem, alpha: 1.5) }
        #expect(throws: TangentFlowError.self) {
            try TrainingProblem(model: problem.model, inputs: problem.inputs, targets: Matrix(zerosRows: 3, cols: 2))
        }
    }
}
