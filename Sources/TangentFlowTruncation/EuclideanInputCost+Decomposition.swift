// The cost decomposition (3.6)/(3.7) of file 003 for cluster-separated truncations.

import TangentFlow

extension EuclideanInputCost {
    /// One cluster's share of (3.7): the spread of its truncated points about their mean and the distance of that
    /// mean (3.8) from the pulled-back label.
    public struct ClusterTerms: Sendable {
        /// `½ (1/N_ℓ) Tr|Δτ^{(ℓ)}(X_ℓ)|²`.
        public let spread: Double
        /// `½ |mean_i τ^{(ℓ)}(x_{ℓ,i}) − ỹ_ℓ|²`.
        public let meanOffset: Double
    }

    /// The terms of (3.6)–(3.7) with layer `ℓ` paired with cluster `ℓ`: under cluster-separated truncations
    /// (Def. 3.1, (3.5): `𝒯^{(L)}(X_ℓ) = τ^{(ℓ)}(X_ℓ)`)
    ///
    /// ```
    /// C = ½ Σ_ℓ (1/N_ℓ) Σ_i |τ^{(ℓ)}(x_{ℓ,i}) − ỹ_ℓ|²                                         (3.6)
    ///   = ½ Σ_ℓ (1/N_ℓ) Tr|Δτ^{(ℓ)}(X_ℓ)|² + ½ Σ_ℓ |mean τ^{(ℓ)}(X_ℓ) − ỹ_ℓ|²                  (3.7)
    /// ```
    ///
    /// (the printed (3.7) sums the second term over `j` with summand in `ℓ`: one index). Only `τ^{(ℓ)}` acts on
    /// cluster `ℓ` here, so the sum equals `value(p)` exactly when separation holds, and in general does not (tested).
    /// - Throws: `.shapeMismatch` unless `p` has one layer per cluster of the data's width; as `value`.
    public func clusterDecomposition(_ p: AdaptedParameters) throws -> [ClusterTerms] {
        let op = "EuclideanInputCost.clusterDecomposition"
        guard p.layerCount == data.clusters.count, p.width == data.width else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(data.clusters.count) layers (one per cluster) of width \(data.width)",
                                                 got: "\(p.layerCount) layers of width \(p.width)")
        }
        let net = try p.networkUnchecked()
        let q = data.width
        return try data.clusters.enumerated().map { l, cluster in
            let images = try (0..<cluster.rows).map { try net.truncate(cluster.row($0), layer: l + 1) }
            let n = Double(cluster.rows)
            let mean = (0..<q).map { r in images.reduce(0) { $0 + $1[r] } / n }
            var spread = 0.0
            for t in images { for r in 0..<q { spread += (t[r] - mean[r]) * (t[r] - mean[r]) } }
            var off = 0.0
            for r in 0..<q { off += (mean[r] - pulledBackLabels[l][r]) * (mean[r] - pulledBackLabels[l][r]) }
            return ClusterTerms(spread: 0.5 * spread / n, meanOffset: 0.5 * off)
        }
    }
}
