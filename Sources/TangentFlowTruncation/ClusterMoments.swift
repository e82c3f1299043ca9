import TangentFlow

/// The moments of one cluster's pushed-forward measure `μ_ℓ∘a⁻¹_{R_ℓ,β^{(ℓ)}}` that drive the cluster-separated
/// flow (Def. 3.4 in file 003): the points `u_i = R_ℓ(x_{ℓ,i} + β^{(ℓ)})` (3.18), grouped by sector `R^Q_ν` (3.28).
///
/// ```
/// J₀^⊥ = diag(n_r/N_ℓ),  n_r = #{i : (u_i)_r ≤ 0}                                    (3.39–3.40)
/// J_{1,ν} = (1/N_ℓ) Σ_{u_i ∈ R^Q_ν} u_i,   J_{2,ν} = (1/N_ℓ) Σ_{u_i ∈ R^Q_ν} u_i u_iᵀ     (3.31; second moments: MATH.md §5)
/// ```
public struct ClusterMoments: Sendable {
    /// The moments of one sector `R^Q_ν`.
    public struct Sector: Sendable {
        /// `ν`: `true` where the coordinate is `> 0`.
        public let pattern: [Bool]
        /// `∫_{R^Q_ν} dμ` (fraction of the cluster in the sector).
        public var mass: Double
        /// `J_{1,ν}`.
        public var first: [Double]
        /// `J_{2,ν}`.
        public var second: Matrix
    }

    /// The diagonal of `J₀^⊥` (3.39): the fraction of the cluster truncated in each coordinate direction.
    public let truncatedFractions: [Double]
    /// Non-empty sectors, in order of first appearance.
    public let sectors: [Sector]

    /// The moments of the cluster `points` (`N×Q`, one sample per row) under `a(x) = R(x + β)`.
    /// - Throws: `.shapeMismatch` when shapes differ, `.emptyInput` for no points, `.nonFinite` for NaN/∞.
    public init(points: Matrix, rotation r: Matrix, shift beta: [Double]) throws {
        let op = "ClusterMoments"
        try points.requireNonEmpty(op, "points")
        let q = points.cols
        try r.requireShape(q, q, op, "R")
        try points.requireFinite(op, "points")
        try r.requireFinite(op, "R")
        try requireVector(beta, length: q, op, "β")
        let n = points.rows, w = 1 / Double(points.rows)
        var counts = [Double](repeating: 0, count: q)
        var index: [[Bool]: Int] = [:]
        var sectors: [Sector] = []
        for i in 0..<n {
            let x = points.row(i)
            let u = TruncationAlgebra.apply(r, (0..<q).map { x[$0] + beta[$0] })
            let nu = u.map { $0 > 0 }
            for c in 0..<q where !nu[c] { counts[c] += 1 }
            let k: Int
            if let found = index[nu] {
                k = found
            } else {
                k = sectors.count
                index[nu] = k
                sectors.append(Sector(pattern: nu, mass: 0, first: [Double](repeating: 0, count: q), second: Matrix(zerosRows: q, cols: q)))
            }
            sectors[k].mass += w
            for a in 0..<q {
                sectors[k].first[a] += w * u[a]
                for b in 0..<q { sectors[k].second.elements[a + b * q] += w * u[a] * u[b] }
            }
        }
        self.truncatedFractions = counts.map { $0 / Double(n) }
        self.sectors = sectors
    }

    /// The corrected `Ω_ℓ` of Thm 3.2 / Cor. 3.5 from the moments, with `c = R_ℓ(β^{(ℓ)} + ỹ_ℓ)`:
    ///
    /// ```
    /// [Ω]_ab = ½ Σ_ν (ν_a − ν_b) ((J_{1,ν})_a c_b + c_a (J_{1,ν})_b − (J_{2,ν})_ab)
    /// ```
    ///
    /// i.e. `Ω = ∫dμ∘a⁻¹ [H(u), M(u) − ½uuᵀ]`. **The printed (1.17)/(3.22)/(3.38) are wrong**: (6.16) carries
    /// `Hzzᵀ`, not `HzzᵀH`, whose antisymmetric part `½[H, uuᵀ]` survives (so second moments enter), and (3.38) is
    /// off by a factor 2 (MATH.md §5). This is `−π₋((∂_RC)Rᵀ)`, checked against finite differences of the cost.
    public func omega(_ c: [Double]) -> Matrix {
        let q = truncatedFractions.count
        var o = Matrix(zerosRows: q, cols: q)
        for s in sectors {
            for b in 0..<q {
                for a in 0..<q {
                    let dn = (s.pattern[a] ? 1.0 : 0.0) - (s.pattern[b] ? 1.0 : 0.0)
                    if dn == 0 { continue }
                    o.elements[a + b * q] += 0.5 * dn * (s.first[a] * c[b] + c[a] * s.first[b] - s.second.elements[a + b * q])
                }
            }
        }
        return o
    }
}
