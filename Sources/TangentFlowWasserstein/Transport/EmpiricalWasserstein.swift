// W₂ between uniform empirical measures with the same number of atoms: exact (an assignment), exact in 1-D
// (sorting), and the sliced approximation (SlicedWasserstein.swift).

import TangentFlow

/// Squared 2-Wasserstein distances between uniform empirical measures `μ = (1/m)Σ δ_{a_i}`, `ν = (1/m)Σ δ_{b_i}`
/// (the particle measures of §2.2.2 of file 004, MATH.md §6).
///
/// ```
/// W₂²(μ, ν) = (1/m) min_σ Σ_i |a_i − b_{σ(i)}|²     (Birkhoff: an optimal plan is a permutation)
/// 1-D:  W₂²(μ, ν) = (1/m) Σ_i (a_(i) − b_(i))²        (sorted atoms; the monotone map is optimal)
/// ```
public enum EmpiricalWasserstein {
    /// Exact `W₂²` between the rows of `a` and the rows of `b` (`m×d` each) by `LinearAssignment`.
    ///
    /// - Returns: the distance and the optimal matching (`permutation[i] = j`: `a_i` goes to `b_j`).
    /// - Throws: `.emptyInput`, `.shapeMismatch` (different shapes), `.nonFinite`.
    public static func squaredDistance(_ a: Matrix, _ b: Matrix) throws -> (value: Double, permutation: [Int]) {
        let op = "EmpiricalWasserstein.squaredDistance"
        try checkPair(a, b, op)
        let (m, d) = (a.rows, a.cols)
        var cost = Matrix(zerosRows: m, cols: m)
        for j in 0..<m {
            for i in 0..<m {
                var s = 0.0
                for k in 0..<d {
                    let diff = a.elements[i + k * m] - b.elements[j + k * m]
                    s += diff * diff
                }
                cost.elements[i + j * m] = s
            }
        }
        let result = try LinearAssignment.solve(cost: cost)
        return (result.totalCost / Double(m), result.permutation)
    }

    /// Exact `W₂²` between two 1-D samples of equal size, by sorting: `(1/m) Σ_i (a_(i) − b_(i))²`.
    ///
    /// - Throws: `.emptyInput`, `.shapeMismatch` (different lengths), `.nonFinite`.
    public static func squaredDistance1D(_ a: [Double], _ b: [Double]) throws -> Double {
        let op = "EmpiricalWasserstein.squaredDistance1D"
        guard !a.isEmpty, !b.isEmpty else { throw TangentFlowError.emptyInput(operation: op, argument: a.isEmpty ? "a" : "b") }
        guard a.count == b.count else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "b of length \(a.count) (equal atom counts)", got: "length \(b.count)")
        }
        try requireFinite(a, op, "a")
        try requireFinite(b, op, "b")
        return sortedSquaredDistance(a, b)
    }

    /// `(1/m) Σ (a_(i) − b_(i))²` without validation.
    static func sortedSquaredDistance(_ a: [Double], _ b: [Double]) -> Double {
        let sa = a.sorted(), sb = b.sorted()
        var s = 0.0
        for i in 0..<sa.count { s += (sa[i] - sb[i]) * (sa[i] - sb[i]) }
        return s / Double(sa.count)
    }

    /// Both non-empty, same shape, finite.
    static func checkPair(_ a: Matrix, _ b: Matrix, _ op: String) throws {
        try a.requireNonEmpty(op, "a")
        try b.requireNonEmpty(op, "b")
        try b.requireShape(a.rows, a.cols, op, "b (same atoms count and dimension as a)")
        try a.requireFinite(op, "a")
        try b.requireFinite(op, "b")
    }
}
