internal import CKernels

/// `NTKOperator` on the C layer (`CKernels/ntk_operator.c`): the forward pass is recorded once by
/// `ck_ntk_op_create`, then every product runs over chunks of samples on the backend's threads. Made by
/// `CBackend.mlpNTKOperator`, which validates the model, `θ` and `X` and checks the memory first.
final class CNTKOperator: NTKOperator {
    private let op: OpaquePointer
    private let threads: Int
    let samples: Int
    let outputDimension: Int
    let parameterCount: Int
    /// Layers whose sensitivities `δ^ℓ` are kept in double for the double products (0: the chain rule runs through
    /// every layer, as after `singlePrecision()`, whose float copies replace them).
    var keptSensitivityLayers: Int { ck_ntk_op_kept_sensitivity_layers(op) }
    /// The model, `θ` and `X` the record was made from, for `formedGram`.
    private let model: MLP
    private let theta: [Double]
    private let inputs: Matrix

    /// Records the pass; `singlePrecision` also makes the single-precision copies now, with the kept `δ^ℓ` computed
    /// straight into floats (`CK_NTK_KEEP_SINGLE`: never held in double).
    init(_ model: MLP, theta: [Double], inputs x: Matrix, keepSensitivities: Bool, singlePrecision: Bool = false, threads: Int) throws {
        let mode = keepSensitivities ? (singlePrecision ? CK_NTK_KEEP_SINGLE : CK_NTK_KEEP_DOUBLE) : CK_NTK_KEEP_NONE
        var status: Int32 = 0
        let n = x.rows
        let p = model.withCDescription { net in
            theta.withUnsafeBufferPointer { pt in
                x.elements.withUnsafeBufferPointer { px in
                    ck_ntk_op_create(net, pt.baseAddress, px.baseAddress, Swift.max(1, n), n, Int32(mode), Int32(threads), &status)
                }
            }
        }
        guard let p else {
            try TangentFlowError.check(status == 0 ? -3 : status, operation: "NTKOperator")
            throw TangentFlowError.invalidArgument(operation: "NTKOperator", reason: "the forward pass could not be recorded")
        }
        op = p
        self.threads = threads
        samples = n
        outputDimension = model.outputDimension
        parameterCount = model.parameterCount
        self.model = model
        self.theta = theta
        inputs = x
    }

    deinit { ck_ntk_op_free(op) }

    /// Doubles the record and one product need (`ck_ntk_op_doubles`), for a memory check before creating one.
    static func doubles(_ model: MLP, samples n: Int, keepSensitivities: Bool) -> Int {
        model.withCDescription { net in ck_ntk_op_doubles(net, n, keepSensitivities ? 1 : 0) }
    }

    func pushforward(_ v: Matrix) throws -> Matrix {
        try NTKOperatorValidation.block(v, rows: parameterCount, "NTKOperator.pushforward", "V")
        let qn = order, k = parameterCount, b = v.cols
        let out = try uninitialized(qn * b, operation: "NTKOperator.pushforward") { o in
            v.elements.withUnsafeBufferPointer { pv in
                ck_ntk_op_pushforward(op, pv.baseAddress, k, b, o, qn, Int32(threads))
            }
        }
        return Matrix(uncheckedRows: qn, cols: b, elements: out)
    }

    func pullback(_ u: Matrix) throws -> Matrix {
        try NTKOperatorValidation.block(u, rows: order, "NTKOperator.pullback", "U")
        let qn = order, k = parameterCount, b = u.cols
        let out = try uninitialized(k * b, operation: "NTKOperator.pullback") { o in
            u.elements.withUnsafeBufferPointer { pu in
                ck_ntk_op_pullback(op, pu.baseAddress, qn, b, o, k, Int32(threads))
            }
        }
        return Matrix(uncheckedRows: k, cols: b, elements: out)
    }

    /// `G` by the layer-factored C kernel (`CBackend.mlpNTK`) on the operator's threads.
    func formedGram() throws -> Matrix? {
        try CBackend(threads: threads).mlpNTK(model, theta: theta, inputs: inputs, nil)
    }

    func apply(_ x: UnsafeBufferPointer<Double>, columns: Int, into y: UnsafeMutableBufferPointer<Double>) throws {
        try NTKOperatorValidation.buffers(x.count, y.count, order: order, columns: columns, "NTKOperator.apply")
        let qn = order
        try TangentFlowError.check(ck_ntk_op_apply(op, x.baseAddress, qn, columns, y.baseAddress, qn, Int32(threads)),
                                   operation: "NTKOperator.apply")
    }

    /// Single-precision products on float copies of this record (`ck_ntk_op_make_single`, which frees the kept
    /// double `δ^ℓ`: this operator's own products then run the chain rule).
    func singlePrecision() throws -> (any NTKOperator)? {
        try TangentFlowError.check(ck_ntk_op_make_single(op, Int32(threads)), operation: "NTKOperator.singlePrecision")
        return CNTKSinglePrecisionOperator(self)
    }

    /// `Y = G X` in single precision (`ck_ntk_op_apply_single`); the copies must exist.
    fileprivate func applySingle(_ x: UnsafeBufferPointer<Double>, columns: Int, into y: UnsafeMutableBufferPointer<Double>) throws {
        try NTKOperatorValidation.buffers(x.count, y.count, order: order, columns: columns, "NTKOperator.apply (single precision)")
        let qn = order
        try TangentFlowError.check(ck_ntk_op_apply_single(op, x.baseAddress, qn, columns, y.baseAddress, qn, Int32(threads)),
                                   operation: "NTKOperator.apply (single precision)")
    }
}

/// `CNTKOperator.singlePrecision()`: `apply` by `ck_ntk_op_apply_single`, everything else by the double operator
/// it holds.
final class CNTKSinglePrecisionOperator: NTKOperator {
    private let base: CNTKOperator

    fileprivate init(_ base: CNTKOperator) { self.base = base }

    var samples: Int { base.samples }
    var outputDimension: Int { base.outputDimension }
    var parameterCount: Int { base.parameterCount }
    func pushforward(_ v: Matrix) throws -> Matrix { try base.pushforward(v) }
    func pullback(_ u: Matrix) throws -> Matrix { try base.pullback(u) }
    func formedGram() throws -> Matrix? { try base.formedGram() }
    func singlePrecision() throws -> (any NTKOperator)? { self }

    func apply(_ x: UnsafeBufferPointer<Double>, columns: Int, into y: UnsafeMutableBufferPointer<Double>) throws {
        try base.applySingle(x, columns: columns, into: y)
    }
}
