import CommandLineSupport
import Foundation
import TangentFlow

private let toleranceOptions = [
    OptionSpec(name: "rtol", value: "r", help: "Keep σ_i > r·σ_max.", optional: true),
    OptionSpec(name: "atol", value: "a", help: "Keep σ_i > a.", optional: true),
    OptionSpec(name: "backend", value: "backend", help: "Kernel backend.", defaultValue: "c", values: KernelBackend.allCases.map(\.rawValue)),
]

private func tolerance(_ p: ParsedArguments) throws -> RankTolerance {
    let r: Double? = try p.parsed("rtol"), a: Double? = try p.parsed("atol")
    switch (r, a) {
    case (nil, nil): return .default
    case let (r?, nil): return .relative(r)
    case let (nil, a?): return .absolute(a)
    default: throw UsageError(message: "'--rtol' and '--atol' cannot be combined")
    }
}

/// `tangentflow pinv A.npy -o Ap.npy [--rtol R | --atol A]`.
let pinvCommand = CommandSpec(
    name: "pinv",
    abstract: "Moore–Penrose pseudoinverse A⁺ by thin SVD (Appendix A of 2408.01517).",
    discussion: "Default cut-off: σ_i > max(m,n)·ε·σ_max (numpy.linalg.matrix_rank's convention). Prints rank and cut-off.",
    arguments: [ArgumentSpec(name: "A.npy", help: "Input matrix (m×n, float64 or float32, C or Fortran order).")],
    options: [OptionSpec(name: "output", short: "o", value: "Ap.npy", help: "Where to write A⁺ (n×m, float64).")] + toleranceOptions,
    run: { p in
        let a = try NpyFile.readMatrix(from: p.positionals[0])
        let backend = KernelBackend(rawValue: p.string("backend") ?? "c") ?? .c
        let pinv = try Pseudoinverse(of: a, tolerance: tolerance(p), backend: backend)
        try NpyFile.write(pinv.matrix, to: p.required("output"))
        print("rank=\(pinv.rank) cutoff=\(pinv.threshold) shape=\(a.cols)x\(a.rows)")
    })

/// `tangentflow rank A.npy`.
let rankCommand = CommandSpec(
    name: "rank",
    abstract: "Numerical rank: the number of singular values above the cut-off.",
    arguments: [ArgumentSpec(name: "A.npy", help: "Input matrix (m×n).")],
    options: toleranceOptions,
    run: { p in
        let a = try NpyFile.readMatrix(from: p.positionals[0])
        let backend = KernelBackend(rawValue: p.string("backend") ?? "c") ?? .c
        print(try numericalRank(of: a, tolerance: tolerance(p), backend: backend))
    })

/// `tangentflow gram D.npy -o G.npy [--panel-columns P]`: the generic NTK `G = D Dᵀ` of a Jacobian on disk,
/// streamed in column panels so that `D` never has to fit in memory.
let gramCommand = CommandSpec(
    name: "gram",
    abstract: "Gram matrix G = D Dᵀ (the generic empirical NTK, (3.15) of 2408.01517), streamed from disk.",
    discussion: """
        Reads D (QN×K, any order) --panel-columns columns at a time and accumulates G with dsyrk: peak memory is
        QN² + QN·P doubles (docs/numerics.md), not QN·K. Prints the shape, the panels and the process's peak
        resident memory.
        """,
    arguments: [ArgumentSpec(name: "D.npy", help: "The Jacobian (QN×K, float64 or float32).")],
    options: [
        OptionSpec(name: "output", short: "o", value: "G.npy", help: "Where to write G (QN×QN, float64)."),
        OptionSpec(name: "panel-columns", value: "P", help: "Columns of D read and accumulated at a time.", defaultValue: "4096"),
        OptionSpec(name: "backend", value: "backend", help: "Kernel backend.", defaultValue: "c", values: KernelBackend.allCases.map(\.rawValue)),
    ],
    run: { p in
        let path = p.positionals[0]
        guard let panel: Int = try p.parsed("panel-columns"), panel > 0 else { throw UsageError(message: "--panel-columns must be a positive integer") }
        let output = try p.required("output")
        let backend = KernelBackend(rawValue: p.string("backend") ?? "c") ?? .c
        let (rows, cols) = try NpyFile.shape(of: path)
        var acc = try GramAccumulator(rows: rows, backend: backend)
        var start = 0, panels = 0
        while start < cols {
            let end = min(cols, start + panel)
            try acc.add(panel: NpyFile.readColumns(start..<end, from: path))
            start = end
            panels += 1
        }
        try NpyFile.write(acc.gram, to: output)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        print("shape=\(rows)x\(rows) columns=\(cols) panels=\(panels) peak_rss_kib=\(usage.ru_maxrss)")
    })
