import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowDeepLinear
import TangentFlowIO
import TangentFlowReporting

/// `tangentflow dln …`: deep-linear-network geometry (file 002, MATH.md §4).
let dlnCommand = CommandSpec(
    name: "dln",
    abstract: "Deep linear network geometry: geodesics of the metric A_{N,W} on d×d matrices.",
    subcommands: [dlnGeodesicCommand, dlnDistanceCommand, dlnMetricCommand, dlnFlowCommand, dlnGeodesicVersusFlowCommand, dlnSingularValuesCommand],
    examples: ["tangentflow dln singular-values -o dln", "tangentflow dln geodesic --a A.npy --b B.npy --depth 4 -o path.npy"])

let pathOptions = [
    OptionSpec(name: "a", value: "A.npy", help: "Start point (d×d).", kind: .inputFile),
    OptionSpec(name: "b", value: "B.npy", help: "End point (d×d).", kind: .inputFile),
    OptionSpec(name: "points", value: "K", help: "Points on the path, at t = k/(K−1).", defaultValue: "11", kind: .integer(2...100_000)),
    OptionSpec(name: "output", short: "o", value: "path.npy", help: "Where to write the path: float64 array of shape (K, d, d) ('-': standard output).",
               kind: .outputFile),
]

/// A count option: the parser has checked its range.
func count(_ p: ParsedArguments, _ name: String, minimum: Int) throws -> Int { try p.int(name) }

/// The endpoints `--a` and `--b`: square, equal shapes, and a path of `points` of them that fits in memory.
func endpoints(_ p: ParsedArguments, points: Int) throws -> (Matrix, Matrix) {
    let a = try p.matrix("a"), b = try p.matrix("b")
    for (name, m) in [("a", a), ("b", b)] where m.rows != m.cols || m.rows == 0 {
        throw CommandFailure(.dataError, "--\(name): \(p.string(name)!) is \(m.rows)×\(m.cols); a non-empty square matrix is needed")
    }
    guard a.rows == b.rows else {
        throw CommandFailure(.dataError, "--a is \(a.rows)×\(a.cols) and --b is \(b.rows)×\(b.cols): the endpoints must have the same size")
    }
    try MemoryBudget.require(bytes: MemoryBudget.product(points, a.rows, a.rows, 8 * 3),
                             operation: "a path of \(points) points of \(a.rows)×\(a.rows) matrices")
    return (a, b)
}

/// `tangentflow dln geodesic --a A.npy --b B.npy --depth N --points 11 -o path.npy`.
let dlnGeodesicCommand = CommandSpec(
    name: "geodesic",
    abstract: "Geodesic of the DLN metric between two invertible d×d matrices.",
    discussion: """
        Method 'explicit' is the closed form W(t) = U((1−t)Σ₀^{1/N} + tΣ₁^{1/N})^N Vᵀ (2.9) for endpoints that share
        singular vectors (--depth inf: the limit U Σ₀^{1−t}Σ₁^t Vᵀ (2.10)); 'shooting' solves the geodesic equations
        (Thm 2.1) by RK4 + Newton on the initial covector, for any endpoints with det of equal sign; 'auto' uses
        the closed form when it applies. Prints the method, length and (shooting) Newton iterations and drift of H.
        """,
    options: [pathOptions[0], pathOptions[1],
        OptionSpec(name: "depth", value: "N", help: "Depth: an integer in 1…10000, or 'inf' (explicit method only).", defaultValue: "2"),
        pathOptions[2],
        OptionSpec(name: "method", value: "method", help: "How the geodesic is found.", defaultValue: "auto", values: ["auto", "explicit", "shooting"]),
        OptionSpec(name: "steps", value: "n", help: "RK4 steps of the shooting method (doubled up to max(4096, n) until H is conserved).", defaultValue: "64", kind: .integer(1...100_000)),
        pathOptions[3]],
    examples: [
        "python3 -c 'import numpy as np; np.save(\"A.npy\", np.diag([4., 1.])); np.save(\"B.npy\", np.diag([.25, 2.]))'",
        "tangentflow dln geodesic --a A.npy --b B.npy --depth 4 --points 11 -o path.npy",
        "tangentflow dln geodesic --a A.npy --b B.npy --depth 2 --method shooting --json -o path.npy",
    ],
    run: { p in
        let depthText = try p.required("depth")
        guard let depth = DeepLinearDepth(depthText) else {
            throw UsageError.invalid("depth", depthText, expected: "an integer in 1…10000 or 'inf'")
        }
        if case let .finite(n) = depth, !(1...10_000).contains(n) {
            throw UsageError.invalid("depth", depthText, expected: "an integer in 1…10000 or 'inf'")
        }
        let points = try count(p, "points", minimum: 2), steps = try count(p, "steps", minimum: 1)
        let output = try p.required("output")
        let (a, b) = try endpoints(p, points: points)
        let method = p.string("method") ?? "auto"
        var explicit: SharedSingularVectorGeodesic? = nil
        if method != "shooting" {
            do {
                explicit = try SharedSingularVectorGeodesic(from: a, to: b, depth: depth)
            } catch let e as TangentFlowError where method == "auto" && e.description.contains("do not share singular vectors") {
                explicit = nil
            }
        }
        if let explicit {
            try p.write(stack: explicit.points(count: points), to: "output")
            if let length = explicit.length {
                p.report.results(["method": "explicit", "depth": "\(depth)", "points": points, "length": length])
            } else {
                p.report.results(["method": "explicit", "depth": "\(depth)", "points": points, "length": 0.0,
                                  "sqrt_depth_times_length": explicit.infiniteDepthScaledLength])
            }
        } else {
            guard case let .finite(n) = depth else {
                throw CommandFailure(.dataError, "'--depth inf' needs endpoints with shared singular vectors (the explicit method)",
                                     hint: "give a finite --depth to use the shooting method")
            }
            Progress.shared.begin("dln geodesic", detail: "shooting, \(steps) RK4 steps")
            let geo = try shootGeodesic(from: a, to: b, depth: n, points: points, options: .init(steps: steps, maxSteps: Swift.max(4096, steps)))
            Progress.shared.end()
            try p.write(stack: geo.points, to: "output")
            p.report.results(["method": "shooting", "depth": n, "points": points, "length": geo.length, "newton_iterations": geo.iterations,
                              "continuation_stages": geo.continuationStages, "rk4_steps": geo.steps, "residual": geo.residual,
                              "hamiltonian_drift": geo.hamiltonianDrift])
        }
        p.report.say("wrote \(output)")
    })

/// `tangentflow dln singular-values -o DIR`: singular values along a geodesic for N = 1, 2, 4, ∞.
let dlnSingularValuesCommand = CommandSpec(
    name: "singular-values",
    abstract: "Plot singular values along a DLN geodesic for N = 1, 2, 4, ∞ (CSV + SVG).",
    discussion: """
        The endpoints are fixed: W₀ = U diag(4, 1, 0.25) Vᵀ and W₁ = U diag(0.25, 2, 4) Vᵀ with fixed rotations U, V,
        so the geodesic is explicit (2.9)–(2.10): σ_i(t) = ((1−t)σ_{0,i}^{1/N} + tσ_{1,i}^{1/N})^N. N = 1 is the
        straight line; as N grows the curves approach the geometric interpolation σ_0^{1−t}σ_1^t. Writes
        DIR/dln-singular-values.csv (t, then σ₁..σ₃ for each N, σ_i along the shared pair (u_i, v_i)) and
        DIR/dln-singular-values.svg.
        """,
    options: [
        OptionSpec(name: "points", value: "K", help: "Points in t ∈ [0, 1].", defaultValue: "101", kind: .integer(2...100_000)),
        OptionSpec(name: "output", short: "o", value: "DIR", help: "Output folder.", defaultValue: "tangentflow-dln", kind: .outputFolder),
    ],
    examples: ["tangentflow dln singular-values -o dln", "tangentflow dln singular-values --points 21 --json -o dln"],
    run: { p in
        let points = try count(p, "points", minimum: 2)
        let dir = try p.required("output")
        try AtomicFile.makeFolder(dir)
        let (w0, w1) = try singularValueDemoEndpoints()
        let depths: [DeepLinearDepth] = [.finite(1), .finite(2), .finite(4), .infinite]
        let ts = (0..<points).map { Double($0) / Double(points - 1) }
        var columns = ["t"]
        var curves: [[[Double]]] = []  // [depth][point][index]
        for depth in depths {
            let geo = try SharedSingularVectorGeodesic(from: w0, to: w1, depth: depth)
            // σ_i(t) along the shared singular pair (u_i, v_i): the curves cross where an SVD's sorted values would kink.
            curves.append(ts.map { geo.singularValues(at: $0) })
            columns += (1...3).map { "N\(depth)_sigma\($0)" }
        }
        var table = CSVTable(columns: columns)
        for (k, t) in ts.enumerated() { try table.append([t] + curves.flatMap { $0[k] }) }
        try table.write(to: "\(dir)/dln-singular-values.csv")
        var plots: [SVGPlot] = []
        let styles: [PlotSeries.LineStyle] = [.solid, .dashed, .dotted, .solid]
        for i in 0..<3 {
            let series = try depths.enumerated().map { j, depth in
                try PlotSeries(name: "N = \(depth == .infinite ? "∞" : depth.description)", x: ts, y: curves[j].map { $0[i] },
                               color: PlotSeries.palette[j], line: styles[j])
            }
            plots.append(SVGPlot(title: "singular value σ\(["₁", "₂", "₃"][i]) of W(t): \(["4 → ¼", "1 → 2", "¼ → 4"][i])", xAxis: PlotAxis(label: "geodesic time t"),
                                 yAxis: PlotAxis(label: "singular value σᵢ", scale: .log10), series: series))
        }
        let figure = try SVGFigure(plots: plots, columns: 3, title: "Singular values along DLN geodesics W₀ → W₁ ((2.9)–(2.10))")
        try figure.write(to: "\(dir)/dln-singular-values.svg")
        p.report.say("wrote \(dir)/dln-singular-values.csv and \(dir)/dln-singular-values.svg (N = 1, 2, 4, ∞; \(points) points)")
    })

/// The fixed endpoints of `dln singular-values`: shared rotations, singular values (4, 1, ¼) → (¼, 2, 4).
func singularValueDemoEndpoints() throws -> (Matrix, Matrix) {
    let c = KernelBackend.c.kernels
    let u = try c.svd(Matrix([[2, -1, 0.5], [1, 3, -1], [0, 1, 2]])).u
    let v = try c.svd(Matrix([[1, 0.3, -2], [0.2, 2, 1], [-1, 1, 1.5]])).u
    func compose(_ s: [Double]) throws -> Matrix {
        var us = u
        for j in 0..<3 { for i in 0..<3 { us[i, j] *= s[j] } }
        return try c.multiply(us, transposeA: false, v, transposeB: true)
    }
    return (try compose([4, 1, 0.25]), try compose([0.25, 2, 4]))
}
