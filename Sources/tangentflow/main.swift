import Foundation
import TangentFlow

let root = CommandSpec(
    name: "tangentflow",
    abstract: "The geometry of gradient-flow training: NTKs, pseudoinverses, adapted flows.",
    subcommands: [infoCommand, pinvCommand, rankCommand, jacobianCommand, ntkCommand])

exit(runCommandLine(root, Array(CommandLine.arguments.dropFirst())))
