import Foundation
import TangentFlow

/// Resolves the subcommand path, handles `help` and `-h/--help`, parses, runs, and maps errors to exit codes:
/// 0 success, 64 usage error (EX_USAGE, with the usage line), 1 runtime failure.
func runCommandLine(_ root: CommandSpec, _ args: [String]) -> Int32 {
    var spec = root
    var parents: [String] = []
    var rest = args
    // `tangentflow help [sub …]`
    if rest.first == "help" {
        rest.removeFirst()
        var target = root
        var tparents: [String] = []
        for name in rest {
            guard let sub = target.subcommands.first(where: { $0.name == name }) else {
                return usageFailure(UsageError(message: "Unknown subcommand '\(name)'"), target, tparents)
            }
            tparents.append(target.name)
            target = sub
        }
        print(helpText(for: target, parents: tparents), terminator: "")
        return 0
    }
    while let first = rest.first, let sub = spec.subcommands.first(where: { $0.name == first }) {
        parents.append(spec.name)
        spec = sub
        rest.removeFirst()
    }
    if rest.contains("-h") || rest.contains("--help") {
        print(helpText(for: spec, parents: parents), terminator: "")
        return 0
    }
    if rest.first == "help", !spec.subcommands.isEmpty {
        return runCommandLine(root, ["help"] + parents.dropFirst() + [spec.name] + rest.dropFirst())
    }
    guard let run = spec.run else {
        if let first = rest.first {
            return usageFailure(UsageError(message: "Unknown subcommand '\(first)'"), spec, parents)
        }
        print(helpText(for: spec, parents: parents), terminator: "")
        return spec.name == root.name ? 0 : 64
    }
    do {
        let parsed = try parse(rest, for: spec)
        try run(parsed)
        return 0
    } catch let e as UsageError {
        return usageFailure(e, spec, parents)
    } catch let e as TangentFlowError {
        printError("Error: \(e.description)")
        return 1
    } catch {
        printError("Error: \(error)")
        return 1
    }
}

func usageFailure(_ e: UsageError, _ spec: CommandSpec, _ parents: [String]) -> Int32 {
    printError("Error: \(e.message)")
    printError("Usage: \(usageLine(for: spec, parents: parents))")
    printError("  See '\(spec.path(parents)) --help' for more information.")
    return 64
}

func printError(_ s: String) {
    FileHandle.standardError.write((s + "\n").data(using: .utf8)!)
}
