import CommandLineSupport
import Foundation
import TangentFlow

let root = CommandSpec(
    name: "tangentflow",
    abstract: "The geometry of gradient-flow training: NTKs, pseudoinverses, adapted flows.",
    subcommands: [
        demoCommand, initCommand, flowCommand, infoCommand, pinvCommand, rankCommand, gramCommand, jacobianCommand, ntkCommand, ntkSpectrumCommand, otCommand,
        dlnCommand, bwCommand, truncationCommand, wassersteinCommand, experimentCommand,
    ],
    examples: [
        "tangentflow demo -o tangentflow-demo",
        "tangentflow init --widths 16,256,256,10 --seed 1 -o theta.npy",
        "tangentflow ntk --widths 16,256,256,10 --theta theta.npy --x X.npy --json -o G.npy",
    ])

// The OpenMP runtime's warnings (e.g. under a file-size limit) would add lines to a one-line error.
setenv("KMP_WARNINGS", "0", 0)
CrashGuard.install()
initializeRuntimeQuietly()
RuntimeInfo.retainFreedMemory()
exit(runCommandLine(root, Array(CommandLine.arguments.dropFirst())))
