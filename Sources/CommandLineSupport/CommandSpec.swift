// The command-line machinery shared by `tangentflow` and `tangentflow-mpi` (two executables cannot share source
// files, so it is a target of its own, visible to this package only).

/// One table per subcommand: name, abstract, arguments and options with defaults. The parser and the help
/// text are both generated from it (swift-argument-parser's help reads the parser's `ArgumentSet`).
package struct OptionSpec: Sendable {
    /// Long name without dashes (`"widths"`).
    package let name: String
    /// Optional single-letter short name (`"o"`).
    package var short: Character? = nil
    /// Placeholder for the value (`"path"`); `nil` for a flag.
    package var value: String? = nil
    /// One-line help.
    package let help: String
    /// Default shown in help and used when absent.
    package var defaultValue: String? = nil
    /// Allowed values, if an enumeration.
    package var values: [String]? = nil
    /// An option with no default that may be omitted (shown in brackets).
    package var optional = false
    /// What the value must be: the parser checks it (range, finiteness) and the runner checks paths before any
    /// work starts; help shows it.
    package var kind: ValueKind = .text

    /// An option; `value == nil` makes it a flag.
    package init(
        name: String, short: Character? = nil, value: String? = nil, help: String, defaultValue: String? = nil,
        values: [String]? = nil, optional: Bool = false, kind: ValueKind = .text
    ) {
        self.name = name
        self.short = short
        self.value = value
        self.help = help
        self.defaultValue = defaultValue
        self.values = values
        self.optional = optional
        self.kind = kind
    }

    package var isFlag: Bool { value == nil }

    /// `--name <value>` or `-o, --name <value>` as shown in help.
    package var label: String {
        var s = short.map { "-\($0), " } ?? ""
        s += "--\(name)"
        if let value { s += " <\(value)>" }
        return s
    }
}

/// A positional argument.
package struct ArgumentSpec: Sendable {
    package let name: String
    package let help: String
    /// What the value must be (see `OptionSpec.kind`).
    package var kind: ValueKind = .text

    /// A positional argument.
    package init(name: String, help: String, kind: ValueKind = .text) {
        self.name = name
        self.help = help
        self.kind = kind
    }
}

/// A subcommand (or the root command).
package struct CommandSpec: Sendable {
    package let name: String
    package let abstract: String
    package var discussion: String? = nil
    package var arguments: [ArgumentSpec] = []
    package var options: [OptionSpec] = []
    package var subcommands: [CommandSpec] = []
    /// One to three runnable command lines shown under EXAMPLES in help.
    package var examples: [String] = []
    /// Runs the command with parsed values; throws `UsageError` for bad values, anything else for runtime failures.
    package var run: (@Sendable (ParsedArguments) throws -> Void)? = nil

    /// A command; with `run == nil` it only groups `subcommands`.
    package init(
        name: String, abstract: String, discussion: String? = nil, arguments: [ArgumentSpec] = [],
        options: [OptionSpec] = [], subcommands: [CommandSpec] = [], examples: [String] = [],
        run: (@Sendable (ParsedArguments) throws -> Void)? = nil
    ) {
        self.examples = examples
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.arguments = arguments
        self.options = options
        self.subcommands = subcommands
        self.run = run
    }

    /// `tangentflow ntk` etc.
    package func path(_ parents: [String]) -> String { (parents + [name]).joined(separator: " ") }
}

/// A command-line mistake, whichever layer finds it: printed as `Error: …` plus one `Hint: …` line, exit 64
/// (EX_USAGE).
package struct UsageError: Error {
    package let message: String
    /// One line of advice; the runner adds "see '… --help'" when absent.
    package var hint: String? = nil

    /// A usage error with its one-line message.
    package init(message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    /// `--name: 'value' is invalid; expected …`.
    package static func invalid(_ name: String, _ value: String, expected: String, hint: String? = nil) -> UsageError {
        UsageError(message: "--\(name): '\(value)' is invalid; expected \(expected)", hint: hint)
    }
}

/// Values parsed from the command line for one command.
package struct ParsedArguments: Sendable {
    package var values: [String: String] = [:]
    package var flags: Set<String> = []
    package var positionals: [String] = []
    package let spec: CommandSpec
    /// What the run reports (results, inputs, outputs; `--json`), shared with the runner.
    package var report = RunReport()

    /// The value of `--name`, or its default.
    package func string(_ name: String) -> String? { values[name] ?? spec.options.first { $0.name == name }?.defaultValue }

    /// A required `--name` value.
    package func required(_ name: String) throws -> String {
        guard let v = string(name) else {
            throw UsageError(message: "missing required option '--\(name) <\(spec.options.first { $0.name == name }?.value ?? "value")>'")
        }
        return v
    }

    /// `--name` parsed as `T`, with a usage error naming the option when it does not parse.
    package func parsed<T: LosslessStringConvertible>(_ name: String, as _: T.Type = T.self) throws -> T? {
        guard let s = string(name) else { return nil }
        guard let v = T(s) else { throw UsageError.invalid(name, s, expected: "a value of the form the help shows") }
        if let d = v as? Double, !d.isFinite { throw UsageError.invalid(name, s, expected: "a finite number") }
        return v
    }

    /// An integer option with a default or a required one: the parser has already checked its range.
    package func int(_ name: String) throws -> Int {
        guard let v: Int = try parsed(name) else { _ = try required(name); return 0 }
        return v
    }

    /// A number option with a default or a required one: the parser has already checked it is finite and in range.
    package func double(_ name: String) throws -> Double {
        guard let v: Double = try parsed(name) else { _ = try required(name); return 0 }
        return v
    }

    /// The `--seed` value (the parser has checked it is an integer in 0…2⁶⁴−1).
    package func seed(_ name: String = "seed") throws -> UInt64 {
        guard let v: UInt64 = try parsed(name) else { _ = try required(name); return 0 }
        return v
    }

    /// Whether the flag `--flag` was given.
    package func has(_ flag: String) -> Bool { flags.contains(flag) }
}
