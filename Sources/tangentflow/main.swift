import CommandLineSupport
import Foundation
import TangentFlow

let root = CommandSpec(
    name: "tangentflow",
    abstract: "The geometry of gradient-flow training: NTKs, pseudoinverses, adapted flows.",
    subcommands: [
        demoCommand, flowCommand, infoCommand, pinvCommand, rankCommand, gramCommand, jacobianCommand, ntkCommand, otCommand,
        dlnCommand, bwCommand, truncationCommand, wassersteinCommand,
    ])

RuntimeInfo.retainFreedMemory()
exit(runCommandLine(root, Array(CommandLine.arguments.dropFirst())))
