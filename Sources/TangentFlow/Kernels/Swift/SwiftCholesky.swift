// Pure-Swift Cholesky solve: the second opinion for the C backend's dposv. Goals, in order: report the first
// leading minor that is not positive definite (LAPACK dpotrf's `info`), backward stability, then speed.
//
// Method: left-looking unblocked Cholesky A = L Lᵀ (LAPACK dpotf2, lower), each column updated by `axpy`s of the
// columns to its left (contiguous in column-major storage); then the two triangular solves L Y = B, Lᵀ X = Y per
// column of B, column-oriented (forward: axpy, backward: dot). Cost n³/3 + 2n²·nrhs flops.

/// Solves `A X = B` for symmetric positive definite `A` by Cholesky, in pure Swift.
///
/// ```
/// A = L Lᵀ,   L lower triangular with l_jj > 0,
/// l_jj = √(a_jj − Σ_{p<j} l_jp²),   l_ij = (a_ij − Σ_{p<j} l_ip l_jp) / l_jj   (i > j),
/// L Y = B,   Lᵀ X = Y,   A: n×n,  B, X: n×k
/// ```
/// Only the lower triangle of `A` is read.
///
/// Edge cases: `n = 0` gives the `0×k` result; `k = 0` still factors `A` (so a non-SPD `A` still throws) and gives
/// `n×0`.
///
/// Postconditions: `‖A X − B‖ ≤ c·n·ε·‖A‖·‖X‖` (backward stable, Higham, *Accuracy and Stability*, Thm 10.4).
///
/// - Parameters:
///   - a: symmetric positive definite `A`, `n×n` (the caller validates shape, symmetry and finiteness).
///   - b: right-hand sides `B`, `n×k`.
/// - Throws: `TangentFlowError.notPositiveDefinite(operation: "choleskySolve", minor: j)` when the pivot
///   `a_jj − Σ l_jp²` of the 1-based leading minor `j` is `≤ 0` or not finite.
package func swiftCholeskySolve(_ a: Matrix, _ b: Matrix) throws -> Matrix {
    let n = a.rows
    precondition(a.cols == n && b.rows == n, "swiftCholeskySolve: shapes must agree (caller must validate)")
    let nrhs = b.cols
    var l = a.elements
    try l.withUnsafeMutableBufferPointer { pl in
        try choleskyFactor(pl.baseAddress!, n: n)
    }
    var x = b
    if n == 0 || nrhs == 0 { return x }
    l.withUnsafeBufferPointer { pl in
        x.elements.withUnsafeMutableBufferPointer { px in
            let lp = pl.baseAddress!
            for c in 0..<nrhs {
                let y = px.baseAddress! + c * n
                // Forward: L y = b, column-oriented (y_j final, then eliminate it below).
                for j in 0..<n {
                    y[j] /= lp[j + j * n]
                    vectorAxpy(-y[j], lp + (j + 1) + j * n, y + j + 1, n - j - 1)
                }
                // Backward: Lᵀ x = y, x_j = (y_j − L[j+1..<n, j]·x[j+1..<n]) / l_jj.
                for j in stride(from: n - 1, through: 0, by: -1) {
                    y[j] = (y[j] - vectorDot(lp + (j + 1) + j * n, y + j + 1, n - j - 1)) / lp[j + j * n]
                }
            }
        }
    }
    return x
}

/// In-place lower Cholesky factor of the `n×n` column-major `a` (lower triangle read and overwritten with `L`;
/// the strict upper triangle is left as it was).
/// - Throws: `.notPositiveDefinite(operation: "choleskySolve", minor: j + 1)` at the first bad pivot `j`.
private func choleskyFactor(_ a: UnsafeMutablePointer<Double>, n: Int) throws {
    for j in 0..<n {
        let col = a + j + j * n  // a[j..<n, j]
        let len = n - j
        // a[j..<n, j] −= Σ_{p<j} l_jp · L[j..<n, p]
        for p in 0..<j {
            let ljp = a[j + p * n]
            if ljp != 0 { vectorAxpy(-ljp, a + j + p * n, col, len) }
        }
        let pivot = col[0]
        guard pivot > 0, pivot.isFinite else {
            throw TangentFlowError.notPositiveDefinite(operation: "choleskySolve", minor: j + 1)
        }
        let ljj = pivot.squareRoot()
        col[0] = ljj
        let inv = 1 / ljj
        for i in 1..<max(len, 1) { col[i] *= inv }
    }
}


