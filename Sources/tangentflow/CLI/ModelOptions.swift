import CommandLineSupport
import TangentFlow

extension ModelOptions {
    /// The model options plus `--backend`.
    static let specs: [OptionSpec] = modelSpecs + [
        OptionSpec(
            name: "backend", value: "backend", help: "Kernel backend.", defaultValue: "c",
            values: KernelBackend.allCases.map(\.rawValue)),
    ]

    /// `--backend`.
    static func backend(_ p: ParsedArguments) -> KernelBackend { KernelBackend(rawValue: p.string("backend") ?? "c") ?? .c }
}
