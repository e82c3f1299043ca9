import Foundation
import Testing

@testable import TangentFlow

/// The metric (2.45)–(2.46) of 2408.01517 and the statement that `V_α` (2.41) is its gradient field:
/// `h_α(V_α, W) = −dC(W)`, with `dC(W)` from finite differences of the loss — in output space, and along
/// parameter directions `W = Dw` from finite differences of the network's loss `C(θ ± hw)`.
@Suite struct AlphaMetricTests {
    static let alphas = [0.0, 0.3, 0.7, 1.0]

    @Test(arguments: alphas)
    func fieldIsTheGradientOfTheMetricWithFullRank(_ alpha: Double) throws {
        let (problem, theta) = try FlowTheoremTests.fullRankProblem()
        let metric = try AlphaMetric(problem: problem, theta: theta, alpha: alpha)
        #expect(metric.rank == problem.outputCount)
        let v = try InterpolatedFlow(problem: problem, alpha: alpha).outputVelocity(at: 0, theta)
        let x = try problem.outputs(theta), y = problem.targetVector
        var r = SeededGenerator(seed: 71)
        for _ in 0..<4 {
            // Any W ∈ R^{QN} (full rank: the metric is Riemannian, (2.45)).
            let w = (0..<x.count).map { _ in r.nextGaussian() }
            let h = 1e-4
            let cPlus = problem.loss.value(outputs: axpy(x, h, w), targets: y, outputDimension: 2)
            let cMinus = problem.loss.value(outputs: axpy(x, -h, w), targets: y, outputDimension: 2)
            let dC = (cPlus - cMinus) / (2 * h)
            let lhs = try metric.inner(v, w)
            #expect(abs(lhs + dC) <= 1e-9 * max(abs(dC), 1e-3), "α = \(alpha): h(V, W) = \(lhs), −dC(W) = \(-dC)")
        }
    }

    @Test(arguments: alphas)
    func fieldIsTheGradientAlongParameterDirections(_ alpha: Double) throws {
        // Cross-entropy: a non-quadratic cost, and dC(Dw) from the network itself.
        let (problem, theta) = try FlowTheoremTests.fullRankProblem(loss: .crossEntropy, smoothing: 0.1)
        let metric = try AlphaMetric(problem: problem, theta: theta, alpha: alpha)
        let v = try InterpolatedFlow(problem: problem, alpha: alpha).outputVelocity(at: 0, theta)
        var r = SeededGenerator(seed: 72)
        for _ in 0..<3 {
            let w = (0..<problem.model.parameterCount).map { _ in r.nextGaussian() }
            let dw = try problem.pushforward(theta, w)
            let h = 1e-5
            let dC = (try problem.lossValue(axpy(theta, h, w)) - problem.lossValue(axpy(theta, -h, w))) / (2 * h)
            let lhs = try metric.inner(v, dw)
            #expect(abs(lhs + dC) <= 1e-7 * max(abs(dC), 1e-3), "α = \(alpha): h(V, Dw) = \(lhs), −dC = \(-dC)")
        }
    }

    /// Linear 3 → 2 on 5 samples: `K = 8 < QN = 10`, so `G` has a 2-dimensional kernel and (2.46) is a bundle metric.
    static func rankDeficientProblem() throws -> (TrainingProblem, [Double]) {
        let net = try MLP(widths: [3, 2], activation: .identity)
        var r = SeededGenerator(seed: 73)
        let problem = try TrainingProblem(
            model: net, inputs: Matrix.gaussian(rows: 5, cols: 3, using: &r), targets: Matrix.gaussian(rows: 5, cols: 2, using: &r))
        return (problem, net.initialParameters(seed: 74))
    }

    @Test(arguments: alphas)
    func underRankLossTheIdentityHoldsOnTheBundleOnly(_ alpha: Double) throws {
        let (problem, theta) = try Self.rankDeficientProblem()
        let metric = try AlphaMetric(problem: problem, theta: theta, alpha: alpha)
        #expect(metric.rank == 8)
        let v = try InterpolatedFlow(problem: problem, alpha: alpha, route: .svd).outputVelocity(at: 0, theta)
        var r = SeededGenerator(seed: 75)
        let x = try problem.outputs(theta), y = problem.targetVector
        func dC(_ w: [Double]) -> Double {
            let h = 1e-4
            return (problem.loss.value(outputs: axpy(x, h, w), targets: y, outputDimension: 2)
                - problem.loss.value(outputs: axpy(x, -h, w), targets: y, outputDimension: 2)) / (2 * h)
        }
        // On 𝒱 = ran(D): W = Dw.
        for _ in 0..<3 {
            let w = try problem.pushforward(theta, (0..<8).map { _ in r.nextGaussian() })
            #expect(abs(try metric.inner(v, w) + dC(w)) <= 1e-9 * max(abs(dC(w)), 1e-3))
        }
        // Off the bundle: W ⟂ ran(D) sees h_α(V, W) = 0 while dC(W) ≠ 0 (the loss is not at a minimum there).
        let p = try Pseudoinverse(of: problem.jacobian(theta))
        let g = problem.outputGradient(x)
        let wPerp = try p.projectOntoRangeComplement(Matrix.column(g)).elements
        #expect(abs(try metric.inner(v, wPerp)) <= 1e-12)
        #expect(abs(dC(wPerp)) > 1e-3)
    }

    @Test(arguments: alphas)
    func tensorInvertsTheInterpolatedKernelOnItsRange(_ alpha: Double) throws {
        // [h_α](α1 + (1 − α)G) = P_ran(G), checked with G and P from independent routes (NTK kernel, SVD of D).
        for (problem, theta) in [try FlowTheoremTests.fullRankProblem(), try Self.rankDeficientProblem()] {
            let metric = try AlphaMetric(problem: problem, theta: theta, alpha: alpha)
            let g = try problem.ntk(theta)
            let n = g.rows
            var a = g
            for k in 0..<a.elements.count { a.elements[k] *= (1 - alpha) }
            for i in 0..<n { a.elements[i + i * n] += alpha }
            let product = try SwiftBackend().multiply(metric.tensor, transposeA: false, a, transposeB: false)
            let proj = try Pseudoinverse(of: problem.jacobian(theta)).projectOntoRange(IntegratedRankLossPredictionTests.identity(n))
            #expect(relativeError(product, proj) <= 1e-9, "α = \(alpha), QN = \(n)")
            // metricGradient is −V_α.
            let grad = try metric.metricGradient(problem.outputGradient(problem.outputs(theta)))
            let v = try InterpolatedFlow(problem: problem, alpha: alpha).outputVelocity(at: 0, theta)
            #expect(relativeError(grad, v.map { -$0 }) <= 1e-9)
        }
    }

    @Test func badArgumentsThrow() throws {
        let (problem, theta) = try FlowTheoremTests.fullRankProblem()
        #expect(throws: TangentFlowError.self) { try AlphaMetric(problem: problem, theta: theta, alpha: -0.1) }
        let m = try AlphaMetric(problem: problem, theta: theta, alpha: 0.5)
        #expect(throws: TangentFlowError.self) { try m.inner([1, 2], [1, 2]) }
        #expect(throws: TangentFlowError.self) { try m.inner([Double](repeating: .nan, count: 8), [Double](repeating: 0, count: 8)) }
    }
}
