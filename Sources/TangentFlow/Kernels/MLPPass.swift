internal import CKernels

/// One recorded pass of an MLP at `θ` on `X` (C path), reused for the outputs, the NTK and VJPs at the same point:
/// the adapted flow needs all three per field evaluation (`CKernels/pass.c`). Inputs are validated by the caller.
final class MLPPass {
    private let pass: OpaquePointer
    let samples: Int
    let outputDimension: Int
    let parameterCount: Int

    init(_ model: MLP, theta: [Double], inputs x: Matrix, threads: Int = 0) throws {
        var status: Int32 = 0
        let n = x.rows
        let p = withCModel(model) { net in
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
        let g = try uninitialized(qn * qn) { o in ck_mlp_pass_ntk(pass, o, Swift.max(1, qn), 0) }
        return Matrix(uncheckedRows: qn, cols: qn, elements: g)
    }

    /// `Dᵀu` for one cotangent `u ∈ R^{QN}`.
    func pullback(_ u: [Double]) throws -> [Double] {
        let qn = samples * outputDimension, k = parameterCount
        return try u.withUnsafeBufferPointer { pu in
            try uninitialized(k) { o in ck_mlp_pass_vjp(pass, pu.baseAddress, Swift.max(1, qn), 1, o, Swift.max(1, k), 0) }
        }
    }
}
