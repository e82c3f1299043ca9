import CommandLineSupport
import Foundation
import TangentFlow

/// `tangentflow ot assign --x X.npy --y Y.npy -o perm.npy` (issue #13 §4).
let otAssignCommand = CommandSpec(
    name: "assign",
    abstract: "Exact optimal assignment between two m×d point sets, cost |x − y|² (Jonker–Volgenant).",
    discussion: """
        Writes perm.npy (int64, perm[i] = j: row i of X goes to row j of Y) and prints
        cost=<mean of |x_i − y_perm(i)|²>, which is W₂² between the two uniform point clouds.
        """,
    options: [
        OptionSpec(name: "x", value: "X.npy", help: "First point set, one point per row (m×d)."),
        OptionSpec(name: "y", value: "Y.npy", help: "Second point set (m×d)."),
        OptionSpec(name: "output", short: "o", value: "perm.npy", help: "Where to write the permutation (int64)."),
        OptionSpec(name: "backend", value: "backend", help: "Kernel backend.", defaultValue: "c", values: KernelBackend.allCases.map(\.rawValue)),
    ],
    run: { p in
        let x = try NpyFile.readMatrix(from: p.required("x")), y = try NpyFile.readMatrix(from: p.required("y"))
        let output = try p.required("output")
        guard x.rows == y.rows, x.cols == y.cols else {
            throw UsageError(message: "X is \(x.rows)×\(x.cols) and Y is \(y.rows)×\(y.cols): the point sets must have the same shape")
        }
        let backend = KernelBackend(rawValue: p.string("backend") ?? "c") ?? .c
        let (value, perm) = try LinearAssignment.wassersteinSquared(x, y, backend: backend)
        try NpyFile.write(int64Vector: perm, to: output)
        print("cost=\(value)")
    })

/// `tangentflow ot sinkhorn-grid --n 64 --a a.npy --b b.npy --reg 1e-3 --tol 1e-9 -o DIR` (issue #13 §4).
let otSinkhornGridCommand = CommandSpec(
    name: "sinkhorn-grid",
    abstract: "Entropic OT on the n×n grid of the unit square, cost ½|x − y|², log domain.",
    discussion: """
        Points (i/(n−1), j/(n−1)) flattened as i·n + j; marginals a, b of length n² summing to 1. Writes DIR/f.npy
        and DIR/g.npy with the plan P_kl = exp((f_k + g_l − C_kl)/reg), and prints the iterations, the final L1
        errors of both marginals and the transport cost ⟨P, C⟩. Exits non-zero if --max-iter is reached first.
        """,
    options: [
        OptionSpec(name: "n", value: "n", help: "Grid side (n² points)."),
        OptionSpec(name: "a", value: "a.npy", help: "First marginal (length n², non-negative, sums to 1)."),
        OptionSpec(name: "b", value: "b.npy", help: "Second marginal."),
        OptionSpec(name: "reg", value: "ε", help: "Entropic regularisation (cost units; the largest cost is 1).", defaultValue: "1e-3"),
        OptionSpec(name: "tol", value: "δ", help: "Stop when both L1 marginal errors are ≤ δ.", defaultValue: "1e-9"),
        OptionSpec(name: "max-iter", value: "k", help: "Iteration cap.", defaultValue: "100000"),
        OptionSpec(name: "omega", value: "ω", help: "Over-relaxation: 'auto', or a number in [1, 2) (1 = plain Sinkhorn).", defaultValue: "auto"),
        OptionSpec(name: "eps-start", value: "ε0", help: "ε-scaling: first ε of a halving schedule (off if absent).", optional: true),
        OptionSpec(name: "backend", value: "backend", help: "Kernel backend.", defaultValue: "c", values: KernelBackend.allCases.map(\.rawValue)),
        OptionSpec(name: "output", short: "o", value: "DIR", help: "Output folder for f.npy and g.npy."),
    ],
    run: { p in
        guard let n: Int = try p.parsed("n") else { throw UsageError(message: "Missing expected argument '--n <n>'") }
        guard n >= 2 else { throw UsageError(message: "--n must be at least 2, got \(n)") }
        let a = try NpyFile.readVector(from: p.required("a")), b = try NpyFile.readVector(from: p.required("b"))
        let dir = try p.required("output")
        var options = SinkhornOptions(regularization: try p.parsed("reg") ?? 1e-3)
        options.tolerance = try p.parsed("tol") ?? 1e-9
        options.maxIterations = try p.parsed("max-iter") ?? 100_000
        options.epsilonScalingStart = try p.parsed("eps-start")
        switch p.string("omega") ?? "auto" {
        case "auto": options.overRelaxation = .automatic
        case let s:
            guard let w = Double(s) else { throw UsageError(message: "The value '\(s)' is invalid for '--omega'") }
            options.overRelaxation = w == 1 ? .none : .fixed(w)
        }
        let backend = KernelBackend(rawValue: p.string("backend") ?? "c") ?? .c
        let grid = try RegularGrid2D.unitSquare(n)
        let start = Date()
        let r = try GridSinkhorn.solve(grid: grid, a: a, b: b, options: options, backend: backend)
        let seconds = Date().timeIntervalSince(start)
        let (cost, mass) = try GridSinkhorn.transportCost(grid: grid, f: r.f, g: r.g, regularization: options.regularization, backend: backend)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try NpyFile.write(vector: r.f, to: dir + "/f.npy")
        try NpyFile.write(vector: r.g, to: dir + "/g.npy")
        print("iterations=\(r.totalIterations) error_a=\(r.marginalErrorA) error_b=\(r.marginalErrorB) cost=\(cost) mass=\(mass) omega=\(r.overRelaxation) seconds=\(String(format: "%.4f", seconds))")
    })

/// `tangentflow ot …`: optimal-transport kernels on the user's own data.
let otCommand = CommandSpec(
    name: "ot",
    abstract: "Optimal transport kernels: exact assignment and log-domain grid Sinkhorn (file 004).",
    subcommands: [otAssignCommand, otSinkhornGridCommand])
