internal import CKernels

/// An optimal assignment and the dual certificate of its optimality.
public struct LinearAssignmentResult: Sendable {
    /// `permutation[i] = j`: row `i` is assigned to column `j`.
    public let permutation: [Int]
    /// `Σ_i C[i, permutation[i]]`.
    public let totalCost: Double
    /// Dual potentials `u` (rows) and `v` (columns): `u_i + v_j ≤ C_ij` for all `(i, j)` (to rounding), with
    /// equality on the assignment, so `Σu + Σv = totalCost` certifies optimality (LP duality).
    public let rowPotentials: [Double]
    /// See `rowPotentials`.
    public let columnPotentials: [Double]
}

/// The exact linear assignment problem `min_σ Σ_i C[i, σ(i)]` over permutations — the `W₂²` distance between two
/// uniform particle measures of equal size (2.2.2 of file 004, MATH.md §6) when `C_ij = |x_i − y_j|²`.
public enum LinearAssignment {
    /// Solves the `m×m` problem: C path Jonker–Volgenant shortest augmenting path (`CKernels/assignment.c`),
    /// Swift path the pure-Swift solver. `O(m³)`. Throws for an empty, non-square or non-finite cost.
    public static func solve(cost: Matrix, backend: KernelBackend = .c) throws -> LinearAssignmentResult {
        let op = "LinearAssignment.solve"
        try cost.requireNonEmpty(op, "cost")
        try cost.requireSquare(op, "cost")
        try cost.requireFinite(op, "cost")
        switch backend {
        case .c:
            let m = cost.rows
            var perm = [Int](repeating: 0, count: m)
            var u = [Double](repeating: 0, count: m), v = u
            var total = 0.0
            let status = ck_assignment(m, cost.elements, m, &perm, &u, &v, &total)
            try TangentFlowError.check(status, operation: op)
            return LinearAssignmentResult(permutation: perm, totalCost: total, rowPotentials: u, columnPotentials: v)
        case .swift:
            return try SwiftAssignment.solve(cost: cost)
        }
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
