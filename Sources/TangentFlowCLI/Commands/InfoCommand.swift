import CommandLineSupport
import Foundation
import TangentFlow

/// `tangentflow info`: which BLAS kernels run, threads, library versions.
let infoCommand = CommandSpec(
    name: "info",
    abstract: "Show the BLAS core, thread counts and library versions in use.",
    discussion: """
        Debian's OpenBLAS 0.3.21 falls back to generic 'Prescott' kernels on some AVX-512 CPUs; TangentFlow
        detects that at first use and switches to the fastest core the CPU supports (unless OPENBLAS_CORETYPE
        is set). --check-fallback forces the Prescott fallback in-process and shows that the selection
        switches it back (exit 1 if it cannot; refused with status 64 while OPENBLAS_CORETYPE is set, since the
        selection then never acts).
        """,
    options: [OptionSpec(name: "check-fallback", help: "Force the generic fallback, re-run the selection, report both.")],
    examples: [
        "tangentflow info",
        "tangentflow info --json",
    ],
    run: { p in
        let info = RuntimeInfo.current
        p.report.say("TangentFlow \(TangentFlowVersion.string)")
        p.report.say(info.report)
        p.report.record("blas_core", info.blasCore)
        p.report.record("blas_core_detected", info.detectedCore)
        p.report.record("blas_core_selection", info.selection.rawValue)
        p.report.record("blas_config", info.blasConfig)
        p.report.record("blas_threads", info.blasThreads)
        p.report.record("openmp_threads", info.openMPThreads)
        p.report.record("lapack_version", info.lapackVersion)
        p.report.record("cpu_features", info.cpuFeatures)
        if p.has("check-fallback") {
            if let user = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], !user.isEmpty {
                throw CommandFailure(
                    .usage, "info --check-fallback: OPENBLAS_CORETYPE=\(user) is set, and the selection never overrides a user's choice, so there is nothing to check; run it as 'env -u OPENBLAS_CORETYPE tangentflow info --check-fallback'")
            }
            guard RuntimeInfo.forceBLASCore("Prescott") else {
                throw CommandFailure(.internalError, "info --check-fallback: this OpenBLAS cannot switch kernels (no gotoblas_dynamic_init)")
            }
            let forced = RuntimeInfo.current.blasCore
            let outcome = RuntimeInfo.reselectBLASCore()
            let now = RuntimeInfo.current.blasCore
            p.report.say("Fallback check:   forced \(forced) → selection \(outcome.rawValue) → now \(now)")
            p.report.record("fallback_check", "\(forced) -> \(outcome.rawValue) -> \(now)")
            guard outcome == .switched, now != forced else {
                throw CommandFailure(.internalError, "info --check-fallback: the selection did not leave the fallback core \(forced)")
            }
        }
    })
