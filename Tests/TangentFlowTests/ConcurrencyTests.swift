import Testing

@testable import TangentFlow

/// Kernels called from many Swift tasks at once give the results of serial calls (issue #9 §2): no global
/// mutable state in C beyond the once-selection and the guarded BLAS thread switch.
@Suite struct ConcurrencyTests {
    @Test func concurrentKernelCallsMatchSerialCalls() async throws {
        let configured = RuntimeInfo.configuredBLASThreads
        let (net, theta, x) = Fixtures.smallMLP(widths: [5, 24, 16, 4], activation: .tanh, samples: 30)
        let a = Fixtures.lowRank(40, 25, rank: 17, seed: 3)
        let ntk0 = try ntkGram(net, theta: theta, inputs: x)
        let jac0 = try CBackend().mlpJacobian(net, theta: theta, inputs: x)
        let pinv0 = try pseudoinverse(of: a)
        let vjp0 = try CBackend().mlpVJP(net, theta: theta, inputs: x, cotangents: Fixtures.gaussian(120, 3, seed: 4))
        // Small eigen- and Cholesky problems run LAPACK on one BLAS thread through the same guarded switch
        // (CKernels/linalg.c), nested in and overlapping with the parallel regions of the other calls.
        let g = Fixtures.gaussian(30, 30, seed: 8)
        let spd = try { () throws -> Matrix in
            var m = try CBackend().multiply(g, transposeA: false, g, transposeB: true)
            for i in 0..<30 { m[i, i] += 1 }
            return m
        }()
        let rhs = Fixtures.gaussian(30, 2, seed: 9)
        let eig0 = try CBackend().symmetricEigen(spd)
        let chol0 = try CBackend().choleskySolve(spd, rhs, estimateCondition: true).solution
        try await withThrowingTaskGroup(of: [Double].self) { group in
            for k in 0..<36 {
                group.addTask {
                    switch k % 6 {
                    case 0: return [relativeError(try ntkGram(net, theta: theta, inputs: x), ntk0)]
                    case 1: return [relativeError(try CBackend().mlpJacobian(net, theta: theta, inputs: x), jac0)]
                    case 2: return [relativeError(try pseudoinverse(of: a), pinv0)]
                    case 3:
                        let e = try CBackend().symmetricEigen(spd)
                        return [relativeError(Matrix(uncheckedRows: 30, cols: 1, elements: e.values),
                                              Matrix(uncheckedRows: 30, cols: 1, elements: eig0.values))]
                    case 4: return [relativeError(try CBackend().choleskySolve(spd, rhs, estimateCondition: true).solution, chol0)]
                    default:
                        let u = Fixtures.gaussian(120, 3, seed: 4)
                        return [relativeError(try CBackend().mlpVJP(net, theta: theta, inputs: x, cotangents: u), vjp0)]
                    }
                }
            }
            for try await errs in group {
                for e in errs { #expect(e <= 1e-13) }
            }
        }
        // The guard restores the configured thread count once the last region ends. Other tests run in parallel and
        // may be inside a region right now, so wait (up to 30 s) for a moment with none; a guard that failed to
        // restore would never get there.
        #expect(RuntimeInfo.configuredBLASThreads == configured)
        var restored = false
        for _ in 0..<3000 where !restored {
            restored = RuntimeInfo.current.blasThreads == configured
            if !restored { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(restored, "BLAS threads not restored to \(configured)")
    }
}
