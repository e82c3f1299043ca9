import TangentFlow

/// Labelled clusters of training inputs in `R^Q` (§2 of Chen, *Effective gradient flow equations and dynamical
/// truncation of training data*, file 003): cluster `j` holds the inputs `x_{j,1} … x_{j,N_j}` of label `y_j`.
///
/// Storage follows the package: one sample per **row**, so cluster `j` is an `N_j×Q` matrix (the paper's
/// `X_j ∈ R^{Q×N_j}` (3.1) is its transpose). The empirical measure of cluster `j` is `μ_j` (1.12/3.14).
///
/// Postconditions: at least one cluster, every cluster non-empty with `Q` columns, one label of length `Q` per
/// cluster, all entries finite.
public struct ClusteredTrainingData: Sendable {
    /// The width `Q` (input, hidden and output dimension).
    public let width: Int
    /// Cluster `j` as an `N_j×Q` matrix, one sample per row.
    public let clusters: [Matrix]
    /// The label `y_j ∈ R^Q` of cluster `j`.
    public let labels: [[Double]]

    /// Clusters and their labels.
    /// - Throws: `.emptyInput` for no cluster or an empty one, `.shapeMismatch` when widths or label lengths
    ///   differ or the counts of clusters and labels differ, `.nonFinite` for NaN/∞.
    public init(clusters: [Matrix], labels: [[Double]]) throws {
        let op = "ClusteredTrainingData"
        guard let first = clusters.first else { throw TangentFlowError.emptyInput(operation: op, argument: "clusters") }
        guard labels.count == clusters.count else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(clusters.count) labels (one per cluster)", got: "\(labels.count)")
        }
        let q = first.cols
        for (j, c) in clusters.enumerated() {
            try c.requireNonEmpty(op, "cluster \(j)")
            guard c.cols == q else {
                throw TangentFlowError.shapeMismatch(operation: op, expected: "cluster \(j) with \(q) columns (N_j×Q)", got: c.shapeString)
            }
            try c.requireFinite(op, "cluster \(j)")
        }
        for (j, y) in labels.enumerated() {
            try requireVector(y, length: q, op, "label \(j)")
        }
        self.width = q
        self.clusters = clusters
        self.labels = labels
    }

    /// `N_j`, the size of each cluster.
    public var counts: [Int] { clusters.map(\.rows) }

    /// `N = Σ_j N_j`.
    public var totalCount: Int { counts.reduce(0, +) }

    /// The input `x_{j,i}` (0-based `j`, `i`).
    public func point(cluster j: Int, _ i: Int) -> [Double] { clusters[j].row(i) }
}
