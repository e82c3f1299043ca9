internal import CKernels

/// `MLPRecordedPass` on the C layer (`CKernels/mlp_recorded_pass.c`): the tape is recorded once by
/// `ck_mlp_pass_create` and reused for the outputs, the NTK and VJPs at the same point. Made by
/// `CBackend.mlpRecordPass`, which validates the model, `θ` and `X`.
final class CMLPPass: MLPRecordedPass {
    private let pass: OpaquePointer
    private let threads: Int
    let samples: Int
    let outputDimension: Int
    let parameterCount: Int

    init(_ model: MLP, theta: [Double], inputs x: Matrix, threads: Int = 0) throws {
        var status: Int32 = 0
        let n = x.rows
        let p = model.withCDescription { net in
            theta.withUnsafeBufferPointer { pt in
                x.elements.withUnsafeBufferPointer { px in
                    ck_mlp_pass_create(net, pt.baseAddress, px.baseAddress, Swift.max(1, n), n, Int32(threads), &status)
                }
            }
        }
        guard let p else {
            try TangentFlowError.check(status == 0 ? -3 : status, operation: "MLPPass")
            throw TangentFlowError.invalidArgument(operation: "MLPPass", reason: "pass could not be recorded")
        }
        pass = p
        self.threads = threads
        samples = n
        outputDimension = model.outputDimension
        parameterCount = model.parameterCount
    }

    deinit { ck_mlp_pass_free(pass) }

    /// `x(θ)` in sample-major order (`i·Q + q`).
    func outputs() throws -> [Double] {
        let n = samples, q = outputDimension
        let colMajor = try uninitialized(n * q) { o in ck_mlp_pass_outputs(pass, o, Swift.max(1, n)) }
        return Matrix.transposeStorage(colMajor, rows: n, cols: q)
    }

    /// The NTK `Θ(X, X)` (`QN×QN`).
    func ntk() throws -> Matrix {
        let qn = samples * outputDimension
        let g = try uninitialized(qn * qn) { o in ck_mlp_pass_ntk(pass, o, Swift.max(1, qn), Int32(threads)) }
        return Matrix(uncheckedRows: qn, cols: qn, elements: g)
    }

    /// `Dᵀu` for one cotangent `u ∈ R^{QN}`.
    func pullback(_ u: [Double]) throws -> [Double] {
        let qn = samples * outputDimension, k = parameterCount
        try KernelValidation.passVector(u, count: qn, "MLPRecordedPass.pullback", "u")
        return try u.withUnsafeBufferPointer { pu in
            try uninitialized(k) { o in ck_mlp_pass_vjp(pass, pu.baseAddress, Swift.max(1, qn), 1, o, Swift.max(1, k), Int32(threads)) }
        }
    }

    /// `ψ = G⁻¹g` on this pass's NTK, factored in place (it is the package's own and used once: no copy, no
    /// symmetry re-check). `nil` when `G` is not positive definite (LAPACK `info > 0`); other statuses throw.
    func ntkCholeskySolve(_ g: [Double], estimateCondition: Bool) throws -> (solution: [Double], reciprocalCondition: Double?)? {
        let op = "MLPRecordedPass.ntkCholeskySolve"
        let n = samples * outputDimension
        try KernelValidation.passVector(g, count: n, op, "g")
        var gram = try ntk()
        var x = g
        var rcond = 0.0
        let status = gram.elements.withUnsafeMutableBufferPointer { pa in
            x.withUnsafeMutableBufferPointer { px in
                withUnsafeMutablePointer(to: &rcond) { pr in
                    ck_linalg_cholesky_solve(n, 1, pa.baseAddress, Swift.max(1, n), px.baseAddress, Swift.max(1, n), estimateCondition ? pr : nil)
                }
            }
        }
        if status > 0 { return nil }  // leading minor `status` is not positive
        try TangentFlowError.check(status, operation: op)
        return (x, estimateCondition ? rcond : nil)
    }
}
