import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein

/// Issue #9 §4: NaN and ±∞ through every public numeric entry point, on both backends — each call throws a
/// `TangentFlowError` (never traps, never returns a silently wrong result).
@Suite struct HostileInputTests {
    /// `m` with one entry replaced.
    static func poisoned(_ m: Matrix, _ value: Double, at k: Int = 1) -> Matrix {
        var e = m.elements
        e[k % e.count] = value
        return try! Matrix(rows: m.rows, cols: m.cols, columnMajor: e)
    }

    static func poisoned(_ v: [Double], _ value: Double, at k: Int = 1) -> [Double] {
        var v = v
        v[k % v.count] = value
        return v
    }

    /// Every public entry point that takes numbers, as (name, call with `bad` injected into one argument).
    static func entryPoints(_ backend: KernelBackend, _ bad: Double) throws -> [(String, () throws -> Void)] {
        let k = backend.kernels
        let a = Fixtures.gaussian(5, 4, seed: 1), b = Fixtures.gaussian(4, 3, seed: 2)
        let spd = try CBackend().gram(Fixtures.gaussian(4, 9, seed: 3))
        let rhs = Fixtures.gaussian(4, 2, seed: 4)
        let (net, theta, x) = Fixtures.smallMLP()
        let qn = x.rows * net.outputDimension
        let v = Fixtures.gaussian(net.parameterCount, 2, seed: 5), u = Fixtures.gaussian(qn, 2, seed: 6)
        let y = Fixtures.gaussian(x.rows, net.outputDimension, seed: 7)
        let wide = Fixtures.gaussian(3, 8, seed: 8)
        let problem = try TrainingProblem(model: net, inputs: x, targets: y, backend: backend)
        let grid = try RegularGrid2D.unitSquare(4)
        let uniform = [Double](repeating: 1.0 / 16, count: 16)
        return [
            ("multiply A", { _ = try k.multiply(poisoned(a, bad), transposeA: false, b, transposeB: false) }),
            ("multiply B", { _ = try k.multiply(a, transposeA: false, poisoned(b, bad), transposeB: false) }),
            ("svd", { _ = try k.svd(poisoned(a, bad)) }),
            ("symmetricEigen", { _ = try k.symmetricEigen(poisoned(spd, bad, at: 0)) }),
            ("choleskySolve A", { _ = try k.choleskySolve(poisoned(spd, bad, at: 0), rhs) }),
            ("choleskySolve B", { _ = try k.choleskySolve(spd, poisoned(rhs, bad)) }),
            ("gram", { _ = try k.gram(poisoned(a, bad)) }),
            ("mlpForward θ", { _ = try k.mlpForward(net, theta: poisoned(theta, bad), inputs: x) }),
            ("mlpForward X", { _ = try k.mlpForward(net, theta: theta, inputs: poisoned(x, bad)) }),
            ("mlpJacobian", { _ = try k.mlpJacobian(net, theta: poisoned(theta, bad), inputs: x) }),
            ("mlpJVP V", { _ = try k.mlpJVP(net, theta: theta, inputs: x, directions: poisoned(v, bad)) }),
            ("mlpVJP U", { _ = try k.mlpVJP(net, theta: theta, inputs: x, cotangents: poisoned(u, bad)) }),
            ("mlpNTK X", { _ = try k.mlpNTK(net, theta: theta, inputs: poisoned(x, bad), nil) }),
            ("ntkGram jacobian", { _ = try ntkGram(net, theta: poisoned(theta, bad), inputs: x, method: .jacobianContraction, backend: backend) }),
            ("Pseudoinverse", { _ = try Pseudoinverse(of: poisoned(a, bad), backend: backend) }),
            ("Pseudoinverse.apply", { _ = try Pseudoinverse(of: a, backend: backend).apply(poisoned(Fixtures.gaussian(5, 2, seed: 9), bad)) }),
            ("pseudoinverse(of:)", { _ = try pseudoinverse(of: poisoned(wide, bad), backend: backend) }),
            ("numericalRank", { _ = try numericalRank(of: poisoned(wide, bad), backend: backend) }),
            ("GramPseudoinverse", { _ = try GramPseudoinverse(gram: poisoned(spd, bad, at: 0), parameterCount: 9, backend: backend) }),
            ("GramPseudoinverse.solve", { _ = try GramPseudoinverse(gram: spd, parameterCount: 9, backend: backend).solve(poisoned(rhs, bad)) }),
            ("GramPseudoinverse.solve static", { _ = try GramPseudoinverse.solve(gram: spd, poisoned(rhs, bad), parameterCount: 9, backend: backend) }),
            ("GramAccumulator.add", { var acc = try GramAccumulator(rows: 5, backend: backend); try acc.add(panel: poisoned(a, bad)) }),
            ("TrainingProblem targets", { _ = try TrainingProblem(model: net, inputs: x, targets: poisoned(y, bad), backend: backend) }),
            ("TrainingProblem inputs", { _ = try TrainingProblem(model: net, inputs: poisoned(x, bad), targets: y, backend: backend) }),
            ("TrainingProblem.outputs θ", { _ = try problem.outputs(poisoned(theta, bad)) }),
            ("TrainingProblem.ntk θ", { _ = try problem.ntk(poisoned(theta, bad)) }),
            ("AdaptedFlow.velocity θ", { _ = try AdaptedFlow(problem: problem).velocity(at: 0, poisoned(theta, bad)) }),
            ("StandardFlow.velocity θ", { _ = try StandardFlow(problem: problem).velocity(at: 0, poisoned(theta, bad)) }),
            ("integrate start", {
                _ = try integrate(StandardFlow(problem: problem), stepper: .rk4, controller: ConstantStepSize(0.1), from: 0, to: 1, start: poisoned(theta, bad))
            }),
            ("LinearAssignment", { _ = try LinearAssignment.solve(cost: poisoned(spd, bad), backend: backend) }),
            ("squaredDistances", { _ = try LinearAssignment.squaredDistances(poisoned(a, bad), a) }),
            ("GridSinkhorn a", { _ = try GridSinkhorn.solve(grid: grid, a: poisoned(uniform, bad), b: uniform, options: SinkhornOptions(regularization: 0.1), backend: backend) }),
            ("GridSinkhorn ε", { _ = try GridSinkhorn.solve(grid: grid, a: uniform, b: uniform, options: SinkhornOptions(regularization: bad), backend: backend) }),
            ("GridLogKernel.apply", { _ = try GridLogKernel(grid: grid, epsilon: 0.1, backend: backend).apply(poisoned([Double](repeating: 0, count: 16), bad == -.infinity ? .nan : bad)) }),
            ("RegularGrid2D", { _ = try RegularGrid2D(x1: [0, bad], x2: [0, 1]) }),
            ("mlpRecordPass θ", { _ = try k.mlpRecordPass(net, theta: poisoned(theta, bad), inputs: x) }),
            ("mlpRecordPass X", { _ = try k.mlpRecordPass(net, theta: theta, inputs: poisoned(x, bad)) }),
            ("MLPRecordedPass.pullback", { _ = try k.mlpRecordPass(net, theta: theta, inputs: x).pullback(poisoned(Array(u.elements.prefix(qn)), bad)) }),
            ("MLPRecordedPass.ntkCholeskySolve", {
                _ = try k.mlpRecordPass(net, theta: theta, inputs: x).ntkCholeskySolve(poisoned(Array(u.elements.prefix(qn)), bad), estimateCondition: true)
            }),
            ("gramAccumulate", { var g = Matrix(zerosRows: 5, cols: 5); try k.gramAccumulate(poisoned(a, bad), into: &g) }),
            ("pairwiseSquaredDistances", { _ = try k.pairwiseSquaredDistances(poisoned(a, bad), a) }),
            ("linearAssignment", { _ = try k.linearAssignment(cost: poisoned(spd, bad)) }),
            ("gridTransportCost f", {
                _ = try k.gridTransportCost(grid: grid, f: poisoned(uniform, bad == -.infinity ? .nan : bad), g: uniform, regularization: 0.1)
            }),
            ("gridLogKernel ε", { _ = try k.gridLogKernel(grid: grid, epsilon: bad) }),
        ]
    }

    @Test(arguments: KernelBackend.allCases, [Double.nan, .infinity, -.infinity])
    func nonFiniteInputsThrowTypedErrors(backend: KernelBackend, bad: Double) throws {
        for (name, call) in try Self.entryPoints(backend, bad) {
            do {
                try call()
                Issue.record("\(name) accepted \(bad) (\(backend))")
            } catch is TangentFlowError {
                // expected
            } catch {
                Issue.record("\(name) threw a non-TangentFlowError: \(error)")
            }
        }
    }

    /// The Gram product certifies D's finiteness from its diagonal: the error still names the first bad entry
    /// (column-major order, as everywhere), and a finite D whose squares overflow is refused instead of
    /// returning ∞.
    @Test(arguments: KernelBackend.allCases)
    func gramNamesTheBadEntryAndRefusesOverflow(backend: KernelBackend) throws {
        var d = Fixtures.gaussian(5, 12, seed: 4)
        d[3, 7] = .nan
        d[4, 2] = .infinity
        do {
            _ = try backend.kernels.gram(d)
            Issue.record("gram accepted NaN (\(backend))")
        } catch let TangentFlowError.nonFinite(_, argument, row, column) {
            #expect(argument == "D" && row == 4 && column == 2, "\(backend): \(row), \(column)")
        }
        var big = Fixtures.gaussian(5, 12, seed: 4)
        big[1, 1] = 1e200
        do {
            _ = try backend.kernels.gram(big)
            Issue.record("gram returned an overflowed DDᵀ (\(backend))")
        } catch let TangentFlowError.invalidArgument(_, reason) {
            #expect(reason.contains("overflows"))
        }
    }
}
