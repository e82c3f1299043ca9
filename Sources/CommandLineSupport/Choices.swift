import TangentFlow

/// Options whose values are the cases of an enumeration: the help lists `allCases` and the parser accepts exactly
/// their raw values, so a new case needs no command-line edit.
extension OptionSpec {
    /// `--name <value>` choosing one case of `E` (raw values are the spellings).
    package static func choice<E: CaseIterable & RawRepresentable>(
        _ name: String, of _: E.Type, value: String? = nil, help: String, default defaultCase: E?
    ) -> OptionSpec where E.RawValue == String {
        OptionSpec(name: name, value: value ?? name, help: help, defaultValue: defaultCase?.rawValue,
                   values: E.allCases.map(\.rawValue), optional: defaultCase == nil)
    }

    /// `--backend`: the kernel backend, shared by every command that computes.
    package static let backend = OptionSpec.choice(
        "backend", of: KernelBackend.self,
        help: "Kernel backend (c: OpenBLAS + C kernels; swift: the pure-Swift second opinion).", default: .c)
}

extension ParsedArguments {
    /// The case of `E` named by `--name` (or its default); the parser has already checked the spelling.
    package func choice<E: CaseIterable & RawRepresentable>(_: E.Type, _ name: String) throws -> E where E.RawValue == String {
        let text = try required(name)
        guard let value = E(rawValue: text) else {
            throw UsageError.invalid(name, text, expected: "one of " + E.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return value
    }

    /// `--backend`.
    package var backend: KernelBackend { (try? choice(KernelBackend.self, "backend")) ?? .c }
}
