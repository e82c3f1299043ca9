import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowDistributed

let root = CommandSpec(
    name: "tangentflow-mpi",
    abstract: "The NTK spectrum and the adapted-flow step past one machine: ScaLAPACK over MPI (run under mpirun).",
    subcommands: [ntkSpectrumCommand, adaptedStepCommand, measureCommand])

do {
    try Distributed.start()
} catch {
    FileHandle.standardError.write("Error: \(error)\n".data(using: .utf8)!)
    exit(1)
}
_ = RuntimeInfo.retainFreedMemory()
setenv("KMP_WARNINGS", "0", 0)
CrashGuard.install()
removeStaleOpenMPRegistrations()
let code = runCommandLine(root, Array(CommandLine.arguments.dropFirst()), output: .rankZero, globalOptions: false,
                          checkInputsFirst: false)
Distributed.finish()
exit(code)
