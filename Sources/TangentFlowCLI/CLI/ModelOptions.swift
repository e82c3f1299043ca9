import CommandLineSupport
import TangentFlow

extension ModelOptions {
    /// The model options plus `--backend`.
    static let specs: [OptionSpec] = modelSpecs + [backendSpec]

    /// `--backend` (shared with every command).
    static let backendSpec = OptionSpec.backend

    /// `--backend`.
    static func backend(_ p: ParsedArguments) -> KernelBackend { p.backend }
}
