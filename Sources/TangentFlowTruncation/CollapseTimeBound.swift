import Foundation
import TangentFlow

/// The bound (4.30) of Prop. 4.2 in file 003 on the time `s₁` at which a cluster is fully truncated:
///
/// ```
/// s₁ ≤ (1/(1 − η₀ − η₁')) log(1/γ),   η₁' = 1.1|β^{(ℓ)}(0) + ỹ_ℓ| η₁                      (4.30, 4.13)
/// ```
///
/// where `J₀^⊥ > 1 − η₀` (4.14), the off-diagonal first moment is `< η₁` (4.15), and every `β` with
/// `|β + ỹ_ℓ| < γ|β^{(ℓ)}(0) + ỹ_ℓ|` puts the whole cluster in `R^Q_−` (4.16–4.17). The proof's decay (4.27) uses
/// `J₀^⊥ − Ω > 1 − η₀ − η₁'`, which is why `η₁'` (not `η₁`) enters. (`η₂` is defined differently in (4.13) and
/// (4.32); it does not enter the bound.)
public enum CollapseTimeBound {
    /// The largest `γ` of (4.16–4.17) at rotation `R`: `R(x + β) = R(x − ỹ) + R(β + ỹ) ≤ 0` for every point and every
    /// `|β + ỹ| ≤ ρ` iff `ρ ≤ min_{i,r} −(R(x_i − ỹ))_r`, so `γ = min_{i,r} −(R(x_i − ỹ))_r / |β(0) + ỹ|`
    /// (`≤ 0`: no such `γ`, the cluster never fits in `R^Q_−` near `β = −ỹ`).
    /// - Throws: `.shapeMismatch`/`.nonFinite` for bad shapes; `.invalidArgument` for `initialResidual ≤ 0`.
    public static func gamma(cluster: Matrix, rotation r: Matrix, label yt: [Double], initialResidual: Double) throws -> Double {
        let op = "CollapseTimeBound.gamma"
        let q = cluster.cols
        try cluster.requireNonEmpty(op, "cluster")
        try r.requireShape(q, q, op, "R")
        try requireVector(yt, length: q, op, "ỹ")
        guard initialResidual > 0, initialResidual.isFinite else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "need |β(0) + ỹ| > 0, got \(initialResidual)")
        }
        var m = Double.infinity
        for i in 0..<cluster.rows {
            let x = cluster.row(i)
            let u = TruncationAlgebra.apply(r, (0..<q).map { x[$0] - yt[$0] })
            for v in u { m = Swift.min(m, -v) }
        }
        return m / initialResidual
    }

    /// `(1/(1 − η₀ − η₁')) log(1/γ)` (4.30), or `nil` when the hypotheses fail (`γ ∉ (0, 1)` or `η₀ + η₁' ≥ 1`).
    public static func bound(eta0: Double, eta1Prime: Double, gamma: Double) -> Double? {
        let rate = 1 - eta0 - eta1Prime
        guard gamma > 0, gamma < 1, rate > 0, eta0 >= 0, eta1Prime >= 0 else { return nil }
        return log(1 / gamma) / rate
    }
}
