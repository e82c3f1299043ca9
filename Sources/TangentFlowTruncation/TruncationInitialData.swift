import Foundation
import TangentFlow

/// Initial networks for the two situations of §8 and §9 of file 003, whose explicit construction the paper leaves
/// to its reference [3] (Chen & Muñoz Ewald, arXiv 2309.10639). The constructions here are this package's own;
/// each result is checked against the defining property before it is returned, so a data set that does not admit
/// one is refused with the cluster and layer that fail.
///
/// - Collapsed (8.1): `𝒯^{(Q)}(x_{ℓ,i}) = −β^{(ℓ)}` — layer `ℓ` fully truncates cluster `ℓ` (`x ∈ S^−_ℓ`) and acts
///   as the identity on every other cluster and on the points `−β^{(j)}` of the clusters already collapsed.
/// - Positive sector (9.1–9.2): `x_{ℓ,i} ∈ S^+_{ℓ'}` for all `ℓ, ℓ'`, so `𝒯^{(Q)}(x) = x` on the data.
public enum TruncationInitialData {
    /// Layer `ℓ` pairs with cluster `ℓ`. For each `ℓ` in turn: the directions `v_k` from the mean of cluster `ℓ` to
    /// the other clusters (their means if not yet collapsed, else their points `−β^{(j)}`) are rotated by the
    /// orthogonal Procrustes solution `R_ℓ = UVᵀ` of `Σ_k t_k v_kᵀ = UΣVᵀ` onto the targets
    /// `t_k ∝ (1 + √(1+Q))e_k + (1, …, 1)` (unit vectors inside the positive orthant, pairwise at 60°; for `Q = 2` the
    /// orthant's axis `(1, 1)/√2`), and the
    /// orthant's corner is placed just above cluster `ℓ`: `R_ℓ(−β^{(ℓ)}) = max_i R_ℓx_{ℓ,i} + margin` (entrywise).
    /// Then `R_ℓ(x + β^{(ℓ)}) ≤ −margin` on cluster `ℓ`, and the construction is accepted only if
    /// `R_ℓ(z + β^{(ℓ)}) ≥ margin` for every other input `z` of layer `ℓ`.
    ///
    /// Postconditions: `W^{(ℓ)} = R_ℓ ∈ O(Q)` (adapted, (3.17)); `collapsedHolds(data:network:margin:)`.
    /// - Throws: `.invalidArgument` unless there are exactly `Q ≥ 2` clusters (as in (8.3)), for a non-positive margin, or data
    ///   whose geometry admits no such layer (naming the cluster).
    public static func collapsed(data: ClusteredTrainingData, margin: Double = 0.1, backend: KernelBackend = .c) throws -> TruncationNetwork {
        let op = "TruncationInitialData.collapsed"
        let q = data.width, k = data.clusters.count
        guard k == q, q >= 2 else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "(8.1)–(8.3) pair layer ℓ with cluster ℓ, ℓ = 1…Q: need Q = \(q) ≥ 2 clusters in R^\(q), got \(k)")
        }
        guard margin > 0, margin.isFinite else { throw TangentFlowError.invalidArgument(operation: op, reason: "margin must be positive, got \(margin)") }
        let means = data.clusters.map(Self.mean)
        // One other cluster (Q = 2): the orthant's axis; more: unit vectors inside the orthant, pairwise at 60°.
        let a = q == 2 ? 0 : 1 + (1 + Double(q)).squareRoot()
        var rotations: [Matrix] = [], shifts: [[Double]] = [], collapsedPoints: [[Double]] = []
        for l in 0..<k {
            let others = (0..<k).filter { $0 != l }.map { $0 < l ? collapsedPoints[$0] : means[$0] }
            var m = Matrix(zerosRows: q, cols: q)
            for (idx, z) in others.enumerated() {
                let v = unit((0..<q).map { z[$0] - means[l][$0] })
                let t = unit((0..<q).map { ($0 == idx ? a : 0) + 1 })
                for c in 0..<q { for r in 0..<q { m.elements[r + c * q] += t[r] * v[c] } }
            }
            let svd = try backend.kernels.svd(m)
            let r = TruncationAlgebra.multiply(svd.u, svd.vt)
            var corner = [Double](repeating: -Double.infinity, count: q)
            for i in 0..<data.clusters[l].rows {
                let u = TruncationAlgebra.apply(r, data.point(cluster: l, i))
                for c in 0..<q { corner[c] = Swift.max(corner[c], u[c] + margin) }
            }
            let beta = TruncationAlgebra.applyTransposed(r, corner.map { -$0 })
            // Every other input of layer ℓ: raw points of later clusters, collapse points of earlier ones.
            var inputs: [[Double]] = collapsedPoints
            for j in (l + 1)..<k { for i in 0..<data.clusters[j].rows { inputs.append(data.point(cluster: j, i)) } }
            for z in inputs {
                let u = TruncationAlgebra.apply(r, (0..<q).map { z[$0] + beta[$0] })
                guard u.allSatisfy({ $0 >= margin }) else {
                    throw TangentFlowError.invalidArgument(
                        operation: op,
                        reason: "no layer \(l + 1) found that collapses cluster \(l + 1) and leaves the other clusters untruncated (8.1): "
                            + "the others are not inside one orthant seen from cluster \(l + 1) (spread the clusters apart or shrink them)")
                }
            }
            rotations.append(r)
            shifts.append(beta)
            collapsedPoints.append(beta.map { -$0 })
        }
        return try TruncationNetwork.adapted(rotations: rotations, shifts: shifts)
    }

    /// A cluster-separated start for the effective flow (Thm 3.2): the rotations of `collapsed(data:margin:)`, with
    /// each orthant's corner moved to the cluster's mean, `R_ℓ(−β^{(ℓ)}) = R_ℓ mean_i x_{ℓ,i} + depth·(1, …, 1)`, so
    /// that layer `ℓ` partially truncates cluster `ℓ` in every coordinate direction ((4.10) for `depth` small).
    /// Separation (Def. 3.1) is not guaranteed: check `ClusterSeparatedFlow.clusterSeparationHolds`.
    /// - Throws: as `collapsed(data:margin:backend:)`.
    public static func partiallyTruncated(data: ClusteredTrainingData, margin: Double = 0.1, depth: Double = 0,
                                          backend: KernelBackend = .c) throws -> TruncationNetwork {
        let base = try collapsed(data: data, margin: margin, backend: backend)
        let shifts = (0..<base.layerCount).map { l -> [Double] in
            let corner = TruncationAlgebra.apply(base.weights[l], mean(data.clusters[l])).map { $0 + depth }
            return TruncationAlgebra.applyTransposed(base.weights[l], corner.map { -$0 })
        }
        return try TruncationNetwork.adapted(rotations: base.weights, shifts: shifts)
    }

    /// (9.1–9.2): `R_ℓ` as given (`nil`: the identity for every layer), and `β^{(ℓ)}` such that
    /// `R_ℓ(x + β^{(ℓ)}) ≥ margin` entrywise for every data point: `R_ℓβ^{(ℓ)} = margin − min_i R_ℓx_i` (entrywise).
    ///
    /// Postconditions: `positiveSectorHolds(data:network:margin:)`; `L = rotations.count` (default `Q`).
    /// - Throws: `.invalidArgument` for a non-positive margin or a rotation that is not orthogonal;
    ///   `.shapeMismatch` for rotations not `Q×Q`.
    public static func positiveSector(data: ClusteredTrainingData, rotations: [Matrix]? = nil, margin: Double = 0.1) throws -> TruncationNetwork {
        let op = "TruncationInitialData.positiveSector"
        guard margin > 0, margin.isFinite else { throw TangentFlowError.invalidArgument(operation: op, reason: "margin must be positive, got \(margin)") }
        let q = data.width
        let rs = try rotations ?? (0..<q).map { _ in try Matrix.identity(q) }
        guard !rs.isEmpty else { throw TangentFlowError.emptyInput(operation: op, argument: "rotations") }
        var shifts: [[Double]] = []
        for r in rs {
            try r.requireShape(q, q, op, "R")
            var low = [Double](repeating: Double.infinity, count: q)
            for cluster in data.clusters {
                for i in 0..<cluster.rows {
                    let u = TruncationAlgebra.apply(r, cluster.row(i))
                    for c in 0..<q { low[c] = Swift.min(low[c], u[c]) }
                }
            }
            shifts.append(TruncationAlgebra.applyTransposed(r, low.map { margin - $0 }))
        }
        return try TruncationNetwork.adapted(rotations: rs, shifts: shifts)
    }

    /// (8.1) with margin: for every point of cluster `j`, along the chain, the pre-activation of layer `j` is
    /// `≤ −margin` entrywise and that of every other layer `≥ margin` (so small parameter changes keep it).
    /// Needs `L` = number of clusters.
    public static func collapsedHolds(data: ClusteredTrainingData, network net: TruncationNetwork, margin: Double = 0) -> Bool {
        guard net.layerCount == data.clusters.count, net.width == data.width else { return false }
        for (j, cluster) in data.clusters.enumerated() {
            for i in 0..<cluster.rows {
                let tape = TruncationTape(net, cluster.row(i))
                for k in 0..<net.layerCount {
                    let ok = k == j ? tape.preactivations[k].allSatisfy { $0 <= -margin } : tape.preactivations[k].allSatisfy { $0 >= margin && $0 > 0 }
                    if !ok { return false }
                }
            }
        }
        return true
    }

    /// (9.2) with margin: every pre-activation of every data point at every layer is `≥ margin` and `> 0`.
    public static func positiveSectorHolds(data: ClusteredTrainingData, network net: TruncationNetwork, margin: Double = 0) -> Bool {
        guard net.width == data.width else { return false }
        for cluster in data.clusters {
            for i in 0..<cluster.rows {
                let tape = TruncationTape(net, cluster.row(i))
                if tape.preactivations.contains(where: { $0.contains { !($0 >= margin && $0 > 0) } }) { return false }
            }
        }
        return true
    }

    /// Built-in data for the constructions: `clusters` Gaussian clusters of `perCluster` points in `R^Q` with
    /// standard deviation `spread` around the centres `3e_ℓ` (vertices of a simplex, so every cluster sees the
    /// others inside one orthant), labels `y_ℓ = e_ℓ + 0.5·(1, …, 1)`.
    /// - Throws: `.invalidArgument` unless `1 ≤ clusters ≤ Q`, `perCluster ≥ 1`, `spread ≥ 0`.
    public static func simplexClusters(width q: Int, clusters k: Int, perCluster n: Int, spread: Double, seed: UInt64) throws -> ClusteredTrainingData {
        guard q >= 1, k >= 1, k <= q, n >= 1, spread >= 0, spread.isFinite else {
            throw TangentFlowError.invalidArgument(operation: "TruncationInitialData.simplexClusters",
                                                   reason: "need 1 ≤ clusters ≤ width, points ≥ 1, spread ≥ 0; got \(k), \(q), \(n), \(spread)")
        }
        var rng = SeededGenerator(seed: seed)
        let clusters = try (0..<k).map { l in
            try Matrix(rows: n, cols: q, rowMajor: (0..<(n * q)).map { idx in (idx % q == l ? 3 : 0) + spread * rng.nextGaussian() })
        }
        let labels = (0..<k).map { l in (0..<q).map { ($0 == l ? 1 : 0) + 0.5 } }
        return try ClusteredTrainingData(clusters: clusters, labels: labels)
    }

    static func mean(_ m: Matrix) -> [Double] {
        (0..<m.cols).map { c in (0..<m.rows).reduce(0) { $0 + m[$1, c] } / Double(m.rows) }
    }

    static func unit(_ v: [Double]) -> [Double] {
        let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return n > 0 ? v.map { $0 / n } : v
    }
}
