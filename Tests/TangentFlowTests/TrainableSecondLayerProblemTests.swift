import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein

/// §9 of file 004 with a trainable second layer: the gradient against central differences, the loss along gradient
/// descent, the balance law `(α_i² − |w_i|²)' = −2λ(α_i² − |w_i|²)` along the flow, and the reduction to the
/// fixed-sign network of §6.
@Suite struct TrainableSecondLayerProblemTests {
    /// 12 points in [−1, 1] augmented with a 1, a three-neuron teacher; 5 neurons from seed 4.
    static func fixture(weightDecay: Double = 0, outputScale: Double = 1) throws -> (TrainableSecondLayerProblem, [Double]) {
        let x = (0..<12).map { -1 + 2 * Double($0) / 11 }
        let y = x.map { max(0, 1.5 * $0 - 0.2) - max(0, -1.2 * $0 - 0.1) + 0.3 }
        let p = try TrainableSecondLayerProblem(inputs: TwoLayerReLUProblem.augmented(Matrix.column(x)), targets: y,
                                                weightDecay: weightDecay, outputScale: outputScale)
        var rng = SeededGenerator(seed: 4)
        let state = (0..<(5 * 3)).map { _ in 0.8 * rng.nextGaussian() }
        return (p, state)
    }

    @Test(arguments: [(0.0, 1.0), (0.05, 1.0), (0.0, 0.2)])
    func gradientMatchesCentralDifferences(_ lambda: Double, _ scale: Double) throws {
        let (p, s) = try Self.fixture(weightDecay: lambda, outputScale: scale)
        let g = try p.gradient(s)
        // No neuron sits within 1e-3 of a kink at this state, so central differences with h = 1e-6 are exact to
        // O(h²) on the smooth piece.
        let (w, _) = try p.split(s)
        for i in 0..<w.rows { for j in 0..<p.samples {
            let z = w[i, 0] * p.inputs[j, 0] + w[i, 1] * p.inputs[j, 1]
            #expect(abs(z) > 1e-3, "neuron \(i) on sample \(j)'s kink: pick another seed")
        } }
        let h = 1e-6
        for k in 0..<s.count {
            var plus = s, minus = s
            plus[k] += h
            minus[k] -= h
            let fd = (try p.loss(plus) - p.loss(minus)) / (2 * h)
            #expect(abs(fd - g[k]) <= 1e-8 * max(1, abs(g[k])), "∂L/∂θ_\(k): analytic \(g[k]) vs central difference \(fd)")
        }
    }

    @Test func gradientDescentDecreasesTheLoss() throws {
        let (p, s) = try Self.fixture(weightDecay: 0.01)
        let run = try p.gradientDescent(from: s, step: 0.05, steps: 400)
        for t in 1..<run.losses.count {
            #expect(run.losses[t] <= run.losses[t - 1] + 1e-15, "step \(t): \(run.losses[t - 1]) → \(run.losses[t])")
        }
        #expect(run.losses.last! < 0.25 * run.losses[0], "400 steps reduce the loss by 4×: \(run.losses[0]) → \(run.losses.last!)")
    }

    @Test(arguments: [0.0, 0.3])
    func balanceLawAlongTheFlow(_ lambda: Double) throws {
        let (p, s) = try Self.fixture(weightDecay: lambda)
        let field = try TrainableSecondLayerFlow(problem: p)
        let time = 2.0
        let sol = try integrate(field, stepper: .rk4, controller: ConstantStepSize(1e-3), from: 0, to: time, start: s, maxSteps: 3000)
        let b0 = try p.balances(s), b1 = try p.balances(sol.finalState)
        for i in 0..<b0.count {
            let expected = b0[i] * exp(-2 * lambda * time)
            #expect(abs(b1[i] - expected) <= 1e-7 * max(1, abs(b0[i])), "neuron \(i): α² − |w|² \(b0[i]) → \(b1[i]), law predicts \(expected)")
        }
        // The loss moved: the law is not trivially satisfied by a frozen state.
        #expect(try p.loss(sol.finalState) < 0.9 * p.loss(s))
    }

    @Test func fixedUnitSecondLayerIsTheFixedSignNetwork() throws {
        let (p, s) = try Self.fixture()
        let (w, _) = try p.split(s)
        let signs = (0..<w.rows).map { $0 % 2 == 0 ? 1.0 : -1.0 }
        let fixed = try TwoLayerReLUProblem(inputs: p.inputs, targets: p.targets, signs: signs)
        let a = try p.outputs(p.state(w, signs)), b = try fixed.outputs(w)
        for j in 0..<a.count { #expect(abs(a[j] - b[j]) <= 1e-14 * max(1, abs(b[j]))) }
        // And the first-layer gradient is the §6 gradient.
        let g = try p.gradient(p.state(w, signs)), gf = try fixed.gradient(w)
        for k in 0..<gf.elements.count { #expect(abs(g[k] - gf.elements[k]) <= 1e-14 * max(1, abs(gf.elements[k]))) }
    }

    @Test func badStatesThrow() throws {
        let (p, s) = try Self.fixture()
        #expect(throws: TangentFlowError.self) { try p.loss(Array(s.dropLast())) }
        var bad = s
        bad[2] = .nan
        #expect(throws: TangentFlowError.self) { try p.gradient(bad) }
        #expect(throws: TangentFlowError.self) { try TrainableSecondLayerProblem(inputs: p.inputs, targets: p.targets, weightDecay: -1) }
        #expect(throws: TangentFlowError.self) { try TrainableSecondLayerProblem(inputs: p.inputs, targets: p.targets, outputScale: 0) }
    }
}
