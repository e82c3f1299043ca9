/// The arithmetic of the products `G v` inside the Lanczos iteration of `ntkSpectrum` (`--precision`).
public enum NTKProductPrecision: String, CaseIterable, Sendable {
    /// Double precision throughout (the default): residuals down to about `1e-15·λ₁`.
    case double
    /// Products in single precision (sgemm over float copies of the record: about twice as fast, a relative error
    /// of about `1e-7` per product), the Lanczos vectors in double. The pairs found are then refined by one
    /// Rayleigh–Ritz step with double products and their residuals judged with those (see
    /// `NTKSinglePrecisionCheck`): eigenvalues come out to about `(residual)²/gap`, residuals to about `1e-7·λ₁`.
    /// Largest end only, tolerance at least `minimumTolerance`.
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
    static func refine(_ op: any NTKOperator, values: [Double], vectors vec: [Double], tolerance: Double) throws
        -> (values: [Double], vectors: [Double], residuals: [Double], allAccepted: Bool)
    {
        let n = op.order, k = values.count
        guard k > 0 else { return ([], [], [], true) }
        let v = Matrix(uncheckedRows: n, cols: k, elements: vec)
        let gv = try op.apply(v).elements
        var b = [Double](repeating: 0, count: k * k)
        for i in 0..<k {
            for j in i..<k {
                var s = 0.0, t = 0.0
                for r in 0..<n {
                    s += vec[i * n + r] * gv[j * n + r]
                    t += vec[j * n + r] * gv[i * n + r]
                }
                b[j * k + i] = (s + t) / 2
                b[i * k + j] = (s + t) / 2
            }
        }
        let eig = try SwiftBackend().symmetricEigen(Matrix(uncheckedRows: k, cols: k, elements: b))
        let order = Array((0..<k).reversed())  // descending
        var outValues = [Double](), outVectors = [Double](), residuals = [Double]()
        outVectors.reserveCapacity(n * k)
        var accepted = true
        for j in order {
            let theta = eig.values[j]
            let y = Array(eig.vectors.elements[(j * k)..<(j * k + k)])
            var x = [Double](repeating: 0, count: n), gx = [Double](repeating: 0, count: n)
            for c in 0..<k where y[c] != 0 {
                let w = y[c]
                for r in 0..<n {
                    x[r] += w * vec[c * n + r]
                    gx[r] += w * gv[c * n + r]
                }
            }
            var s = 0.0
            for r in 0..<n {
                let d = gx[r] - theta * x[r]
                s += d * d
            }
            let residual = s.squareRoot()
            guard accepted, residual <= tolerance * abs(theta) else {
                accepted = false
                continue
            }
            outValues.append(theta)
            outVectors += x
            residuals.append(residual)
        }
        return (outValues, outVectors, residuals, accepted)
    }
}
