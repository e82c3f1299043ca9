import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowIO

private let toleranceOptions = [
    OptionSpec(name: "rtol", value: "r", help: "Keep σ_i > r·σ_max.", optional: true, kind: .real(lower: 0, upper: 1)),
    OptionSpec(name: "atol", value: "a", help: "Keep σ_i > a.", optional: true, kind: .nonNegative),
    ModelOptions.backendSpec,
]

/// Refuses a dense SVD of an m×n matrix that would not fit: the matrix, its factors and LAPACK's workspace take
/// about 4·m·n + 4·min(m,n)² doubles.
private func requireSVDMemory(rows: Int, cols: Int, _ command: String) throws {
    let k = min(rows, cols)
    let doubles = MemoryBudget.sum(MemoryBudget.product(4, rows, cols), MemoryBudget.product(4, k, k))
    try MemoryBudget.require(bytes: MemoryBudget.product(doubles, 8),
                             operation: "\(command): SVD of a \(rows)×\(cols) matrix")
}

/// The matrix of positional argument `A.npy`: non-empty, and its SVD must fit (checked from the header before
/// the file is read).
private func inputMatrix(_ p: ParsedArguments, _ command: String) throws -> Matrix {
    let (rows, cols) = try p.shape("A.npy")
    guard rows > 0, cols > 0 else {
        throw CommandFailure(.dataError, "<A.npy>: \(p.positionals[0]): the matrix is empty (\(rows)×\(cols))")
    }
    try requireSVDMemory(rows: rows, cols: cols, command)
    return try p.matrix("A.npy")
}

private func tolerance(_ p: ParsedArguments) throws -> RankTolerance {
    let r: Double? = try p.parsed("rtol"), a: Double? = try p.parsed("atol")
    switch (r, a) {
    case (nil, nil): return .default
    case let (r?, nil): return .relative(r)
    case let (nil, a?): return .absolute(a)
    default: throw UsageError(message: "'--rtol' and '--atol' cannot be combined", hint: "give one cut-off: relative (--rtol) or absolute (--atol)")
    }
}

/// `tangentflow pinv A.npy -o Ap.npy [--rtol R | --atol A]`.
let pinvCommand = CommandSpec(
    name: "pinv",
    abstract: "Moore–Penrose pseudoinverse A⁺ by thin SVD (Appendix A of 2408.01517).",
    discussion: "Default cut-off: σ_i > max(m,n)·ε·σ_max (numpy.linalg.matrix_rank's convention). Prints rank and cut-off.",
    arguments: [ArgumentSpec(name: "A.npy", help: "Input matrix (m×n, float64 or float32, C or Fortran order).", kind: .inputFile)],
    options: [OptionSpec(name: "output", short: "o", value: "Ap.npy", help: "Where to write A⁺ (n×m, float64; '-': standard output).",
                         kind: .outputFile)] + toleranceOptions,
    examples: ["tangentflow pinv A.npy -o Ap.npy", "tangentflow pinv D.npy --rtol 1e-10 --json -o Dp.npy"],
    run: { p in
        let tol = try tolerance(p)
        let a = try inputMatrix(p, "pinv")
        let backend = ModelOptions.backend(p)
        let pinv = try Pseudoinverse(of: a, tolerance: tol, backend: backend)
        try p.write(pinv.matrix, to: "output")
        p.report.results(["rank": pinv.rank, "cutoff": pinv.threshold, "rows": a.cols, "cols": a.rows])
    })

/// `tangentflow rank A.npy`.
let rankCommand = CommandSpec(
    name: "rank",
    abstract: "Numerical rank: the number of singular values above the cut-off.",
    arguments: [ArgumentSpec(name: "A.npy", help: "Input matrix (m×n).", kind: .inputFile)],
    options: toleranceOptions,
    examples: ["tangentflow rank A.npy", "tangentflow rank D.npy --atol 1e-8 --json"],
    run: { p in
        let tol = try tolerance(p)
        let a = try inputMatrix(p, "rank")
        let r = try numericalRank(of: a, tolerance: tol, backend: ModelOptions.backend(p))
        p.report.record("rank", r)
        p.report.say("\(r)")
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
    arguments: [ArgumentSpec(name: "D.npy", help: "The Jacobian (QN×K, float64 or float32).", kind: .inputFile)],
    options: [
        OptionSpec(name: "output", short: "o", value: "G.npy", help: "Where to write G (QN×QN, float64; '-': standard output).", kind: .outputFile),
        OptionSpec(name: "panel-columns", value: "P", help: "Columns of D read and accumulated at a time.", defaultValue: "4096",
                   kind: .integer(1...(1 << 24))),
        ModelOptions.backendSpec,
    ],
    examples: ["tangentflow gram D.npy -o G.npy", "tangentflow gram D.npy --panel-columns 1024 -o G.npy"],
    run: { p in
        let path = p.positionals[0]
        let panel = try p.int("panel-columns")
        let (rows, cols) = try NpyFile.shape(of: path)
        p.report.input("D.npy", path: path, shape: [rows, cols])
        guard rows > 0, cols > 0 else { throw CommandFailure(.dataError, "\(path): the matrix is empty (\(rows)×\(cols))") }
        let doubles = MemoryBudget.sum(MemoryBudget.product(rows, rows), MemoryBudget.product(2, rows, min(panel, cols)))
        try MemoryBudget.require(bytes: MemoryBudget.product(8, doubles),
                                 operation: "gram: G (\(rows)×\(rows)) and a panel of \(min(panel, cols)) columns")
        var acc = try GramAccumulator(rows: rows, backend: ModelOptions.backend(p))
        var start = 0, panels = 0
        Progress.shared.begin("gram", detail: "\(rows)×\(rows)")
        while start < cols {
            let end = min(cols, start + panel)
            let block = try NpyFile.readColumns(start..<end, from: path)
            if let k = block.elements.firstIndex(where: { !$0.isFinite }) {
                throw CommandFailure(.dataError, "<D.npy>: \(path) has a non-finite entry at row \(k % rows), column \(start + k / rows)",
                                     hint: "remove or replace the NaN/infinite entries")
            }
            try acc.add(panel: block)
            start = end
            panels += 1
            Progress.shared.update(fraction: Double(end) / Double(cols), "column \(end) of \(cols)")
        }
        Progress.shared.end()
        try p.write(acc.gram, to: "output")
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        p.report.results(["shape": "\(rows)x\(rows)", "columns": cols, "panels": panels, "peak_rss_kib": Int(usage.ru_maxrss)])
    })
