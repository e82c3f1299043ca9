// A value type of the rectangular assignment kernels (`Kernels.rectangularAssignment`), below the
// `TangentFlowWasserstein/Transport/` façade.

/// An optimal assignment of an `n×m` cost with `k = min(n, m)` pairs, in SciPy's `linear_sum_assignment` form.
///
/// ```
/// min Σ_t C[rows[t], columns[t]]  over k pairs using each row and each column at most once
/// ```
/// Postconditions: `rows` is strictly increasing (all rows when `n ≤ m`), `columns` are distinct (all columns when
/// `m ≤ n`), every pair has a finite cost, and `totalCost` is their sum.
public struct RectangularAssignmentResult: Sendable, Equatable {
    /// Row index of each pair, ascending.
    public let rows: [Int]
    /// Column index of each pair.
    public let columns: [Int]
    /// `Σ_t C[rows[t], columns[t]]`.
    public let totalCost: Double

    /// A result from its pairs (`rows` ascending) and their total.
    public init(rows: [Int], columns: [Int], totalCost: Double) {
        self.rows = rows
        self.columns = columns
        self.totalCost = totalCost
    }
}
