import CommandLineSupport
import TangentFlow
import TangentFlowIO
import TangentFlowDistributed

extension ModelOptions {
    /// The model options plus the process grid (no backend: the distributed path always runs the C kernels).
    static let specs: [OptionSpec] = modelSpecs + [
        OptionSpec(name: "grid", value: "RxC", help: "Process grid rows×columns; R·C = ranks (default: the most square).", optional: true),
        OptionSpec(name: "block", value: "nb", help: "Square block size of the block-cyclic layout.", defaultValue: "64"),
    ]

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
