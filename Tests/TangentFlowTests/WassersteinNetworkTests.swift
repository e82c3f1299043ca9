import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein

/// The two-layer ReLU network of file 004 (MATH.md §6): the worked example, the gradient against finite
/// differences, and the descents of §2 (gradient descent, Frobenius and W₂ proximal point).
struct WassersteinNetworkTests {
    /// The §7 worked example: x = 1, 2, 4 augmented with 1, y = 2x, w = (1, 0), α = 1.
    static func workedExample() throws -> (TwoLayerReLUProblem, Matrix) {
        let x = try TwoLayerReLUProblem.augmented(Matrix.column([1, 2, 4]))
        let problem = try TwoLayerReLUProblem(inputs: x, targets: [2, 4, 8], signs: [1])
        return (problem, try Matrix([[1, 0]]))
    }

    /// A random problem: n samples in R^(d−1) augmented, m neurons with alternating signs.
    static func randomProblem(m: Int = 6, n: Int = 9, d: Int = 3, weightDecay: Double = 0, seed: UInt64 = 11) throws -> (TwoLayerReLUProblem, Matrix) {
        var rng = SeededGenerator(seed: seed)
        let x = try TwoLayerReLUProblem.augmented(try Matrix.gaussian(rows: n, cols: d - 1, using: &rng))
        let y = (0..<n).map { _ in rng.nextGaussian() }
        let signs = (0..<m).map { $0 % 2 == 0 ? 1.0 : -1.0 }
        let w = try Matrix.gaussian(rows: m, cols: d, using: &rng)
        return (try TwoLayerReLUProblem(inputs: x, targets: y, signs: signs, weightDecay: weightDecay), w)
    }

    @Test func workedExampleOneGradientStepGivesEightSevenThirds() throws {
        let (problem, w0) = try Self.workedExample()
        // All three points activate (s = (1,1,1), MATH.md's correction of the printed s₁ = (0,0,0)).
        #expect(try problem.activationPattern(w0).elements == [1, 1, 1])
        let g = try problem.gradient(w0)
        // e = (−1, −2, −4); ∇F = (1/3)Σ e_j x_j = (−7, −7/3). Rounding: a 3-term sum and one division, ≤ 4ε.
        #expect(abs(g[0, 0] - -7) <= 4 * .ulpOfOne * 7, "∂F/∂w₁ = \(g[0, 0]), expected −7")
        #expect(abs(g[0, 1] - -7.0 / 3) <= 4 * .ulpOfOne * 7 / 3, "∂F/∂b = \(g[0, 1]), expected −7/3")
        let trace = try problem.gradientDescent(from: w0, step: 1, steps: 1)
        let w1 = trace.final
        #expect(abs(w1[0, 0] - 8) <= 8 * .ulpOfOne && abs(w1[0, 1] - 7.0 / 3) <= 8 * .ulpOfOne, "W¹ = \(w1.row(0)), expected (8, 7/3)")
        // F(W⁰) = (1 + 4 + 16)/(2·3) = 3.5, with the 1/(2n) normalisation.
        #expect(abs(trace.records[0].loss - 3.5) <= 4 * .ulpOfOne * 3.5)
    }

    @Test(arguments: [0.0, 0.3])
    func gradientMatchesCentralDifferences(weightDecay: Double) throws {
        let (problem, w) = try Self.randomProblem(weightDecay: weightDecay)
        let g = try problem.gradient(w)
        // F is piecewise quadratic in W: off the kinks central differences have no truncation error, only
        // rounding ≈ ε·|F|/h. h = 1e-6 and a random W (no pre-activation within h·|x| of 0) give ~1e-10.
        let h = 1e-6
        var worst = 0.0
        for k in 0..<w.elements.count {
            var plus = w, minus = w
            plus.elements[k] += h
            minus.elements[k] -= h
            let fd = (try problem.loss(plus) - problem.loss(minus)) / (2 * h)
            worst = max(worst, abs(fd - g.elements[k]))
        }
        let tolerance = 1e-8 * max(1, g.maxAbs)
        #expect(worst <= tolerance, "max |FD − ∇F| = \(worst), tolerance \(tolerance), λ = \(weightDecay)")
    }

    @Test func reluDerivativeAtZeroIsZero() throws {
        // w = (1, −1) sits exactly on the kink of x = (1, 1): that sample contributes nothing (σ'(0) = 0).
        let x = try Matrix([[1, 1], [3, 1]])
        let problem = try TwoLayerReLUProblem(inputs: x, targets: [5, 7], signs: [1])
        let w = try Matrix([[1, -1]])
        let g = try problem.gradient(w)
        // Only x₂ = (3, 1) is active: z = 2, e = (0 − 5, 2 − 7) → ∇F = (1/2)(−5)(3, 1) = (−7.5, −2.5).
        #expect(g.elements == [-7.5, -2.5], "gradient \(g.elements)")
        #expect(try problem.activationPattern(w).elements == [0, 1])
    }

    @Test func frobeniusProximalStepSolvesItsOptimalityCondition() throws {
        let (problem, w) = try Self.randomProblem(weightDecay: 0.05)
        let gamma = 0.5, tol = 1e-10
        let (v, record) = try problem.proximalStep(from: w, distance: .frobenius, gamma: gamma, tolerance: tol, maxInnerIterations: 100_000)
        #expect(record.converged && record.innerIterations > 0 && record.innerGradientNorm <= tol)
        // Independent check of stationarity (the minimiser may sit on a ReLU kink, where ∇G jumps): every
        // one-sided directional derivative G'(V; u) must be ≥ −tol for unit u. Forward differences with h = 1e-7
        // err by at most (L + 1/(mγ))h/2 (curvature of the pieces) + 4ε|G|/h (rounding).
        let m = Double(problem.neurons)
        func g(_ v: Matrix) throws -> Double {
            var s = 0.0
            for k in 0..<v.elements.count { s += pow(v.elements[k] - w.elements[k], 2) }
            return try problem.loss(v) + s / (2 * m * gamma)
        }
        let h = 1e-7
        let slack = (problem.gradientLipschitzBound + 1 / (m * gamma)) * h / 2 + 4 * .ulpOfOne * (try g(v)) / h
        var rng = SeededGenerator(seed: 77)
        var worst = Double.infinity
        for _ in 0..<200 {
            var u = try Matrix.gaussian(rows: v.rows, cols: v.cols, using: &rng)
            let norm = u.frobeniusNorm
            for k in 0..<u.elements.count { u.elements[k] = v.elements[k] + h * u.elements[k] / norm }
            worst = min(worst, (try g(u) - g(v)) / h)
        }
        #expect(worst >= -(tol + slack), "a descent direction remains: G'(V; u) = \(worst), slack \(slack)")
        // The inner iteration starts at W and decreases G, so G(V) ≤ G(W) = F(W).
        let objective = try problem.loss(v) + record.distance / (2 * gamma)
        let start = try problem.loss(w)
        #expect(objective <= start, "G(V) = \(objective) > F(W) = \(start)")
    }

    @Test func unconvergedInnerSolveIsReported() throws {
        let (problem, w) = try Self.randomProblem()
        let trace = try problem.proximalPoint(from: w, distance: .frobenius, gamma: 1, steps: 3, tolerance: 1e-14, maxInnerIterations: 2)
        #expect(trace.unconvergedSteps == 3)
        #expect(trace.records.dropFirst().allSatisfy { !$0.converged && $0.innerIterations == 2 && $0.innerGradientNorm > 1e-14 })
    }

    @Test func wassersteinProximalPointReducesToFrobeniusForSmallSteps() throws {
        let (problem, w) = try Self.randomProblem(m: 8)
        // γ small: V stays within O(mγ‖∇F‖) of W, far below the gap between neurons, so the identity remains the
        // optimal assignment and both methods run the same inner iteration: identical iterates.
        let gamma = 1e-3
        let frob = try problem.proximalPoint(from: w, distance: .frobenius, gamma: gamma, steps: 5, tolerance: 1e-12, maxInnerIterations: 10_000)
        let wass = try problem.proximalPoint(from: w, distance: .wasserstein, gamma: gamma, steps: 5, tolerance: 1e-12, maxInnerIterations: 10_000)
        #expect(frob.unconvergedSteps == 0 && wass.unconvergedSteps == 0)
        for t in 0...5 {
            let err = relativeError(wass.iterates[t], frob.iterates[t])
            #expect(err <= 1e-15, "step \(t): relative difference \(err)")
        }
        #expect(wass.records.dropFirst().allSatisfy { $0.assignmentRounds == 1 })
        // Implicit (prox, step h = mγ) and explicit (GD, step h) Euler are both first order: their gap at a fixed
        // flow time T = 0.01 halves with h (on a longer arc, activation changes make the ratio erratic at
        // these h: at T = 0.04 it reads 5.7, then 2.4).
        func gap(_ h: Double) throws -> Double {
            let steps = Int((0.01 / h).rounded())
            let gd = try problem.gradientDescent(from: w, step: h, steps: steps)
            let prox = try problem.proximalPoint(from: w, distance: .frobenius, gamma: h / Double(problem.neurons), steps: steps, tolerance: 1e-13, maxInnerIterations: 10_000)
            #expect(abs(gd.records[steps].time - prox.records[steps].time) <= 1e-15)
            return relativeError(gd.final, prox.final)
        }
        let ratio = try gap(2e-3) / gap(1e-3)
        #expect(abs(ratio - 2) <= 0.05, "GD vs prox gap ratio \(ratio), expected ≈ 2 (first order)")
    }

    @Test func wassersteinProximalStepUsesAnOptimalAssignment() throws {
        // Large γ and neurons packed close together: the step moves them past each other, labels get exchanged.
        var (problem, w) = try Self.randomProblem(m: 10, n: 12, d: 2, seed: 5)
        for k in 0..<w.elements.count { w.elements[k] *= 0.05 }
        problem = try TwoLayerReLUProblem(inputs: problem.inputs, targets: problem.targets.map { 3 * $0 }, signs: problem.signs)
        let gamma = 5.0
        let trace = try problem.proximalPoint(from: w, distance: .wasserstein, gamma: gamma, steps: 4, tolerance: 1e-10, maxInnerIterations: 200_000)
        #expect(trace.unconvergedSteps == 0)
        // The path under test is taken: some step exchanged labels (a second assignment round).
        #expect(trace.records.contains { $0.assignmentRounds > 1 }, "rounds \(trace.records.map(\.assignmentRounds))")
        for t in 1...4 {
            let r = trace.records[t]
            let exact = try EmpiricalWasserstein.squaredDistance(trace.iterates[t], trace.iterates[t - 1]).value
            // The reported distance is for the final σ, which the last assignment round certified optimal.
            #expect(abs(r.distance - exact) <= 1e-12 * max(exact, 1e-300) + 1e-300, "step \(t): \(r.distance) vs W₂² \(exact)")
            #expect(r.loss <= trace.records[t - 1].loss, "F must not increase along proximal steps")
            var frobenius = 0.0
            for k in 0..<w.elements.count { frobenius += pow(trace.iterates[t].elements[k] - trace.iterates[t - 1].elements[k], 2) }
            #expect(r.distance <= frobenius / Double(problem.neurons) + 1e-15, "W₂² ≤ Frobenius distance")
        }
    }
}
