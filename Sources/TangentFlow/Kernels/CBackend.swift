internal import CKernels

/// `Kernels` on OpenBLAS, LAPACKE and the OpenMP runtime (the `CKernels` target): the fast path and the default.
///
/// Buffers are owned by Swift; C sees pointers only for the duration of a call. Outputs are allocated
/// uninitialised and written once by C (no zero-fill pass over large results such as a Jacobian).
public struct CBackend: Kernels {
    /// Threads for the package's own parallel loops (0 = the OpenMP default, `OMP_NUM_THREADS` or all cores).
    public var threads: Int

    /// A C backend using `threads` threads for its own parallel loops (0 = default).
    public init(threads: Int = 0) { self.threads = threads }

    /// Which implementation this is.
    public var backend: KernelBackend { .c }

    /// `C = op(A)·op(B)`, see `Kernels.multiply(_:transposeA:_:transposeB:)`.
    public func multiply(_ a: Matrix, transposeA: Bool, _ b: Matrix, transposeB: Bool) throws -> Matrix {
        try KernelValidation.multiply(a, transposeA, b, transposeB)
        let m = transposeA ? a.cols : a.rows, n = transposeB ? b.rows : b.cols, k = transposeA ? a.rows : a.cols
        try MemoryBudget.require(doubles: m * n, operation: "multiply")
        let out = try uninitialized(m * n) { c in
            a.elements.withUnsafeBufferPointer { pa in
                b.elements.withUnsafeBufferPointer { pb in
                    ck_linalg_gemm(
                        transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, 1, pa.baseAddress, Swift.max(1, a.rows),
                        pb.baseAddress, Swift.max(1, b.rows), 0, c, Swift.max(1, m))
                }
            }
        }
        return Matrix(uncheckedRows: m, cols: n, elements: out)
    }

    /// Thin SVD `A = U diag(s) Vᵀ`, see `Kernels.svd(_:)`.
    public func svd(_ a: Matrix) throws -> SVD {
        try KernelValidation.decomposable(a, "svd")
        let m = a.rows, n = a.cols, r = Swift.min(m, n)
        guard DenseLAPACKDriver.svd(rows: m, cols: n) != .refused else {
            throw TangentFlowError.invalidArgument(operation: "svd", reason: DenseLAPACKDriver.refusal("a \(m)×\(n) SVD"))
        }
        try MemoryBudget.require(doubles: 2 * m * n + m * r + r * n, operation: "svd")
        var work = a.elements
        var s = [Double](repeating: 0, count: r)
        var u = [Double](repeating: 0, count: m * r)
        var vt = [Double](repeating: 0, count: r * n)
        let status = work.withUnsafeMutableBufferPointer { pa in
            s.withUnsafeMutableBufferPointer { ps in
                u.withUnsafeMutableBufferPointer { pu in
                    vt.withUnsafeMutableBufferPointer { pv in
                        ck_linalg_svd(
                            m, n, pa.baseAddress, Swift.max(1, m), ps.baseAddress, pu.baseAddress, Swift.max(1, m),
                            pv.baseAddress, Swift.max(1, r))
                    }
                }
            }
        }
        try TangentFlowError.check(status, operation: "svd") { .svdDidNotConverge(routine: "dgesdd/dgesvd", info: $0) }
        return SVD(
            u: Matrix(uncheckedRows: m, cols: r, elements: u), singularValues: s,
            vt: Matrix(uncheckedRows: r, cols: n, elements: vt))
    }

    /// Symmetric eigendecomposition `A = V diag(λ) Vᵀ`, see `Kernels.symmetricEigen(_:)`.
    public func symmetricEigen(_ a: Matrix) throws -> SymmetricEigen {
        let sym = try KernelValidation.symmetric(a, "symmetricEigen")
        let n = sym.rows
        let driver = DenseLAPACKDriver.symmetricEigen(order: n)
        guard driver != .refused else {
            throw TangentFlowError.invalidArgument(operation: "symmetricEigen", reason: DenseLAPACKDriver.refusal("an eigendecomposition of order \(n)"))
        }
        if driver == .syevr { try MemoryBudget.require(doubles: n * n + 30 * n, operation: "symmetricEigen (dsyevr's separate eigenvector array)") }
        var v = sym.elements
        var w = [Double](repeating: 0, count: n)
        let status = v.withUnsafeMutableBufferPointer { pv in
            w.withUnsafeMutableBufferPointer { pw in ck_linalg_syev(n, pv.baseAddress, Swift.max(1, n), pw.baseAddress) }
        }
        try TangentFlowError.check(status, operation: "symmetricEigen") { .eigenDidNotConverge(routine: driver == .syevd ? "dsyevd" : "dsyevr", info: $0) }
        return SymmetricEigen(values: w, vectors: Matrix(uncheckedRows: n, cols: n, elements: v))
    }

    /// The `count` smallest eigenpairs of the symmetric column-major `n × n` array `a` (lower triangle read; `a`
    /// is overwritten by the Householder reflectors) and its largest eigenvalue, by `ck_linalg_syev_lowest`
    /// (dsytrd, dstebz, dstein, dormtr: `dsyevr`'s path for an index range). Values ascending, vectors `n × count`
    /// column-major. Memory besides `a`: the vectors and `O(n)`.
    /// - Throws: `.invalidArgument` for a count outside `0…n` or an order beyond LAPACK's 32-bit range;
    ///   `.eigenDidNotConverge` when bisection or inverse iteration fails.
    package func lowestEigenpairs(destroying a: inout [Double], order n: Int, count k: Int) throws
        -> (values: [Double], vectors: [Double], largest: Double)
    {
        guard n >= 0, a.count == n * n, (0...n).contains(k) else {
            throw TangentFlowError.invalidArgument(operation: "lowestEigenpairs", reason: "count \(k) must be in 0…\(n) for an array of \(a.count) entries of order \(n)")
        }
        guard DenseLAPACKDriver.symmetricEigen(order: n) != .refused else {
            throw TangentFlowError.invalidArgument(operation: "lowestEigenpairs", reason: DenseLAPACKDriver.refusal("an eigendecomposition of order \(n)"))
        }
        var w = [Double](repeating: 0, count: k)
        var z = [Double](repeating: 0, count: n * k)
        var wmax = 0.0
        let status = a.withUnsafeMutableBufferPointer { pa in
            w.withUnsafeMutableBufferPointer { pw in
                z.withUnsafeMutableBufferPointer { pz in
                    ck_linalg_syev_lowest(n, pa.baseAddress, Swift.max(1, n), k, pw.baseAddress, pz.baseAddress, Swift.max(1, n), &wmax)
                }
            }
        }
        try TangentFlowError.check(status, operation: "lowestEigenpairs") { .eigenDidNotConverge(routine: "dstebz/dstein", info: $0) }
        return (w, z, wmax)
    }

    /// The `count` smallest eigenpairs of the symmetric column-major `n × n` array `a` (both triangles) and its
    /// largest eigenvalue by a restarted block Krylov method on blocks of `block` vectors with the Cholesky
    /// factor of `a + 1e-10·λ_max·I` (`ck_linalg_syev_lowest_inverse`): residuals `‖Av − θv‖ ≤ tolerance·λ_max`,
    /// at most `maxIterations` cycles. `nil` when that did not converge (small gaps below the block), `a` is not positive
    /// semidefinite, or ARPACK's estimate of `λ_max` failed, and `a` is then unchanged; on success `a`'s lower
    /// triangle holds the factor.
    /// - Throws: `.invalidArgument` for sizes out of range; memory errors.
    package func lowestEigenpairsByInverseIteration(
        _ a: inout [Double], order n: Int, count k: Int, block p: Int, tolerance: Double, maxIterations: Int
    ) throws -> (values: [Double], vectors: [Double], largest: Double, iterations: Int)? {
        guard n >= 1, a.count == n * n, k >= 1, k <= p, p <= n, tolerance > 0, maxIterations >= 1 else {
            throw TangentFlowError.invalidArgument(
                operation: "lowestEigenpairsByInverseIteration", reason: "need 1 ≤ count ≤ block ≤ n and a positive tolerance (n = \(n), count \(k), block \(p))")
        }
        var w = [Double](repeating: 0, count: k)
        var z = [Double](repeating: 0, count: n * k)
        var wmax = 0.0
        var iterations = 0
        let status = a.withUnsafeMutableBufferPointer { pa in
            w.withUnsafeMutableBufferPointer { pw in
                z.withUnsafeMutableBufferPointer { pz in
                    ck_linalg_syev_lowest_inverse(n, pa.baseAddress, n, k, p, tolerance, maxIterations, pw.baseAddress, pz.baseAddress, n,
                                                  &wmax, &iterations)
                }
            }
        }
        if status == 1 { return nil }
        try TangentFlowError.check(status, operation: "lowestEigenpairsByInverseIteration")
        return (w, z, wmax, iterations)
    }

    /// Cholesky solve of `A X = B` with an optional `1/κ₁(A)` estimate, see `Kernels.choleskySolve(_:_:estimateCondition:)`.
    public func choleskySolve(_ a: Matrix, _ b: Matrix, estimateCondition: Bool) throws -> (solution: Matrix, reciprocalCondition: Double?) {
        try KernelValidation.choleskySolve(a, b)
        var f = a.elements
        var x = b.elements
        var rcond = 0.0
        let n = a.rows
        let status = f.withUnsafeMutableBufferPointer { pf in
            x.withUnsafeMutableBufferPointer { px in
                withUnsafeMutablePointer(to: &rcond) { pr in
                    ck_linalg_cholesky_solve(
                        n, b.cols, pf.baseAddress, Swift.max(1, n), px.baseAddress, Swift.max(1, n), estimateCondition ? pr : nil)
                }
            }
        }
        try TangentFlowError.check(status, operation: "choleskySolve") {
            .notPositiveDefinite(operation: "choleskySolve", minor: $0)
        }
        return (Matrix(uncheckedRows: n, cols: b.cols, elements: x), estimateCondition ? rcond : nil)
    }

    /// Gram matrix `G = DDᵀ`, see `Kernels.gram(_:)`.
    public func gram(_ d: Matrix) throws -> Matrix {
        let r = d.rows
        try MemoryBudget.require(doubles: r * r, operation: "gram")
        let out = try uninitialized(r * r) { g in
            d.elements.withUnsafeBufferPointer { pd in
                ck_gram_accumulate(r, d.cols, pd.baseAddress, Swift.max(1, r), 0, g, Swift.max(1, r))
            }
        }
        try KernelValidation.certifyGram(out, of: d, "gram")
        return Matrix(uncheckedRows: r, cols: r, elements: out)
    }

    /// `G ← G + DDᵀ` in place (one `dsyrk` with `β = 1`), see `Kernels.gramAccumulate(_:into:)`.
    public func gramAccumulate(_ d: Matrix, into g: inout Matrix) throws {
        try KernelValidation.gramAccumulate(d, g)
        let r = d.rows
        let status = d.elements.withUnsafeBufferPointer { pd in
            g.elements.withUnsafeMutableBufferPointer { pg in
                ck_gram_accumulate(r, d.cols, pd.baseAddress, Swift.max(1, r), 1, pg.baseAddress, Swift.max(1, r))
            }
        }
        try TangentFlowError.check(status, operation: "gramAccumulate")
    }

    /// MLP outputs (N×Q), see `Kernels.mlpForward(_:theta:inputs:)`.
    public func mlpForward(_ model: MLP, theta: [Double], inputs x: Matrix) throws -> Matrix {
        try KernelValidation.mlp(model, theta, x, "mlpForward")
        let n = x.rows, q = model.outputDimension
        let out = try uninitialized(n * q) { o in
            model.withCDescription { net in
                theta.withUnsafeBufferPointer { pt in
                    x.elements.withUnsafeBufferPointer { px in
                        ck_mlp_forward(net, pt.baseAddress, px.baseAddress, n, n, o, n)
                    }
                }
            }
        }
        return Matrix(uncheckedRows: n, cols: q, elements: out)
    }

    /// Parameter Jacobian `D` ((2.12) in 2408.01517), see `Kernels.mlpJacobian(_:theta:inputs:)`.
    public func mlpJacobian(_ model: MLP, theta: [Double], inputs x: Matrix) throws -> Matrix {
        try KernelValidation.mlp(model, theta, x, "mlpJacobian")
        let n = x.rows, qn = n * model.outputDimension, k = model.parameterCount
        try MemoryBudget.require(doubles: qn * k + tapeDoubles(model, n), operation: "mlpJacobian (QN×K = \(qn)×\(k))")
        let out = try uninitialized(qn * k) { d in
            model.withCDescription { net in
                theta.withUnsafeBufferPointer { pt in
                    x.elements.withUnsafeBufferPointer { px in
                        ck_mlp_jacobian(net, pt.baseAddress, px.baseAddress, n, n, d, qn, Int32(threads))
                    }
                }
            }
        }
        return Matrix(uncheckedRows: qn, cols: k, elements: out)
    }

    /// The Jacobian written into `d`, reusing its storage, see `Kernels.mlpJacobian(_:theta:inputs:into:)`.
    public func mlpJacobian(_ model: MLP, theta: [Double], inputs x: Matrix, into d: inout Matrix) throws {
        try KernelValidation.mlp(model, theta, x, "mlpJacobian(into:)")
        try KernelValidation.jacobianDestination(model, x, d)
        let n = x.rows, qn = n * model.outputDimension
        try MemoryBudget.require(doubles: tapeDoubles(model, n), operation: "mlpJacobian(into:)")
        let status = model.withCDescription { net in
            theta.withUnsafeBufferPointer { pt in
                x.elements.withUnsafeBufferPointer { px in
                    d.elements.withUnsafeMutableBufferPointer { pd in
                        ck_mlp_jacobian(net, pt.baseAddress, px.baseAddress, n, n, pd.baseAddress, Swift.max(1, qn), Int32(threads))
                    }
                }
            }
        }
        try TangentFlowError.check(status, operation: "mlpJacobian(into:)")
    }

    /// Jacobian–vector products `D·V`, see `Kernels.mlpJVP(_:theta:inputs:directions:)`.
    public func mlpJVP(_ model: MLP, theta: [Double], inputs x: Matrix, directions v: Matrix) throws -> Matrix {
        try KernelValidation.jvp(model, theta, x, v)
        let n = x.rows, qn = n * model.outputDimension, k = model.parameterCount
        let out = try uninitialized(qn * v.cols) { o in
            model.withCDescription { net in
                theta.withUnsafeBufferPointer { pt in
                    x.elements.withUnsafeBufferPointer { px in
                        v.elements.withUnsafeBufferPointer { pv in
                            ck_mlp_jvp(net, pt.baseAddress, px.baseAddress, n, n, pv.baseAddress, k, v.cols, o, qn, Int32(threads))
                        }
                    }
                }
            }
        }
        return Matrix(uncheckedRows: qn, cols: v.cols, elements: out)
    }

    /// Vector–Jacobian products `Dᵀ·U`, see `Kernels.mlpVJP(_:theta:inputs:cotangents:)`.
    public func mlpVJP(_ model: MLP, theta: [Double], inputs x: Matrix, cotangents u: Matrix) throws -> Matrix {
        try KernelValidation.vjp(model, theta, x, u)
        let n = x.rows, qn = n * model.outputDimension, k = model.parameterCount
        let out = try uninitialized(k * u.cols) { o in
            model.withCDescription { net in
                theta.withUnsafeBufferPointer { pt in
                    x.elements.withUnsafeBufferPointer { px in
                        u.elements.withUnsafeBufferPointer { pu in
                            ck_mlp_vjp(net, pt.baseAddress, px.baseAddress, n, n, pu.baseAddress, qn, u.cols, o, k, Int32(threads))
                        }
                    }
                }
            }
        }
        return Matrix(uncheckedRows: k, cols: u.cols, elements: out)
    }

    /// Layer-factored empirical NTK ((3.15) in 2408.01517), see `Kernels.mlpNTK(_:theta:inputs:_:)`.
    public func mlpNTK(_ model: MLP, theta: [Double], inputs x1: Matrix, _ x2: Matrix?) throws -> Matrix {
        try KernelValidation.mlp(model, theta, x1, "mlpNTK")
        if let x2 { try model.validate(inputs: x2, "mlpNTK", "X₂") }
        let q = model.outputDimension, n1 = x1.rows, n2 = x2?.rows ?? x1.rows
        let workspace = model.withCDescription { ck_gram_mlp_ntk_workspace($0, n1, x2 == nil ? 0 : n2) }
        try MemoryBudget.require(doubles: q * n1 * q * n2 + workspace, operation: "mlpNTK")
        let out = try uninitialized(q * n1 * q * n2) { g in
            model.withCDescription { net in
                theta.withUnsafeBufferPointer { pt in
                    x1.elements.withUnsafeBufferPointer { p1 in
                        if let x2 {
                            return x2.elements.withUnsafeBufferPointer { p2 in
                                ck_gram_mlp_ntk(net, pt.baseAddress, p1.baseAddress, n1, n1, p2.baseAddress, n2, n2, g, q * n1, Int32(threads))
                            }
                        }
                        return ck_gram_mlp_ntk(net, pt.baseAddress, p1.baseAddress, n1, n1, nil, 0, 0, g, q * n1, Int32(threads))
                    }
                }
            }
        }
        return Matrix(uncheckedRows: q * n1, cols: q * n2, elements: out)
    }

    /// One recorded pass (`ck_mlp_pass_create`) on this backend's threads, see `Kernels.mlpRecordPass(_:theta:inputs:)`.
    public func mlpRecordPass(_ model: MLP, theta: [Double], inputs x: Matrix) throws -> any MLPRecordedPass {
        try KernelValidation.mlp(model, theta, x, "mlpRecordPass")
        return try CMLPPass(model, theta: theta, inputs: x, threads: threads)
    }

    /// The matrix-free NTK (`ck_ntk_op_create`) on this backend's threads, see
    /// `Kernels.mlpNTKOperator(_:theta:inputs:keepSensitivities:)`.
    public func mlpNTKOperator(_ model: MLP, theta: [Double], inputs x: Matrix, keepSensitivities: Bool) throws -> any NTKOperator {
        try KernelValidation.mlp(model, theta, x, "mlpNTKOperator")
        try MemoryBudget.require(doubles: Self.ntkOperatorDoubles(model, samples: x.rows, keepSensitivities: keepSensitivities),
                                 operation: "mlpNTKOperator")
        return try CNTKOperator(model, theta: theta, inputs: x, keepSensitivities: keepSensitivities, threads: threads)
    }

    /// The matrix-free NTK made for single-precision products (`ck_ntk_op_create` with `CK_NTK_KEEP_SINGLE` when
    /// `keepSensitivities`): the float copies of the record are made at once and the `δ^ℓ` computed straight into
    /// them, never held in double (half their memory); without `keepSensitivities` the copies are made by the first
    /// `singlePrecision()`. Its double products (a residual check) run the chain rule. Memory:
    /// `ntkOperatorForSinglePrecisionDoubles`.
    public func mlpNTKOperatorForSinglePrecision(_ model: MLP, theta: [Double], inputs x: Matrix, keepSensitivities: Bool) throws
        -> any NTKOperator
    {
        try KernelValidation.mlp(model, theta, x, "mlpNTKOperator")
        let need = Self.ntkOperatorForSinglePrecisionDoubles(model, samples: x.rows, keepSensitivities: keepSensitivities)
        try MemoryBudget.require(doubles: need ?? Int.max, operation: "mlpNTKOperator (single precision)")
        return try CNTKOperator(model, theta: theta, inputs: x, keepSensitivities: keepSensitivities, singlePrecision: true, threads: threads)
    }

    /// Doubles the C NTK operator holds (`ck_ntk_op_doubles`): the record `N(ΣM_ℓ for ℓ < L) + NQ + NΣ_{0<ℓ<L}M_ℓ`,
    /// with `keepSensitivities` also `N·Q·Σ_{ℓ≤L−2}M_ℓ`, plus `θ`, one `K`-vector and, per thread, a `K`-vector and
    /// three `256×max(M)` buffers.
    public static func ntkOperatorDoubles(_ model: MLP, samples n: Int, keepSensitivities: Bool) -> Int {
        CNTKOperator.doubles(model, samples: n, keepSensitivities: keepSensitivities)
    }

    /// Doubles' worth of memory `mlpNTKOperatorForSinglePrecision` holds (`nil` on overflow): the double record
    /// without `δ^ℓ` (`ntkOperatorDoubles(…, keepSensitivities: false)`) plus its single-precision copies
    /// (`ck_ntk_op_single_floats`, halved): `θ`, `h^ℓ`, `σ'(z^ℓ)` and, with `keepSensitivities`, the `δ^ℓ`, as floats.
    public static func ntkOperatorForSinglePrecisionDoubles(_ model: MLP, samples n: Int, keepSensitivities: Bool) -> Int? {
        let copies = model.withCDescription { net in
            (ck_ntk_op_single_floats(net, n, Int32(keepSensitivities ? CK_NTK_KEEP_SINGLE : CK_NTK_KEEP_NONE)) + 1) / 2
        }
        return MemoryBudget.sum(ntkOperatorDoubles(model, samples: n, keepSensitivities: false), copies)
    }

    /// Peak workspace of the structured NTK in doubles, excluding `G` itself (the documented memory formula:
    /// tape `N(Σ_{ℓ<L} M_ℓ + Q) + N Σ_{0<ℓ<L} M_ℓ (1 + Q) + Q·M_{L−1}` per input set; per thread
    /// `L·P·3P + L·PQ + (L−2)·PQ·3PQ + ½Q(Q+1)·P·3P` for the buffers of one task (a panel of `P` samples against a
    /// chunk of at most `3P`: `P = ⌊R/Q⌋` with `R = 256` rows, or 448 when `QN₁ > 1536`, rounded to the nearest
    /// multiple of 8 when at least 8); and for the last hidden layer's output pairs either, with the AVX-512 pair
    /// kernel (`Q ≥ 4`, `P` a multiple of 8 or `P ≥ N₁`), `8(⌈N₁/8⌉ + ⌈N₂/8⌉)·M_{L−1} + 8C·M_{L−1}` shared and
    /// `64C⌈P/8⌉` per thread with `C = ⌈Q(Q+1)/16⌉` (no `N₂` term when symmetric), or else the sensitivities
    /// ordered by output, `(N₁ + N₂)·Q·M_{L−1}`. For L = 1 only the tape and `L·P·3P + L·PQ` per thread.
    public static func ntkWorkspaceDoubles(_ model: MLP, samples n1: Int, _ n2: Int? = nil) -> Int {
        model.withCDescription { ck_gram_mlp_ntk_workspace($0, n1, n2 ?? 0) }
    }

    /// Doubles of the recorded pass behind the Jacobian, as the C layer allocates them (`ck_mlp_jacobian_workspace`).
    private func tapeDoubles(_ model: MLP, _ n: Int) -> Int {
        model.withCDescription { ck_mlp_jacobian_workspace($0, n) }
    }
}

/// Allocates `count` doubles uninitialised and lets the C call `fill` write all of them; maps its status.
func uninitialized(_ count: Int, operation: String = #function, _ fill: (UnsafeMutablePointer<Double>?) -> Int32) throws
    -> [Double]
{
    var status: Int32 = 0
    let out = [Double](unsafeUninitializedCapacity: count) { buf, initialized in
        status = fill(buf.baseAddress)
        if status != 0 {
            // Leave the array fully initialised even on failure (it is discarded).
            for k in 0..<count { buf[k] = 0 }
        }
        initialized = count
    }
    try TangentFlowError.check(status, operation: operation)
    return out
}
