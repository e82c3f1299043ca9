// The exact linear assignment problem behind the W₂ proximal step between equal-size particle sets
// (MATH.md §6, §2.2.2 of file 004): `W₂²((1/m)Σδ_{V_i}, (1/m)Σδ_{W_j}) = (1/m) min_σ Σ_i |V_i − W_{σ(i)}|²`.

import TangentFlow

/// Exact solver of the linear assignment problem `min_σ Σ_i C[i, σ(i)]` over permutations σ of `0..<m`.
///
/// ```
/// min_σ Σ_i C_{iσ(i)}  =  max { Σ u_i + Σ v_j : u_i + v_j ≤ C_ij }      (LP duality, Birkhoff–von Neumann)
/// ```
/// Used by `TwoLayerReLUProblem.proximalPoint(distance: .wasserstein, …)` (§2.2.2 of file 004, MATH.md §6).
public enum LinearAssignment {
    /// Solves the square assignment problem for `cost` (`C[i, j]` = cost of assigning row `i` to column `j`).
    ///
    /// Method: shortest augmenting paths with potentials, `O(m³)` time, `O(m²)` memory — the C path is Jonker–Volgenant
    /// with its column reduction and augmenting row reduction (`CKernels/assignment.c`), the Swift path the
    /// Hungarian method in its shortest-augmenting-path form (`SwiftAssignment`).
    ///
    /// Edge cases: `m = 1` gives the identity; ties are broken deterministically (the lowest column index found
    /// first), so equal costs give a valid but not unique optimum; costs are scaled by a power of two internally
    /// (exact), so magnitudes near the largest or smallest double give the same permutation as moderate ones
    /// (the potentials, scaled back, may overflow to ±∞ only when `m·max|C|` does).
    ///
    /// - Parameters:
    ///   - cost: `m×m` matrix of finite costs, `m ≥ 1` (any sign).
    ///   - backend: kernel backend (`.c` is the default; both are exact and reach the same optimal cost).
    /// - Returns: the optimal permutation, its total cost and the dual potentials.
    /// - Throws: `.emptyInput` for a `0×0` cost, `.shapeMismatch` for a non-square one, `.nonFinite` naming the
    ///   first NaN/±∞ entry.
    public static func solve(cost: Matrix, backend: KernelBackend = .c) throws -> LinearAssignmentResult {
        try backend.kernels.linearAssignment(cost: cost)
    }

    /// Solves the assignment problem for any `n×m` cost exactly as SciPy's `linear_sum_assignment` (Crouse 2016,
    /// "On implementing 2D rectangular assignment algorithms", IEEE TAES 52(4)) defines it:
    ///
    /// ```
    /// min (or max) Σ_t C[r_t, c_t]  over k = min(n, m) pairs of distinct rows and distinct columns
    /// ```
    /// Forbidden pairs are `+∞` when minimising and `−∞` when maximising (maximising solves `−C`); a NaN, or an
    /// infinity of the other sign, is invalid.
    ///
    /// - Parameters:
    ///   - cost: `n×m` costs, any shape (`n` or `m` may be 0: no pairs).
    ///   - maximize: maximise instead of minimise.
    ///   - backend: kernel backend (`.c`: Jonker–Volgenant-style augmenting paths, `CKernels/assignment.c`;
    ///     `.swift`: the Hungarian method); both are exact and reach the same optimal cost.
    /// - Returns: the pairs with rows ascending and their total (of `C` itself), or `nil` when every assignment
    ///   of `k` pairs uses a forbidden entry (infeasible).
    /// - Throws: `.nonFinite` naming the first invalid entry.
    public static func solve(cost: Matrix, maximize: Bool, backend: KernelBackend = .c) throws -> RectangularAssignmentResult? {
        let op = "LinearAssignment.solve"
        let forbidden = maximize ? -Double.infinity : .infinity
        if let k = cost.elements.firstIndex(where: { $0.isNaN || ($0.isInfinite && $0 != forbidden) }) {
            throw TangentFlowError.nonFinite(operation: op, argument: "cost", row: k % Swift.max(1, cost.rows), column: k / Swift.max(1, cost.rows))
        }
        let minimised = maximize ? Matrix(uncheckedRows: cost.rows, cols: cost.cols, elements: cost.elements.map { -$0 }) : cost
        guard let r = try backend.kernels.rectangularAssignment(cost: minimised) else { return nil }
        return maximize ? RectangularAssignmentResult(rows: r.rows, columns: r.columns, totalCost: -r.totalCost) : r
    }

    /// The exact assignment for the cost `|x_i − y_j|²` between the rows of `X` and `Y` (`m×d` each), built with
    /// one matrix product in the solver's layout and optionally warm-started from column potentials `v` (a
    /// previous solve's `columnPotentials`; the optimum does not depend on them, only the time).
    /// - Throws: `.emptyInput`, `.shapeMismatch`, `.nonFinite`, `.insufficientMemory`.
    public static func solve(points x: Matrix, _ y: Matrix, warmStart: [Double]? = nil, backend: KernelBackend = .c) throws -> LinearAssignmentResult {
        try backend.kernels.pointAssignment(x, y, warmStart: warmStart)
    }

    /// `C_ij = |x_i − y_j|²` for point sets `X` (`m×d`) and `Y` (`n×d`), one point per row, by direct differences.
    /// - Throws: `.emptyInput`, `.shapeMismatch` (different `d`), `.nonFinite`, `.insufficientMemory`.
    public static func squaredDistances(_ x: Matrix, _ y: Matrix, backend: KernelBackend = .c) throws -> Matrix {
        try backend.kernels.pairwiseSquaredDistances(x, y)
    }

    /// The exact `W₂²` between uniform measures on the rows of `X` and `Y` (`m×d` each):
    /// `min_σ (1/m) Σ_i |x_i − y_σ(i)|²`, and the optimal `σ`.
    public static func wassersteinSquared(_ x: Matrix, _ y: Matrix, backend: KernelBackend = .c) throws -> (value: Double, permutation: [Int]) {
        guard x.rows == y.rows else {
            throw TangentFlowError.shapeMismatch(
                operation: "LinearAssignment.wassersteinSquared", expected: "Y with \(x.rows) rows (equal particle counts)", got: "\(y.rows)×\(y.cols)")
        }
        let r = try solve(points: x, y, backend: backend)
        let s = r.totalCost
        return (s / Double(x.rows), r.permutation)
    }
}
