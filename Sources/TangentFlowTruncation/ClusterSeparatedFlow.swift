import TangentFlow

/// The effective gradient flow for cluster-separated truncations (Thm 3.2, Cor. 3.5 in file 003), on adapted
/// parameters `(β^{(ℓ)}, R_ℓ)` with layer `ℓ` paired with cluster `ℓ` (so `L` = number of clusters):
///
/// ```
/// ∂_sβ^{(ℓ)} = −R_ℓᵀ J₀^{(ℓ)⊥} R_ℓ (β^{(ℓ)} + ỹ_ℓ)      (3.36)
/// ∂_sR_ℓ = Ω_ℓ R_ℓ,  Ω_ℓ := −π₋((∂_{R_ℓ}C)R_ℓᵀ)         (3.21–3.22; Ω from ClusterMoments.omega, corrected)
/// ```
///
/// **Sign:** (3.22) defines `Ω` as *minus* the antisymmetric part, so (3.21) `R' = ΩR` is descent; the printed
/// (1.14)/(4.1) `R' = −ΩR` would be ascent. Along this field `dC/ds = −Σ_ℓ(|∂_sβ^{(ℓ)}|² + ‖Ω_ℓ‖²_F)` (3.24–3.26).
///
/// Equilibria (Prop. 4.1): a cluster entirely in `S^+_ℓ` is at rest; a cluster entirely in `S^−_ℓ` has `Ω_ℓ = 0`
/// but `∂_sβ^{(ℓ)} = −(β^{(ℓ)} + ỹ_ℓ)`, so it is at rest only at `β^{(ℓ)} = −ỹ_ℓ` (the printed proof drops this
/// term; the true gradient of `½|−β − ỹ|²` keeps it). Tested.
///
/// The effective equations equal the true gradient flow of `EuclideanInputCost` exactly while truncations are
/// cluster separated (Def. 3.1; `clusterSeparationHolds`); outside that regime use `GeneralTruncationFlow`.
/// The state is `AdaptedParameters.packed`; integrate it with `CayleyStepper` to keep `R_ℓ` on `O(Q)`.
public struct ClusterSeparatedFlow: VectorField {
    /// The cost whose gradient flow this is.
    public let cost: EuclideanInputCost

    /// The effective flow of `cost`.
    public init(cost: EuclideanInputCost) { self.cost = cost }

    /// The number of layers (= clusters).
    public var layerCount: Int { cost.data.clusters.count }

    /// `(∂_sβ^{(ℓ)}, Ω_ℓ)` for every layer.
    /// - Throws: `.shapeMismatch` unless `p` has one layer per cluster and the data's width.
    public func effectiveVelocity(_ p: AdaptedParameters) throws -> (shifts: [[Double]], omegas: [Matrix]) {
        try requireShape(p, "ClusterSeparatedFlow")
        var db: [[Double]] = [], om: [Matrix] = []
        for l in 0..<layerCount {
            let r = p.rotations[l], beta = p.shifts[l], yt = cost.pulledBackLabels[l]
            let m = try ClusterMoments(points: cost.data.clusters[l], rotation: r, shift: beta)
            let c = TruncationAlgebra.apply(r, (0..<p.width).map { beta[$0] + yt[$0] })
            let jc = (0..<p.width).map { -m.truncatedFractions[$0] * c[$0] }
            db.append(TruncationAlgebra.applyTransposed(r, jc))
            om.append(m.omega(c))
        }
        return (db, om)
    }

    /// The packed velocity `(β', R' = ΩR)` per layer.
    public func velocity(at s: Double, _ y: [Double]) throws -> [Double] {
        let p = try AdaptedParameters(packed: y, width: cost.data.width, layers: layerCount)
        let v = try effectiveVelocity(p)
        var out: [Double] = []
        for l in 0..<layerCount { out += v.shifts[l] + TruncationAlgebra.multiply(v.omegas[l], p.rotations[l]).elements }
        return out
    }

    /// Def. 3.1 along the chain: for every cluster `j` and layer `ℓ ≠ j`, the input of `τ^{(ℓ)}` (the image of
    /// `x_{j,i}` under the earlier maps) lies strictly inside `S^+_ℓ`, so `τ^{(ℓ)}` acts as the identity there and
    /// (3.4–3.5) hold.
    /// - Throws: as `effectiveVelocity`.
    public func clusterSeparationHolds(_ p: AdaptedParameters) throws -> Bool {
        try requireShape(p, "ClusterSeparatedFlow.clusterSeparationHolds")
        let net = try p.networkUnchecked()
        for (j, cluster) in cost.data.clusters.enumerated() {
            for i in 0..<cluster.rows {
                let tape = TruncationTape(net, cluster.row(i))
                for k in 0..<layerCount where k != j {
                    if tape.preactivations[k].contains(where: { $0 <= 0 }) { return false }
                }
            }
        }
        return true
    }

    func requireShape(_ p: AdaptedParameters, _ op: String) throws {
        guard p.layerCount == layerCount, p.width == cost.data.width else {
            throw TangentFlowError.shapeMismatch(
                operation: op, expected: "\(layerCount) layers (one per cluster) of width \(cost.data.width)",
                got: "\(p.layerCount) layers of width \(p.width)")
        }
        try p.requireOrthogonal()
    }
}
