import CommandLineSupport
import TangentFlow

extension ModelOptions {
    /// The model options plus `--backend`.
    static let specs: [OptionSpec] = modelSpecs + [backendSpec]

    /// `--backend`.
    static let backendSpec = OptionSpec(
        name: "backend", value: "backend", help: "Kernel backend (c: OpenBLAS + C kernels; swift: the pure-Swift second opinion).",
        defaultValue: "c", values: KernelBackend.allCases.map(\.rawValue))

    /// `--backend`.
    static func backend(_ p: ParsedArguments) -> KernelBackend { KernelBackend(rawValue: p.string("backend") ?? "c") ?? .c }
}
