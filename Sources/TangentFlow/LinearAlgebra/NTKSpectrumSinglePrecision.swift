/// The arithmetic of the products `G v` inside the Lanczos iteration of `ntkSpectrum` (`--precision`).
public enum NTKProductPrecision: String, CaseIterable, Sendable {
    /// Double precision throughout (the default): residuals down to about `1e-15·λ₁`.
    case double
    /// Products in single precision (sgemm over float copies of the record: about twice as fast, a relative error
    /// of about `1e-7` per product), the Lanczos vectors in double. The pairs found are then refined by one
    /// Rayleigh–Ritz step with double products and their residuals judged with those (see
    /// `NTKSinglePrecisionCheck`): eigenvalues come out to about `(residual)²/gap`, residuals to about `1e-7·λ₁`.
    /// Largest end only, tolerance at least `minimumTolerance`. The residual floor is absolute (about `1e-7·λ₁`,
    /// whatever `λ_j`), while the test is relative to `λ_j`: on 300 random MLPs at tolerance `1e-6` every run whose
    /// `λ_k ≥ 0.019·λ₁` converged and 41 runs with smaller `λ_k` did not (double converged on all 300;
    /// `scripts/check_ntk_spectrum.py --precision single`).
    case single

    /// The smallest `--tol` single-precision products resolve: ten times their measured relative error (`1e-7`).
    public static let minimumTolerance = 1e-6
}

/// The double-precision check of pairs found with single-precision products (the largest end of `ntkSpectrum`).
///
/// With `V` the `QN × k` Lanczos vectors and `GV` their products in double: `B = Vᵀ(GV)` (symmetrised),
/// `B = Y diag(θ) Yᵀ` (descending), and the Ritz pairs `(θ_j, V y_j)` with residuals `‖GV y_j − θ_j V y_j‖₂`. For an
/// orthonormal `V` this is the best approximation of the `k` top eigenpairs from `span V` (Parlett, *The Symmetric
/// Eigenvalue Problem*, §11.4): the eigenvalue errors of the single-precision solve, first order in the product
/// error, become second order. A pair is accepted when its residual is at most `tolerance·|θ_j|` (ARPACK's test);
/// the pairs returned are the accepted leading ones.
enum NTKSinglePrecisionCheck {
    /// Refined pairs (descending values), their residuals, and whether all `values.count` input pairs passed.
    /// Memory: `GV`, `VY` and `GV·Y` (`3·QN·k` doubles) beside the input; `B`, `VY` and `GV·Y` by dgemm.
    static func refine(_ op: any NTKOperator, values: [Double], vectors vec: [Double], tolerance: Double) throws
        -> (values: [Double], vectors: [Double], residuals: [Double], allAccepted: Bool)
    {
        let n = op.order, k = values.count
        guard k > 0 else { return ([], [], [], true) }
        let blas = CBackend()
        let v = Matrix(uncheckedRows: n, cols: k, elements: vec)
        let gv = try op.apply(v)
        let vgv = try blas.multiply(v, transposeA: true, gv, transposeB: false)
        var b = [Double](repeating: 0, count: k * k)
        for i in 0..<k {
            for j in 0..<k { b[j * k + i] = (vgv[i, j] + vgv[j, i]) / 2 }
        }
        let eig = try SwiftBackend().symmetricEigen(Matrix(uncheckedRows: k, cols: k, elements: b))
        // Columns of Y in descending order of θ.
        var y = [Double](repeating: 0, count: k * k)
        for c in 0..<k {
            let j = k - 1 - c
            for r in 0..<k { y[c * k + r] = eig.vectors.elements[j * k + r] }
        }
        let ym = Matrix(uncheckedRows: k, cols: k, elements: y)
        let x = try blas.multiply(v, transposeA: false, ym, transposeB: false).elements
        let gx = try blas.multiply(gv, transposeA: false, ym, transposeB: false).elements
        var outValues = [Double](), residuals = [Double]()
        var accepted = true
        for c in 0..<k {
            let theta = eig.values[k - 1 - c]
            var s = 0.0
            for r in 0..<n {
                let d = gx[c * n + r] - theta * x[c * n + r]
                s += d * d
            }
            let residual = s.squareRoot()
            guard residual <= tolerance * abs(theta) else {
                accepted = false
                break
            }
            outValues.append(theta)
            residuals.append(residual)
        }
        return (outValues, Array(x[0..<(outValues.count * n)]), residuals, accepted)
    }
}
