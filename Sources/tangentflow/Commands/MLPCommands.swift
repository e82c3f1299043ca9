import CommandLineSupport
import Foundation
import TangentFlow

/// `tangentflow jacobian --widths … --activation … --theta … --x … -o D.npy`.
let jacobianCommand = CommandSpec(
    name: "jacobian",
    abstract: "Full parameter Jacobian D ∈ R^{QN×K} of an MLP (rows sample-major: i·Q+q).",
    discussion: "D is written in Fortran order (column-major, as computed); NumPy reads it as usual.",
    options: ModelOptions.specs + [OptionSpec(name: "output", short: "o", value: "D.npy", help: "Where to write D.")],
    run: { p in
        let net = try ModelOptions.model(p)
        let d = try ModelOptions.backend(p).kernels.mlpJacobian(net, theta: ModelOptions.theta(p), inputs: ModelOptions.inputs(p))
        try NpyFile.write(d, to: p.required("output"), fortranOrder: true)
        print("D: \(d.rows)x\(d.cols) (QN×K)")
    })

/// `tangentflow ntk --widths … --theta … --x … -o G.npy [--method structured|jacobian]`.
let ntkCommand = CommandSpec(
    name: "ntk",
    abstract: "Empirical NTK Θ = D Dᵀ ∈ R^{QN×QN} of an MLP ((3.15) in 2408.01517).",
    discussion: """
        structured: layer-factored formula, never forms D (fast, little memory). jacobian: D Dᵀ from the
        materialised Jacobian (a reference). With --x2, the cross-kernel Θ(X, X2) (QN×QN2).
        """,
    options: ModelOptions.specs + [
        OptionSpec(name: "x2", value: "X2.npy", help: "Second input set for a cross-kernel.", optional: true),
        OptionSpec(name: "method", value: "method", help: "How to compute Θ.", defaultValue: "structured", values: ["structured", "jacobian"]),
        OptionSpec(name: "output", short: "o", value: "G.npy", help: "Where to write Θ (float64)."),
    ],
    run: { p in
        let net = try ModelOptions.model(p)
        let x2 = try p.string("x2").map { try NpyFile.readMatrix(from: $0) }
        let method: NTKMethod = p.string("method") == "jacobian" ? .jacobianContraction : .structured
        let t0 = Date()
        let g = try ntkGram(net, theta: ModelOptions.theta(p), inputs: ModelOptions.inputs(p), x2, method: method, backend: ModelOptions.backend(p))
        let dt = Date().timeIntervalSince(t0)
        try NpyFile.write(g, to: p.required("output"))
        print("G: \(g.rows)x\(g.cols) method=\(method.rawValue) time=\(String(format: "%.3f", dt))s")
    })
