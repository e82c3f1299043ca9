import Foundation
import Testing

@testable import TangentFlow

/// Prop. 2.4 of 2408.01517 under the (2.7) normalisation `C = |x − y|²/N`: the full-rank adapted flow is
/// `x' = −2(x − y)/N`, so linear interpolation runs on the clock `t = 1 − e^{−2s/N}` (MATH.md §1); the printed
/// (2.48) clock `1 − e^{−s/N}` misses by O(1).
@Suite struct ReparametrizationClockTests {
    @Test(arguments: [PseudoinverseRoute.gram(.automatic), .svd])
    func adaptedFlowUnderEquation27FollowsItsOwnClock(_ route: PseudoinverseRoute) throws {
        let (problem, theta0) = try FlowTheoremTests.fullRankProblem(loss: .squaredMean)
        let n = Double(problem.samples)
        let sEnd = problem.loss.flowTime(reaching: 0.95, samples: problem.samples)!
        #expect(abs(sEnd - (-n / 2 * log(0.05))) <= 1e-12 * sEnd)  // t = 1 − e^{−2s/N} inverted
        let sol = try integrate(
            AdaptedFlow(problem: problem, route: route), stepper: .dopri5, controller: PIController(rtol: 1e-11, atol: 1e-13),
            from: 0, to: sEnd, start: theta0, saveAt: .evenly(6, from: 0, to: sEnd))
        let x0 = try problem.outputs(theta0), y = problem.targetVector
        let c0 = try problem.lossValue(theta0), scale = norm2((0..<x0.count).map { x0[$0] - y[$0] })
        var missed = 0.0
        for (s, theta) in zip(sol.times, sol.states) {
            let x = try problem.outputs(theta)
            // (2.57) with the (2.7) clock, written out here rather than taken from `Loss`.
            let decay = exp(-2 * s / n)
            let expected = (0..<x.count).map { y[$0] + decay * (x0[$0] - y[$0]) }
            #expect(norm2((0..<x.count).map { x[$0] - expected[$0] }) <= 1e-7 * scale, "\(route) s = \(s)")
            // The loss is (1 − t)² C(0) = e^{−4s/N} C(0).
            #expect(abs(problem.loss.value(outputs: x, targets: y, outputDimension: 2) - decay * decay * c0) <= 1e-7 * c0)
            // The (2.48) clock e^{−s/N} does not describe this flow.
            let wrong = (0..<x.count).map { y[$0] + exp(-s / n) * (x0[$0] - y[$0]) }
            missed = max(missed, norm2((0..<x.count).map { x[$0] - wrong[$0] }) / scale)
        }
        #expect(missed > 0.2, "the (2.48) clock should miss by O(1), missed by \(missed)")
        // The diagnostics use the (2.7) clock for this loss.
        for p in try TrajectoryDiagnostics.compute(problem, sol) { #expect(p.deviation! <= 1e-7) }
    }

    @Test func clockRatesOfTheTwoNormalisations() throws {
        // dt/ds = κ(1 − t): finite differences of `reparametrizedTime` against `clockRate`.
        for loss in [Loss.squared, .squaredMean] {
            let kappa = loss.clockRate(samples: 7)!
            for s in [0.5, 1.5, 20.0] {
                let h = 1e-5
                let fd = (loss.reparametrizedTime(s + h, samples: 7)! - loss.reparametrizedTime(s - h, samples: 7)!) / (2 * h)
                let t = loss.reparametrizedTime(s, samples: 7)!
                #expect(abs(fd - kappa * (1 - t)) <= 1e-8, "\(loss) s = \(s)")
            }
        }
        #expect(Loss.squared.clockRate(samples: 4) == 0.25 && Loss.squaredMean.clockRate(samples: 4) == 0.5)
        #expect(Loss.crossEntropy.clockRate(samples: 4) == nil)
    }
}
