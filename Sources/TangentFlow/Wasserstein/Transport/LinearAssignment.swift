internal import CKernels

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
        let op = "LinearAssignment.solve"
        try cost.requireNonEmpty(op, "cost")
        try cost.requireSquare(op, "cost")
        try cost.requireFinite(op, "cost")
        let m = cost.rows
        // Scale by a power of two so that max|C| ∈ [1, 2): exact, and the reduced costs C_ij − u_i − v_j (sums of
        // O(m) entries) can then neither overflow for costs near the largest double nor lose the small ones.
        let largest = cost.maxAbs
        let exponent = largest > 0 ? largest.exponent : 0
        let down = Double(sign: .plus, exponent: -exponent, significand: 1)
        let up = Double(sign: .plus, exponent: exponent, significand: 1)
        let solution: (permutation: [Int], u: [Double], v: [Double])
        switch backend {
        case .c:
            // The C solver reads the column-major cost as the row-major storage of Cᵀ (no transposed copy).
            var perm = [Int](repeating: 0, count: m)
            var u = [Double](repeating: 0, count: m), v = u
            let scaled = cost.elements.map { $0 * down }
            let status = ck_assignment(m, scaled, m, &perm, &u, &v, nil)
            try TangentFlowError.check(status, operation: op)
            solution = (perm, u, v)
        case .swift:
            // Row-major copy: the solver scans one row of C at a time.
            solution = SwiftAssignment.solve(rowMajorCost: cost.rowMajorElements.map { $0 * down }, size: m)
        }
        var total = 0.0
        for i in 0..<m { total += cost[i, solution.permutation[i]] }
        return LinearAssignmentResult(
            permutation: solution.permutation, totalCost: total, rowPotentials: solution.u.map { $0 * up },
            columnPotentials: solution.v.map { $0 * up })
    }

    /// `C_ij = |x_i − y_j|²` for point sets `X` (`m×d`) and `Y` (`n×d`), one point per row.
    public static func squaredDistances(_ x: Matrix, _ y: Matrix) throws -> Matrix {
        let op = "LinearAssignment.squaredDistances"
        try x.requireNonEmpty(op, "X")
        try y.requireNonEmpty(op, "Y")
        guard x.cols == y.cols else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "Y with \(x.cols) columns", got: "\(y.rows)×\(y.cols)")
        }
        try x.requireFinite(op, "X")
        try y.requireFinite(op, "Y")
        try MemoryBudget.require(doubles: x.rows * y.rows, operation: op)
        var c = [Double](repeating: 0, count: x.rows * y.rows)
        let status = ck_pairwise_sqdist(x.rows, y.rows, x.cols, x.elements, x.rows, y.elements, y.rows, &c, x.rows)
        try TangentFlowError.check(status, operation: op)
        return try Matrix(rows: x.rows, cols: y.rows, columnMajor: c)
    }

    /// The exact `W₂²` between uniform measures on the rows of `X` and `Y` (`m×d` each):
    /// `min_σ (1/m) Σ_i |x_i − y_σ(i)|²`, and the optimal `σ`.
    public static func wassersteinSquared(_ x: Matrix, _ y: Matrix, backend: KernelBackend = .c) throws -> (value: Double, permutation: [Int]) {
        guard x.rows == y.rows else {
            throw TangentFlowError.shapeMismatch(
                operation: "LinearAssignment.wassersteinSquared", expected: "Y with \(x.rows) rows (equal particle counts)", got: "\(y.rows)×\(y.cols)")
        }
        let r = try solve(cost: squaredDistances(x, y), backend: backend)
        // Sum the distances again from the points (not the cost matrix) for the reported value.
        var s = 0.0
        for i in 0..<x.rows {
            var d2 = 0.0
            for t in 0..<x.cols { let d = x[i, t] - y[r.permutation[i], t]; d2 += d * d }
            s += d2
        }
        return (s / Double(x.rows), r.permutation)
    }
}
