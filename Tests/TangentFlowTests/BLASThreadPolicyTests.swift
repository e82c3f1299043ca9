import Foundation
import Testing

@testable import TangentFlow

/// Idle OpenBLAS workers sleep within ~0.1 ms instead of spinning ~0.1 s on sched_yield (issue #28, small
/// problems without spinning), and products too small to share run on one BLAS thread, with unchanged results.
@Suite struct BLASThreadPolicyTests {
    @Test func idleWorkersSleepSoonUnlessTheUserChose() throws {
        let info = RuntimeInfo.current
        // This OpenBLAS (Debian 0.3.21) exports openblas_thread_timeout; a user setting wins.
        if let user = ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"], let v = Int(user) {
            #expect(info.blasIdleSpinLog2 == Swift.min(Swift.max(v, 4), 30))
        } else {
            #expect(info.blasIdleSpinLog2 == 18, "\(info.report)")
        }
        #expect(info.report.contains("idle workers sleep after"))
    }

    @Test func smallAndLargeProductsAgreeWithTheSwiftPath() throws {
        let configured = CRuntime.blasThreadsConfigured()
        // Below and above the one-thread threshold (m·n·k = 4·10⁶): the C product equals the pure-Swift one.
        for (m, n, k) in [(30, 40, 50), (200, 200, 200)] {
            let a = Fixtures.gaussian(m, k, seed: 1), b = Fixtures.gaussian(k, n, seed: 2)
            let c = try KernelBackend.c.kernels.multiply(a, transposeA: false, b, transposeB: false)
            let s = try KernelBackend.swift.kernels.multiply(a, transposeA: false, b, transposeB: false)
            #expect(relativeError(c, s) <= 1e-13, "\(m)×\(n)×\(k)")
        }
        // The threshold restores the configured thread count afterwards. Other suites running at the same time
        // open one-thread regions of their own, so the count is read (atomically with the number of open regions)
        // at a moment when none is open; with no region open it must be the configured one.
        var snapshot = CRuntime.blasRegionsOpen()
        for _ in 0..<2000 where snapshot.regions > 0 {
            Thread.sleep(forTimeInterval: 0.005)
            snapshot = CRuntime.blasRegionsOpen()
        }
        if snapshot.regions == 0 {
            #expect(snapshot.threads == configured)
        }
    }

    /// The Cholesky solve on one thread (n ≤ 800), and threaded with a serial condition estimate and solve
    /// (n > 800): the residual of G x = b is at rounding level either way, the condition estimate is within the
    /// factor LAPACK's 1-norm estimator allows of the exact 1-norm condition of a diagonal matrix. (Whether the
    /// configured thread count is back is not asserted here: other suites running at the same time switch it.)
    @Test func choleskySolveAcrossTheThreadThreshold() throws {
        for n in [700, 900] {
            let d = Fixtures.gaussian(n, n + 40, seed: UInt64(n))
            let g = try KernelBackend.c.kernels.gram(d), b = Fixtures.gaussian(n, 3, seed: 7)
            let (x, rcond) = try KernelBackend.c.kernels.choleskySolve(g, b, estimateCondition: true)
            let gx = try KernelBackend.c.kernels.multiply(g, transposeA: false, x, transposeB: false)
            #expect(relativeError(gx, b) <= 1e-8, "n = \(n)")
            #expect((rcond ?? 0) > 0, "n = \(n)")
            // diag(1, …, n²): 1-norm condition n² exactly, and the estimate is exact for a diagonal matrix.
            var diag = try Matrix(rows: n, cols: n)
            for i in 0..<n { diag[i, i] = Double((i + 1) * (i + 1)) }
            let r = try KernelBackend.c.kernels.choleskySolve(diag, b, estimateCondition: true).reciprocalCondition
            #expect(abs((r ?? 0) * Double(n * n) - 1) <= 1e-12, "n = \(n): rcond \(r ?? .nan)")
        }
    }
}
