internal import CDistributed
import TangentFlow

/// The empirical NTK `G = D Dᵀ ∈ R^{QN×QN}` of an MLP ((3.15) in Chen & Muñoz Ewald, arXiv 2408.01517) as a
/// matrix-free operator whose samples are spread over the MPI ranks: rank `r` owns the contiguous samples
/// `sampleRange(rank: r, …)` — rows `i·Q + q` of `G` for those `i`, in rank order — and the local operator
/// (`Kernels.mlpNTKOperator`) of its slice `D_r`. A product is data-parallel:
///
/// ```
/// G v = D (Dᵀ v) = [D_r u]_r,   u = Σ_r D_rᵀ v_r   (one allreduce of the K-vector u per direction)
/// ```
/// since `Dᵀ v = Σ_r D_rᵀ v_r` over the row blocks of `D`. No rank holds `G`, `D` or another rank's record.
///
/// Every method is COLLECTIVE: call it on every rank, in the same order, with identical arguments (the vectors
/// passed to `apply` are each rank's own rows). Errors are agreed: one rank's failure throws on every rank.
public final class DistributedNTKOperator {
    /// Samples `N` over all ranks.
    public let samples: Int
    /// The samples this rank owns.
    public let sampleRange: Range<Int>
    /// Outputs per sample `Q`.
    public let outputDimension: Int
    /// Parameters `K`.
    public let parameterCount: Int
    let local: any NTKOperator
    /// What the rows of `G` are formed from (`formedRows`): the model, `θ`, this rank's slice of `X`, the whole `X`.
    private let model: MLP
    private let theta: [Double]
    private let localInputs: Matrix
    private let inputs: Matrix
    private let backend: KernelBackend

    /// `QN`, the order of `G`.
    public var order: Int { samples * outputDimension }
    /// Rows of `G` (and of every vector) this rank owns: `Q·|sampleRange|`.
    public var localOrder: Int { sampleRange.count * outputDimension }
    /// Global index of this rank's first row.
    public var firstRow: Int { sampleRange.lowerBound * outputDimension }

    /// The contiguous samples rank `rank` of `ranks` owns: `N/P` each, the first `N mod P` ranks one more.
    public static func sampleRange(rank: Int, ranks: Int, samples n: Int) -> Range<Int> {
        let base = n / ranks, extra = n % ranks
        let lo = rank * base + Swift.min(rank, extra)
        return lo..<(lo + base + (rank < extra ? 1 : 0))
    }

    /// COLLECTIVE. Records this rank's slice of the forward pass at `θ` on `X` (`N×M₀`, the whole input on every
    /// rank) with `backend`'s matrix-free operator (`keepSensitivities` as `Kernels.mlpNTKOperator`).
    /// - Throws: `DistributedError` on every rank when a rank's `θ` or `X` has the wrong shape or a NaN/±∞, when
    ///   `θ` or `X` differ between ranks, when there are fewer samples than ranks (a rank would own no rows), or
    ///   when the local operator cannot be made (memory); the message names the first failing rank.
    public init(model: MLP, theta: [Double], inputs x: Matrix, backend: KernelBackend = .c, keepSensitivities: Bool) throws {
        let op = "DistributedNTKOperator"
        try Distributed.agree(op) {
            guard theta.count == model.parameterCount else {
                throw DistributedError(status: Int(CD_EINPUT), message: "θ has \(theta.count) entries, the network has K = \(model.parameterCount)", operation: op)
            }
            guard x.cols == model.inputDimension, x.rows >= 1 else {
                throw DistributedError(status: Int(CD_EINPUT), message: "X is \(x.rows)×\(x.cols), the network's input width is \(model.inputDimension)", operation: op)
            }
            if let k = theta.firstIndex(where: { !$0.isFinite }) {
                throw DistributedError(status: Int(CD_EINPUT), message: "θ[\(k)] is \(theta[k])", operation: op)
            }
            if let k = x.elements.firstIndex(where: { !$0.isFinite }) {
                throw DistributedError(status: Int(CD_EINPUT), message: "X[\(k % x.rows), \(k / x.rows)] is \(x.elements[k])", operation: op)
            }
        }
        try Distributed.requireSameEverywhere([Double(x.rows), Double(x.cols)] + theta, "θ or the shape of X", operation: op)
        try Distributed.requireSameEverywhere(x.elements, "X", operation: op)
        let p = Distributed.size
        guard x.rows >= p else {
            throw DistributedError(
                status: Int(CD_EINPUT), message: "\(x.rows) samples cannot be split over \(p) ranks: every rank needs at least one sample "
                    + "(run with at most \(x.rows) ranks)", operation: op)
        }
        let range = Self.sampleRange(rank: Distributed.rank, ranks: p, samples: x.rows)
        var slice = [Double](repeating: 0, count: range.count * x.cols)
        for c in 0..<x.cols {
            for (j, i) in range.enumerated() { slice[c * range.count + j] = x.elements[c * x.rows + i] }
        }
        let xr = try Matrix(rows: range.count, cols: x.cols, columnMajor: slice)
        local = try Distributed.agree(op) { try backend.kernels.mlpNTKOperator(model, theta: theta, inputs: xr, keepSensitivities: keepSensitivities) }
        samples = x.rows
        sampleRange = range
        self.model = model
        self.theta = theta
        localInputs = xr
        inputs = x
        self.backend = backend
        outputDimension = model.outputDimension
        parameterCount = model.parameterCount
    }

    /// COLLECTIVE. This rank's rows of `Y = G X` for `columns` column-major directions, `x` and `y` this rank's
    /// rows (`localOrder × columns` each, not overlapping): the local pullbacks `D_rᵀ x_r`, one allreduce of the
    /// `K × columns` block (which also carries whether any rank failed), then the local pushforward `D_r u`, whose
    /// outcome is agreed by one integer reduction.
    /// - Throws: `DistributedError` on every rank if any rank failed (wrong buffer sizes, NaN/±∞, memory).
    public func apply(_ x: UnsafeBufferPointer<Double>, columns: Int, into y: UnsafeMutableBufferPointer<Double>) throws {
        let k = parameterCount, n = localOrder
        var sum = [Double](repeating: 0, count: k * Swift.max(columns, 0) + 1)
        var status: Int32 = 0
        var message = ""
        do {
            guard columns >= 1, x.count == n * columns, y.count == n * columns else {
                throw TangentFlowError.shapeMismatch(operation: "DistributedNTKOperator.apply", expected: "\(n)×\(columns) local rows in and out",
                                                     got: "\(x.count) in, \(y.count) out")
            }
            let u = try local.pullback(Matrix(uncheckedRows: n, cols: columns, elements: Array(x)))
            for i in 0..<(k * columns) { sum[i] = u.elements[i] }
        } catch {
            status = Int32(CD_EINPUT)
            message = "\(error)"
        }
        let st = sum.withUnsafeMutableBufferPointer { cd_sum_flagged($0.baseAddress, k * Swift.max(columns, 0), status, message) }
        try Distributed.check(st, "NTK product (pullback and sum over ranks)")
        let u = Matrix(uncheckedRows: k, cols: columns, elements: Array(sum.prefix(k * columns)))
        try Distributed.agree("NTK product (pushforward)") {
            let v = try local.pushforward(u)
            for i in 0..<(n * columns) { y[i] = v.elements[i] }
        }
    }

    /// COLLECTIVE. This rank's rows of `G` (`localOrder × QN`, column-major) by the layer-factored cross-kernel
    /// `Θ(X_r, X)` ((3.15) in 2408.01517; `Kernels.mlpNTK` with a second input set), where `QN` products would
    /// cost about `Q·N/(N_r)` times more; outcome agreed.
    /// - Throws: `DistributedError` on every rank if any rank failed (memory).
    public func formedRows() throws -> [Double] {
        try Distributed.agree("NTK rows (layer-factored cross-kernel)") {
            try backend.kernels.mlpNTK(model, theta: theta, inputs: localInputs, inputs).elements
        }
    }

    /// COLLECTIVE. This rank's rows of `G V` for this rank's rows `V` (`localOrder × b`).
    public func apply(_ v: Matrix) throws -> Matrix {
        var out = [Double](repeating: 0, count: localOrder * v.cols)
        try v.elements.withUnsafeBufferPointer { px in
            try out.withUnsafeMutableBufferPointer { py in try apply(px, columns: v.cols, into: py) }
        }
        return Matrix(uncheckedRows: localOrder, cols: v.cols, elements: out)
    }

    /// COLLECTIVE. The whole `QN × b` matrix whose rows each rank holds a slice of (`localOrder × b`), on rank 0
    /// (rows sample-major, as a single process orders them); `nil` on the other ranks.
    public func gather(_ localRows: Matrix) throws -> Matrix? {
        let b = localRows.cols
        let bad = localRows.rows != localOrder ? "a slice of \(localRows.rows) rows, this rank owns \(localOrder)" : nil
        try Distributed.agree("gathering rows") {
            if let bad { throw DistributedError(status: Int(CD_EINPUT), message: bad, operation: "gathering rows") }
        }
        let root = Distributed.rank == 0
        var global = [Double](repeating: 0, count: root ? order * b : 0)
        try localRows.elements.withUnsafeBufferPointer { pl in
            try global.withUnsafeMutableBufferPointer { pg in
                try Distributed.check(cd_gather_rows(pl.baseAddress, localOrder, Swift.max(localOrder, 1), b, pg.baseAddress, Swift.max(order, 1)),
                                      "gathering rows")
            }
        }
        return root ? Matrix(uncheckedRows: order, cols: b, elements: global) : nil
    }
}
