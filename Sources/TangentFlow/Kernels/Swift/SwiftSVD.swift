// Pure-Swift thin SVD: the second opinion for the C backend's dgesdd. Goals, in order: orthonormal factors and a
// backward-stable reconstruction on every input (rank-deficient, zero, vectors, empty); then speed.
//
// Method (Drmač & Veselić, "New fast and accurate Jacobi SVD algorithm I", SIAM J. Matrix Anal. Appl. 29, 2008):
//   1. Work on a tall matrix (m ≥ n); a wide A is handled through Aᵀ = U'ΣV'ᵀ ⇒ A = V'ΣU'ᵀ.
//   2. Scale by a power of two (exact) so max |a_ij| ∈ [1, 2): no overflow or underflow in the squares below.
//   3. Preconditioning by two Householder QRs: A P = Q₁ R₁ with column pivoting (LAPACK dgeqp2/dlaqp2, with its
//      norm downdating), then R₁ᵀ = Q₂ R₂ without pivoting. R₂ᵀ is much closer to having orthogonal columns than
//      A; here it saves about one Jacobi sweep in ten on random input, more on graded input.
//   4. One-sided Jacobi (Hestenes) on X = R₂ᵀ: rotations J with X J = W, W having orthogonal columns. Then
//      X = Û Σ Jᵀ with Σ = diag|w_i|, Û = W Σ⁻¹, so R₁ = R₂ᵀ Q₂ᵀ = Û Σ (Q₂ J)ᵀ and
//          A = Q₁ R₁ Pᵀ = (Q₁ Û) Σ (P Q₂ J)ᵀ,    U = Q₁ Û,    V = P Q₂ J.
//      Û's columns are orthonormal by the convergence test; those of (numerically) zero σ are replaced by an
//      orthonormal completion, so U stays orthonormal for rank-deficient A.
//   5. J, a product of some sweeps·n²/2 rotations, drifts from orthogonality by about √(rotations per column)·ε
//      (measured: ‖JᵀJ − I‖_F ≈ 20·n·ε at n = 300). One Newton–Schulz step J := J(3I − JᵀJ)/2 (two GEMMs) moves it
//      to the nearest orthogonal matrix to O(loss²); it also reduced the reconstruction error (W = XĴ holds for
//      the exactly orthogonal Ĵ the rotations represent, not for the drifted J).
//   6. Sort σ descending and permute the factors alongside.

/// Thin singular value decomposition `A = U diag(s) Vᵀ` in pure Swift.
///
/// ```
/// A = U Σ Vᵀ,   A: m×n,  U: m×r,  Σ = diag(s_1 ≥ … ≥ s_r ≥ 0),  Vᵀ: r×n,  r = min(m, n)
/// UᵀU = I_r,    Vᵀ V = I_r   (to rounding)
/// ```
/// Computed by pivoted Householder QR preconditioning followed by one-sided Jacobi (Drmač–Veselić); a wide `A`
/// goes through `Aᵀ`. Cost about `6mn² + (9·sweeps + 7)n³` flops for `m ≥ n`, typically 5–10 sweeps.
///
/// Edge cases: `m = 0` or `n = 0` gives `r = 0` (`U` is `m×0`, `s` empty, `Vᵀ` is `0×n`). The zero matrix gives
/// `s = 0` and the leading columns of the identity as `U` and `V`. For rank `ρ < r` the `r − ρ` trailing singular
/// values are zero or at rounding level, and the matching columns of `U` and rows of `Vᵀ` are still orthonormal
/// (completions of the range, not meaningful directions). Non-finite entries give unspecified results (the caller
/// validates).
///
/// Postconditions: `‖UΣVᵀ − A‖_F ≤ c·max(m,n)·ε·‖A‖_F`, `‖UᵀU − I‖`, `‖VᵀV − I‖ ≤ c·max(m,n)·ε` for a modest `c`.
///
/// - Parameter a: `A`, any shape.
/// - Throws: `TangentFlowError.svdDidNotConverge(routine: "swiftSVD", info: sweeps)` if the Jacobi iteration has
///   not converged after `sweeps` = 60 sweeps (never observed; Jacobi converges quadratically).
func swiftSVD(_ a: Matrix) throws -> SVD {
    let m = a.rows, n = a.cols
    if m == 0 || n == 0 {
        return SVD(u: Matrix(zerosRows: m, cols: 0), singularValues: [], vt: Matrix(zerosRows: 0, cols: n))
    }
    if m >= n {
        let f = try tallSVD(a)
        return SVD(u: f.u, singularValues: f.s, vt: f.v.transposed)
    }
    // Aᵀ = U' Σ V'ᵀ  ⇒  A = V' Σ U'ᵀ.
    let f = try tallSVD(a.transposed)
    return SVD(u: f.v, singularValues: f.s, vt: f.u.transposed)
}

/// Maximum number of Jacobi sweeps before `swiftSVD` gives up.
private let svdMaxSweeps = 60

/// Thin SVD of a tall `x` (`m ≥ n ≥ 1`): `x = u diag(s) vᵀ`, `u` m×n, `v` n×n (columns, not transposed).
private func tallSVD(_ x: Matrix) throws -> (u: Matrix, s: [Double], v: Matrix) {
    let m = x.rows, n = x.cols
    precondition(m >= n && n >= 1)

    // 2. Exact power-of-two scaling: max |a_ij| · 2^-e ∈ [1, 2).
    let maxAbs = x.maxAbs
    if maxAbs == 0 {
        var u = Matrix(zerosRows: m, cols: n)
        var v = Matrix(zerosRows: n, cols: n)
        for i in 0..<n {
            u.elements[i + i * m] = 1
            v.elements[i + i * n] = 1
        }
        return (u, [Double](repeating: 0, count: n), v)
    }
    let e = maxAbs.isFinite ? maxAbs.exponent : 0
    var w = x.elements.map { Double(sign: .plus, exponent: -e, significand: $0) }

    // 3. A P = Q₁ R₁: reflectors below the diagonal of w, R₁ on and above it.
    var tau1 = [Double](repeating: 0, count: n)
    var perm = Array(0..<n)
    w.withUnsafeMutableBufferPointer { pw in
        householderQR(pw.baseAddress!, m: m, n: n, tau: &tau1, perm: &perm, pivoting: true)
    }
    // R₁ᵀ = Q₂ R₂ (n×n, no pivoting).
    var y = [Double](repeating: 0, count: n * n)
    for j in 0..<n {
        for i in j..<n { y[i + j * n] = w[j + i * m] }  // R₁ᵀ[i, j] = R₁[j, i], i ≥ j
    }
    var tau2 = [Double](repeating: 0, count: n)
    var identityPerm = Array(0..<n)
    y.withUnsafeMutableBufferPointer { py in
        householderQR(py.baseAddress!, m: n, n: n, tau: &tau2, perm: &identityPerm, pivoting: false)
    }

    // 4. Jacobi on X = R₂ᵀ (n×n, lower triangular); J accumulates the rotations.
    var xr = [Double](repeating: 0, count: n * n)
    for j in 0..<n {
        for i in j..<n { xr[i + j * n] = y[j + i * n] }  // X[i, j] = R₂[j, i], i ≥ j
    }
    var jr = [Double](repeating: 0, count: n * n)
    for i in 0..<n { jr[i + i * n] = 1 }
    try xr.withUnsafeMutableBufferPointer { px in
        try jr.withUnsafeMutableBufferPointer { pj in
            try oneSidedJacobi(px.baseAddress!, pj.baseAddress!, n: n)
        }
    }

    if n > 1 {
        // 5. Newton–Schulz step towards the orthogonal polar factor: J := J (3I − JᵀJ)/2.
        let jm = Matrix(uncheckedRows: n, cols: n, elements: jr)
        var g = swiftMultiply(jm, transposeA: true, jm, transposeB: false)
        for t in 0..<(n * n) { g.elements[t] = -0.5 * g.elements[t] }
        for i in 0..<n { g.elements[i + i * n] += 1.5 }
        jr = swiftMultiply(jm, transposeA: false, g, transposeB: false).elements
    }
    // σ_i = |w_i|, Û = W Σ⁻¹ (null columns completed).
    var sigma = [Double](repeating: 0, count: n)
    var isNull = [Bool](repeating: false, count: n)
    for i in 0..<n {
        let s = scaledNorm(xr[(i * n)..<((i + 1) * n)])
        if s <= svdNegligible {
            isNull[i] = true
            for t in 0..<n { xr[t + i * n] = 0 }
        } else {
            sigma[i] = s
            for t in 0..<n { xr[t + i * n] /= s }
        }
    }
    completeOrthonormalColumns(&xr, n: n, isNull: isNull)

    // 6. Descending order (stable); U = Q₁ [Û; 0], V = P Q₂ J, columns in that order.
    let order = (0..<n).sorted { sigma[$0] > sigma[$1] || (sigma[$0] == sigma[$1] && $0 < $1) }
    var u = [Double](repeating: 0, count: m * n)
    var q2j = [Double](repeating: 0, count: n * n)
    for (c, o) in order.enumerated() {
        for i in 0..<n {
            u[i + c * m] = xr[i + o * n]
            q2j[i + c * n] = jr[i + o * n]
        }
    }
    u.withUnsafeMutableBufferPointer { pu in
        w.withUnsafeBufferPointer { pw in
            applyReflectors(pw.baseAddress!, m: m, n: n, tau: tau1, to: pu.baseAddress!, cols: n)
        }
    }
    q2j.withUnsafeMutableBufferPointer { pv in
        y.withUnsafeBufferPointer { py in
            applyReflectors(py.baseAddress!, m: n, n: n, tau: tau2, to: pv.baseAddress!, cols: n)
        }
    }
    var v = [Double](repeating: 0, count: n * n)
    for c in 0..<n {
        for k in 0..<n { v[perm[k] + c * n] = q2j[k + c * n] }  // (P M)[perm[k], ·] = M[k, ·]
    }
    let s = order.map { Double(sign: .plus, exponent: e, significand: sigma[$0]) }
    return (Matrix(uncheckedRows: m, cols: n, elements: u), s, Matrix(uncheckedRows: n, cols: n, elements: v))
}

/// Below this norm (of a column of the scaled `W`, whose largest entry is in [1, 2)) a column is treated as exactly
/// zero: its squared entries would underflow, so Jacobi cannot orthogonalise it. `≈ 7e-139`, so dropping it changes
/// `A` by a relative `1e-138`, far below rounding.
private let svdNegligible = Double.leastNormalMagnitude.squareRoot() / Double.ulpOfOne

// MARK: - Householder QR with column pivoting

/// In-place `A P = Q R` of the `m×n` column-major `a` (`m ≥ n`), unblocked (LAPACK dgeqp2 / dlaqp2; with
/// `pivoting == false`, dgeqr2 and `P = I`).
///
/// On return `R` is on and above the diagonal; reflector `k` is `H_k = I − τ_k v vᵀ` with `v_k = 1` and
/// `v[k+1..<m]` stored below the diagonal of column `k`; `Q = H_0 H_1 ⋯ H_{n−1}`. `perm[k]` is the original index of
/// column `k` of `A P`. Pivoting: at step `k` the remaining column of largest partial norm is moved to position
/// `k`; partial norms are downdated and recomputed when cancellation makes the downdate unreliable.
private func householderQR(_ a: UnsafeMutablePointer<Double>, m: Int, n: Int, tau: inout [Double],
                           perm: inout [Int], pivoting: Bool) {
    var vn1 = pivoting ? (0..<n).map { j in scaledNorm(UnsafeBufferPointer(start: a + j * m, count: m)) } : []
    var vn2 = vn1
    let tol3z = Double.ulpOfOne.squareRoot()
    for k in 0..<n {
        // Pivot.
        var p = k
        if pivoting {
            for j in (k + 1)..<n where vn1[j] > vn1[p] { p = j }
        }
        if p != k {
            swapColumns(a, m, k, p)
            perm.swapAt(k, p)
            vn1[p] = vn1[k]
            vn2[p] = vn2[k]
        }
        // Reflector annihilating a[k+1..<m, k] (dlarfg).
        let alpha = a[k + k * m]
        let below = m - k - 1
        let xnorm = below > 0 ? scaledNorm(UnsafeBufferPointer(start: a + k + 1 + k * m, count: below)) : 0
        if xnorm == 0 {
            tau[k] = 0
        } else {
            let big = max(abs(alpha), xnorm)
            let r = big * ((alpha / big) * (alpha / big) + (xnorm / big) * (xnorm / big)).squareRoot()
            let beta = alpha >= 0 ? -r : r
            tau[k] = (beta - alpha) / beta
            let scale = 1 / (alpha - beta)
            let v = a + k + 1 + k * m
            for i in 0..<below { v[i] *= scale }
            a[k + k * m] = beta
        }
        // Apply H_k to the trailing columns, then downdate their norms.
        if tau[k] != 0 {
            for j in (k + 1)..<n {
                applyReflector(a + k + k * m, length: m - k, tau: tau[k], to: a + k + j * m)
            }
        }
        for j in (k + 1)..<n where pivoting && vn1[j] != 0 {
            let ratio = abs(a[k + j * m]) / vn1[j]
            let temp = max(0, 1 - ratio * ratio)
            let temp2 = temp * (vn1[j] / vn2[j]) * (vn1[j] / vn2[j])
            if temp2 <= tol3z {
                vn1[j] = below > 0 ? scaledNorm(UnsafeBufferPointer(start: a + k + 1 + j * m, count: below)) : 0
                vn2[j] = vn1[j]
            } else {
                vn1[j] *= temp.squareRoot()
            }
        }
    }
}

/// `c[0..<cols] := H_0 H_1 ⋯ H_{n−1} c` for the reflectors stored in `q` (as left by `pivotedHouseholderQR`);
/// `c` is `m×cols` column-major.
private func applyReflectors(_ q: UnsafePointer<Double>, m: Int, n: Int, tau: [Double],
                             to c: UnsafeMutablePointer<Double>, cols: Int) {
    for k in stride(from: n - 1, through: 0, by: -1) where tau[k] != 0 {
        for j in 0..<cols {
            applyReflector(q + k + k * m, length: m - k, tau: tau[k], to: c + k + j * m)
        }
    }
}

/// `y := (I − τ v vᵀ) y` for `v = (1, v[1..<length])` (the leading 1 implicit; `v[0]` is not read).
@inline(__always)
private func applyReflector(_ v: UnsafePointer<Double>, length: Int, tau: Double, to y: UnsafeMutablePointer<Double>) {
    let s = tau * (y[0] + vectorDot(v + 1, y + 1, length - 1))
    y[0] -= s
    vectorAxpy(-s, v + 1, y + 1, length - 1)
}

private func swapColumns(_ a: UnsafeMutablePointer<Double>, _ m: Int, _ j: Int, _ k: Int) {
    let x = a + j * m, y = a + k * m
    for i in 0..<m {
        let t = x[i]
        x[i] = y[i]
        y[i] = t
    }
}

// MARK: - One-sided Jacobi

/// Orthogonalises the columns of the `n×n` column-major `x` by plane rotations, `x := x J`, `j := j J`.
///
/// Pair `(i, j)`, with `α = |x_i|²`, `β = |x_j|²`, `γ = x_i·x_j`, is rotated when `|γ| > tol·|x_i||x_j|`,
/// `tol = √n·ε` (LAPACK dgesvj's `ctol`: the computed `γ` itself carries an error of that size). The rotation
/// `[x_i x_j] := [x_i x_j] [[c, s], [−s, c]]` zeroes `γ`: `ζ = (β − α)/(2γ)`, `t = sign(ζ)/(|ζ| + √(1+ζ²))`,
/// `c = 1/√(1+t²)`, `s = c·t`. Converged when a full cyclic sweep rotates nothing.
/// - Throws: `.svdDidNotConverge` after `svdMaxSweeps` sweeps.
private func oneSidedJacobi(_ x: UnsafeMutablePointer<Double>, _ j: UnsafeMutablePointer<Double>, n: Int) throws {
    if n < 2 { return }
    let tol = Double(n).squareRoot() * Double.ulpOfOne
    let negligibleSquared = svdNegligible * svdNegligible
    for _ in 0..<svdMaxSweeps {
        var rotated = false
        for p in 0..<(n - 1) {
            let xp = x + p * n, jp = j + p * n
            for q in (p + 1)..<n {
                let xq = x + q * n
                let (alpha, beta, gamma) = svdGramPair(xp, xq, n)
                if alpha <= negligibleSquared || beta <= negligibleSquared { continue }
                if abs(gamma) <= tol * alpha.squareRoot() * beta.squareRoot() { continue }
                rotated = true
                let zeta = (beta - alpha) / (2 * gamma)
                let az = abs(zeta)
                // For |ζ| > 1e150, √(1+ζ²) = |ζ| to rounding (and ζ² would overflow).
                let t0 = az > 1e150 ? 1 / (2 * az) : 1 / (az + (1 + az * az).squareRoot())
                let t = zeta >= 0 ? t0 : -t0
                let c = 1 / (1 + t * t).squareRoot()
                let s = c * t
                vectorRotate(xp, xq, n, c: c, s: s)
                vectorRotate(jp, j + q * n, n, c: c, s: s)
            }
        }
        if !rotated { return }
    }
    throw TangentFlowError.svdDidNotConverge(routine: "swiftSVD", info: svdMaxSweeps)
}

/// Replaces the columns of the `n×n` column-major `u` flagged in `isNull` by unit vectors orthogonal to every
/// other column, so that `u` becomes orthogonal. The unflagged columns must already be orthonormal.
///
/// For each flagged column, the coordinate vector `e_t` with the largest component outside the current span is
/// chosen (its squared residual `1 − Σ_q q_t²` is at least `1/n` by a counting argument), then orthogonalised by
/// classical Gram–Schmidt applied twice ("twice is enough", Giraud et al. 2005) and normalised.
private func completeOrthonormalColumns(_ u: inout [Double], n: Int, isNull: [Bool]) {
    guard isNull.contains(true) else { return }
    var accepted = (0..<n).filter { !isNull[$0] }
    for col in 0..<n where isNull[col] {
        var residual = [Double](repeating: 1, count: n)
        for q in accepted {
            for t in 0..<n { residual[t] -= u[t + q * n] * u[t + q * n] }
        }
        var best = 0
        for t in 1..<max(n, 1) where residual[t] > residual[best] { best = t }
        var v = [Double](repeating: 0, count: n)
        v[best] = 1
        for _ in 0..<2 {
            for q in accepted {
                var d = 0.0
                for t in 0..<n { d += u[t + q * n] * v[t] }
                for t in 0..<n { v[t] -= d * u[t + q * n] }
            }
        }
        let norm = scaledNorm(v)
        for t in 0..<n { u[t + col * n] = v[t] / norm }
        accepted.append(col)
    }
}

// MARK: - Jacobi pair kernel (level-1 kernels are in SwiftVectorKernels.swift)



/// `(|x|², |y|², x·y)` in one pass.
@inline(__always)
private func svdGramPair(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int)
    -> (Double, Double, Double) {
    let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
    var xx = SIMD4<Double>(), yy = SIMD4<Double>(), xy = SIMD4<Double>()
    var i = 0
    while i + 4 <= n {
        let a = rx.loadUnaligned(fromByteOffset: 8 * i, as: SIMD4<Double>.self)
        let b = ry.loadUnaligned(fromByteOffset: 8 * i, as: SIMD4<Double>.self)
        xx += a * a
        yy += b * b
        xy += a * b
        i += 4
    }
    var sxx = xx.sum(), syy = yy.sum(), sxy = xy.sum()
    while i < n {
        sxx += x[i] * x[i]
        syy += y[i] * y[i]
        sxy += x[i] * y[i]
        i += 1
    }
    return (sxx, syy, sxy)
}

