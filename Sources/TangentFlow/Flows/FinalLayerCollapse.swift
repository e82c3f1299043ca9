/// Final-layer collapse, §3.2 of 2408.01517: outputs grouped by class (3.8), class means and deviations
/// ```
/// x̄_j = (1/N_j) Σ_{i∈j} x_i                          (3.9)
/// Δx_{j,i} = x_i − x̄_j                               (3.10)
/// Σ_i |x_i − y_{j(i)}|² = Σ_j Σ_i |Δx_{j,i}|² + Σ_j N_j |x̄_j − y_j|²   (3.11, with the N_j MATH.md §3 restores)
/// ```
/// Corollary 3.2 (3.12)–(3.13): with `rank D = QN` the adapted flow gives `x̄_j → y_j` and `Δx_{j,i} → 0` as
/// `t → 1⁻`; along linear interpolation both shrink exactly like `(1 − t)` (`meanGap`, `largestDeviation`).
///
/// A class is the set of samples with the same target row (exact equality), in order of first appearance.
public struct FinalLayerCollapse: Sendable {
    /// Sample indices of each class.
    public let classes: [[Int]]
    /// `y_j`, the target of each class.
    public let classTargets: [[Double]]
    /// `x̄_j` (3.9).
    public let means: [[Double]]
    /// `|Δx_{j,i}|` (3.10), per sample (indexed like the samples).
    public let deviationNorms: [Double]
    /// `Σ_j Σ_i |Δx_{j,i}|²` and `Σ_j N_j |x̄_j − y_j|²`, the two sums of (3.11).
    public let withinSum: Double, meansSum: Double

    /// The split of sample-major `outputs` against `targets` (`N·Q` entries each).
    /// - Throws: `.shapeMismatch` unless both have `N·Q` entries with `N ≥ 1`; `.nonFinite`.
    public init(outputs x: [Double], targets y: [Double], outputDimension q: Int) throws {
        let op = "FinalLayerCollapse"
        guard q >= 1, x.count == y.count, x.count >= q, x.count % q == 0 else {
            throw TangentFlowError.shapeMismatch(
                operation: op, expected: "outputs and targets with the same N·Q entries (Q = \(q), N ≥ 1)",
                got: "\(x.count) and \(y.count)")
        }
        try requireFinite(x, op, "outputs")
        try requireFinite(y, op, "targets")
        let n = x.count / q
        var index: [[Double]: Int] = [:]
        var classes: [[Int]] = [], targets: [[Double]] = []
        for i in 0..<n {
            let key = Array(y[(i * q)..<((i + 1) * q)])
            if let j = index[key] {
                classes[j].append(i)
            } else {
                index[key] = classes.count
                classes.append([i])
                targets.append(key)
            }
        }
        var means: [[Double]] = [], devs = [Double](repeating: 0, count: n)
        var within = 0.0, between = 0.0
        for (j, members) in classes.enumerated() {
            var mean = [Double](repeating: 0, count: q)
            for i in members { for k in 0..<q { mean[k] += x[i * q + k] } }
            mean = mean.map { $0 / Double(members.count) }
            for i in members {
                var d2 = 0.0
                for k in 0..<q { d2 += (x[i * q + k] - mean[k]) * (x[i * q + k] - mean[k]) }
                devs[i] = d2.squareRoot()
                within += d2
            }
            for k in 0..<q { between += Double(members.count) * (mean[k] - targets[j][k]) * (mean[k] - targets[j][k]) }
            means.append(mean)
        }
        self.classes = classes
        classTargets = targets
        self.means = means
        deviationNorms = devs
        withinSum = within
        meansSum = between
    }

    /// `max_j |x̄_j − y_j|` — tends to 0 by (3.12).
    public var meanGap: Double {
        zip(means, classTargets).map { m, y in norm2((0..<m.count).map { m[$0] - y[$0] }) }.max() ?? 0
    }

    /// `max_{j,i} |Δx_{j,i}|` — tends to 0 by (3.13).
    public var largestDeviation: Double { deviationNorms.max() ?? 0 }
}
