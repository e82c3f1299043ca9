/// Streams `G = D Dᵀ = Σ_p D_p D_pᵀ` over column panels `D = [D_1 | D_2 | …]` of a Jacobian that need not fit in
/// memory at once (generic NTK, (3.15) in 2408.01517): each panel is used once and can be dropped.
///
/// Peak memory: `G` (`rows²` doubles) plus one panel.
public struct GramAccumulator: Sendable {
    /// `QN`, rows of every panel.
    public let rows: Int
    /// Backend used for each panel's `D_p D_pᵀ`.
    public let backend: KernelBackend
    /// Columns of `D` seen so far.
    public private(set) var columnsSeen = 0
    /// The running sum (full symmetric matrix).
    public private(set) var gram: Matrix

    /// An accumulator for panels with `rows` rows.
    /// - Throws: `.invalidArgument` for negative `rows`; `.insufficientMemory` if `G` does not fit.
    public init(rows: Int, backend: KernelBackend = .c) throws {
        try Matrix.checkDimensions(rows, rows, "GramAccumulator")
        try MemoryBudget.require(doubles: rows * rows, operation: "GramAccumulator")
        self.rows = rows
        self.backend = backend
        gram = Matrix(zerosRows: rows, cols: rows)
    }

    /// `G += D_p D_pᵀ`.
    /// - Throws: `.shapeMismatch` if the panel does not have `rows` rows; `.nonFinite`.
    public mutating func add(panel d: Matrix) throws {
        let op = "GramAccumulator.add"
        try d.requireShape(rows, d.cols, op, "panel")
        try d.requireFinite(op, "panel")
        try backend.kernels.gramAccumulate(d, into: &gram)
        columnsSeen += d.cols
    }
}
