import Foundation
import Testing

@testable import TangentFlow

/// `D⁺r` and `P_ran(D) r` by LSMR on the matrix-free NTK operator against the dense pseudoinverse of the
/// materialised Jacobian (thin SVD with the MATH.md §2 cut-off), on full-rank wide and tall Jacobians and on
/// rank-deficient ones (a narrow ReLU network with dead units, duplicated samples); and the matrix-free adapted
/// flow against the dense routes.
@Suite struct MatrixFreePseudoinverseTests {
    /// A problem whose Jacobian has the named shape / rank: widths, activation, samples, duplicate samples.
    static let cases: [(String, [Int], Activation, Int, Bool)] = [
        ("wide full rank", [3, 8, 2], .tanh, 5, false),
        ("tall full rank", [2, 3, 2], .tanh, 12, false),
        ("narrow ReLU, dead units", [3, 3, 3, 2], .relu, 10, false),
        ("duplicated samples", [3, 9, 2], .gelu, 5, true),
    ]

    static func problem(_ c: Int, backend: KernelBackend = .c) throws -> (TrainingProblem, [Double], Pseudoinverse) {
        let (_, widths, act, n, dup) = cases[c]
        var (net, theta, x) = Fixtures.smallMLP(widths: widths, activation: act, samples: n, seed: 40 + UInt64(c))
        if act == .relu {
            // Kill two hidden units of the first layer for every input: their weights and biases get no gradient.
            for r in 0..<2 {
                for col in 0..<widths[0] { theta[net.weightOffset(layer: 1) + r * widths[0] + col] = 0 }
                theta[net.weightOffset(layer: 1) + widths[1] * widths[0] + r] = -1
            }
        }
        if dup {
            var rows = x.rowMajorElements
            rows += rows.prefix(2 * widths[0])  // samples 0 and 1 again
            x = try Matrix(rows: n + 2, cols: widths[0], rowMajor: rows)
        }
        let y = Fixtures.gaussian(x.rows, widths.last!, seed: 9)
        let p = try TrainingProblem(model: net, inputs: x, targets: y, backend: backend)
        return (p, theta, try Pseudoinverse(of: p.jacobian(theta)))
    }

    @Test(arguments: cases.indices)
    func pseudoinverseEqualsDenseSVDRoute(_ c: Int) throws {
        let (p, theta, dense) = try Self.problem(c)
        let full = min(p.outputCount, p.model.parameterCount)
        if c >= 2 { #expect(dense.rank < full, "\(Self.cases[c].0): rank \(dense.rank) of \(full): not rank-deficient") }
        else { #expect(dense.rank == full) }
        let op = try p.ntkOperator(theta)
        for seed in [1, 2] as [UInt64] {
            let r = Fixtures.gaussian(p.outputCount, 1, seed: seed).elements
            let s = try MatrixFreePseudoinverse.solve(op, r)
            let expected = try dense.apply(Matrix.column(r)).elements
            #expect(s.stop.converged)
            #expect(relativeError(s.solution, expected) <= 1e-8,
                    "\(Self.cases[c].0): \(relativeError(s.solution, expected)) after \(s.iterations) iterations (\(s.stop))")
            let (proj, _) = try MatrixFreePseudoinverse.projectOntoRange(op, r)
            #expect(relativeError(proj, try dense.projectOntoRange(Matrix.column(r)).elements) <= 1e-8)
        }
    }

    @Test func swiftBackendOperatorAgrees() throws {
        let (p, theta, dense) = try Self.problem(3, backend: .swift)
        let r = Fixtures.gaussian(p.outputCount, 1, seed: 3).elements
        let s = try MatrixFreePseudoinverse.solve(p.ntkOperator(theta), r)
        #expect(relativeError(s.solution, try dense.apply(Matrix.column(r)).elements) <= 1e-8)
    }

    @Test func capIsDidNotConvergeAndBadRightHandSideIsTyped() throws {
        let (p, theta, _) = try Self.problem(1)
        let op = try p.ntkOperator(theta)
        let r = Fixtures.gaussian(p.outputCount, 1, seed: 3).elements
        #expect {
            try MatrixFreePseudoinverse.solve(op, r, options: LSMROptions(maxIterations: 1))
        } throws: { e in
            guard case let .didNotConverge(_, it, _, _) = e as? TangentFlowError else { return false }
            return it == 1
        }
        #expect(throws: TangentFlowError.self) { try MatrixFreePseudoinverse.solve(op, [1, 2]) }
    }

    /// The matrix-free adapted flow follows the dense one: the full-rank wide case against the Gram route (dopri5,
    /// same tolerances: the accepted steps coincide) and the rank-deficient tall ReLU case against the SVD route
    /// (RK4, fixed step).
    @Test func adaptedFlowMatchesDenseRoutes() throws {
        for (c, dense) in [(0, PseudoinverseRoute.gram(.automatic)), (2, .svd)] {
            let (p, theta0, _) = try Self.problem(c)
            let log = KrylovSolveLog()
            let sEnd = p.loss.flowTime(reaching: 0.9, samples: p.samples)!
            func run(_ route: PseudoinverseRoute) throws -> FlowSolution {
                let flow = AdaptedFlow(problem: p, route: route)
                return c == 0
                    ? try integrate(flow, stepper: .dopri5, controller: PIController(rtol: 1e-10, atol: 1e-12), from: 0, to: sEnd,
                                    start: theta0, saveAt: .evenly(4, from: 0, to: sEnd))
                    : try integrate(flow, stepper: .rk4, controller: try ConstantStepSize(sEnd / 40), from: 0, to: sEnd, start: theta0,
                                    saveAt: .evenly(4, from: 0, to: sEnd))
            }
            let a = try run(.matrixFree(LSMROptions(), log: log)), b = try run(dense)
            #expect(a.status == .success && b.status == .success)
            #expect(a.stats.acceptedSteps == b.stats.acceptedSteps)
            #expect(relativeError(a.finalState, b.finalState) <= 1e-7, "case \(c): θ differs by \(relativeError(a.finalState, b.finalState))")
            let xa = try p.outputs(a.finalState), xb = try p.outputs(b.finalState)
            #expect(relativeError(xa, xb) <= 1e-7, "case \(c): outputs differ by \(relativeError(xa, xb))")
            #expect(log.solves == a.stats.fieldEvaluations && log.maxIterations >= 1)
            // Wide and full rank: D θ = g is consistent and the residual test stops; tall: the least-squares test.
            #expect(c == 0 ? log.worstRelativeResidual <= 1e-12 : log.worstRelativeNormalResidual <= 1e-12,
                    "case \(c): \(log.worstRelativeResidual), \(log.worstRelativeNormalResidual), stops \(log.stops)")
        }
    }

    @Test func outputVelocityIsDTimesVelocityOnEveryFieldOfTheRoute() throws {
        let (p, theta, _) = try Self.problem(0)
        let route = PseudoinverseRoute.matrixFree(LSMROptions(), log: KrylovSolveLog())
        let fields: [any ParameterFlow] = [
            AdaptedFlow(problem: p, route: route), try InterpolatedFlow(problem: p, alpha: 0.3, route: route),
            try PrescribedPathFlow(problem: p, startingAt: theta, route: route),
        ]
        for f in fields {
            let dv = try p.pushforward(theta, try f.velocity(at: 0, theta))
            #expect(relativeError(dv, try f.outputVelocity(at: 0, theta)) <= 1e-9, "\(type(of: f))")
        }
    }

    /// Diagnostics of a matrix-free run form no NTK: rank, σ and the Prop. 2.5 prediction are skipped, the rest
    /// equals the dense diagnostics of the same solution.
    @Test func diagnosticsSkipTheSpectrumOnTheMatrixFreeRoute() throws {
        let (p, theta0, _) = try Self.problem(0)
        let flow = AdaptedFlow(problem: p, route: .matrixFree(LSMROptions(), log: KrylovSolveLog()))
        let sol = try integrate(flow, stepper: .rk4, controller: try ConstantStepSize(1), from: 0, to: 4, start: theta0, saveAt: .evenly(3, from: 0, to: 4))
        let skipped = try TrajectoryDiagnostics.compute(p, sol, field: flow)
        let full = try TrajectoryDiagnostics.compute(p, sol, field: flow, spectrum: true)
        for (a, b) in zip(skipped, full) {
            #expect(a.rank == nil && a.sigmaMin.isNaN && a.sigmaMax.isNaN && a.spectrum.isEmpty && a.predictedDeviation == nil)
            #expect(b.rank == p.outputCount && b.predictedDeviation != nil)
            #expect(a.loss == b.loss && a.deviation == b.deviation)
        }
    }
}
