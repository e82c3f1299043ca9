import Foundation
import TangentFlow
import TangentFlowDistributed

// Copied from Sources/tangentflow/CLI (executables cannot share sources); printing is rank 0 only.

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
        say(helpText(for: target, parents: tparents), terminator: "")
        return 0
    }
    while let first = rest.first, let sub = spec.subcommands.first(where: { $0.name == first }) {
        parents.append(spec.name)
        spec = sub
        rest.removeFirst()
    }
    if rest.contains("-h") || rest.contains("--help") {
        say(helpText(for: spec, parents: parents), terminator: "")
        return 0
    }
    if rest.first == "help", !spec.subcommands.isEmpty {
        return runCommandLine(root, ["help"] + parents.dropFirst() + [spec.name] + rest.dropFirst())
    }
    guard let run = spec.run else {
        if let first = rest.first {
            return usageFailure(UsageError(message: "Unknown subcommand '\(first)'"), spec, parents)
        }
        say(helpText(for: spec, parents: parents), terminator: "")
        return spec.name == root.name ? 0 : 64
    }
    do {
        let parsed = try parse(rest, for: spec)
        try run(parsed)
        return 0
    } catch let e as UsageError {
        return usageFailure(e, spec, parents)
    } catch let e as DistributedError {
        printError("Error: \(e.description)")
        return 1
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

/// Rank 0 alone prints (every rank reaches the same messages: arguments are the same everywhere and errors are agreed).
func say(_ s: String, terminator: String = "\n") {
    guard Distributed.rank == 0 else { return }
    print(s, terminator: terminator)
    fflush(nil)
}

func printError(_ s: String) {
    guard Distributed.rank == 0 else { return }
    FileHandle.standardError.write((s + "\n").data(using: .utf8)!)
}
