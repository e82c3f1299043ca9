import Foundation
import Testing

@testable import TangentFlow

/// Corollary 3.2 of 2408.01517 (3.12)–(3.13): with `rank D = QN` the adapted flow drives the class means to the
/// targets and the within-class deviations to zero as `t → 1⁻`; along linear interpolation both shrink exactly
/// like `(1 − t)` — a closed form the class statistics of the simulated outputs must follow.
@Suite struct FinalLayerCollapseTests {
    @Test func classMeansReachTheTargetsAndDeviationsVanish() throws {
        // 6 samples in 2 classes (shared one-hot targets), tanh 3-16-2: K = 98 ≥ QN = 12.
        let net = try MLP(widths: [3, 16, 2], activation: .tanh)
        let data = try SyntheticData.clusters(samples: 6, inputDimension: 3, classes: 2, seed: 91)
        let problem = try TrainingProblem(model: net, inputs: data.inputs, targets: data.targets)
        let theta0 = net.initialParameters(seed: 92)
        #expect(try NTKPositivity(problem: problem, theta: theta0).isPositiveDefinite)
        let ts = [0, 0.5, 0.9, 0.999, 1 - 1e-6]
        let saves = ts.map { problem.loss.flowTime(reaching: $0, samples: 6)! }
        let sol = try integrate(
            AdaptedFlow(problem: problem), stepper: .dopri5, controller: PIController(rtol: 1e-11, atol: 1e-13), from: 0,
            to: saves.last!, start: theta0, saveAt: .times(saves))
        #expect(sol.status == .success && sol.states.count == ts.count)
        let y = problem.targetVector
        let c0 = try problem.lossValue(theta0)
        let start = try FinalLayerCollapse(outputs: problem.outputs(theta0), targets: y, outputDimension: 2)
        #expect(start.classes.count == 2)
        #expect(start.meanGap > 0.1 && start.largestDeviation > 0.01)
        for (t, theta) in zip(ts, sol.states) {
            let x = try problem.outputs(theta)
            let c = try FinalLayerCollapse(outputs: x, targets: y, outputDimension: 2)
            #expect(abs(c.meanGap - (1 - t) * start.meanGap) <= 1e-7 * start.meanGap, "t = \(t): gap \(c.meanGap)")
            #expect(abs(c.largestDeviation - (1 - t) * start.largestDeviation) <= 1e-7 * start.largestDeviation, "t = \(t)")
            // (3.11) with the N_j restored, against the loss computed by `Loss`.
            let loss = problem.loss.value(outputs: x, targets: y, outputDimension: 2)
            // (rounding relative to the start's scale: near t = 1 the loss is a difference of nearly equal numbers)
            #expect(abs((c.withinSum + c.meansSum) / (2 * 6) - loss) <= 1e-12 * loss + 1e-15 * c0)
        }
        let end = try FinalLayerCollapse(outputs: problem.outputs(sol.finalState), targets: y, outputDimension: 2)
        #expect(end.meanGap <= 2e-6 * start.meanGap && end.largestDeviation <= 2e-6 * start.largestDeviation)
    }

    @Test func splitOfEquation311ByHand() throws {
        // Two classes, hand-computed: class A = {0, 2} target (1, 0), class B = {1} target (0, 1).
        let x = [1.0, 2, 0, 1, 3, 0], y = [1.0, 0, 0, 1, 1, 0]
        let c = try FinalLayerCollapse(outputs: x, targets: y, outputDimension: 2)
        #expect(c.classes == [[0, 2], [1]])
        #expect(c.means == [[2, 1], [0, 1]])
        let root2 = Double(2).squareRoot()
        for (got, want) in zip(c.deviationNorms, [root2, 0, root2]) { #expect(abs(got - want) <= 1e-15) }
        #expect(c.withinSum == 4 && c.meansSum == 2 * 2)  // N_A |(2,1) − (1,0)|² = 2·2
        #expect(abs(c.meanGap - 2.0.squareRoot()) <= 1e-15)
        #expect(throws: TangentFlowError.self) { try FinalLayerCollapse(outputs: [1, 2, 3], targets: [1, 2], outputDimension: 1) }
        #expect(throws: TangentFlowError.self) { try FinalLayerCollapse(outputs: [.nan, 2], targets: [1, 2], outputDimension: 2) }
    }
}
