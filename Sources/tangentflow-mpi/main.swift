import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowDistributed

let root = CommandSpec(
    name: "tangentflow-mpi",
    abstract: "The NTK spectrum and the adapted-flow step past one machine: ScaLAPACK over MPI (run under mpirun).",
    subcommands: [ntkSpectrumCommand, ntkEigenvaluesCommand, adaptedStepCommand, measureCommand])

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
// Rank 0 alone prints: the other ranks' standard output (results lines, the --json object) goes nowhere.
if Distributed.rank != 0 {
    let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
    if null >= 0 {
        dup2(null, STDOUT_FILENO)
        close(null)
    }
}
let code = runCommandLine(root, Array(CommandLine.arguments.dropFirst()), output: .rankZero, globalOptions: false,
                          checkInputsFirst: true, coordination: .mpi)
Distributed.finish()
exit(code)
