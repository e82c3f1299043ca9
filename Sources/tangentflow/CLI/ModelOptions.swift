import Foundation
import TangentFlow

/// Options shared by the commands that take an MLP, its parameters and inputs.
enum ModelOptions {
    static let specs: [OptionSpec] = [
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
        OptionSpec(
            name: "backend", value: "backend", help: "Kernel backend.", defaultValue: "c",
            values: KernelBackend.allCases.map(\.rawValue)),
    ]

    static func model(_ p: ParsedArguments) throws -> MLP {
        let widths = try parseWidths(p.required("widths"))
        let act = Activation(rawValue: p.string("activation") ?? "tanh")!
        let param: MLP.Parametrization = p.string("parametrization") == "ntk" ? .ntk(weightStd: 1, biasStd: 1) : .standard
        return try MLP(widths: widths, activation: act, parametrization: param)
    }

    static func backend(_ p: ParsedArguments) -> KernelBackend { KernelBackend(rawValue: p.string("backend") ?? "c") ?? .c }

    static func theta(_ p: ParsedArguments) throws -> [Double] { try NpyFile.readVector(from: p.required("theta")) }

    static func inputs(_ p: ParsedArguments, _ name: String = "x") throws -> Matrix { try NpyFile.readMatrix(from: p.required(name)) }
}
