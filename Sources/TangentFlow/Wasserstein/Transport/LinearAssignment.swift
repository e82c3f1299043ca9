// The exact linear assignment problem behind the W₂ proximal step between equal-size particle sets
// (MATH.md §6, §2.2.2 of file 004): `W₂²((1/m)Σδ_{V_i}, (1/m)Σδ_{W_j}) = (1/m) min_σ Σ_i |V_i − W_{σ(i)}|²`.

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

/// Exact solver of the linear assignment problem `min_σ Σ_i C[i, σ(i)]` over permutations σ of `0..<m`.
///
/// ```
/// min_σ Σ_i C_{iσ(i)}  =  max { Σ u_i + Σ v_j : u_i + v_j ≤ C_ij }      (LP duality, Birkhoff–von Neumann)
/// ```
/// Used by `TwoLayerReLUProblem.proximalPoint(distance: .wasserstein, …)` (§2.2.2 of file 004, MATH.md §6).
public enum LinearAssignment {
    /// Solves the square assignment problem for `cost` (`C[i, j]` = cost of assigning row `i` to column `j`).
    ///
    /// Method: shortest augmenting paths with potentials (Hungarian / Jonker–Volgenant), `O(m³)` time, `O(m²)`
    /// memory. Both backends currently run the pure-Swift solver.
    ///
    /// Edge cases: `m = 1` gives the identity; ties are broken deterministically (the lowest column index found
    /// first), so equal costs give a valid but not unique optimum; costs are scaled by a power of two internally
    /// (exact), so magnitudes near the largest or smallest double give the same permutation as moderate ones
    /// (the potentials, scaled back, may overflow to ±∞ only when `m·max|C|` does).
    ///
    /// - Parameters:
    ///   - cost: `m×m` matrix of finite costs, `m ≥ 1` (any sign).
    ///   - backend: kernel backend (`.c` is the default; both run the same exact algorithm).
    /// - Returns: the optimal permutation, its total cost and the dual potentials.
    /// - Throws: `.emptyInput` for a `0×0` cost, `.shapeMismatch` for a non-square one, `.nonFinite` naming the
    ///   first NaN/±∞ entry.
    public static func solve(cost: Matrix, backend: KernelBackend = .c) throws -> LinearAssignmentResult {
        let op = "LinearAssignment.solve"
        try cost.requireNonEmpty(op, "cost")
        try cost.requireSquare(op, "cost")
        try cost.requireFinite(op, "cost")
        let m = cost.rows
        // Row-major copy: the solver scans one row of C at a time.
        let rowMajor = cost.rowMajorElements
        // Scale by a power of two so that max|C| ∈ [1, 2): exact, and the reduced costs C_ij − u_i − v_j (sums of
        // O(m) entries) can then neither overflow for costs near the largest double nor lose the small ones.
        let largest = cost.maxAbs
        let exponent = largest > 0 ? largest.exponent : 0
        let down = Double(sign: .plus, exponent: -exponent, significand: 1)
        let up = Double(sign: .plus, exponent: exponent, significand: 1)
        let solution: (permutation: [Int], u: [Double], v: [Double])
        switch backend {
        case .c, .swift:
            solution = SwiftAssignment.solve(rowMajorCost: rowMajor.map { $0 * down }, size: m)
        }
        var total = 0.0
        for i in 0..<m { total += rowMajor[i * m + solution.permutation[i]] }
        return LinearAssignmentResult(
            permutation: solution.permutation, totalCost: total, rowPotentials: solution.u.map { $0 * up },
            columnPotentials: solution.v.map { $0 * up })
    }
}
