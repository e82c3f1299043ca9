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
        // Below and above the one-thread threshold (m·n·k = 4·10⁶): the C product equals the pure-Swift one.
        for (m, n, k) in [(30, 40, 50), (200, 200, 200)] {
            let a = Fixtures.gaussian(m, k, seed: 1), b = Fixtures.gaussian(k, n, seed: 2)
            let c = try KernelBackend.c.kernels.multiply(a, transposeA: false, b, transposeB: false)
            let s = try KernelBackend.swift.kernels.multiply(a, transposeA: false, b, transposeB: false)
            #expect(relativeError(c, s) <= 1e-13, "\(m)×\(n)×\(k)")
        }
        // The threshold restores the configured thread count afterwards.
        #expect(CRuntime.blasThreads() == CRuntime.blasThreadsConfigured())
    }
}
