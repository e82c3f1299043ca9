import Foundation
import TangentFlow
import TangentFlowIO

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
        writeError: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
}

/// How the runner works alongside the other processes of one job. `tangentflow` is one process (`.standalone`);
/// in `tangentflow-mpi` every rank runs the runner, rank 0 alone checks and creates the output folders and writes
/// `run.json`, and the checks before the run are agreed, so that a failure on one rank fails every rank with the
/// same exit status instead of leaving the others waiting in a collective.
package struct RunCoordination: Sendable {
    /// Whether this process checks the input files (with `checkInputsFirst`), checks and creates output files and
    /// folders, and writes `run.json`; the others only agree on its verdict.
    package let writesOutputs: Bool
    /// Runs the step it is given; if that throws on any process, it throws on every process.
    package let agree: @Sendable (() throws -> Void) throws -> Void

    /// Your own coordination.
    package init(writesOutputs: Bool, agree: @escaping @Sendable (() throws -> Void) throws -> Void) {
        self.writesOutputs = writesOutputs
        self.agree = agree
    }

    /// One process: it writes, and its steps need no agreement.
    package static let standalone = RunCoordination(writesOutputs: true, agree: { try $0() })
}

/// Options every runnable command of `tangentflow` takes (added by `runCommandLine` when `globalOptions` is on).
package let globalOptionSpecs: [OptionSpec] = [
    OptionSpec(name: "json", help: "Print one JSON object on standard output: version, options, inputs, results, timings, status."),
    OptionSpec(name: "quiet", short: "q", help: "No progress lines on standard error."),
    OptionSpec(name: "threads", value: "n", help: "Threads for the kernels and BLAS (default: all cores).", optional: true,
               kind: .integer(1...1024)),
]

/// Resolves the subcommand path, handles `help`, `-h/--help` and `--version`, parses, checks input and output
/// paths before any work, runs, and maps errors to the exit statuses of `ExitStatus`:
/// one `Error: …` line naming the option or file, and one `Hint: …` line.
/// `checkInputsFirst: false` leaves input files to the command. (The MPI tool checks them on rank 0 only, which
/// reads them, and agrees on the outcome: see `RunCoordination`.)
/// `coordination` says which process writes run folders and how pre-run failures are agreed (see `RunCoordination`).
package func runCommandLine(_ root: CommandSpec, _ args: [String], output: CommandLineOutput = .console,
                            globalOptions: Bool = true, checkInputsFirst: Bool = true,
                            coordination: RunCoordination = .standalone) -> Int32 {
    let root = globalOptions ? withGlobalOptions(root) : root
    var spec = root
    var parents: [String] = []
    var rest = args
    if rest == ["--version"] || rest == ["version"] {
        output.write("\(root.name) \(TangentFlowVersion.string)\n")
        return 0
    }
    // `tangentflow help [sub …]`
    if rest.first == "help" {
        rest.removeFirst()
        var target = root
        var tparents: [String] = []
        for name in rest {
            guard let sub = target.subcommands.first(where: { $0.name == name }) else {
                return fail(UsageError(message: "unknown subcommand '\(name)'", hint: subcommandHint(target, tparents)), output)
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
        return runCommandLine(root, ["help"] + parents.dropFirst() + [spec.name] + rest.dropFirst(), output: output,
                              globalOptions: false, checkInputsFirst: checkInputsFirst, coordination: coordination)
    }
    guard let run = spec.run else {
        if let first = rest.first {
            let what = first.hasPrefix("-") ? "unknown option '\(first)'" : "unknown subcommand '\(first)'"
            return fail(UsageError(message: what, hint: subcommandHint(spec, parents)), output)
        }
        if spec.name == root.name {
            output.write(helpText(for: spec, parents: parents))
            return 0
        }
        return fail(UsageError(message: "'\(spec.path(parents))' needs a subcommand", hint: subcommandHint(spec, parents)), output)
    }
    let commandPath = spec.path(parents)
    let started = Date()
    var parsed: ParsedArguments
    do {
        parsed = try parse(rest, for: spec)
    } catch {
        return fail(error, output, helpCommand: commandPath)
    }
    let report = parsed.report
    let json = parsed.has("json")
    report.json = json
    report.quiet = parsed.has("quiet")
    Progress.shared.setEnabled(!parsed.has("quiet"))
    var savedStdout: Int32 = -1
    let arrayToStdout = spec.options.contains { $0.kind == .outputFile && parsed.values[$0.name] == "-" }
    if json || arrayToStdout {
        // Standard output carries the JSON object (or the array) alone: the command's human-readable lines go to
        // standard error with '-o -', and nowhere with --json (the JSON object holds the same results).
        fflush(nil)
        savedStdout = dup(STDOUT_FILENO)
        if json {
            let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
            dup2(null >= 0 ? null : STDERR_FILENO, STDOUT_FILENO)
            if null >= 0 { close(null) }
        } else {
            dup2(STDERR_FILENO, STDOUT_FILENO)
        }
        AtomicFile.standardOutputDescriptor = savedStdout
    }
    var status = ExitStatus.success
    var failure: Error? = nil
    var runFolders: RunFolders? = nil
    do {
        if json, arrayToStdout {
            throw UsageError(message: "'-o -' (the array on standard output) cannot be combined with '--json'",
                             hint: "write the array to a file, or drop --json")
        }
        if let n: Int = try parsed.parsed("threads") { RuntimeInfo.setThreads(n) }
        try coordination.agree {
            guard coordination.writesOutputs else { return }
            try preflight(parsed, inputs: checkInputsFirst, outputs: true)
            let folders = try RunFolders(parsed, argv: [root.name] + args)
            runFolders = folders
            AtomicFile.willWrite = { path in
                folders.willWrite(path)
                report.output(path)
            }
        }
        try run(parsed)
        if let key = report.firstNonFiniteResult {
            throw CommandFailure(.stopped, "the result '\(key)' is not finite (NaN or infinity)",
                                 hint: "the run diverged; try a smaller step or a tighter tolerance")
        }
    } catch {
        failure = error
        status = ExitStatus.of(error)
    }
    Progress.shared.end()
    AtomicFile.willWrite = nil
    if let runFolders {
        var object = jsonObject(root: root, command: commandPath, parsed: parsed, status: status, error: failure,
                                seconds: Date().timeIntervalSince(started))
        if case let .object(fields) = object { object = .object([("argv", .array(([root.name] + args).map { .string($0) }))] + fields) }
        runFolders.finish(object, status: status)
    }
    if json || arrayToStdout {
        fflush(nil)
    }
    if json {
        let object = jsonObject(root: root, command: commandPath, parsed: parsed, status: status, error: failure,
                                seconds: Date().timeIntervalSince(started))
        let bytes = Array((object.text + "\n").utf8)
        _ = bytes.withUnsafeBytes { Foundation.write(savedStdout, $0.baseAddress, $0.count) }
    }
    if savedStdout >= 0 {
        dup2(savedStdout, STDOUT_FILENO)
        close(savedStdout)
        AtomicFile.standardOutputDescriptor = STDOUT_FILENO
    }
    if let failure { return fail(failure, output, helpCommand: commandPath) }
    return status.rawValue
}

/// Prints `Error: …` and `Hint: …` for `error` and returns its exit status.
private func fail(_ error: Error, _ output: CommandLineOutput, helpCommand: String? = nil) -> Int32 {
    let status = ExitStatus.of(error)
    let (message, hint) = describe(error, helpCommand: helpCommand)
    output.writeError("Error: \(message)")
    if let hint { output.writeError("Hint: \(hint)") }
    return status.rawValue
}

/// The one-line message and hint of an error, with no internal type names.
package func describe(_ error: Error, helpCommand: String? = nil) -> (String, String?) {
    let seeHelp = helpCommand.map { "see '\($0) --help'" }
    switch error {
    case let e as UsageError:
        return (oneLine(e.message), e.hint ?? seeHelp)
    case let e as CommandFailure:
        return (oneLine(e.message), e.hint)
    case let e as StatusReportingError:
        return (oneLine(e.statusMessage), nil)
    case let e as TangentFlowError:
        return (oneLine(e.description), hint(for: e))
    default:
        return ("internal error: \(oneLine((error as NSError).localizedDescription))", "this is a bug; please report it with the command line")
    }
}

private func hint(for e: TangentFlowError) -> String? {
    switch e {
    case .insufficientMemory: return "use fewer samples or a smaller model"
    case .didNotConverge: return "raise the iteration cap or loosen the tolerance"
    case .malformedFile: return "inputs are NumPy .npy files (np.save), or an array in an .npz archive as FILE.npz:NAME"
    case .nonFinite: return "remove or replace the NaN/infinite entries"
    default: return nil
    }
}

private func oneLine(_ s: String) -> String {
    let flat = s.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).joined(separator: " ")
    return flat.count > 400 ? String(flat.prefix(400)) + "…" : flat
}

private func subcommandHint(_ spec: CommandSpec, _ parents: [String]) -> String {
    let names = spec.subcommands.map(\.name).joined(separator: ", ")
    return "subcommands of '\(spec.path(parents))': \(names)"
}

/// Every runnable command gets `--json`, `--quiet` and `--threads`; the root gets `--version`.
private func withGlobalOptions(_ spec: CommandSpec) -> CommandSpec {
    var s = spec
    if s.run != nil {
        for o in globalOptionSpecs where !s.options.contains(where: { $0.name == o.name }) { s.options.append(o) }
    }
    s.subcommands = s.subcommands.map(withGlobalOptions)
    return s
}

/// Input files exist and are regular files; output files and folders can be created — before any work.
private func preflight(_ p: ParsedArguments, inputs: Bool, outputs: Bool) throws {
    var checks: [(ValueKind, String, String)] = []
    for o in p.spec.options {
        if let v = p.values[o.name] ?? (o.kind == .outputFolder || o.kind == .outputFile ? o.defaultValue : nil) {
            checks.append((o.kind, "--\(o.name)", v))
        }
    }
    for (a, v) in zip(p.spec.arguments, p.positionals) { checks.append((a.kind, "<\(a.name)>", v)) }
    for (kind, label, value) in checks {
        switch kind {
        case .inputFile: if inputs { try checkInputFile(value, label) }
        case .outputFile:
            guard outputs else { continue }
            do { try AtomicFile.checkWritable(value) } catch let e as TangentFlowError {
                throw CommandFailure(.cannotCreate, "\(label): \(e.description)")
            }
        case .outputFolder:
            guard outputs else { continue }
            do { try AtomicFile.checkWritableFolder(value) } catch let e as TangentFlowError {
                throw CommandFailure(.cannotCreate, "\(label): \(e.description)")
            }
        default: break
        }
    }
}

/// `path` (or the archive of `archive.npz:name`) is an existing, readable regular file.
private func checkInputFile(_ path: String, _ label: String) throws {
    var file = path
    var st = stat()
    if stat(file, &st) != 0, let colon = path.lastIndex(of: ":"), path[..<colon].hasSuffix(".npz") {
        file = String(path[..<colon])
    }
    guard stat(file, &st) == 0 else {
        throw CommandFailure(.noInput, "\(label): \(file): no such file")
    }
    guard (st.st_mode & S_IFMT) == S_IFREG else {
        let what = (st.st_mode & S_IFMT) == S_IFDIR ? "a directory" : "not a regular file (a device or pipe)"
        throw CommandFailure(.noInput, "\(label): \(file): is \(what), not a .npy file")
    }
    guard access(file, R_OK) == 0 else { throw CommandFailure(.noInput, "\(label): \(file): not readable") }
}

/// The output folders of a run. Each is created before the command starts; on the command's first write into it,
/// its `run.json` is marked "running", so a folder whose files are being replaced is never labelled complete.
private final class RunFolders: @unchecked Sendable {
    let folders: [String]
    let created: Set<String>
    let argv: [String]
    private let lock = NSLock()
    private var marked: Set<String> = []

    init(_ p: ParsedArguments, argv: [String]) throws {
        folders = p.spec.options.filter { $0.kind == .outputFolder }.compactMap { p.string($0.name) }
        var created: Set<String> = []
        for dir in folders {
            var st = stat()
            if stat(dir, &st) != 0 {
                try AtomicFile.makeFolder(dir)
                created.insert(dir)
            }
        }
        self.created = created
        self.argv = argv
    }

    /// Marks the folder holding `path` as "running" on its first write.
    func willWrite(_ path: String) {
        let parent = (path as NSString).deletingLastPathComponent
        guard (path as NSString).lastPathComponent != "run.json" else { return }
        for dir in folders where parent == dir || parent.hasPrefix(dir + "/") {
            let first = lock.withLock { marked.insert(dir).inserted }
            if first {
                let object = JSONValue.object([("status", .string("running")), ("argv", .array(argv.map { .string($0) })),
                                               ("version", .string(TangentFlowVersion.string))])
                try? AtomicFile.write(text: object.text + "\n", to: dir + "/run.json")
            }
        }
    }

    /// Writes each folder's `run.json` last: "complete" with the full configuration (command line, options as
    /// understood, inputs), results and timings when the run finished; "stopped"/"failed" with the error when it
    /// did not and had written something; an empty folder this run created is removed again.
    func finish(_ object: JSONValue, status: ExitStatus) {
        for dir in folders {
            let wrote = lock.withLock { marked.contains(dir) }
            if status != .success && !wrote {
                if created.contains(dir) { rmdir(dir) }
                continue
            }
            var fields: [(String, JSONValue)] = [
                ("status", .string(status == .success ? "complete" : status == .stopped ? "stopped" : "failed")),
            ]
            if case let .object(rest) = object { fields += rest.filter { $0.0 != "status" } }
            try? AtomicFile.write(text: JSONValue.object(fields).text + "\n", to: dir + "/run.json")
        }
    }
}

private func jsonObject(root: CommandSpec, command: String, parsed: ParsedArguments, status: ExitStatus, error: Error?,
                        seconds: Double) -> JSONValue {
    let r = parsed.report
    var options: [(String, JSONValue)] = []
    for o in parsed.spec.options where !globalOptionSpecs.contains(where: { $0.name == o.name }) {
        if o.isFlag {
            options.append((o.name, .bool(parsed.has(o.name))))
        } else if let v = parsed.string(o.name) {
            options.append((o.name, .string(v)))
        }
    }
    for (a, v) in zip(parsed.spec.arguments, parsed.positionals) { options.append((a.name, .string(v))) }
    var fields: [(String, JSONValue)] = [
        ("tool", .string(root.name)), ("version", .string(TangentFlowVersion.string)), ("command", .string(command)),
        ("status", .string(status == .success ? "ok" : status == .stopped ? "stopped" : "error")),
        ("exit_code", .int(Int(status.rawValue))),
        ("options", .object(options)), ("inputs", .array(r.inputs)), ("outputs", .array(r.outputs.map { .string($0) })),
        ("results", .object(r.results)),
        ("timings", .object([("total_s", .number(seconds))] + r.timings.map { ($0.0, JSONValue.number($0.1)) })),
    ]
    if let error {
        let (message, hint) = describe(error)
        fields.append(("error", .string(message)))
        if let hint { fields.append(("hint", .string(hint))) }
    }
    return .object(fields)
}

extension ValueKind: Equatable {
    package static func == (a: ValueKind, b: ValueKind) -> Bool {
        switch (a, b) {
        case (.text, .text), (.inputFile, .inputFile), (.outputFile, .outputFile), (.outputFolder, .outputFolder), (.seed, .seed): return true
        case let (.integer(x), .integer(y)): return x == y
        case let (.real(a1, b1, c1, d1), .real(a2, b2, c2, d2)): return a1 == a2 && b1 == b2 && c1 == c2 && d1 == d2
        default: return false
        }
    }
}
