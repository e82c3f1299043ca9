// Pure-Swift symmetric eigendecomposition: the second opinion for the C backend's dsyevd. Goals, in order:
// a residual ‖AV − VΛ‖ and loss of orthogonality ‖VᵀV − I‖ of order n·ε (LAPACK dsteqr's guarantees), a thrown
// error instead of an endless loop, then speed.
//
// Method (EISPACK tred2 + tql2 / LAPACK dsytd2 + dorgtr + dsteqr, unblocked):
//   1. Scale by a power of two (exact) so max |a_ij| ∈ [1, 2).
//   2. Householder tridiagonalisation Qᵀ A Q = T, reflectors H_k = I − τ_k v vᵀ acting on rows/columns k+1..<n:
//      with p = τ A₂₂ v and w = p − (τ/2)(pᵀv) v, H A₂₂ H = A₂₂ − v wᵀ − w vᵀ.
//   3. Q = H_0 H_1 ⋯ H_{n−3}, accumulated backwards.
//   4. Implicit QL with Wilkinson's shift on T (Numerical Recipes `tqli`), rotations applied to the columns of Q,
//      so that on exit Q Z holds the eigenvectors of A. Deflation test of dsteqr:
//      e_m² ≤ ε²|d_m||d_{m+1}| + safmin. At most 30·n QL iterations in all (dsteqr's `nmaxit`).
//   5. Sort ascending, undo the scaling.

/// Eigendecomposition `A = V diag(λ) Vᵀ` of a symmetric matrix, in pure Swift.
///
/// ```
/// A V = V Λ,   Λ = diag(λ_1 ≤ … ≤ λ_n),   VᵀV = I,   A: n×n symmetric
/// ```
/// Householder tridiagonalisation then implicit QL with Wilkinson shifts (tred2/tqli). Only the lower triangle of
/// `A` is read.
///
/// Edge cases: `n = 0` gives empty factors; `n = 1` gives `λ = (a_11)`, `V = (1)`. Repeated eigenvalues get an
/// orthonormal basis of their eigenspace (any one). Non-finite entries give unspecified results (the caller
/// validates).
///
/// Postconditions: `‖AV − VΛ‖_F ≤ c·n·ε·‖A‖_F`, `‖VᵀV − I‖_F ≤ c·n·ε` for a modest `c`.
///
/// - Parameter a: symmetric `n×n` `A` (the caller validates shape and symmetry).
/// - Throws: `TangentFlowError.eigenDidNotConverge(routine: "swiftSymmetricEigen", info: k)` when the QL
///   iteration has used its 30·n iterations with `k` off-diagonal entries of `T` not yet zero.
func swiftSymmetricEigen(_ a: Matrix) throws -> SymmetricEigen {
    let n = a.rows
    precondition(a.cols == n, "swiftSymmetricEigen: matrix must be square (caller must validate)")
    if n == 0 { return SymmetricEigen(values: [], vectors: Matrix(zerosRows: 0, cols: 0)) }

    // 1. Exact scaling; the zero matrix needs none.
    let maxAbs = a.maxAbs
    let e = (maxAbs > 0 && maxAbs.isFinite) ? maxAbs.exponent : 0
    // Full symmetric copy from the lower triangle.
    var w = [Double](repeating: 0, count: n * n)
    for j in 0..<n {
        for i in j..<n {
            let v = Double(sign: .plus, exponent: -e, significand: a.elements[i + j * n])
            w[i + j * n] = v
            w[j + i * n] = v
        }
    }

    var d = [Double](repeating: 0, count: n)
    var off = [Double](repeating: 0, count: n)  // off[k] = T[k+1, k]; off[n−1] = 0
    var q = [Double](repeating: 0, count: n * n)
    try w.withUnsafeMutableBufferPointer { pw in
        try q.withUnsafeMutableBufferPointer { pq in
            let tau = tridiagonalise(pw.baseAddress!, n: n, d: &d, e: &off)
            accumulateQ(pw.baseAddress!, n: n, tau: tau, into: pq.baseAddress!)
            try implicitQL(d: &d, e: &off, z: pq.baseAddress!, n: n)
        }
    }

    // 5. Ascending order (stable), unscaled.
    let order = (0..<n).sorted { d[$0] < d[$1] || (d[$0] == d[$1] && $0 < $1) }
    var vectors = [Double](repeating: 0, count: n * n)
    for (c, o) in order.enumerated() {
        for i in 0..<n { vectors[i + c * n] = q[i + o * n] }
    }
    let values = order.map { Double(sign: .plus, exponent: e, significand: d[$0]) }
    return SymmetricEigen(values: values, vectors: Matrix(uncheckedRows: n, cols: n, elements: vectors))
}

// MARK: - Tridiagonalisation

/// Reduces the full symmetric `n×n` `a` to tridiagonal `T = Qᵀ A Q` (diagonal `d`, subdiagonal `e`), storing the
/// essential part of reflector `k` (`v_0 = 1` implicit) in `a[k+2..<n, k]`. Returns the `τ_k`.
private func tridiagonalise(_ a: UnsafeMutablePointer<Double>, n: Int, d: inout [Double], e: inout [Double])
    -> [Double] {
    var tau = [Double](repeating: 0, count: n)
    var p = [Double](repeating: 0, count: n)
    for k in 0..<max(n - 2, 0) {
        let len = n - k - 1  // length of x = a[k+1..<n, k], ≥ 2
        let x = a + (k + 1) + k * n
        let alpha = x[0]
        let xnorm = scaledNorm(UnsafeBufferPointer(start: x + 1, count: len - 1))
        if xnorm == 0 {
            tau[k] = 0
            e[k] = alpha
        } else {
            let big = max(abs(alpha), xnorm)
            let r = big * ((alpha / big) * (alpha / big) + (xnorm / big) * (xnorm / big)).squareRoot()
            let beta = alpha >= 0 ? -r : r
            let t = (beta - alpha) / beta
            tau[k] = t
            let scale = 1 / (alpha - beta)
            for i in 1..<len { x[i] *= scale }
            x[0] = 1  // v, temporarily with its leading 1
            e[k] = beta
            // p = τ A₂₂ v, column j of A₂₂ contiguous (A₂₂ symmetric, so p_j = τ·(A₂₂[:, j]·v)).
            let a22 = a + (k + 1) + (k + 1) * n
            var pv = 0.0
            for j in 0..<len {
                p[j] = t * vectorDot(a22 + j * n, x, len)
                pv += p[j] * x[j]
            }
            // w = p − (τ/2)(pᵀv) v;  A₂₂ −= v wᵀ + w vᵀ.
            let kappa = 0.5 * t * pv
            for j in 0..<len { p[j] -= kappa * x[j] }
            p.withUnsafeBufferPointer { pw in
                let wv = pw.baseAddress!
                for j in 0..<len {
                    let col = a22 + j * n
                    vectorAxpy(-wv[j], x, col, len)
                    vectorAxpy(-x[j], wv, col, len)
                }
            }
            x[0] = beta
        }
        d[k] = a[k + k * n]
    }
    if n >= 2 {
        d[n - 2] = a[(n - 2) + (n - 2) * n]
        e[n - 2] = a[(n - 1) + (n - 2) * n]
    }
    d[n - 1] = a[(n - 1) + (n - 1) * n]
    e[n - 1] = 0
    return tau
}

/// `q := H_0 H_1 ⋯ H_{n−3}` (an `n×n` orthogonal matrix) from the reflectors left in `a` by `tridiagonalise`.
/// Backward accumulation: when `H_k` is applied, columns `0…k` of the partial product are still `e_0…e_k`, so
/// only the trailing block `q[k+1..<n, k+1..<n]` changes.
private func accumulateQ(_ a: UnsafeMutablePointer<Double>, n: Int, tau: [Double], into q: UnsafeMutablePointer<Double>) {
    for i in 0..<n { q[i + i * n] = 1 }
    for k in stride(from: n - 3, through: 0, by: -1) where tau[k] != 0 {
        let len = n - k - 1
        let v = a + (k + 1) + k * n
        let saved = v[0]
        v[0] = 1
        for j in (k + 1)..<n {
            let col = q + (k + 1) + j * n
            let s = tau[k] * vectorDot(v, col, len)
            vectorAxpy(-s, v, col, len)
        }
        v[0] = saved
    }
}

// MARK: - Implicit QL

/// Diagonalises the symmetric tridiagonal `T` (diagonal `d`, `e[i] = T[i+1, i]`, `e[n−1] = 0`) in place:
/// on return `d` holds the eigenvalues (unsorted) and the columns of `z` have been multiplied by the rotations,
/// `z := z Z` with `T = Z diag(d) Zᵀ`.
/// - Throws: `.eigenDidNotConverge` after 30·n iterations in all, with the number of non-zero `e` left.
private func implicitQL(d: inout [Double], e: inout [Double], z: UnsafeMutablePointer<Double>, n: Int) throws {
    let eps2 = Double.ulpOfOne * Double.ulpOfOne
    let safmin = Double.leastNormalMagnitude
    let maxIterations = 30 * n
    var iterations = 0
    for l in 0..<n {
        while true {
            // Find the first negligible off-diagonal e[m], m ≥ l (e[n−1] = 0 stops the search).
            var m = l
            while m < n - 1 {
                if e[m] * e[m] <= eps2 * abs(d[m]) * abs(d[m + 1]) + safmin { break }
                m += 1
            }
            if m == l { break }
            if iterations == maxIterations {
                let left = e[0..<(n - 1)].filter { $0 != 0 }.count
                throw TangentFlowError.eigenDidNotConverge(routine: "swiftSymmetricEigen", info: left)
            }
            iterations += 1
            // Wilkinson shift from the leading 2×2 block of the unreduced block l…m.
            var g = (d[l + 1] - d[l]) / (2 * e[l])
            var r = eigHypot(g, 1)
            g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r))
            var s = 1.0, c = 1.0, p = 0.0
            var i = m - 1
            var underflow = false
            while i >= l {
                let f = s * e[i]
                let b = c * e[i]
                r = eigHypot(f, g)
                e[i + 1] = r
                if r == 0 {
                    // Recover from underflow: the block splits here.
                    d[i + 1] -= p
                    e[m] = 0
                    underflow = true
                    break
                }
                s = f / r
                c = g / r
                g = d[i + 1] - p
                r = (d[i] - g) * s + 2 * c * b
                p = s * r
                d[i + 1] = g + p
                g = c * r - b
                // Columns i, i+1 of z: [z_i z_{i+1}] := [c z_i − s z_{i+1}, s z_i + c z_{i+1}].
                vectorRotate(z + i * n, z + (i + 1) * n, n, c: c, s: s)
                i -= 1
            }
            if underflow { continue }
            d[l] -= p
            e[l] = g
            e[m] = 0
        }
    }
}

// MARK: - Scalar and vector kernels

/// `√(a² + b²)` without overflow or harmful underflow.
@inline(__always)
private func eigHypot(_ a: Double, _ b: Double) -> Double {
    let x = abs(a), y = abs(b)
    let big = max(x, y), small = min(x, y)
    if big == 0 || big.isInfinite { return big }
    let ratio = small / big
    return big * (1 + ratio * ratio).squareRoot()
}



