/// One table per subcommand: name, abstract, arguments and options with defaults. The parser and the help
/// text are both generated from it (swift-argument-parser's help reads the parser's `ArgumentSet`).
struct OptionSpec: Sendable {
    /// Long name without dashes (`"widths"`).
    let name: String
    /// Optional single-letter short name (`"o"`).
    var short: Character? = nil
    /// Placeholder for the value (`"path"`); `nil` for a flag.
    var value: String? = nil
    /// One-line help.
    let help: String
    /// Default shown in help and used when absent.
    var defaultValue: String? = nil
    /// Allowed values, if an enumeration.
    var values: [String]? = nil
    /// An option with no default that may be omitted (shown in brackets).
    var optional = false

    var isFlag: Bool { value == nil }

    /// `--name <value>` or `-o, --name <value>` as shown in help.
    var label: String {
        var s = short.map { "-\($0), " } ?? ""
        s += "--\(name)"
        if let value { s += " <\(value)>" }
        return s
    }
}

/// A positional argument.
struct ArgumentSpec: Sendable {
    let name: String
    let help: String
}

/// A subcommand (or the root command).
struct CommandSpec: Sendable {
    let name: String
    let abstract: String
    var discussion: String? = nil
    var arguments: [ArgumentSpec] = []
    var options: [OptionSpec] = []
    var subcommands: [CommandSpec] = []
    /// Runs the command with parsed values; throws `UsageError` for bad values, anything else for runtime failures.
    var run: (@Sendable (ParsedArguments) throws -> Void)? = nil

    /// `tangentflow ntk` etc.
    func path(_ parents: [String]) -> String { (parents + [name]).joined(separator: " ") }
}

/// A usage error: printed with the usage line and `See '… --help'`, exit code 64 (EX_USAGE).
struct UsageError: Error {
    let message: String
}

/// Values parsed from the command line for one command.
struct ParsedArguments: Sendable {
    var values: [String: String] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []
    let spec: CommandSpec

    /// The value of `--name`, or its default.
    func string(_ name: String) -> String? { values[name] ?? spec.options.first { $0.name == name }?.defaultValue }

    /// A required `--name` value.
    func required(_ name: String) throws -> String {
        guard let v = string(name) else { throw UsageError(message: "Missing expected argument '--\(name) <\(spec.options.first { $0.name == name }?.value ?? "value")>'") }
        return v
    }

    /// `--name` parsed as `T`, with a usage error naming the option when it does not parse.
    func parsed<T: LosslessStringConvertible>(_ name: String, as _: T.Type = T.self) throws -> T? {
        guard let s = string(name) else { return nil }
        guard let v = T(s) else { throw UsageError(message: "The value '\(s)' is invalid for '--\(name)'") }
        return v
    }

    func has(_ flag: String) -> Bool { flags.contains(flag) }
}
