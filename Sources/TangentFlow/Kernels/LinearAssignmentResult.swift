// A value type of the assignment kernels (`Kernels.linearAssignment`), below the `TangentFlowWasserstein/Transport/` façade.

/// The optimal permutation of a square assignment problem, its cost and an LP optimality certificate.
///
/// Postconditions: `permutation` is a permutation of `0..<m`; `totalCost = Σ_i C[i, permutation[i]]`;
/// `rowPotentials[i] + columnPotentials[j] ≤ C[i, j]` (to rounding) with equality on the assignment, so
/// `totalCost = Σ rowPotentials + Σ columnPotentials` (primal = dual).
public struct LinearAssignmentResult: Sendable {
    /// `permutation[i] = j`: row `i` is assigned to column `j`.
    public let permutation: [Int]
    /// `Σ_i C[i, permutation[i]]`, the optimal value.
    public let totalCost: Double
    /// Dual potentials `u_i` of the rows.
    public let rowPotentials: [Double]
    /// Dual potentials `v_j` of the columns.
    public let columnPotentials: [Double]
}

extension LinearAssignmentResult {
    /// The backends' common frame around a raw solver (validated `cost` assumed): scale `C` by a power of two so
    /// that `max|C| ∈ [1, 2)` — exact, and the reduced costs `C_ij − u_i − v_j` (sums of O(m) entries) can then
    /// neither overflow for costs near the largest double nor lose the small ones — solve for `C·down`, sum the
    /// optimal cost from the unscaled `C`, and scale the potentials back.
    static func solving(
        _ cost: Matrix, _ solve: (_ down: Double) throws -> (permutation: [Int], u: [Double], v: [Double])
    ) rethrows -> LinearAssignmentResult {
        let m = cost.rows
        let largest = cost.maxAbs
        let exponent = largest > 0 ? largest.exponent : 0
        let down = Double(sign: .plus, exponent: -exponent, significand: 1)
        let up = Double(sign: .plus, exponent: exponent, significand: 1)
        let solution = try solve(down)
        var total = 0.0
        for i in 0..<m { total += cost[i, solution.permutation[i]] }
        return LinearAssignmentResult(
            permutation: solution.permutation, totalCost: total, rowPotentials: solution.u.map { $0 * up },
            columnPotentials: solution.v.map { $0 * up })
    }
}

extension RectangularAssignmentResult {
    /// The backends' common frame around a raw rectangular solver (validated `cost` assumed): orient the problem so
    /// that rows ≤ columns (transposing when `n > m`), scale the finite entries by a power of two so that their
    /// largest magnitude is in `[1, 2)` (exact; `+∞` stays `+∞`), solve in row-major storage, then map back to
    /// SciPy's form (rows ascending) and sum the cost from the unscaled `C`. `nil` from the solver means infeasible.
    static func solving(
        _ cost: Matrix, _ solve: (_ rowMajor: [Double], _ rows: Int, _ cols: Int) throws -> [Int]?
    ) rethrows -> RectangularAssignmentResult? {
        let n = cost.rows, m = cost.cols
        if n == 0 || m == 0 { return RectangularAssignmentResult(rows: [], columns: [], totalCost: 0) }
        let largest = cost.elements.reduce(0.0) { $1.isFinite ? Swift.max($0, Swift.abs($1)) : $0 }
        let down = Double(sign: .plus, exponent: -(largest > 0 ? largest.exponent : 0), significand: 1)
        let transpose = n > m
        // Column-major n×m storage is the row-major m×n storage of Cᵀ: no transposed copy when n > m.
        let rowMajor = transpose ? cost.elements.map { $0 * down } : cost.rowMajorElements.map { $0 * down }
        let (r, c) = transpose ? (m, n) : (n, m)
        guard let columnOfRow = try solve(rowMajor, r, c) else { return nil }
        let pairs: [(Int, Int)] = transpose
            ? (0..<r).map { (columnOfRow[$0], $0) }.sorted { $0.0 < $1.0 }
            : (0..<r).map { ($0, columnOfRow[$0]) }
        var total = 0.0
        for (i, j) in pairs { total += cost[i, j] }
        return RectangularAssignmentResult(rows: pairs.map { $0.0 }, columns: pairs.map { $0.1 }, totalCost: total)
    }
}
