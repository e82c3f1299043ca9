import Foundation
import TangentFlow
import TangentFlowDeepLinear

/// The reference MLP of issue #11: tanh 16-256-256-10.
func referenceMLP(_ widths: [Int] = [16, 256, 256, 10], samples: Int, seed: UInt64 = 1) throws -> (MLP, [Double], Matrix) {
    let net = try MLP(widths: widths, activation: .tanh)
    let theta = net.initialParameters(seed: seed)
    var rng = SeededGenerator(seed: seed &+ 1)
    return (net, theta, try Matrix.gaussian(rows: samples, cols: widths[0], using: &rng))
}

/// Useful flops of the layer-factored NTK (symmetric half counted, as dsyrk's n²k):
/// Σ_{ℓ<L−1} (QN)²M_ℓ + N²·½Q(Q+1)·M_{L−1} + Σ_ℓ N²M_{ℓ−1} + forward 2NΣM_{ℓ−1}M_ℓ
/// + back-propagation 2QNΣ_{2≤ℓ<L}M_{ℓ−1}M_ℓ. The last hidden layer's sensitivity Gram is symmetric in the
/// outputs too (δ^{L−1}_{iq} = a_L W_L[q,:] ∘ σ′_i), so only its Q(Q+1)/2 output pairs count.
func ntkFlops(_ net: MLP, samples n: Int) -> Double {
    let w = net.widths.map(Double.init), L = net.depth, q = w[L], N = Double(n)
    var f = 0.0
    for l in 1...L {
        if l < L - 1 { f += (q * N) * (q * N) * w[l] }
        if l == L - 1 { f += N * N * q * (q + 1) / 2 * w[l] }
        f += N * N * w[l - 1] + 2 * N * w[l - 1] * w[l]
        if l >= 2 && l < L { f += 2 * q * N * w[l - 1] * w[l] }
    }
    return f
}

func allCases(_ o: BenchOptions) throws -> [BenchCase] {
    var cases: [BenchCase] = []
    let c = CBackend(threads: o.threads), s = SwiftBackend()
    let quick = o.quick

    // The ceiling: dgemm on square matrices, the machine's measured double-precision rate.
    let np = quick ? 512 : 2000
    let pa = gaussian(np, np, 1), pb = gaussian(np, np, 2)
    cases.append(BenchCase(
        name: "dgemm-peak", size: "\(np)x\(np)x\(np)", flops: 2 * pow(Double(np), 3),
        c: { try c.multiply(pa, transposeA: false, pb, transposeB: false) },
        note: "The ceiling: OpenBLAS dgemm on square matrices; frac_dgemm_peak is relative to this rate."))

    for n in o.sizes ?? (quick ? [64, 128] : [128, 256, 512]) {
        let a = gaussian(n, n, 3), b = gaussian(n, n, 4)
        cases.append(BenchCase(
            name: "gemm", size: "n=\(n)", flops: 2 * pow(Double(n), 3),
            c: { try c.multiply(a, transposeA: false, b, transposeB: false) },
            swift: { try s.multiply(a, transposeA: false, b, transposeB: false) }, tolerance: 1e-13))
    }

    // NTK of the reference MLP and of the 1M-parameter MLP (structured path on both backends).
    for (label, widths, n) in quick
        ? [("ntk-mlp-ref", [16, 64, 64, 10], 16)]
        : [("ntk-mlp-ref", [16, 256, 256, 10], 128), ("ntk-mlp-1m", [16, 1024, 1024, 10], 256)]
    {
        let (net, theta, x) = try referenceMLP(widths, samples: n)
        let qn = n * widths.last!
        cases.append(BenchCase(
            name: label, size: "\(qn)x\(qn)", flops: ntkFlops(net, samples: n),
            c: { try c.mlpNTK(net, theta: theta, inputs: x, nil) },
            swift: { try s.mlpNTK(net, theta: theta, inputs: x, nil) }, tolerance: 1e-12,
            swiftReps: label == "ntk-mlp-1m" ? 1 : 3,
            note: "\(label): layer-factored NTK of tanh \(widths.map(String.init).joined(separator: "-")), N = \(n); flops count the symmetric half (and the output pairs of the last hidden layer)."))
        // dsyrk of the widest sensitivity block: the rate the NTK's flops are compared with.
        let mmax = widths[1..<(widths.count - 1)].max() ?? widths[0]
        let delta = gaussian(qn, mmax, 9)
        cases.append(BenchCase(
            name: "\(label)-syrk-rate", size: "\(qn)x\(mmax)", flops: Double(qn) * Double(qn) * Double(mmax),
            c: { try c.gram(delta) },
            note: "dsyrk (+mirror) of one \(qn)×\(mmax) sensitivity block: the rate defining the NTK's flop floor."))
    }

    // Full Jacobian of the reference MLP: fresh allocation, reused buffer, and the memory-write floors.
    do {
        let (net, theta, x) = try referenceMLP(quick ? [16, 64, 64, 10] : [16, 256, 256, 10], samples: quick ? 16 : 128)
        let qn = x.rows * net.outputDimension, k = net.parameterCount
        var reuse = try Matrix(rows: qn, cols: k)
        var warm = [Double](repeating: 0, count: qn * k)
        cases.append(BenchCase(
            name: "jacobian-mlp-ref", size: "\(qn)x\(k)", flops: nil,
            c: { try c.mlpJacobian(net, theta: theta, inputs: x) },
            swift: { try s.mlpJacobian(net, theta: theta, inputs: x) }, tolerance: 1e-13, swiftReps: 1,
            variants: [
                ("c-into", { try c.mlpJacobian(net, theta: theta, inputs: x, into: &reuse) }),
                ("floor-fresh", {
                    let a = [Double](unsafeUninitializedCapacity: qn * k) { buf, count in
                        adviseHugePages(buf)
                        fillParallel(buf, value: 1)
                        count = qn * k
                    }
                    blackHole(a[a.count / 2])
                }),
                ("floor-warm", {
                    warm.withUnsafeMutableBufferPointer { fillParallel($0, value: 2) }
                    blackHole(warm[warm.count / 3])
                }),
            ],
            note: "jacobian: c allocates D afresh (page faults dominate on this VM), c-into reuses a buffer; floor-fresh/-warm time only writing (fresh: with the same huge-page hint) \(qn)×\(k) doubles (2 threads) into fresh/reused memory."))
    }

    // Generic Gram D Dᵀ and SVD pseudoinverse of a wide 1000×20000 matrix.
    let (gm, gk) = quick ? (100, 2000) : (1000, 20000)
    let dw = gaussian(gm, gk, 5)
    cases.append(BenchCase(
        name: "gram-\(gm)x\(gk)", size: "\(gm)x\(gk)", flops: Double(gm) * Double(gm) * Double(gk),
        c: { try c.gram(dw) }, swift: { try s.gram(dw) }, tolerance: 1e-12, swiftReps: 1))
    cases.append(BenchCase(
        name: "pinv-\(gm)x\(gk)", size: "\(gm)x\(gk)", flops: nil,
        c: { try pseudoinverse(of: dw, backend: .c) }, swift: { try pseudoinverse(of: dw, backend: .swift) },
        tolerance: 1e-10, swiftReps: 1, note: "pinv: thin SVD (dgesdd) then A⁺ = V Σ⁻¹ Uᵀ, as numpy.linalg.pinv."))

    // JVP / VJP blocks, the Gram-route pseudoinverse and the projector at the flow benchmark's size (QN = 640,
    // K = 5898), then its NTK and Cholesky solve.
    do {
        let (net, theta, x) = try referenceMLP([16, 64, 64, 10], samples: quick ? 16 : 64)
        let qn = x.rows * 10
        cases += try fieldKernelCases(
            c, s, net, theta, x, names: ["jvp-block", "vjp-block", "gram-route-apply", "projector-apply"], withNotes: true)
        let g = try c.mlpNTK(net, theta: theta, inputs: x, nil)
        let rhs = gaussian(qn, 1, 8)
        cases.append(BenchCase(
            name: "ntk-mlp-flow", size: "\(qn)x\(qn)", flops: ntkFlops(net, samples: x.rows),
            c: { try c.mlpNTK(net, theta: theta, inputs: x, nil) }, swift: { try s.mlpNTK(net, theta: theta, inputs: x, nil) },
            tolerance: 1e-12, note: "ntk-mlp-flow: the NTK of the flow benchmark's model (one adapted-field evaluation needs one)."))
        cases.append(BenchCase(
            name: "cholesky-solve", size: "n=\(qn)", flops: pow(Double(qn), 3) / 3,
            c: { try c.choleskySolve(g, rhs, estimateCondition: true).solution },
            swift: { try s.choleskySolve(g, rhs) }, tolerance: 1e-8,
            note: "cholesky-solve: dpotrf + dpocon + dpotrs on the flow benchmark's NTK (Swift path without the condition estimate)."))
    }
    // The adapted flow of issue #12's performance target: tanh 16-64-64-10, N = 64, Dopri5 rtol 1e-8 atol 1e-10,
    // t from 0 to 0.99 (same problem as `tangentflow flow --data gaussian --seed 0`, and scripts/bench_flow_jax.py
    // run on that command's x.npy, y.npy, theta0.npy).
    do {
        let n = quick ? 8 : 64
        let net = try MLP(widths: [16, 64, 64, 10], activation: .tanh)
        let data = try SyntheticData.gaussian(samples: n, inputDimension: 16, outputs: 10, seed: 1000)
        let theta0 = net.initialParameters(seed: 0)
        func solve(_ backend: KernelBackend) throws -> Matrix {
            let problem = try TrainingProblem(model: net, inputs: data.inputs, targets: data.targets, backend: backend)
            let sEnd = problem.loss.flowTime(reaching: 0.99, samples: n)!
            let sol = try integrate(
                AdaptedFlow(problem: problem), stepper: .dopri5, controller: PIController(rtol: 1e-8, atol: 1e-10, beta: 0), from: 0, to: sEnd,
                start: theta0)
            lastFlowStats = sol.stats
            return Matrix.column(try problem.outputs(sol.finalState))
        }
        cases.append(BenchCase(
            name: "flow-adapted-ref", size: "QN=\(n * 10) K=\(net.parameterCount)", flops: nil,
            c: { try solve(.c) }, swift: { try solve(.swift) }, tolerance: 1e-6, swiftReps: 1,
            note: "flow-adapted-ref: adapted flow (NTK + Cholesky/eigen + VJP per evaluation), Dopri5 rtol 1e-8 atol 1e-10, t = 0 → 0.99; C and Swift final outputs agree to integrator tolerance."))
    }
    cases += try sweepCases(o)
    cases += try transportCases(o)
    // Bures–Wasserstein geodesic (3.12) of file 002 between two 50×50 SPD matrices, 11 points: two dsyevd, a few
    // dgemm, then the expanded form (1−t)²A + t(1−t)(TA + AT) + t²B per point. scripts/bench_bw_scipy.py times
    // SciPy's closed form (scipy.linalg.sqrtm) on the same construction of A and B.
    do {
        let n = 50
        func spd(_ seed: UInt64) -> Matrix {
            let g = gaussian(n, n, seed)
            var a = try! c.multiply(g, transposeA: false, g, transposeB: true)
            for j in 0..<n { for i in 0..<n { a[i, j] = a[i, j] / Double(n) + (i == j ? 0.1 : 0) } }
            return a
        }
        let a = spd(11), b = spd(12)
        func path(_ backend: KernelBackend) throws -> Matrix {
            let points = try BuresWassersteinGeodesic(from: a, to: b, backend: backend).points(count: 11)
            return try Matrix(rows: n, cols: n * points.count, columnMajor: points.flatMap(\.elements))
        }
        cases.append(BenchCase(
            name: "bw-geodesic-50", size: "50x50 11pts", c: { try path(.c) }, swift: { try path(.swift) }, tolerance: 1e-9,
            note: "bw-geodesic-50: Bures–Wasserstein geodesic (3.12), A, B 50×50 SPD (GGᵀ/50 + 0.1 I), 11 points; SciPy's sqrtm closed form: scripts/bench_bw_scipy.py."))
    }
    return cases.filter { bc in o.filters.isEmpty || o.filters.contains { bc.name.contains($0) } }
}

/// Counters of the last flow solve (printed by the flow case).
nonisolated(unsafe) var lastFlowStats = FlowSolution.Stats()

func gaussian(_ r: Int, _ c: Int, _ seed: UInt64) -> Matrix {
    var rng = SeededGenerator(seed: seed)
    return try! Matrix.gaussian(rows: r, cols: c, using: &rng)
}

/// Uniform points in [0, 1)^c, one per row (`r×c`).
func uniform(_ r: Int, _ c: Int, _ seed: UInt64) -> Matrix {
    var rng = SeededGenerator(seed: seed)
    return Matrix(uncheckedRows: r, cols: c, elements: (0..<(r * c)).map { _ in rng.nextUniform() })
}

/// Writes `value` into every element with two threads (the write floor's reference loop).
func fillParallel(_ buf: UnsafeMutableBufferPointer<Double>, value: Double) {
    let n = buf.count, half = n / 2
    nonisolated(unsafe) let base = buf.baseAddress!
    DispatchQueue.concurrentPerform(iterations: 2) { t in
        let lo = t == 0 ? 0 : half, hi = t == 0 ? half : n
        (base + lo).update(repeating: value, count: hi - lo)
    }
}

/// The same transparent-huge-page hint the C kernels give their large outputs (and NumPy its large arrays).
func adviseHugePages(_ buf: UnsafeMutableBufferPointer<Double>) {
    let huge = 1 << 21
    let start = Int(bitPattern: buf.baseAddress!), bytes = buf.count * 8
    let begin = (start + huge - 1) & ~(huge - 1), end = (start + bytes) & ~(huge - 1)
    if end > begin { _ = madvise(UnsafeMutableRawPointer(bitPattern: begin), end - begin, MADV_HUGEPAGE) }
}

@inline(never) func blackHole<T>(_ x: T) { withExtendedLifetime(x) {} }
