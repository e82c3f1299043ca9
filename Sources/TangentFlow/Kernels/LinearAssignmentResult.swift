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
