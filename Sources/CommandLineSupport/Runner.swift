import Foundation
import TangentFlow

/// Where the runner writes: help text to `write` (as given), error lines to `writeError` (one line each).
/// `tangentflow-mpi` passes writers that print on rank 0 only.
package struct CommandLineOutput: Sendable {
    package let write: @Sendable (String) -> Void
    package let writeError: @Sendable (String) -> Void

    /// Writers of your own.
    package init(write: @escaping @Sendable (String) -> Void, writeError: @escaping @Sendable (String) -> Void) {
        self.write = write
        self.writeError = writeError
    }

    /// Standard output and standard error.
    package static let console = CommandLineOutput(
        write: { print($0, terminator: "") },
        writeError: { FileHandle.standardError.write(($0 + "\n").data(using: .utf8)!) })
}

/// Resolves the subcommand path, handles `help` and `-h/--help`, parses, runs, and maps errors to exit codes:
/// 0 success, 64 usage error (EX_USAGE, with the usage line), 1 runtime failure.
package func runCommandLine(_ root: CommandSpec, _ args: [String], output: CommandLineOutput = .console) -> Int32 {
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
                return usageFailure(UsageError(message: "Unknown subcommand '\(name)'"), target, tparents, output)
            }
            tparents.append(target.name)
            target = sub
        }
        output.write(helpText(for: target, parents: tparents))
        return 0
    }
    while let first = rest.first, let sub = spec.subcommands.first(where: { $0.name == first }) {
        parents.append(spec.name)
        spec = sub
        rest.removeFirst()
    }
    if rest.contains("-h") || rest.contains("--help") {
        output.write(helpText(for: spec, parents: parents))
        return 0
    }
    if rest.first == "help", !spec.subcommands.isEmpty {
        return runCommandLine(root, ["help"] + parents.dropFirst() + [spec.name] + rest.dropFirst(), output: output)
    }
    guard let run = spec.run else {
        if let first = rest.first {
            return usageFailure(UsageError(message: "Unknown subcommand '\(first)'"), spec, parents, output)
        }
        output.write(helpText(for: spec, parents: parents))
        return spec.name == root.name ? 0 : 64
    }
    do {
        let parsed = try parse(rest, for: spec)
        try run(parsed)
        return 0
    } catch let e as UsageError {
        return usageFailure(e, spec, parents, output)
    } catch let e as TangentFlowError {
        output.writeError("Error: \(e.description)")
        return 1
    } catch {
        output.writeError("Error: \(error)")
        return 1
    }
}

private func usageFailure(_ e: UsageError, _ spec: CommandSpec, _ parents: [String], _ output: CommandLineOutput) -> Int32 {
    output.writeError("Error: \(e.message)")
    output.writeError("Usage: \(usageLine(for: spec, parents: parents))")
    output.writeError("  See '\(spec.path(parents)) --help' for more information.")
    return 64
}
