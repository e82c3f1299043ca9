import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein

/// The ReLU descents as `integrate` solves (`TwoLayerReLUGradientFlow` + `.euler` / `ProximalPointStepper` /
/// `WassersteinProximalStepper`): the public wrappers equal a direct `integrate` call and, bit for bit, the
/// hand-written loops they replaced (kept below as the reference, `Reference`), and the W₂ proximal step meets
/// its optimality conditions.
struct TwoLayerReLUGradientFlowTests {
    /// The loops of `TwoLayerReLUProblem+Descent.swift` before they became `integrate` solves (verbatim but for
    /// `innerSolve`'s `scale = 1/(mγ)`, which the old code computed inside it from `γ`).
    enum Reference {
        static func gradientDescent(_ p: TwoLayerReLUProblem, from start: Matrix, step: Double, steps: Int) -> DescentTrace {
            var w = start.elements
            var records = [DescentRecord(step: 0, time: 0, loss: p.lossUnchecked(w), distance: 0, innerIterations: 0, innerGradientNorm: 0, assignmentRounds: 0, converged: true)]
            var iterates = [start]
            for t in stride(from: 1, through: steps, by: 1) {
                let g = p.gradientUnchecked(w)
                var moved = 0.0
                for k in 0..<w.count {
                    w[k] -= step * g[k]
                    moved += step * step * g[k] * g[k]
                }
                records.append(DescentRecord(step: t, time: Double(t) * step, loss: p.lossUnchecked(w), distance: moved / Double(p.neurons), innerIterations: 0, innerGradientNorm: 0, assignmentRounds: 0, converged: true))
                iterates.append(Matrix(uncheckedRows: p.neurons, cols: p.inputDimension, elements: w))
            }
            return DescentTrace(records: records, iterates: iterates)
        }

        static func proximalPoint(_ p: TwoLayerReLUProblem, from start: Matrix, distance: ProximalDistance, gamma: Double, steps: Int,
                                  tolerance: Double, maxInnerIterations: Int) throws -> DescentTrace {
            let beta = 1 / (p.gradientLipschitzBound + 1 / (Double(p.neurons) * gamma))
            var records = [DescentRecord(step: 0, time: 0, loss: p.lossUnchecked(start.elements), distance: 0, innerIterations: 0, innerGradientNorm: 0, assignmentRounds: 0, converged: true)]
            var iterates = [start]
            var w = start
            for t in stride(from: 1, through: steps, by: 1) {
                let (next, r) = try proximalStep(p, w, distance, gamma, tolerance, maxInnerIterations, beta)
                w = next
                records.append(DescentRecord(step: t, time: Double(t) * Double(p.neurons) * gamma, loss: r.loss, distance: r.distance, innerIterations: r.innerIterations, innerGradientNorm: r.innerGradientNorm, assignmentRounds: r.assignmentRounds, converged: r.converged))
                iterates.append(w)
            }
            return DescentTrace(records: records, iterates: iterates)
        }

        static func proximalStep(_ p: TwoLayerReLUProblem, _ start: Matrix, _ distance: ProximalDistance, _ gamma: Double,
                                 _ tolerance: Double, _ maxInner: Int, _ beta: Double) throws -> (Matrix, DescentRecord) {
            let (m, d) = (p.neurons, p.inputDimension)
            func permutedRows(_ w: [Double], _ permutation: [Int]) -> [Double] {
                var out = [Double](repeating: 0, count: m * d)
                for k in 0..<d { for i in 0..<m { out[i + k * m] = w[permutation[i] + k * m] } }
                return out
            }
            var v = start.elements
            var permutation = Array(0..<m)
            var rounds = 0, iterations = 0
            var inner = (iterations: 0, norm: 0.0, converged: true)
            var assignmentStable = true
            let maxRounds = distance == .frobenius ? 1 : 50
            while true {
                rounds += 1
                let target = permutedRows(start.elements, permutation)
                inner = p.innerSolve(&v, target: target, scale: 1 / (Double(m) * gamma), beta: beta, tolerance: tolerance, maxIterations: maxInner)
                iterations += inner.iterations
                guard distance == .wasserstein else { break }
                let cost = try LinearAssignment.squaredDistances(Matrix(uncheckedRows: m, cols: d, elements: v), start)
                let assignment = try LinearAssignment.solve(cost: cost)
                var current = 0.0
                for i in 0..<m { current += cost.elements[i + permutation[i] * m] }
                guard assignment.totalCost < current - 1e-13 * max(current, 1e-300) else { break }
                permutation = assignment.permutation
                if rounds >= maxRounds {
                    assignmentStable = false
                    break
                }
            }
            let target = permutedRows(start.elements, permutation)
            var moved = 0.0
            for k in 0..<(m * d) { moved += (v[k] - target[k]) * (v[k] - target[k]) }
            let record = DescentRecord(
                step: 0, time: 0, loss: p.lossUnchecked(v), distance: moved / Double(m), innerIterations: iterations,
                innerGradientNorm: inner.norm, assignmentRounds: distance == .wasserstein ? rounds : 0,
                converged: inner.converged && assignmentStable)
            return (Matrix(uncheckedRows: m, cols: d, elements: v), record)
        }
    }

    /// Every record field and every iterate identical (`==`, not close).
    static func expectIdentical(_ got: DescentTrace, _ ref: DescentTrace, _ label: String) {
        #expect(got.records.count == ref.records.count, "\(label): \(got.records.count) vs \(ref.records.count) records")
        for (a, b) in zip(got.records, ref.records) {
            let same = a.step == b.step && a.time == b.time && a.loss == b.loss && a.distance == b.distance
                && a.innerIterations == b.innerIterations && a.innerGradientNorm == b.innerGradientNorm
                && a.assignmentRounds == b.assignmentRounds && a.converged == b.converged
            #expect(same, "\(label) step \(a.step): got \(a), reference \(b)")
        }
        for (t, (a, b)) in zip(got.iterates, ref.iterates).enumerated() {
            #expect(a.elements == b.elements, "\(label) iterate \(t): relative difference \(relativeError(a, b))")
        }
    }

    /// Packed close, large γ: the W₂ steps exchange labels (the fixture of `wassersteinProximalStepUsesAnOptimalAssignment`).
    static func exchangingProblem() throws -> (TwoLayerReLUProblem, Matrix, gamma: Double) {
        var (problem, w) = try WassersteinNetworkTests.randomProblem(m: 10, n: 12, d: 2, seed: 5)
        for k in 0..<w.elements.count { w.elements[k] *= 0.05 }
        problem = try TwoLayerReLUProblem(inputs: problem.inputs, targets: problem.targets.map { 3 * $0 }, signs: problem.signs)
        return (problem, w, 5.0)
    }

    @Test(arguments: [0.0, 0.01])
    func gradientDescentIsEulerAndMatchesTheOldLoop(weightDecay: Double) throws {
        let (problem, w) = try WassersteinNetworkTests.randomProblem(weightDecay: weightDecay)
        let eta = 0.3 / problem.gradientLipschitzBound   // not dyadic: flow-time sums would round
        let steps = 60
        let trace = try problem.gradientDescent(from: w, step: eta, steps: steps)
        Self.expectIdentical(trace, Reference.gradientDescent(problem, from: w, step: eta, steps: steps), "gradient descent")
        // The wrapper is this integrate call.
        let sol = try integrate(try TwoLayerReLUGradientFlow(problem: problem, timeScale: eta), stepper: .euler, controller: ConstantStepSize(1),
                                from: 0, to: Double(steps), start: w.elements, saveAt: .steps)
        let iterates: [[Double]] = trace.iterates.map { $0.elements }
        #expect(sol.states == iterates && sol.stats.acceptedSteps == steps && sol.stepReports.isEmpty)
        // In flow time (c = 1, step η) it is the same flow; only integrate's accumulated time rounds the last step.
        let flowTime = try integrate(try TwoLayerReLUGradientFlow(problem: problem), stepper: .euler, controller: ConstantStepSize(eta),
                                     from: 0, to: Double(steps) * eta, start: w.elements)
        let err = relativeError(Matrix(uncheckedRows: w.rows, cols: w.cols, elements: flowTime.finalState), trace.final)
        #expect(flowTime.stats.acceptedSteps == steps && err <= 1e-13, "flow-time solve: \(flowTime.stats.acceptedSteps) steps, error \(err)")
        // Zero steps: the start only.
        Self.expectIdentical(try problem.gradientDescent(from: w, step: eta, steps: 0), Reference.gradientDescent(problem, from: w, step: eta, steps: 0), "0 steps")
    }

    @Test(arguments: ProximalDistance.allCases)
    func proximalPointIsIntegrateAndMatchesTheOldLoop(distance: ProximalDistance) throws {
        let (randomProblem, randomStart) = try WassersteinNetworkTests.randomProblem()
        let (exchanging, packedStart, largeGamma) = try Self.exchangingProblem()
        let cases: [(String, TwoLayerReLUProblem, Matrix, Double)] = [
            ("random", randomProblem, randomStart, 0.07), ("exchanging", exchanging, packedStart, largeGamma),
        ]
        for (label, problem, w, gamma) in cases {
            let steps = 4
            let trace = try problem.proximalPoint(from: w, distance: distance, gamma: gamma, steps: steps, tolerance: 1e-10, maxInnerIterations: 200_000)
            let ref = try Reference.proximalPoint(problem, from: w, distance: distance, gamma: gamma, steps: steps, tolerance: 1e-10, maxInnerIterations: 200_000)
            Self.expectIdentical(trace, ref, "\(distance)/\(label)")
            if distance == .wasserstein && label == "exchanging" {
                #expect(ref.records.contains { $0.assignmentRounds > 1 }, "the exchanging path is taken: \(ref.records.map(\.assignmentRounds))")
            }
            // The wrapper is this integrate call; its stats sum the steps' reports.
            let field = try TwoLayerReLUGradientFlow(problem: problem, timeScale: Double(problem.neurons) * gamma)
            let stepper: any Stepper = distance == .frobenius
                ? try ProximalPointStepper(tolerance: 1e-10, maxIterations: 200_000)
                : try WassersteinProximalStepper(particles: problem.neurons, tolerance: 1e-10, maxInnerIterations: 200_000)
            let sol = try integrate(field, stepper: stepper, controller: ConstantStepSize(1), from: 0, to: Double(steps), start: w.elements, saveAt: .steps)
            let iterates: [[Double]] = trace.iterates.map { $0.elements }
            #expect(sol.states == iterates, "\(distance)/\(label): direct integrate differs")
            #expect(sol.stepReports.count == steps)
            let innerTotal: Int = ref.records.reduce(0) { $0 + $1.innerIterations }
            #expect(sol.stats.innerIterations == innerTotal)
            #expect(sol.stats.unconvergedSteps == ref.unconvergedSteps)
            // proximalStep is the first step.
            let (v, r) = try problem.proximalStep(from: w, distance: distance, gamma: gamma, tolerance: 1e-10, maxInnerIterations: 200_000)
            let first: DescentRecord = ref.records[1]
            #expect(v.elements == ref.iterates[1].elements)
            #expect(r.innerIterations == first.innerIterations && r.distance == first.distance && r.converged == first.converged)
        }
    }

    @Test func capsAreCountedLikeTheOldLoop() throws {
        let (problem, w) = try WassersteinNetworkTests.randomProblem()
        for distance in ProximalDistance.allCases {
            let trace = try problem.proximalPoint(from: w, distance: distance, gamma: 1, steps: 3, tolerance: 1e-14, maxInnerIterations: 2)
            let ref = try Reference.proximalPoint(problem, from: w, distance: distance, gamma: 1, steps: 3, tolerance: 1e-14, maxInnerIterations: 2)
            Self.expectIdentical(trace, ref, "capped \(distance)")
            #expect(trace.unconvergedSteps == 3)
            let (field, stepper) = try problem.proximalSolver(distance, 1, 1e-14, 2, nil)
            let sol = try integrate(field, stepper: stepper, controller: ConstantStepSize(1), from: 0, to: 3, start: w.elements)
            let innerTotal: Int = ref.records.reduce(0) { $0 + $1.innerIterations }
            #expect(sol.stats.unconvergedSteps == 3 && sol.stats.innerIterations == innerTotal)
        }
    }

    /// The W₂ step's optimality: `σ` is an optimal assignment of `V` to `W` (reported distance = exact `W₂²`), and
    /// `V` is a local minimiser of `F(V') + W₂²(V', W)/(2γ)`: no small perturbation (random, or along the smooth
    /// part of `−∇G`) lowers it beyond rounding; and the stationarity measure met the tolerance.
    @Test func wassersteinProximalStepIsOptimal() throws {
        let (problem, w, gamma) = try Self.exchangingProblem()
        let (m, d) = (problem.neurons, problem.inputDimension)
        let field = try TwoLayerReLUGradientFlow(problem: problem, timeScale: Double(m) * gamma)
        let stepper = try WassersteinProximalStepper(particles: m, tolerance: 1e-10, maxInnerIterations: 200_000)
        var y = w.elements
        var exchanged = false
        for _ in 0..<3 {
            let r = try stepper.step(field, at: 0, y, size: 1, f0: nil)
            let report = try #require(r.report as? ProximalStepReport)
            #expect(report.converged && report.residual <= 1e-10, "\(report)")
            exchanged = exchanged || report.assignmentRounds > 1
            let v = Matrix(uncheckedRows: m, cols: d, elements: r.y), start = Matrix(uncheckedRows: m, cols: d, elements: y)
            let (w2, sigma) = try LinearAssignment.wassersteinSquared(v, start)
            #expect(abs(report.squaredDistance / Double(m) - w2) <= 1e-12 * w2, "σ optimal: \(report.squaredDistance / Double(m)) vs W₂² \(w2)")
            func objective(_ e: [Double]) throws -> Double {
                try problem.loss(Matrix(uncheckedRows: m, cols: d, elements: e))
                    + LinearAssignment.wassersteinSquared(Matrix(uncheckedRows: m, cols: d, elements: e), start).value / (2 * gamma)
            }
            let base = try objective(r.y)
            // ∇G with σ fixed (the smooth part; zero off the kinks).
            var target = [Double](repeating: 0, count: m * d)
            for k in 0..<d { for i in 0..<m { target[i + k * m] = y[sigma[i] + k * m] } }
            let grad = problem.gradientUnchecked(r.y)
            let g = (0..<(m * d)).map { grad[$0] + (r.y[$0] - target[$0]) / (Double(m) * gamma) }
            var rng = SeededGenerator(seed: 9)
            var directions = [g.map { -$0 }]
            for _ in 0..<20 { directions.append((0..<(m * d)).map { _ in rng.nextGaussian() }) }
            for u in directions {
                let scale = 1e-6 / max(scaledNorm(u), 1e-300)
                let trial = (0..<(m * d)).map { r.y[$0] + scale * u[$0] }
                let value = try objective(trial)
                #expect(value >= base - 1e-13 * abs(base), "a perturbation lowers F + W₂²/(2γ): \(value) < \(base)")
            }
            y = r.y
        }
        #expect(exchanged, "some step must exchange labels")
        // A field without a resolvent is refused, not silently stepped.
        #expect(throws: TangentFlowError.self) { _ = try stepper.step(StandardFlowStub(), at: 0, y, size: 1, f0: nil) }
    }

    struct StandardFlowStub: VectorField {
        func velocity(at s: Double, _ y: [Double]) throws -> [Double] { y.map { -$0 } }
    }
}
