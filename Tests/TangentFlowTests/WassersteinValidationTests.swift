import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein

/// Bad input to the Wasserstein module gives a typed error that says what was wrong, never a crash.
struct WassersteinValidationTests {
    static let energy = try! WassersteinMeanFieldTests.fixture(pointsPerAxis: 4)
    static let settings = EntropicJKOSettings(gamma: 0.1, tau: 0.5, marginalTolerance: 1e-10, maxIterations: 100, proxTolerance: 1e-12)
    static let uniform = [Double](repeating: 1.0 / 16, count: 16)

    /// Runs `body`, requires a `TangentFlowError` whose description contains every fragment.
    func expectError(_ fragments: [String], _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected an error containing \(fragments)", sourceLocation: sourceLocation)
        } catch let e as TangentFlowError {
            for f in fragments { #expect(e.description.contains(f), "'\(e.description)' lacks '\(f)'", sourceLocation: sourceLocation) }
        } catch {
            Issue.record("not a TangentFlowError: \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func jkoRejectsBadMassesAndParameters() {
        var negative = Self.uniform
        negative[3] = -0.01
        negative[4] += 0.01
        expectError(["negative mass", "index 3"]) { _ = try EntropicJKO.step(from: negative, energy: Self.energy, settings: Self.settings) }
        expectError(["sum to 1", "0.5"]) { _ = try EntropicJKO.step(from: Self.uniform.map { $0 / 2 }, energy: Self.energy, settings: Self.settings) }
        expectError(["length 16", "length 15"]) { _ = try EntropicJKO.step(from: Array(Self.uniform.dropLast()), energy: Self.energy, settings: Self.settings) }
        var nan = Self.uniform
        nan[7] = .nan
        expectError(["non-finite", "row 7"]) { _ = try EntropicJKO.step(from: nan, energy: Self.energy, settings: Self.settings) }
        for (gamma, tau, name) in [(0.0, 0.5, "gamma"), (-1, 0.5, "gamma"), (.nan, 0.5, "gamma"), (0.1, 0, "tau"), (0.1, -2, "tau"), (0.1, .infinity, "tau")] {
            var s = Self.settings
            s.gamma = gamma
            s.tau = tau
            expectError([name, "must be finite and > 0"]) { _ = try EntropicJKO.step(from: Self.uniform, energy: Self.energy, settings: s) }
        }
        var capped = Self.settings
        capped.maxIterations = 0
        expectError(["maxIterations must be ≥ 1"]) { _ = try EntropicJKO.flow(from: Self.uniform, energy: Self.energy, settings: capped, steps: 1) }
        expectError(["steps must be ≥ 0"]) { _ = try EntropicJKO.flow(from: Self.uniform, energy: Self.energy, settings: Self.settings, steps: -1) }
    }

    @Test func networkRejectsBadProblemsAndSteps() throws {
        let x = try Matrix([[1, 1], [2, 1]])
        expectError(["signs must be −1 or 1", "0.5"]) { _ = try TwoLayerReLUProblem(inputs: x, targets: [1, 2], signs: [1, 0.5]) }
        expectError(["2 targets", "got 3"]) { _ = try TwoLayerReLUProblem(inputs: x, targets: [1, 2, 3], signs: [1]) }
        expectError(["weightDecay", "≥ 0"]) { _ = try TwoLayerReLUProblem(inputs: x, targets: [1, 2], signs: [1], weightDecay: -1) }
        var bad = x
        bad[1, 0] = .infinity
        expectError(["inputs", "non-finite"]) { _ = try TwoLayerReLUProblem(inputs: bad, targets: [1, 2], signs: [1]) }
        expectError(["signs", "empty"]) { _ = try TwoLayerReLUProblem(inputs: x, targets: [1, 2], signs: []) }
        let problem = try TwoLayerReLUProblem(inputs: x, targets: [1, 2], signs: [1, -1])
        let w = try Matrix([[1, 0], [0, 1]])
        expectError(["2×2", "got 1×2"]) { _ = try problem.loss(try Matrix([[1, 0]])) }
        var nanW = w
        nanW[0, 1] = .nan
        expectError(["W", "non-finite", "row 0, column 1"]) { _ = try problem.gradient(nanW) }
        for d in ProximalDistance.allCases {
            expectError(["gamma", "> 0"]) { _ = try problem.proximalStep(from: w, distance: d, gamma: 0, tolerance: 1e-8, maxInnerIterations: 10) }
            expectError(["tolerance", "> 0"]) { _ = try problem.proximalStep(from: w, distance: d, gamma: 1, tolerance: -1, maxInnerIterations: 10) }
            expectError(["maxInnerIterations"]) { _ = try problem.proximalPoint(from: w, distance: d, gamma: 1, steps: 2, tolerance: 1e-8, maxInnerIterations: 0) }
            expectError(["innerStep"]) { _ = try problem.proximalStep(from: w, distance: d, gamma: 1, tolerance: 1e-8, maxInnerIterations: 5, innerStep: .nan) }
        }
        expectError(["step", "> 0"]) { _ = try problem.gradientDescent(from: w, step: -0.1, steps: 3) }
    }

    @Test func meanFieldRejectsBadModelsGridsAndParticles() throws {
        expectError(["sign must be −1 or 1"]) { _ = try MeanFieldReLUModel(inputs: [1], targets: [1], sign: 0) }
        expectError(["1 targets", "got 2"]) { _ = try MeanFieldReLUModel(inputs: [1], targets: [1, 2]) }
        expectError(["inputs", "empty"]) { _ = try MeanFieldReLUModel(inputs: [], targets: []) }
        expectError(["pointsPerAxis must be ≥ 2"]) { _ = try ParameterGrid(pointsPerAxis: 1, lower: 0, upper: 1) }
        expectError(["lower < upper"]) { _ = try ParameterGrid(pointsPerAxis: 3, lower: 1, upper: 1) }
        let model = Self.energy.model
        expectError(["particles", "got 3×3"]) { _ = try model.particleEnergy(try Matrix(rows: 3, cols: 3)) }
        expectError(["particles", "empty"]) { _ = try model.particleVelocity(try Matrix(rows: 0, cols: 2)) }
        expectError(["step"]) { _ = try model.particleFlow(from: try Matrix(rows: 2, cols: 2), step: 0, steps: 1) }
        expectError(["16 weights", "got 3"]) { _ = try Self.energy.energy([1, 2, 3]) }
    }
}
