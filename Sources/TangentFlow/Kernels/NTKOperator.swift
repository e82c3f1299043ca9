/// The empirical NTK `G = D Dᵀ ∈ R^{QN×QN}` of an MLP at `θ` on `X` ((3.15) in 2408.01517) as a matrix-free
/// operator: `G V = D (Dᵀ V)` by a pullback (`Dᵀ`, reverse mode) and a pushforward (`D`, forward mode) over chunks
/// of samples, never forming `G` (`8(QN)²` bytes) nor `D` (`8·QN·K`). Memory is the record of one forward pass
/// (`N·ΣM_ℓ` doubles, optionally the sensitivities `δ^ℓ` of layers `ℓ ≤ L−2`) plus `O(K·b)` for a block of `b`.
///
/// The two halves are exposed separately so that other solvers reuse them: an iterative solve of `G ψ = g`
/// needs only `apply`; a distributed operator, whose ranks own sample ranges, sums the `K`-vectors of the
/// pullbacks (an allreduce) between the two halves. Rows are sample-major (`i·Q + q`), as in `ntkGram`.
///
/// Made by `Kernels.mlpNTKOperator(_:theta:inputs:keepSensitivities:)`. It holds the record, so it is not
/// `Sendable`: use one per thread.
public protocol NTKOperator: AnyObject {
    /// Samples `N`.
    var samples: Int { get }
    /// Outputs per sample `Q`.
    var outputDimension: Int { get }
    /// Parameters `K`.
    var parameterCount: Int { get }

    /// `D V ∈ R^{QN×b}` for directions `V ∈ R^{K×b}` (Jacobian–vector products, (2.12) in 2408.01517).
    /// - Throws: `.shapeMismatch` unless `V` has `K` rows; `.nonFinite`.
    func pushforward(_ v: Matrix) throws -> Matrix

    /// `Dᵀ U ∈ R^{K×b}` for cotangents `U ∈ R^{QN×b}` (vector–Jacobian products, (2.16) in 2408.01517).
    /// - Throws: `.shapeMismatch` unless `U` has `QN` rows; `.nonFinite`.
    func pullback(_ u: Matrix) throws -> Matrix

    /// `Y = G X` for `columns` column-major vectors of length `QN` in `x`, written to `y` (same size, not
    /// overlapping `x`): the unchecked form an iterative solver calls once per step. Entries are not checked.
    /// - Throws: `.shapeMismatch` for wrong buffer sizes; C status errors.
    func apply(_ x: UnsafeBufferPointer<Double>, columns: Int, into y: UnsafeMutableBufferPointer<Double>) throws

    /// `G` itself (`QN × QN`, rows and columns sample-major) by a formula cheaper than `QN` products, or `nil`
    /// when the operator has none (the default). An MLP's is the layer-factored NTK ((3.15) in 2408.01517), about
    /// `N²·ΣM_ℓ(1 + Q²)` flops against `QN` products of two `N×M×M` GEMMs each: 1.7 s against about 100 s for
    /// 16-256-256-10 on 1,000 samples. The dense route of `ntkSpectrum` uses it.
    /// - Throws: memory and kernel errors.
    func formedGram() throws -> Matrix?

    /// The same operator with `apply` computed in single precision (about twice as fast; relative error about
    /// `1e-7` per product), or `nil` when it has none (the default). It shares this operator's record and keeps
    /// it alive; its `pushforward` and `pullback` stay in double. `ntkSpectrum` uses it for
    /// `NTKProductPrecision.single`.
    /// - Throws: memory errors while making the single-precision copies.
    func singlePrecision() throws -> (any NTKOperator)?
}

extension NTKOperator {
    /// No formula: the dense route forms `G` from products.
    public func formedGram() throws -> Matrix? { nil }

    /// No single-precision products.
    public func singlePrecision() throws -> (any NTKOperator)? { nil }
}

extension NTKOperator {
    /// `QN`, the order of `G`.
    public var order: Int { samples * outputDimension }

    /// `G V = D (Dᵀ V) ∈ R^{QN×b}` for `V ∈ R^{QN×b}`.
    /// - Throws: `.shapeMismatch` unless `V` has `QN` rows; `.nonFinite`.
    public func apply(_ v: Matrix) throws -> Matrix {
        try NTKOperatorValidation.block(v, rows: order, "NTKOperator.apply", "V")
        var out = [Double](repeating: 0, count: v.rows * v.cols)
        try v.elements.withUnsafeBufferPointer { px in
            try out.withUnsafeMutableBufferPointer { py in try apply(px, columns: v.cols, into: py) }
        }
        return Matrix(uncheckedRows: v.rows, cols: v.cols, elements: out)
    }
}

/// Shape and finiteness checks shared by the operator implementations.
enum NTKOperatorValidation {
    static func block(_ m: Matrix, rows: Int, _ op: String, _ name: String) throws {
        guard m.rows == rows, m.cols >= 1 else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(name): \(rows)×b with b ≥ 1", got: "\(m.rows)×\(m.cols)")
        }
        if let k = m.elements.firstIndex(where: { !$0.isFinite }) {
            throw TangentFlowError.nonFinite(operation: op, argument: name, row: k % rows, column: k / rows)
        }
    }

    static func buffers(_ x: Int, _ y: Int, order: Int, columns: Int, _ op: String) throws {
        guard columns >= 1, x == order * columns, y == order * columns else {
            throw TangentFlowError.shapeMismatch(
                operation: op, expected: "\(order)×\(columns) = \(order * columns) entries in and out", got: "\(x) in, \(y) out")
        }
    }
}

/// The cross-kernel `Θ(X₁, X₂) = D(X₁) D(X₂)ᵀ ∈ R^{QN₁×QN₂}` as an operator: `Θ V = D₁ (D₂ᵀ V)`, from the two
/// inputs' operators at the same `θ` (the caller's responsibility: each was made from the same model and `θ`).
public struct NTKCrossOperator {
    /// The operator of `X₁` (rows of `Θ`).
    public let left: any NTKOperator
    /// The operator of `X₂` (columns of `Θ`).
    public let right: any NTKOperator

    /// The cross-kernel of two operators of the same network (equal `Q` and `K`, else `.shapeMismatch`).
    public init(left: any NTKOperator, right: any NTKOperator) throws {
        guard left.outputDimension == right.outputDimension, left.parameterCount == right.parameterCount else {
            throw TangentFlowError.shapeMismatch(
                operation: "NTKCrossOperator", expected: "Q = \(left.outputDimension), K = \(left.parameterCount)",
                got: "Q = \(right.outputDimension), K = \(right.parameterCount)")
        }
        self.left = left
        self.right = right
    }

    /// `Θ(X₁, X₂) V = D₁ (D₂ᵀ V) ∈ R^{QN₁×b}` for `V ∈ R^{QN₂×b}`.
    public func apply(_ v: Matrix) throws -> Matrix { try left.pushforward(right.pullback(v)) }

    /// `Θ(X₁, X₂)ᵀ U = D₂ (D₁ᵀ U) ∈ R^{QN₂×b}` for `U ∈ R^{QN₁×b}`.
    public func applyTransposed(_ u: Matrix) throws -> Matrix { try right.pushforward(left.pullback(u)) }
}
