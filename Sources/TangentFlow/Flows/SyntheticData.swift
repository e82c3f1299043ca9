/// Reproducible synthetic training sets for experiments, tests and the demo.
public enum SyntheticData {
    /// A labelled data set: inputs (`N×M`, samples as rows), targets (`N×Q`) and class labels.
    public struct Dataset: Sendable {
        /// Inputs, one sample per row.
        public let inputs: Matrix
        /// Targets, one sample per row.
        public let targets: Matrix
        /// Class of each sample (`0..<Q`).
        public let labels: [Int]
    }

    /// Names accepted by `named(_:samples:inputDimension:classes:seed:)` (and `tangentflow flow --data`).
    public static let names = ["clusters", "clusters-smooth", "gaussian"]

    /// `Q` well-separated Gaussian clusters in `R^M` (centres `~ N(0, 4I)`, spread 0.3), samples assigned to
    /// classes round-robin, targets one-hot — or label-smoothed, `y = (1 − ε)e_c + ε/Q`, when `smoothing = ε > 0`.
    /// - Throws: `.invalidArgument` for `N < 1`, `M < 1`, `Q < 1`, or `ε ∉ [0, 1)`.
    public static func clusters(samples n: Int, inputDimension m: Int, classes q: Int, smoothing: Double = 0, seed: UInt64) throws -> Dataset {
        guard n >= 1, m >= 1, q >= 1, smoothing >= 0, smoothing < 1 else {
            throw TangentFlowError.invalidArgument(
                operation: "SyntheticData.clusters", reason: "need N, M, Q ≥ 1 and smoothing in [0, 1); got \(n), \(m), \(q), \(smoothing)")
        }
        var rng = SeededGenerator(seed: seed)
        let centres = (0..<q).map { _ in (0..<m).map { _ in 2 * rng.nextGaussian() } }
        var x = try Matrix(rows: n, cols: m), y = try Matrix(rows: n, cols: q)
        var labels: [Int] = []
        for i in 0..<n {
            let c = i % q
            labels.append(c)
            for j in 0..<m { x[i, j] = centres[c][j] + 0.3 * rng.nextGaussian() }
            for k in 0..<q { y[i, k] = (k == c ? 1 - smoothing : 0) + smoothing / Double(q) }
        }
        return Dataset(inputs: x, targets: y, labels: labels)
    }

    /// Inputs and targets with independent standard normal entries (a generic regression problem).
    public static func gaussian(samples n: Int, inputDimension m: Int, outputs q: Int, seed: UInt64) throws -> Dataset {
        var rng = SeededGenerator(seed: seed)
        let x = try Matrix.gaussian(rows: n, cols: m, using: &rng)
        let y = try Matrix.gaussian(rows: n, cols: q, using: &rng)
        return Dataset(inputs: x, targets: y, labels: (0..<n).map { $0 % Swift.max(q, 1) })
    }

    /// A data set by name (`names`): `clusters`, `clusters-smooth` (ε = 0.1), `gaussian`.
    /// - Throws: `.invalidArgument` for an unknown name.
    public static func named(_ name: String, samples n: Int, inputDimension m: Int, classes q: Int, seed: UInt64) throws -> Dataset {
        switch name {
        case "clusters": return try clusters(samples: n, inputDimension: m, classes: q, seed: seed)
        case "clusters-smooth": return try clusters(samples: n, inputDimension: m, classes: q, smoothing: 0.1, seed: seed)
        case "gaussian": return try gaussian(samples: n, inputDimension: m, outputs: q, seed: seed)
        default:
            throw TangentFlowError.invalidArgument(operation: "SyntheticData", reason: "unknown data set '\(name)' (known: \(names.joined(separator: ", ")))")
        }
    }
}
