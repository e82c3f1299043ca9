// libFuzzer target for the command-line parser (Sources/CommandLineSupport). One input is an argument list,
// arguments separated by NUL bytes (as in /proc/PID/cmdline: a real argv cannot contain NUL), decoded as UTF-8
// with invalid bytes repaired (as Swift's `CommandLine.arguments`). Built by scripts/fuzz.sh into one module
// with the real CommandLineSupport sources and the few TangentFlow files they use.
//
// Contract checked: no argument list may crash or hang `parse(_:for:)` (on leaf commands, a command group and
// the same commands with `globalOptionSpecs` appended, as the runner does), the `ParsedArguments` accessors
// commands use, or `parseWidths`; any thrown error (UsageError or other) is a normal refusal.
// `runCommandLine` is not called: it redirects file descriptors (--json), sets BLAS threads (--threads) and
// checks output paths on disk, which a fuzzer should not do thousands of times a second.
//
// Uses only the API the tools use (OptionSpec/ArgumentSpec/CommandSpec initialisers with labels, ValueKind,
// `globalOptionSpecs`, `parse`, `ParsedArguments.string/has/parsed/int/double`, `parseWidths`).

/// Options of every shape: flags (with and without a short name), valued options with and without defaults,
/// optional ones, enumerations, short `-o`, and every value kind (integer ranges, open/closed real ranges, paths).
private let mixedOptions: [OptionSpec] = [
    OptionSpec(name: "verbose", short: "v", help: "A flag with a short name."),
    OptionSpec(name: "dry-run", help: "A flag without a short name."),
    OptionSpec(name: "output", short: "o", value: "path", help: "Output file, short -o, optional.", optional: true,
               kind: .outputFile),
    OptionSpec(name: "steps", short: "n", value: "count", help: "Integer with a default.", defaultValue: "100",
               kind: .integer(1...1_000_000)),
    OptionSpec(name: "tolerance", value: "tol", help: "Positive real, default.", defaultValue: "1e-10", kind: .positive),
    OptionSpec(name: "fraction", value: "p", help: "Real in (0, 1).", optional: true,
               kind: .real(lower: 0, upper: 1, openLower: true, openUpper: true)),
    OptionSpec(name: "shift", value: "s", help: "Any finite real.", optional: true, kind: .finite),
    OptionSpec(name: "seed", value: "seed", help: "Seed, no default (required).", kind: .seed),
    OptionSpec(
        name: "method", short: "m", value: "method", help: "Enumerated with a default.", defaultValue: "svd",
        values: ["svd", "gram", "cholesky"]),
    OptionSpec(name: "backend", value: "backend", help: "Enumerated, optional.", values: ["c", "swift"], optional: true),
    OptionSpec(name: "x", short: "x", value: "X.npy", help: "Input file; one-letter long and short name.",
               optional: true, kind: .inputFile),
    OptionSpec(name: "out-dir", value: "dir", help: "Output folder.", defaultValue: "out", kind: .outputFolder),
    OptionSpec(name: "label", value: "text", help: "Free text, optional.", optional: true),
]

private let train = CommandSpec(
    name: "train", abstract: "Two positionals and mixed options.",
    arguments: [ArgumentSpec(name: "input", help: "Input file.", kind: .inputFile),
                ArgumentSpec(name: "output", help: "Output file.", kind: .outputFile)],
    options: mixedOptions,
    run: { p in exercise(p) })

private let ntk = CommandSpec(
    name: "ntk", abstract: "The tools' real model options plus a flag and an enumeration.",
    options: ModelOptions.modelSpecs + [
        OptionSpec(name: "check", short: "c", help: "A flag."),
        OptionSpec(name: "method", value: "method", help: "Enumerated.", defaultValue: "gram", values: ["gram", "svd"]),
    ],
    run: { p in exercise(p) })

private let bare = CommandSpec(name: "info", abstract: "No options, no positionals.", run: { p in exercise(p) })

private let one = CommandSpec(
    name: "one", abstract: "One positional, one flag.", arguments: [ArgumentSpec(name: "file", help: "A file.")],
    options: [OptionSpec(name: "force", short: "f", help: "A flag.")], run: { p in exercise(p) })

private let sinkhorn = CommandSpec(
    name: "sinkhorn", abstract: "A leaf two levels down.",
    options: [
        OptionSpec(name: "eps", value: "eps", help: "Valued.", defaultValue: "0.01"),
        OptionSpec(name: "grid", value: "n", help: "Integer, required.", kind: .integer(2...4096)),
    ],
    run: { p in exercise(p) })

private let ot = CommandSpec(name: "ot", abstract: "A group: subcommands only.", subcommands: [sinkhorn, one])

private let root = CommandSpec(
    name: "tool", abstract: "Root group.", discussion: "Fuzzing root.", subcommands: [train, ntk, bare, ot])

/// Every command parsed directly: the leaves, a group, and the leaves with the runner's global options.
private let parsedSpecs: [CommandSpec] = {
    let leaves = [train, ntk, bare, one, sinkhorn]
    let withGlobals = leaves.map { spec -> CommandSpec in
        var s = spec
        for o in globalOptionSpecs where !s.options.contains(where: { $0.name == o.name }) { s.options.append(o) }
        return s
    }
    return leaves + [ot, root] + withGlobals
}()

/// What a command body does with parsed values: read each option the way the tools do.
private func exercise(_ p: ParsedArguments) {
    for o in p.spec.options {
        _ = p.string(o.name)
        _ = p.has(o.name)
        _ = try? p.parsed(o.name, as: Int.self)
        _ = try? p.parsed(o.name, as: Double.self)
        if !o.isFlag {
            _ = try? p.int(o.name)
            _ = try? p.double(o.name)
        }
    }
    if let w = p.string("widths") { _ = try? parseWidths(w) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func argsFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let args: [String] = size == 0 ? [] : bytes.split(separator: 0, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }

    for spec in parsedSpecs {
        if let parsed = try? parse(args, for: spec) { exercise(parsed) }
    }
    for a in args { _ = try? parseWidths(a) }
    return 0
}
