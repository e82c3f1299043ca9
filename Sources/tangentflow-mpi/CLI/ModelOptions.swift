import Foundation
import TangentFlow
import TangentFlowDistributed

// Adapted from Sources/tangentflow/CLI/ModelOptions.swift: no backend (the C kernels always), plus the grid.

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
        OptionSpec(name: "grid", value: "RxC", help: "Process grid rows×columns; R·C = ranks (default: the most square).", optional: true),
        OptionSpec(name: "block", value: "nb", help: "Square block size of the block-cyclic layout.", defaultValue: "64"),
    ]

    static func model(_ p: ParsedArguments) throws -> MLP {
        let widths = try parseWidths(p.required("widths"))
        let act = Activation(rawValue: p.string("activation") ?? "tanh")!
        let param: MLP.Parametrization = p.string("parametrization") == "ntk" ? .ntk(weightStd: 1, biasStd: 1) : .standard
        return try MLP(widths: widths, activation: act, parametrization: param)
    }


    static func theta(_ p: ParsedArguments) throws -> [Double] { try NpyFile.readVector(from: p.required("theta")) }

    static func inputs(_ p: ParsedArguments, _ name: String = "x") throws -> Matrix { try NpyFile.readMatrix(from: p.required(name)) }

    /// The process grid of `--grid`/`--block` (COLLECTIVE).
    static func grid(_ p: ParsedArguments) throws -> ProcessGrid {
        let nb = try p.parsed("block", as: Int.self) ?? 64
        guard nb >= 1 else { throw UsageError(message: "The value '\(nb)' is invalid for '--block'") }
        guard let g = p.string("grid") else { return try ProcessGrid(blockSize: nb) }
        let parts = g.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 1, parts[1] >= 1 else {
            throw UsageError(message: "The value '\(g)' is invalid for '--grid' (expected RxC, e.g. 2x2)")
        }
        return try ProcessGrid(rows: parts[0], cols: parts[1], blockSize: nb)
    }

    /// COLLECTIVE. Rank 0 reads the `.npy` files, every rank gets the same arrays (a read error on rank 0 fails
    /// every rank with its message).
    static func replicated(_ p: ParsedArguments, _ names: [String]) throws -> [Matrix] {
        for name in names { _ = try p.required(name) }  // usage errors first, identical on every rank
        let local: [Matrix]? = try Distributed.agree("reading inputs") {
            Distributed.rank == 0 ? try names.map { name in
                name == "theta" ? Matrix.column(try NpyFile.readVector(from: p.required(name))) : try NpyFile.readMatrix(from: p.required(name))
            } : nil
        }
        return try names.indices.map { try Distributed.broadcast(local?[$0]) }
    }
}
