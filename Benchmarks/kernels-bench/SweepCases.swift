import Foundation
import TangentFlow

/// Size sweeps (issue #8 §1): every kernel of the `Kernels` protocol at several sizes, C path against the
/// pure-Swift path in one run, so the ratio can be read as a function of size. The reference-size cases of
/// Cases.swift keep their stable names; these are named `<kernel>-sweep`. `--sizes` does not apply here (each
/// kernel has its own natural size parameter, listed in the size column).
func sweepCases(_ o: BenchOptions) throws -> [BenchCase] {
    var cases: [BenchCase] = []
    let c = CBackend(threads: o.threads), s = SwiftBackend()
    let quick = o.quick

    // Structured NTK and full Jacobian of tanh 16-128-128-10 over the sample count N.
    for n in quick ? [8] : [16, 32, 64] {
        let (net, theta, x) = try referenceMLP([16, 128, 128, 10], samples: n)
        let qn = n * 10
        cases.append(BenchCase(
            name: "ntk-mlp-sweep", size: "N=\(n) QN=\(qn)", flops: ntkFlops(net, samples: n),
            c: { try c.mlpNTK(net, theta: theta, inputs: x, nil) }, swift: { try s.mlpNTK(net, theta: theta, inputs: x, nil) },
            tolerance: 1e-12, note: "*-sweep: tanh 16-128-128-10 (K = 19,594) over N; gram/pinv sweeps over the rows m of an m×20m matrix."))
        cases.append(BenchCase(
            name: "jacobian-mlp-sweep", size: "N=\(n) QN=\(qn)", flops: nil,
            c: { try c.mlpJacobian(net, theta: theta, inputs: x) }, swift: { try s.mlpJacobian(net, theta: theta, inputs: x) },
            tolerance: 1e-13, swiftReps: 3))
        cases += try fieldKernelCases(c, s, net, theta, x, names: ["jvp-sweep", "vjp-sweep", "gram-route-sweep", "projector-sweep"])
    }

    // Generic Gram, SVD pseudoinverse and Cholesky solve over the size.
    for m in quick ? [50] : [100, 200, 400] {
        let d = gaussian(m, 20 * m, 33)
        cases.append(BenchCase(
            name: "gram-sweep", size: "\(m)x\(20 * m)", flops: Double(m) * Double(m) * Double(20 * m),
            c: { try c.gram(d) }, swift: { try s.gram(d) }, tolerance: 1e-12, swiftReps: 3))
        cases.append(BenchCase(
            name: "pinv-sweep", size: "\(m)x\(20 * m)", flops: nil,
            c: { try pseudoinverse(of: d, backend: .c) }, swift: { try pseudoinverse(of: d, backend: .swift) },
            tolerance: 1e-10, swiftReps: 1))
        let spd = try c.gram(d), rhs = gaussian(m, 1, 34)
        cases.append(BenchCase(
            name: "cholesky-sweep", size: "n=\(m)", flops: pow(Double(m), 3) / 3,
            c: { try c.choleskySolve(spd, rhs) }, swift: { try s.choleskySolve(spd, rhs) }, tolerance: 1e-10))
    }
    // Where a threaded Cholesky starts to pay (CK_CHOLESKY_SERIAL_MAX): compare --threads 1 with --threads 2.
    for m in quick ? [] : [640, 1000, 1600, 2500] {
        let spd = try c.gram(gaussian(m, 2 * m, 35)), rhs = gaussian(m, 1, 36)
        cases.append(BenchCase(
            name: "cholesky-sweep", size: "n=\(m)", flops: pow(Double(m), 3) / 3,
            c: { try c.choleskySolve(spd, rhs) }, swift: { try s.choleskySolve(spd, rhs) }, tolerance: 1e-9, swiftReps: 1))
    }
    return cases
}

/// The kernels of one adapted-field evaluation besides the NTK, for one MLP and sample set, named
/// `names = [jvp, vjp, gram route, projector]`: JVP and VJP blocks of 16 vectors, the Gram-route solve `G⁺g` on
/// the model's NTK, and `P_ran(Dᵀ)V` on its Jacobian.
func fieldKernelCases(
    _ c: CBackend, _ s: SwiftBackend, _ net: MLP, _ theta: [Double], _ x: Matrix, names: [String], withNotes: Bool = false
) throws -> [BenchCase] {
    let qn = x.rows * net.outputDimension, k = net.parameterCount, b = 16
    let v = gaussian(k, b, 6), u = gaussian(qn, b, 7), rhs = gaussian(qn, 1, 8)
    let g = try c.mlpNTK(net, theta: theta, inputs: x, nil), d = try c.mlpJacobian(net, theta: theta, inputs: x)
    return [
        BenchCase(
            name: names[0], size: "\(qn)x\(k) B=\(b)", flops: nil,
            c: { try c.mlpJVP(net, theta: theta, inputs: x, directions: v) },
            swift: { try s.mlpJVP(net, theta: theta, inputs: x, directions: v) }, tolerance: 1e-12),
        BenchCase(
            name: names[1], size: "\(qn)x\(k) B=\(b)", flops: nil,
            c: { try c.mlpVJP(net, theta: theta, inputs: x, cotangents: u) },
            swift: { try s.mlpVJP(net, theta: theta, inputs: x, cotangents: u) }, tolerance: 1e-12),
        BenchCase(
            name: names[2], size: "QN=\(qn)", flops: nil,
            c: { try GramPseudoinverse(gram: g, parameterCount: k, backend: .c).solve(rhs) },
            swift: { try GramPseudoinverse(gram: g, parameterCount: k, backend: .swift).solve(rhs) }, tolerance: 1e-8,
            swiftReps: 1,
            note: withNotes ? "\(names[2]): eigendecomposition of the NTK and ψ = G⁺g (MATH.md §2 cut-off); tolerance reflects κ(G)." : nil),
        BenchCase(
            name: names[3], size: "\(qn)x\(k)", flops: nil,
            c: { try Pseudoinverse(of: d, backend: .c).projectOntoRowSpace(v) },
            swift: { try Pseudoinverse(of: d, backend: .swift).projectOntoRowSpace(v) }, tolerance: 1e-9, swiftReps: 1,
            note: withNotes ? "\(names[3]): SVD of D then P_ran(Dᵀ)V = V_r(V_rᵀV) for 16 vectors, never forming the K×K projector." : nil),
    ]
}
