import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein

/// The proximal step's local methods (§2.2.1, §2.2.2 of Mercklé's notes; MATH.md §6): the fixed-point iteration
/// `V ← W − mγ∇F(V)` and the W₂ step's block-coordinate solve with its stopping rule, each checked against an
/// independent computation (the kink-aware inner solver, brute-force assignments, the loss itself).
@Suite struct ProximalLocalMethodTests {
    /// 12 points in [−1, 1] (augmented), a two-neuron teacher, `m` seeded neurons of scale 0.6.
    static func problem(neurons m: Int, seed: UInt64) throws -> (TwoLayerReLUProblem, Matrix) {
        let x = (0..<12).map { -1 + 2 * Double($0) / 11 }
        let y = x.map { max(0, 1.3 * $0 - 0.1) - max(0, -0.8 * $0 + 0.3) + 0.2 }
        let inputs = try TwoLayerReLUProblem.augmented(Matrix.column(x))
        var rng = SeededGenerator(seed: seed)
        let w = try Matrix(rows: m, cols: 2, columnMajor: (0..<(2 * m)).map { _ in 0.6 * rng.nextGaussian() })
        let problem = try TwoLayerReLUProblem(inputs: inputs, targets: y, signs: (0..<m).map { $0 % 2 == 0 ? 1 : -1 })
        return (problem, w)
    }

    static func distance(_ a: Matrix, _ b: Matrix) -> Double {
        zip(a.elements, b.elements).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }

    /// Smallest |⟨w_i, x_j⟩| / (|w_i||x_j|): how far every neuron is from every kink.
    static func kinkMargin(_ p: TwoLayerReLUProblem, _ w: Matrix) -> Double {
        var margin = Double.infinity
        for i in 0..<p.neurons {
            for j in 0..<p.samples {
                let z = w[i, 0] * p.inputs[j, 0] + w[i, 1] * p.inputs[j, 1]
                margin = min(margin, abs(z) / (hypot(w[i, 0], w[i, 1]) * hypot(p.inputs[j, 0], p.inputs[j, 1])))
            }
        }
        return margin
    }

    @Test func fixedPointIterationContractsForSmallStepsAndSolvesTheProximalStep() throws {
        let (p, w) = try Self.problem(neurons: 6, seed: 11)
        let m = Double(p.neurons)
        let h = 0.5 / p.gradientLipschitzBound   // hL = 1/2: the notes' "γ → 0" regime
        let r = try p.proximalFixedPoint(from: w, flowStep: h, tolerance: 1e-13, maxIterations: 500)
        #expect(r.converged, "residual \(r.residual) after \(r.iterations) iterations")
        // The fixed point satisfies V = W − h∇F(V) (recomputed here from the public gradient).
        let g = try p.gradient(r.point)
        var residual = 0.0
        for k in 0..<g.elements.count { residual += pow(r.point.elements[k] - (w.elements[k] - h * g.elements[k]), 2) }
        #expect(residual.squareRoot() <= 1e-12, "fixed-point equation residual \(residual.squareRoot())")
        // Same point as the proximal step argmin F(V) + (1/m)|V − W|²/(2γ) with mγ = h, by the kink-aware solver.
        try #require(Self.kinkMargin(p, r.point) > 1e-3 && Self.kinkMargin(p, w) > 1e-3, "a generic case: no neuron on a kink")
        let (prox, record) = try p.proximalStep(from: w, distance: .frobenius, gamma: h / m, tolerance: 1e-13, maxInnerIterations: 10_000)
        #expect(record.converged)
        #expect(Self.distance(prox, r.point) <= 1e-11, "prox vs fixed point: \(Self.distance(prox, r.point))")
        // Contraction: every increment ratio at most hL (here no kink crossing broke it).
        #expect(r.observedContraction <= r.contractionBound + 1e-9, "observed \(r.observedContraction) vs bound \(r.contractionBound)")
        #expect(r.observedContraction > 0, "the iteration did move")
    }

    @Test func fixedPointIterationFailsForLargeSteps() throws {
        // γ = 10 as in §1.1: mγ·L ≫ 1, the map expands along the loss's stiff directions and never settles.
        let (p, w) = try Self.problem(neurons: 6, seed: 11)
        let h = 10 * Double(p.neurons)
        let r = try p.proximalFixedPoint(from: w, flowStep: h, tolerance: 1e-10, maxIterations: 200)
        #expect(!r.converged)
        #expect(r.contractionBound > 100)
        // The proximal step itself (kink-aware inner solve) does exist and is stationary: the failure is the method's.
        let (v, record) = try p.proximalStep(from: w, distance: .frobenius, gamma: 10, tolerance: 1e-8, maxInnerIterations: 200_000)
        #expect(record.converged, "inner residual \(record.innerGradientNorm)")
        #expect(try p.loss(v) < p.loss(w))
    }

    @Test func fixedPointRejectsBadArguments() throws {
        let (p, w) = try Self.problem(neurons: 3, seed: 1)
        #expect(throws: TangentFlowError.self) { try p.proximalFixedPoint(from: w, flowStep: 0, tolerance: 1e-8, maxIterations: 10) }
        #expect(throws: TangentFlowError.self) { try p.proximalFixedPoint(from: w, flowStep: .nan, tolerance: 1e-8, maxIterations: 10) }
        #expect(throws: TangentFlowError.self) { try p.proximalFixedPoint(from: w, flowStep: 1, tolerance: 0, maxIterations: 10) }
        #expect(throws: TangentFlowError.self) { try p.proximalFixedPoint(from: w, flowStep: 1, tolerance: 1e-8, maxIterations: 0) }
        let wrong = try Matrix(rows: 2, cols: 2)
        #expect(throws: TangentFlowError.self) { try p.proximalFixedPoint(from: wrong, flowStep: 1, tolerance: 1e-8, maxIterations: 10) }
    }

    /// Every permutation of 0..<n (Heap's algorithm).
    static func permutations(_ n: Int) -> [[Int]] {
        var a = Array(0..<n), out: [[Int]] = [], c = [Int](repeating: 0, count: n)
        out.append(a)
        var i = 0
        while i < n {
            if c[i] < i {
                a.swapAt(i % 2 == 0 ? 0 : c[i], i)
                out.append(a)
                c[i] += 1
                i = 0
            } else {
                c[i] = 0
                i += 1
            }
        }
        return out
    }

    static func transportCost(_ v: Matrix, _ w: Matrix, _ sigma: [Int]) -> Double {
        (0..<v.rows).reduce(0) { s, i in s + pow(v[i, 0] - w[sigma[i], 0], 2) + pow(v[i, 1] - w[sigma[i], 1], 2) }
    }

    @Test func wassersteinStepStopsByItsRuleAtAPartialMinimum() throws {
        // γ large enough that the first inner solve moves neurons past each other: the assignment changes.
        let (p, w) = try Self.problem(neurons: 6, seed: 5)
        let gamma = 2.0, m = p.neurons
        let field = try TwoLayerReLUGradientFlow(problem: p, timeScale: Double(m) * gamma)
        let stepper = try WassersteinProximalStepper(particles: m, tolerance: 1e-10, maxInnerIterations: 200_000)
        let result = try stepper.step(field, at: 0, w.elements, size: 1, f0: nil)
        let report = try #require(result.report as? ProximalStepReport)
        let v = Matrix(uncheckedRows: m, cols: 2, elements: result.y)
        #expect(report.converged)
        #expect(report.rounds.count == report.assignmentRounds)
        #expect(report.assignmentRounds >= 2, "the example should exchange labels (rounds: \(report.rounds))")
        // The stopping rule: every round but the last found a strictly cheaper assignment; the last did not.
        let rule = { (r: (keptCost: Double, assignedCost: Double)) in r.assignedCost >= r.keptCost - 1e-13 * max(r.keptCost, 1e-300) }
        for r in report.rounds.dropLast() { #expect(!rule(r), "stopped late: \(r)") }
        #expect(rule(report.rounds.last!), "stopped early: \(report.rounds.last!)")
        // Independently: the returned σ is an optimal assignment for V (all 720 permutations), and its cost is the
        // last round's kept cost.
        let brute = Self.permutations(m).map { Self.transportCost(v, w, $0) }.min()!
        let kept = Self.transportCost(v, w, report.permutation)
        #expect(kept <= brute * (1 + 1e-12) + 1e-15, "σ cost \(kept) vs optimum \(brute)")
        #expect(abs(kept - report.rounds.last!.keptCost) <= 1e-12 * max(kept, 1))
        #expect(Set(report.permutation) == Set(0..<m) && report.permutation != Array(0..<m))
        // V is stationary for the kept σ: ∇F(V) + (V − W_σ)/(mγ) = 0 (or V sits on a kink: then the objective
        // does not decrease along small random perturbations).
        let g = try p.gradient(v)
        var stationarity = 0.0
        for i in 0..<m {
            for k in 0..<2 {
                let e = g[i, k] + (v[i, k] - w[report.permutation[i], k]) / (Double(m) * gamma)
                stationarity += e * e
            }
        }
        let objective = { (u: Matrix) in try p.loss(u) + Self.transportCost(u, w, report.permutation) / (2 * gamma * Double(m)) }
        let g0 = try objective(v)
        if stationarity.squareRoot() > 1e-8 {
            var rng = SeededGenerator(seed: 3)
            for _ in 0..<50 {
                let u = Matrix(uncheckedRows: m, cols: 2, elements: v.elements.map { $0 + 1e-6 * rng.nextGaussian() })
                #expect(try objective(u) >= g0 - 1e-14)
            }
        }
        // A descent: G(V, σ) ≤ G(W, id) = F(W).
        let startLoss = try p.loss(w)
        #expect(g0 <= startLoss)
    }
}
