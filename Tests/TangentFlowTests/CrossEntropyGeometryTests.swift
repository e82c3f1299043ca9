import Foundation
import Testing

@testable import TangentFlow

/// Cross-entropy under the flows of 2408.01517 (summary, Mechanism 3; MATH.md §3): the Hessian against finite
/// differences of the gradient, its kernel `u_Q`, convexity on `H_c`, the final loss against the label entropy,
/// and the divergence rate `−(n₊/Q) ln s` of zero-label logits, for `Q = 2, 3, 10`.
@Suite struct CrossEntropyGeometryTests {
    static func labels(_ q: Int, positive nPlus: Int, seed: UInt64) -> [Double] {
        var r = SeededGenerator(seed: seed)
        var y = [Double](repeating: 0, count: q)
        for j in 0..<nPlus { y[j] = 0.5 + Double(r.next() % 1000) / 1000 }
        let m = y.reduce(0, +)
        return y.map { $0 / m }
    }

    @Test(arguments: [2, 3, 10])
    func hessianMatchesFiniteDifferencesAndHasKernelUQ(_ q: Int) throws {
        var r = SeededGenerator(seed: UInt64(100 + q))
        let n = 3
        let x = (0..<(n * q)).map { _ in 2 * r.nextGaussian() }
        let y = (0..<n).flatMap { Self.labels(q, positive: max(1, q - 1 - $0), seed: UInt64(q * 10 + $0)) }
        let h = try CrossEntropyGeometry.lossHessian(outputs: x, targets: y, outputDimension: q)
        // Central differences of the gradient `Loss.crossEntropy.gradient` (an independent code path).
        let step = 1e-5
        for k in 0..<(n * q) {
            var xp = x, xm = x
            xp[k] += step
            xm[k] -= step
            let gp = Loss.crossEntropy.gradient(outputs: xp, targets: y, outputDimension: q)
            let gm = Loss.crossEntropy.gradient(outputs: xm, targets: y, outputDimension: q)
            for i in 0..<(n * q) { #expect(abs((gp[i] - gm[i]) / (2 * step) - h[i, k]) <= 1e-9, "Q = \(q) H[\(i), \(k)]") }
        }
        for i in 0..<n {
            let z = Array(x[(i * q)..<((i + 1) * q)])
            let hi = try CrossEntropyGeometry.hessian(logits: z, labels: Array(y[(i * q)..<((i + 1) * q)]))
            // Kernel: H u_Q = 0; the other Q − 1 eigenvalues are positive (strict convexity on H_c).
            for row in 0..<q { #expect(abs((0..<q).reduce(0.0) { $0 + hi[row, $1] }) <= 1e-15) }
            let e = try SwiftBackend().symmetricEigen(hi)
            #expect(abs(e.values[0]) <= 1e-15)
            #expect(e.values[1] > 1e-6, "Q = \(q): second eigenvalue \(e.values[1])")
            let u = (0..<q).map { e.vectors[$0, 0] }
            #expect(abs(abs(u.reduce(0, +)) - Double(q).squareRoot()) <= 1e-12)  // the null vector is u_Q/√Q
        }
    }

    @Test(arguments: [2, 3, 10])
    func lossIsConstantAlongUQAndConvexOnEachHyperplane(_ q: Int) throws {
        var r = SeededGenerator(seed: UInt64(200 + q))
        let y = Self.labels(q, positive: q == 2 ? 1 : 2, seed: 7)
        func ell(_ z: [Double]) -> Double { Loss.crossEntropy.value(outputs: z, targets: y, outputDimension: q) }
        for _ in 0..<20 {
            let a = (0..<q).map { _ in 3 * r.nextGaussian() }
            var b = (0..<q).map { _ in 3 * r.nextGaussian() }
            // Move b onto the hyperplane of a: u_Q·b = u_Q·a.
            let shift = (a.reduce(0, +) - b.reduce(0, +)) / Double(q)
            b = b.map { $0 + shift }
            #expect(abs(ell(a.map { $0 + 5 }) - ell(a)) <= 1e-12 * max(1, ell(a)))
            // Strict midpoint convexity on H_c (a ≠ b there).
            let mid = (0..<q).map { (a[$0] + b[$0]) / 2 }
            #expect(ell(mid) < (ell(a) + ell(b)) / 2)
        }
    }

    @Test func adaptedFlowReachesTheLabelEntropy() throws {
        // Smoothed labels: the infimum H(y) is attained at f*, and the adapted flow's final loss equals it.
        let (problem, theta0) = try FlowTheoremTests.fullRankProblem(loss: .crossEntropy, smoothing: 0.2)
        let y = problem.targetVector
        let entropy = try CrossEntropyGeometry.labelEntropy(targets: y, outputDimension: 2)
        // H(y) by hand: labels (0.9, 0.1) up to order, so H = −0.9 ln 0.9 − 0.1 ln 0.1 for every sample.
        #expect(abs(entropy - (-0.9 * log(0.9) - 0.1 * log(0.1))) <= 1e-12, "labels \(y)")
        let sol = try integrate(
            AdaptedFlow(problem: problem), stepper: .dopri5, controller: PIController(rtol: 1e-10, atol: 1e-12), from: 0, to: 400,
            start: theta0, saveAt: .evenly(5, from: 0, to: 400))
        let losses = try sol.states.map { try problem.lossValue($0) }
        #expect(losses[0] - entropy > 0.05)
        for l in losses { #expect(l >= entropy - 1e-14) }  // Gibbs: H(y) is a lower bound
        #expect(losses.last! - entropy <= 1e-10, "final loss − H(y) = \(losses.last! - entropy)")
        // The explicit minimiser is where the loss equals H(y).
        let f = CrossEntropyGeometry.explicitMinimiser(start: try problem.outputs(theta0), targets: y, outputDimension: 2)!
        #expect(abs(problem.loss.value(outputs: f, targets: y, outputDimension: 2) - entropy) <= 1e-14)
    }

    /// `x' = −∇ₓC` for one sample (`N = 1`): the output-space flow of the full-rank adapted flow (2.47).
    struct OutputSpaceFlow: VectorField {
        let y: [Double]
        func velocity(at s: Double, _ x: [Double]) throws -> [Double] {
            Loss.crossEntropy.gradient(outputs: x, targets: y, outputDimension: y.count).map { -$0 }
        }
    }

    /// The zero-label logits start equal (the symmetric case of MATH.md §3's derivation), so they stay equal, and
    /// the margin obeys `m' = (Q/(n₊²N))e^{−m}(1 + O(e^{−m}))`: the slope in `ln s` is `−n₊/Q` up to `O(1/s)` once
    /// the positive logits have relaxed to `log y_k + const` (exponentially fast). From unequal starts the spread
    /// among zero-label logits decays only like a power `s^{−n₊/Q}`, so a single logit's slope over a finite
    /// window is biased; their mean is not (second order in the spread) — the network test below uses the mean.
    /// The window is `[10⁴, 10⁶]` (the `O(1/s)` term of `m` still shows as ~4e-3 in the slope over `[10³, 10⁵]` for
    /// `Q = 10, n₊ = 4`): for `n₊ ≥ 2` the positive block keeps an `O(y/N)` curvature, so an explicit stepper needs
    /// `O(s)` steps (stability, not accuracy).
    @Test(arguments: [(2, 1), (3, 1), (3, 2), (10, 1), (10, 4)])
    func zeroLabelLogitsDivergeAtRateNPlusOverQ(_ q: Int, _ nPlus: Int) throws {
        let y = Self.labels(q, positive: nPlus, seed: UInt64(q + 31 * nPlus))
        var r = SeededGenerator(seed: UInt64(300 + q))
        let zeroStart = r.nextGaussian()
        let z0 = (0..<q).map { $0 < nPlus ? r.nextGaussian() : zeroStart }
        let saves = [0, 1e4, 1e6]
        let sol = try integrate(
            OutputSpaceFlow(y: y), stepper: .dopri5, controller: PIController(rtol: 1e-11, atol: 1e-12), from: 0, to: 1e6,
            start: z0, saveAt: .times(saves), maxSteps: 1_000_000)
        #expect(sol.status == .success)
        let rate = try CrossEntropyGeometry.zeroLabelLogitRate(positiveLabels: nPlus, classes: q)
        #expect(rate == -Double(nPlus) / Double(q))
        let span = log(1e6 / 1e4)
        for j in nPlus..<q {
            let slope = (sol.states[2][j] - sol.states[1][j]) / span
            #expect(abs(slope - rate) <= 2e-3, "Q = \(q), n₊ = \(nPlus), logit \(j): slope \(slope), expected \(rate)")
        }
        for j in 0..<nPlus {
            let slope = (sol.states[2][j] - sol.states[1][j]) / span
            #expect(abs(slope - Double(q - nPlus) / Double(q)) <= 2e-3, "positive logit \(j): slope \(slope)")
        }
        // The sum is invariant (u_Q is the Hessian's kernel and the gradient is ⟂ u_Q on the simplex).
        #expect(abs(sol.states[2].reduce(0, +) - z0.reduce(0, +)) <= 1e-8)
        // −½ ln s is the Q = 2 one-hot rate only.
        if q != 2 { #expect(abs(rate + 0.5) > 0.09) }
    }

    @Test func adaptedFlowOfANetworkHasTheSameRate() throws {
        // The network itself, Q = 3, one-hot: the mean of each sample's zero-label logits follows −(1/3) ln s.
        let net = try MLP(widths: [2, 12, 3], activation: .tanh)
        var r = SeededGenerator(seed: 95)
        let x = try Matrix.gaussian(rows: 2, cols: 2, using: &r)
        let y = try Matrix(rows: 2, cols: 3, rowMajor: [1, 0, 0, 0, 0, 1])
        let problem = try TrainingProblem(model: net, inputs: x, targets: y, loss: .crossEntropy)
        let saves = [0, 1e3, 1e5]
        let sol = try integrate(
            AdaptedFlow(problem: problem), stepper: .dopri5, controller: PIController(rtol: 1e-10, atol: 1e-12), from: 0, to: 1e5,
            start: net.initialParameters(seed: 96), saveAt: .times(saves))
        #expect(sol.status == .success)
        let a = try problem.outputs(sol.states[1]), b = try problem.outputs(sol.states[2])
        let span = log(1e5 / 1e3)
        for (i, zeros) in [(0, [1, 2]), (1, [0, 1])] {
            let slope = zeros.reduce(0.0) { $0 + (b[i * 3 + $1] - a[i * 3 + $1]) / span } / Double(zeros.count)
            #expect(abs(slope + 1.0 / 3) <= 3e-3, "sample \(i): mean zero-label slope \(slope)")
        }
    }

    @Test func badArgumentsThrow() {
        #expect(throws: TangentFlowError.self) { try CrossEntropyGeometry.hessian(logits: [1, 2], labels: [1]) }
        #expect(throws: TangentFlowError.self) { try CrossEntropyGeometry.hessian(logits: [.infinity, 2], labels: [1, 0]) }
        #expect(throws: TangentFlowError.self) { try CrossEntropyGeometry.labelEntropy(targets: [0.5, -0.5], outputDimension: 2) }
        #expect(throws: TangentFlowError.self) { try CrossEntropyGeometry.zeroLabelLogitRate(positiveLabels: 3, classes: 3) }
        #expect(throws: TangentFlowError.self) { try CrossEntropyGeometry.lossHessian(outputs: [1, 2, 3], targets: [1, 0, 0], outputDimension: 2) }
    }
}
