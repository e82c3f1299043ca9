/// `D⁺r` and `P_ran(D) r` for the Jacobian `D ∈ R^{QN×K}` of an `NTKOperator`, never forming `D` nor `G = DDᵀ`
/// (Appendix A of 2408.01517; MATH.md §2): LSMR (Fong & Saunders, arXiv 1006.0758) on `D θ = r` started at 0,
/// whose limit is the minimum-norm least-squares solution `D⁺r` with or without full rank, `D` applied by the
/// operator's pushforward and `Dᵀ` by its pullback. Unlike the Gram route it never squares the condition number.
///
/// Stopping rule (`LSMR.solve`): `‖Dᵀ(r − Dθ)‖ ≤ atol·‖D‖‖r − Dθ‖` (least squares) or `‖r − Dθ‖ ≤ btol‖r‖ +
/// atol‖D‖‖θ‖` (consistent) or `cond(D)` estimate `≥ conlim`, with the defaults tied to the dense cut-off
/// `tol_D = max(QN, K)·ε·σ_max`: `atol = btol = max(QN, K)·ε` (the normal residual the truncated SVD solution
/// itself leaves) and `conlim = 1/(max(QN, K)·ε) = σ_max/tol_D`. Singular values far below `atol·σ_max` are
/// resolved only slowly or not at all, which is the iterative counterpart of cutting them off.
public enum MatrixFreePseudoinverse {
    /// `D⁺r` by LSMR on the operator's Jacobian.
    /// - Throws: `.didNotConverge` (residual: `‖Dᵀr_k‖/(‖D‖‖r_k‖)`, target: `atol`) when the cap is reached first;
    ///   `.shapeMismatch` unless `r` has `QN` entries; `.nonFinite`; `.invalidArgument` for bad options; operator errors.
    public static func solve(_ op: any NTKOperator, _ r: [Double], options: LSMROptions = LSMROptions()) throws -> LSMRResult {
        let qn = op.order, k = op.parameterCount
        guard r.count == qn else {
            throw TangentFlowError.shapeMismatch(operation: "MatrixFreePseudoinverse", expected: "r of length QN = \(qn)", got: "\(r.count)")
        }
        let res = try LSMR.solve(
            rows: qn, cols: k, r, options: options,
            apply: { try op.pushforward(Matrix(uncheckedRows: k, cols: 1, elements: $0)).elements },
            adjoint: { try op.pullback(Matrix(uncheckedRows: qn, cols: 1, elements: $0)).elements })
        guard res.stop.converged else {
            let rNorm = scaledNorm(r)
            throw TangentFlowError.didNotConverge(
                operation: "D⁺r by LSMR (matrix-free route, QN = \(qn), K = \(k); ‖r − Dθ‖/‖r‖ = \(rNorm > 0 ? res.residualNorm / rNorm : 0))",
                iterations: res.iterations, residual: res.relativeNormalResidual, tolerance: options.resolved(rows: qn, cols: k).atol)
        }
        return res
    }

    /// `P_ran(D) r = D D⁺ r` (A.8), with `D⁺r` from `solve`; also returns the solve.
    /// - Throws: what `solve` throws.
    public static func projectOntoRange(_ op: any NTKOperator, _ r: [Double], options: LSMROptions = LSMROptions()) throws
        -> (projection: [Double], solve: LSMRResult)
    {
        let s = try solve(op, r, options: options)
        return (try op.pushforward(Matrix(uncheckedRows: op.parameterCount, cols: 1, elements: s.solution)).elements, s)
    }
}
