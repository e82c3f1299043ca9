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
        let r = try solve(cost: squaredDistances(x, y, backend: backend), backend: backend)
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
