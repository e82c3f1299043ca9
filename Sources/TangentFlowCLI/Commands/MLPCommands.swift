import CommandLineSupport
import Foundation
import TangentFlow

/// `tangentflow init --widths … --seed … -o theta.npy`: initial parameters of an MLP.
let initCommand = CommandSpec(
    name: "init",
    abstract: "Make initial parameters θ of an MLP (W ~ N(0, 1/fan-in), b = 0; or N(0, 1) under --parametrization ntk).",
    discussion: """
        θ is the vector the other commands read with --theta: per layer W_ℓ (M_ℓ×M_{ℓ−1}) in row-major order,
        then b_ℓ. The same --seed gives the same θ on every machine.
        """,
    options: [
        ModelOptions.modelSpecs[0], ModelOptions.modelSpecs[2],
        OptionSpec(name: "seed", value: "S", help: "Seed of the random draw.", defaultValue: "0", kind: .seed),
        OptionSpec(name: "output", short: "o", value: "theta.npy", help: "Where to write θ (float64 vector; '-' for standard output).",
                   kind: .outputFile),
    ],
    examples: [
        "tangentflow init --widths 16,256,256,10 --seed 1 -o theta.npy",
        "tangentflow init --widths 4,32,1 --parametrization ntk -o - | python3 -c 'import numpy, sys; print(numpy.load(sys.stdin.buffer).shape)'",
    ],
    run: { p in
        let widths = try parseWidths(p.required("widths"))
        let param: MLP.Parametrization = p.string("parametrization") == "ntk" ? .ntk(weightStd: 1, biasStd: 1) : .standard
        let net = try MLP(widths: widths, activation: .tanh, parametrization: param)
        try MemoryBudget.require(bytes: MemoryBudget.product(net.parameterCount, 16), operation: "init: θ of \(net.parameterCount) parameters")
        let theta = net.initialParameters(seed: try p.seed())
        try p.write(vector: theta, to: "output")
        p.report.results(["parameters": theta.count, "output": try p.required("output")])
    })

/// Refuses, before any work, an MLP computation whose output of `rows×cols` doubles cannot fit in memory.
func requireOutputMemory(rows: Int?, cols: Int?, _ what: String) throws {
    let shape = "\(rows.map(String.init) ?? "overflow")×\(cols.map(String.init) ?? "overflow")"
    try MemoryBudget.require(bytes: MemoryBudget.product(rows, cols, 8), operation: "\(what) (\(shape) float64)")
}

/// `tangentflow jacobian --widths … --activation … --theta … --x … -o D.npy`.
let jacobianCommand = CommandSpec(
    name: "jacobian",
    abstract: "Full parameter Jacobian D ∈ R^{QN×K} of an MLP (rows sample-major: i·Q+q).",
    discussion: "D is written in Fortran order (column-major, as computed); NumPy reads it as usual.",
    options: ModelOptions.specs + [OptionSpec(name: "output", short: "o", value: "D.npy", help: "Where to write D ('-': standard output).",
                                              kind: .outputFile)],
    examples: [
        "tangentflow init --widths 16,64,10 -o theta.npy && python3 -c 'import numpy; numpy.save(\"X.npy\", numpy.random.rand(32, 16))'",
        "tangentflow jacobian --widths 16,64,10 --theta theta.npy --x X.npy -o D.npy",
    ],
    run: { p in
        let net = try ModelOptions.model(p)
        let qn = MemoryBudget.product(try p.shape("x").rows, net.widths.last!)
        try requireOutputMemory(rows: qn, cols: net.parameterCount, "jacobian: D")
        let theta = try ModelOptions.theta(p, for: net)
        let x = try ModelOptions.inputs(p, for: net)
        Progress.shared.begin("jacobian", detail: "\(x.rows * net.widths.last!)×\(net.parameterCount)")
        let t0 = Date()
        let d = try ModelOptions.backend(p).kernels.mlpJacobian(net, theta: theta, inputs: x)
        p.report.timing("compute_s", Date().timeIntervalSince(t0))
        Progress.shared.end()
        try p.write(d, to: "output", fortranOrder: true)
        p.report.results(["rows": d.rows, "cols": d.cols])
    })

/// `tangentflow ntk --widths … --theta … --x … -o G.npy [--method structured|jacobian]`.
let ntkCommand = CommandSpec(
    name: "ntk",
    abstract: "Empirical NTK Θ = D Dᵀ ∈ R^{QN×QN} of an MLP ((3.15) in Chen & Muñoz Ewald, arXiv 2408.01517).",
    discussion: """
        structured: layer-factored formula, never forms D (fast, little memory). jacobian: D Dᵀ from the
        materialised Jacobian (a reference). With --x2, the cross-kernel Θ(X, X2) (QN×QN2).
        --kernel adapted writes instead the adapted kernel K = D(DᵀD)⁺Dᵀ = P_ran(Θ) of the adapted flow, which is
        δ_ij 1_Q on the data exactly when Θ is positive definite there ((3.16)–(3.17) of arXiv 2408.01517), and
        prints that test: positive_definite, rank, λ_min, λ_max and the cut-off. --kernel alpha-metric --alpha A
        writes the metric tensor (A·1 + (1−A)Θ)⁻¹ restricted to ran(Θ) whose gradient field is the interpolated
        flow ((2.45)–(2.46)). Both take one eigendecomposition of Θ (O((QN)³), memory 3·8(QN)² bytes); not with --x2.
        """,
    options: ModelOptions.specs + [
        OptionSpec(name: "x2", value: "X2.npy", help: "Second input set for a cross-kernel.", optional: true, kind: .inputFile),
        .choice("method", of: NTKMethod.self, help: "How to compute Θ.", default: .structured),
        OptionSpec(name: "kernel", value: "kernel", help: "What to write: Θ, the adapted kernel P_ran(Θ) (3.17) or the α-metric tensor (2.45).",
                   defaultValue: "ntk", values: ["ntk", "adapted", "alpha-metric"]),
        OptionSpec(name: "alpha", value: "A", help: "α of --kernel alpha-metric.", optional: true, kind: .real(lower: 0, upper: 1)),
        OptionSpec(name: "output", short: "o", value: "G.npy", help: "Where to write Θ (float64; '-': standard output).", kind: .outputFile),
    ],
    examples: [
        "tangentflow init --widths 16,256,256,10 --seed 1 -o theta.npy",
        "tangentflow ntk --widths 16,256,256,10 --theta theta.npy --x X.npy -o G.npy",
        "tangentflow ntk --widths 16,256,256,10 --theta theta.npy --x X.npy --x2 X2.npy --json -o G12.npy",
        "tangentflow ntk --widths 16,256,256,10 --theta theta.npy --x X.npy --kernel adapted -o K.npy",
        "tangentflow ntk --widths 16,256,256,10 --theta theta.npy --x X.npy --kernel alpha-metric --alpha 0.5 -o H.npy",
    ],
    run: { p in
        let net = try ModelOptions.model(p)
        let q = net.widths.last!
        let n1 = try p.shape("x").rows, n2 = try p.string("x2").map { _ in try p.shape("x2").rows } ?? n1
        let rows = MemoryBudget.product(n1, q), cols = MemoryBudget.product(n2, q)
        do {
            try requireOutputMemory(rows: rows, cols: cols, "ntk: Θ")
        } catch let e as TangentFlowError {
            throw CommandFailure(.memory, e.description + "; for eigenpairs of Θ without forming it: 'tangentflow ntk-spectrum'",
                                 hint: "ntk-spectrum takes the same model options and --k K --which largest|smallest")
        }
        let method = try p.choice(NTKMethod.self, "method")
        let kernel = p.string("kernel") ?? "ntk"
        if kernel != "ntk", p.values["x2"] != nil {
            throw UsageError(message: "'--kernel \(kernel)' is defined on the training data only; it does not take '--x2'",
                             hint: "drop --x2, or use --kernel ntk for the cross-kernel")
        }
        if (kernel == "alpha-metric") != (p.values["alpha"] != nil) {
            throw UsageError(message: kernel == "alpha-metric" ? "'--kernel alpha-metric' needs '--alpha A' (A in [0, 1])"
                                 : "'--alpha' is for '--kernel alpha-metric' only",
                             hint: "tangentflow ntk … --kernel alpha-metric --alpha 0.5 -o H.npy")
        }
        if kernel != "ntk" {
            try requireOutputMemory(rows: MemoryBudget.product(rows, 3), cols: cols, "ntk --kernel \(kernel): Θ, its eigenvectors and the result")
        }
        if method == .jacobianContraction {
            try requireOutputMemory(rows: rows.flatMap { r in cols.map { max(r, $0) } }, cols: net.parameterCount, "ntk --method jacobian: D")
        }
        let theta = try ModelOptions.theta(p, for: net)
        let x = try ModelOptions.inputs(p, for: net)
        let x2 = try p.string("x2").map { _ in try ModelOptions.inputs(p, "x2", for: net) }
        Progress.shared.begin("ntk", detail: "\(x.rows * q)×\((x2?.rows ?? x.rows) * q)")
        let t0 = Date()
        let g = try ntkGram(net, theta: theta, inputs: x, x2, method: method, backend: ModelOptions.backend(p))
        let dt = Date().timeIntervalSince(t0)
        Progress.shared.end()
        p.report.timing("compute_s", dt)
        switch kernel {
        case "adapted":
            let backend = ModelOptions.backend(p)
            let positivity = try NTKPositivity(gram: g, parameterCount: net.parameterCount, backend: backend)
            let adapted = try AdaptedKernel(gram: g, outputDimension: q, parameterCount: net.parameterCount, backend: backend)
            try p.write(adapted.matrix, to: "output")
            p.report.results(["rows": g.rows, "cols": g.cols, "kernel": "adapted", "positive_definite": positivity.isPositiveDefinite,
                              "rank": positivity.rank, "lambda_min": positivity.smallestEigenvalue, "lambda_max": positivity.largestEigenvalue,
                              "threshold": positivity.threshold])
        case "alpha-metric":
            let alpha = try p.double("alpha")
            let metric = try AlphaMetric(gram: g, alpha: alpha, parameterCount: net.parameterCount, backend: ModelOptions.backend(p))
            try p.write(metric.tensor, to: "output")
            p.report.results(["rows": g.rows, "cols": g.cols, "kernel": "alpha-metric", "alpha": alpha, "rank": metric.rank])
        default:
            try p.write(g, to: "output")
            p.report.results(["rows": g.rows, "cols": g.cols, "method": method.rawValue, "seconds": dt])
        }
    })
