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
        switches it back (exit 1 if it cannot).
        """,
    options: [OptionSpec(name: "check-fallback", help: "Force the generic fallback, re-run the selection, report both.")],
    run: { p in
        print("TangentFlow \(TangentFlowVersion.string)")
        print(RuntimeInfo.current.report)
        if p.has("check-fallback") {
            guard RuntimeInfo.forceBLASCore("Prescott") else {
                throw TangentFlowError.invalidArgument(operation: "info", reason: "this OpenBLAS cannot switch kernels (no gotoblas_dynamic_init)")
            }
            let forced = RuntimeInfo.current.blasCore
            let outcome = RuntimeInfo.reselectBLASCore()
            let now = RuntimeInfo.current.blasCore
            print("Fallback check:   forced \(forced) → selection \(outcome.rawValue) → now \(now)")
            guard outcome == .switched, now != forced else {
                throw TangentFlowError.invalidArgument(operation: "info --check-fallback", reason: "the selection did not leave the fallback core \(forced)")
            }
        }
    })
