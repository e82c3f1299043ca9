import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowWasserstein
import TangentFlowIO

/// `tangentflow ot assign --x X.npy --y Y.npy -o perm.npy` (issue #13 §4) or `--cost C.npy [--maximize] -o pairs.npy`.
let otAssignCommand = CommandSpec(
    name: "assign",
    abstract: "Exact optimal assignment: between two m×d point sets (cost |x − y|²), or for any n×m cost matrix.",
    discussion: """
        --x/--y: writes perm.npy (int64, perm[i] = j: row i of X goes to row j of Y) and prints
        cost=<mean of |x_i − y_perm(i)|²>, which is W₂² between the two uniform point clouds.
        --cost: writes a 2×k int64 array (row indices ascending, then their columns; k = min(n, m)) exactly as
        SciPy's linear_sum_assignment returns them, and prints cost=<sum of the chosen entries>. +inf marks a
        forbidden pair (−inf with --maximize); a problem with no assignment avoiding them exits 65, as do NaN and
        infinities of the other sign. Jonker–Volgenant shortest augmenting paths, exact.
        """,
    options: [
        OptionSpec(name: "x", value: "X.npy", help: "First point set, one point per row (m×d).", optional: true, kind: .inputFile),
        OptionSpec(name: "y", value: "Y.npy", help: "Second point set (m×d).", optional: true, kind: .inputFile),
        OptionSpec(name: "cost", value: "C.npy", help: "An n×m cost matrix (instead of --x/--y); +inf = forbidden pair.", optional: true,
                   kind: .inputFile),
        OptionSpec(name: "maximize", help: "With --cost: maximise the total (−inf = forbidden pair)."),
        OptionSpec(name: "output", short: "o", value: "out.npy", help: "Where to write the permutation or the 2×k pairs (int64; '-': standard output).",
                   kind: .outputFile),
        ModelOptions.backendSpec,
    ],
    examples: [
        "tangentflow ot assign --x X.npy --y Y.npy -o perm.npy",
        "tangentflow ot assign --cost C.npy --maximize -o pairs.npy",
    ],
    run: { p in
        let points = p.string("x") != nil || p.string("y") != nil
        switch (points, p.string("cost") != nil) {
        case (true, true): throw UsageError(message: "--cost and --x/--y are mutually exclusive", hint: "give either a cost matrix or two point sets")
        case (false, false): throw UsageError(message: "give --cost C.npy, or --x X.npy and --y Y.npy", hint: "see 'tangentflow ot assign --help'")
        case (true, false):
            guard p.string("x") != nil, p.string("y") != nil else {
                throw UsageError(message: "--x and --y go together", hint: "give both point sets, or --cost C.npy")
            }
            guard !p.has("maximize") else { throw UsageError(message: "--maximize applies to --cost only", hint: "drop --maximize") }
            try assignPoints(p)
        case (false, true): try assignCost(p)
        }
    })

/// `ot assign --x --y`: the W₂² assignment between two point clouds.
private func assignPoints(_ p: ParsedArguments) throws {
    let x = try p.matrix("x"), y = try p.matrix("y")
    guard x.rows == y.rows, x.cols == y.cols else {
        throw CommandFailure(.dataError, "--x is \(x.rows)×\(x.cols) and --y is \(y.rows)×\(y.cols): the point sets must have the same shape")
    }
    guard x.rows > 0, x.cols > 0 else { throw CommandFailure(.dataError, "--x: the point set is empty (\(x.rows)×\(x.cols))") }
    try MemoryBudget.require(bytes: MemoryBudget.product(x.rows, y.rows, 8 * 3),
                             operation: "ot assign: the \(x.rows)×\(y.rows) cost matrix and the solver's copies")
    Progress.shared.begin("ot assign", detail: "\(x.rows) points")
    let (value, perm) = try LinearAssignment.wassersteinSquared(x, y, backend: ModelOptions.backend(p))
    Progress.shared.end()
    let output = try p.required("output")
    try NpyFile.write(int64Vector: perm, to: output)
    p.report.results(["cost": value])
}

/// `ot assign --cost`: SciPy's `linear_sum_assignment` on the user's matrix.
private func assignCost(_ p: ParsedArguments) throws {
    let (c, path) = try p.matrixAllowingInfinities("cost")
    let maximize = p.has("maximize")
    if let k = c.elements.firstIndex(where: { $0.isNaN || $0 == (maximize ? .infinity : -.infinity) }) {
        let what = c.elements[k].isNaN ? "NaN" : maximize ? "+inf (with --maximize, −inf marks a forbidden pair)" : "−inf (+inf marks a forbidden pair)"
        throw CommandFailure(.dataError, "--cost \(path): entry (\(k % max(1, c.rows)), \(k / max(1, c.rows))) is \(what)",
                             hint: "replace it with a finite cost, or with \(maximize ? "−inf" : "+inf") to forbid the pair")
    }
    try MemoryBudget.require(bytes: MemoryBudget.product(c.rows, c.cols, 8 * 3),
                             operation: "ot assign: the \(c.rows)×\(c.cols) cost matrix and the solver's copies")
    Progress.shared.begin("ot assign", detail: "\(c.rows)×\(c.cols) cost")
    let solution = try LinearAssignment.solve(cost: c, maximize: maximize, backend: ModelOptions.backend(p))
    Progress.shared.end()
    guard let r = solution else {
        throw CommandFailure(.dataError, "--cost \(path): no complete assignment avoids the forbidden (\(maximize ? "−inf" : "+inf")) entries",
                             hint: "the problem is infeasible: allow more pairs")
    }
    let output = try p.required("output")
    try NpyFile.write(int64RowMajor: r.rows + r.columns, rows: 2, to: output)
    p.report.results(["cost": r.totalCost, "pairs": r.rows.count])
}

/// `tangentflow ot sinkhorn-grid --n 64 --a a.npy --b b.npy --reg 1e-3 --tol 1e-9 -o DIR` (issue #13 §4).
let otSinkhornGridCommand = CommandSpec(
    name: "sinkhorn-grid",
    abstract: "Entropic OT on the n×n grid of the unit square, cost ½|x − y|², log domain.",
    discussion: """
        Points (i/(n−1), j/(n−1)) flattened as i·n + j; marginals a, b of length n² summing to 1. Writes DIR/f.npy
        and DIR/g.npy with the plan P_kl = exp((f_k + g_l − C_kl)/reg), and prints the iterations, the final L1
        errors of both marginals, the transport cost ⟨P, C⟩ (summed in O(n³): C is separable) and reg_ot_cost, the
        dual objective ⟨a, f⟩ + ⟨b, g⟩ − reg(⟨a, log a⟩ + ⟨b, log b⟩) + reg(1 − Σ P), which is ⟨P, C⟩ + reg·KL(P ‖ a⊗b)
        at the solution (ott-jax's reg_ot_cost). Exits non-zero if --max-iter is reached first.
        """,
    options: [
        OptionSpec(name: "n", value: "n", help: "Grid side (n² points).", kind: .integer(2...2048)),
        OptionSpec(name: "a", value: "a.npy", help: "First marginal (length n², non-negative, sums to 1).", kind: .inputFile),
        OptionSpec(name: "b", value: "b.npy", help: "Second marginal.", kind: .inputFile),
        OptionSpec(name: "reg", value: "ε", help: "Entropic regularisation (cost units; the largest cost is 1).", defaultValue: "1e-3",
                   kind: .real(lower: 1e-8, upper: 1e3)),
        OptionSpec(name: "tol", value: "δ", help: "Stop when both L1 marginal errors are ≤ δ.", defaultValue: "1e-9",
                   kind: .real(lower: 1e-15, upper: 2)),
        OptionSpec(name: "max-iter", value: "k", help: "Iteration cap (reaching it exits with status 75).", defaultValue: "100000",
                   kind: .integer(1...100_000_000)),
        OptionSpec(name: "omega", value: "ω", help: "Over-relaxation: 'auto', or a number in [1, 2) (1 = plain Sinkhorn).", defaultValue: "auto"),
        OptionSpec(name: "eps-start", value: "ε0", help: "ε-scaling: first ε of a halving schedule (off if absent).", optional: true,
                   kind: .real(lower: 1e-8, upper: 1e3)),
        ModelOptions.backendSpec,
        OptionSpec(name: "output", short: "o", value: "DIR", help: "Output folder for f.npy and g.npy.", kind: .outputFolder),
    ],
    examples: [
        "python3 -c 'import numpy as np; n=64; a=np.random.rand(n*n); np.save(\"a.npy\", a/a.sum()); b=np.random.rand(n*n); np.save(\"b.npy\", b/b.sum())'",
        "tangentflow ot sinkhorn-grid --n 64 --a a.npy --b b.npy --reg 1e-3 --tol 1e-9 -o sinkhorn",
    ],
    run: { p in
        let n = try p.int("n")
        var options = SinkhornOptions(regularization: try p.double("reg"))
        options.tolerance = try p.double("tol")
        options.maxIterations = try p.int("max-iter")
        options.epsilonScalingStart = try p.parsed("eps-start")
        switch p.string("omega") ?? "auto" {
        case "auto": options.overRelaxation = .automatic
        case let s:
            guard let w = Double(s), w >= 1, w < 2 else { throw UsageError.invalid("omega", s, expected: "'auto' or a number in [1, 2)") }
            options.overRelaxation = w == 1 ? .none : .fixed(w)
        }
        let readStart = Date()
        let a = try p.vector("a"), b = try p.vector("b")
        p.report.timing("read_s", Date().timeIntervalSince(readStart))
        for (name, v) in [("a", a), ("b", b)] where v.count != n * n {
            throw CommandFailure(.dataError, "--\(name): \(p.string(name)!) has \(v.count) entries; a marginal on the \(n)×\(n) grid has \(n * n)")
        }
        let dir = try p.required("output")
        let backend = ModelOptions.backend(p)
        let grid = try RegularGrid2D.unitSquare(n)
        let start = Date()
        Progress.shared.begin("sinkhorn-grid", detail: "\(n)×\(n) grid, ε = \(options.regularization)")
        let r = try GridSinkhorn.solve(grid: grid, a: a, b: b, options: options, backend: backend)
        let seconds = Date().timeIntervalSince(start)
        let costStart = Date()
        let (cost, mass) = try GridSinkhorn.transportCost(grid: grid, f: r.f, g: r.g, regularization: options.regularization, backend: backend)
        let regCost = GridSinkhorn.regularizedCost(a: a, b: b, f: r.f, g: r.g, mass: mass, regularization: options.regularization)
        Progress.shared.end()
        p.report.timing("solve_s", seconds)
        p.report.timing("cost_s", Date().timeIntervalSince(costStart))
        let writeStart = Date()
        try AtomicFile.makeFolder(dir)
        for (name, v) in [("f", r.f), ("g", r.g)] {
            try requireFinite(v, what: "the potential \(name)")
            try NpyFile.write(vector: v, to: dir + "/\(name).npy")
        }
        p.report.timing("write_s", Date().timeIntervalSince(writeStart))
        p.report.results(["iterations": r.totalIterations, "error_a": r.marginalErrorA, "error_b": r.marginalErrorB, "cost": cost,
                          "mass": mass, "omega": "\(r.overRelaxation)", "seconds": seconds, "reg_ot_cost": regCost,
                          "iterations_at_target": r.iterations, "exact_fallbacks": r.exactFallbacks])
    })

/// `tangentflow ot …`: optimal-transport kernels on the user's own data.
let otCommand = CommandSpec(
    name: "ot",
    abstract: "Optimal transport kernels: exact assignment and log-domain grid Sinkhorn.",
    subcommands: [otAssignCommand, otSinkhornGridCommand],
    examples: ["tangentflow ot assign --cost C.npy -o pairs.npy", "tangentflow ot sinkhorn-grid --n 64 --a a.npy --b b.npy -o sinkhorn"])
