import Foundation
import TangentFlow

/// Options shared by the commands that take an MLP, its parameters and inputs. Each tool appends its own
/// (`tangentflow`: the kernel backend; `tangentflow-mpi`: the process grid) in an extension.
package enum ModelOptions {
    /// `--widths`, `--activation`, `--parametrization`, `--theta`, `--x`.
    package static let modelSpecs: [OptionSpec] = [
        OptionSpec(name: "widths", value: "widths", help: "Layer widths M_0,…,M_L, comma-separated (e.g. 16,256,256,10)."),
        OptionSpec(
            name: "activation", value: "activation", help: "Hidden-layer activation.", defaultValue: "tanh",
            values: Activation.allCases.map(\.rawValue)),
        OptionSpec(
            name: "parametrization", value: "parametrization",
            help: "Forward scaling: standard (W h + b) or ntk (W h/√fan-in + b).", defaultValue: "standard",
            values: ["standard", "ntk"]),
        OptionSpec(name: "theta", value: "theta.npy", help: "Parameters θ (length K: W_ℓ row-major, then b_ℓ, per layer)."),
        OptionSpec(name: "x", value: "X.npy", help: "Inputs, one sample per row (N×M_0)."),
    ]

    /// The MLP of `--widths`, `--activation`, `--parametrization`.
    package static func model(_ p: ParsedArguments) throws -> MLP {
        let widths = try parseWidths(p.required("widths"))
        let act = Activation(rawValue: p.string("activation") ?? "tanh")!
        let param: MLP.Parametrization = p.string("parametrization") == "ntk" ? .ntk(weightStd: 1, biasStd: 1) : .standard
        return try MLP(widths: widths, activation: act, parametrization: param)
    }

    /// `--theta` as a vector.
    package static func theta(_ p: ParsedArguments) throws -> [Double] { try NpyFile.readVector(from: p.required("theta")) }

    /// `--x` (or another named matrix option).
    package static func inputs(_ p: ParsedArguments, _ name: String = "x") throws -> Matrix { try NpyFile.readMatrix(from: p.required(name)) }
}

/// `16,256,256,10` → `[16, 256, 256, 10]`; at least two integers, else a usage error naming `--widths`.
package func parseWidths(_ text: String) throws -> [Int] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false)
    let widths = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard widths.count == parts.count, widths.count >= 2 else {
        throw UsageError(message: "The value '\(text)' is invalid for '--widths' (expected at least two comma-separated integers)")
    }
    return widths
}
