import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowIO
import TangentFlowTruncation

/// `--x`, `--y`: a user's own clustered data for the truncation commands (Chen, effective gradient flow equations
/// and dynamical truncation of training data): samples in R^Q as rows, targets y_j ∈ R^Q as rows; samples with the
/// same target row form one cluster (clusters in order of first appearance).
func truncationDataOptions(points: String, spread: String) -> [OptionSpec] {
    [
        OptionSpec(name: "x", value: "X.npy", help: "Inputs, one sample per row (N×Q); default: Q clusters around 3e_ℓ (needs --y).",
                   optional: true, kind: .inputFile),
        OptionSpec(name: "y", value: "Y.npy", help: "Targets, one row per sample (N×Q); equal rows form a cluster (needs --x).",
                   optional: true, kind: .inputFile),
        OptionSpec(name: "width", value: "Q", help: "Width Q of the built-in data (Q clusters in R^Q).", defaultValue: "2", kind: .integer(2...6)),
        OptionSpec(name: "points", value: "n", help: "Points per cluster of the built-in data.", defaultValue: points, kind: .integer(1...2000)),
        OptionSpec(name: "spread", value: "σ", help: "Standard deviation of the built-in clusters.", defaultValue: spread,
                   kind: .real(lower: 0, upper: 1)),
        OptionSpec(name: "seed", value: "seed", help: "Seed of the built-in data.", defaultValue: "2024", kind: .seed),
    ]
}

/// `--until` and `--step` of the flows; `steps` caps `until/step`.
func truncationTimeOptions(until: String, step: String?) -> [OptionSpec] {
    var o = [OptionSpec(name: "until", value: "s", help: "Flow time to integrate to.", defaultValue: until, kind: .real(lower: 0, upper: 1000, openLower: true))]
    if let step {
        o.append(OptionSpec(name: "step", value: "h", help: "Step of the Heun–Cayley stepper (at most 10⁶ steps to --until).", defaultValue: step, kind: .positive))
    }
    return o
}

/// The clustered data: `--x`/`--y` when given, else the built-in simplex clusters.
func truncationData(_ p: ParsedArguments) throws -> ClusteredTrainingData {
    let hasX = p.values["x"] != nil, hasY = p.values["y"] != nil
    guard hasX == hasY else { throw UsageError(message: "--x and --y go together: give both or neither", hint: "--x X.npy --y Y.npy") }
    guard hasX else {
        let q = try p.int("width")
        return try TruncationInitialData.simplexClusters(width: q, clusters: q, perCluster: try p.int("points"), spread: try p.double("spread"),
                                                         seed: try p.seed())
    }
    let x = try p.matrix("x"), y = try p.matrix("y")
    guard x.rows > 0, x.cols > 0 else { throw CommandFailure(.dataError, "--x: \(p.string("x")!) is empty (\(x.rows)×\(x.cols))") }
    guard y.rows == x.rows, y.cols == x.cols else {
        throw CommandFailure(.dataError, "--y: \(p.string("y")!) is \(y.rows)×\(y.cols) but --x is \(x.rows)×\(x.cols): one target in R^\(x.cols) per sample is needed")
    }
    var keys: [[Double]] = [], members: [[Int]] = []
    for i in 0..<y.rows {
        let t = y.row(i)
        if let k = keys.firstIndex(of: t) { members[k].append(i) } else { keys.append(t); members.append([i]) }
    }
    let clusters = try members.map { rows in try Matrix(rows: rows.count, cols: x.cols, rowMajor: rows.flatMap { x.row($0) }) }
    return try ClusteredTrainingData(clusters: clusters, labels: keys)
}

/// `--theta`: `[W^{(ℓ)} | β^{(ℓ)}]` per layer, a stack `(L, Q, Q+1)` (or one `Q×(Q+1)` matrix for L = 1); every
/// `W^{(ℓ)}` must be adapted to the activation (Def. 2.2: `W = diag(d)R`, d > 0), and only `R_ℓ` is kept (6.2).
func truncationTheta(_ p: ParsedArguments, width q: Int) throws -> AdaptedParameters {
    let path = try p.path("theta")
    let stack = try NpyFile.readStack(from: path)
    p.report.input("theta", path: path, shape: [stack.count, stack.first?.rows ?? 0, stack.first?.cols ?? 0])
    guard !stack.isEmpty, stack.allSatisfy({ $0.rows == q && $0.cols == q + 1 }) else {
        throw CommandFailure(.dataError, "--theta: \(path) must hold L ≥ 1 layers [W^{(ℓ)} | β^{(ℓ)}] of shape \(q)×\(q + 1) (a stack (L, \(q), \(q + 1)))",
                             hint: "the data are in R^\(q)")
    }
    for m in stack where m.elements.contains(where: { !$0.isFinite }) {
        throw CommandFailure(.dataError, "--theta: \(path) has a non-finite entry", hint: "remove or replace the NaN/infinite entries")
    }
    return try reportingInvalidData("--theta: \(path)", hint: "each W^{(ℓ)} must be invertible and diag(d)·R with d > 0, R orthogonal (Def. 2.2)") {
        let ws = stack.map { m in Matrix(uncheckedRows: q, cols: q, elements: Array(m.elements[0..<(q * q)])) }
        let bs = stack.map { m in Array(m.elements[(q * q)...]) }
        return try TruncationNetwork(cumulativeWeights: ws, shifts: bs).adaptedParameters(tolerance: 1e-8)
    }
}

/// The initial network by the construction `name` (`clusters`, `collapsed`, `positive-sector`), or a data error
/// naming the data when the construction does not exist for them.
func truncationConstruction(_ name: String, data: ClusteredTrainingData, dataLabel: String) throws -> AdaptedParameters {
    try reportingInvalidData("\(dataLabel)", hint: "give the initial network with --theta, or data whose clusters are apart") {
        let net: TruncationNetwork
        switch name {
        case "collapsed": net = try TruncationInitialData.collapsed(data: data)
        case "positive-sector":
            net = try TruncationInitialData.positiveSector(data: data, rotations: try (0..<data.clusters.count).map { _ in try Matrix.identity(data.width) })
        default: net = try TruncationInitialData.partiallyTruncated(data: data)
        }
        return try net.adaptedParameters(tolerance: 1e-10)
    }
}

/// `label` for messages: the data files, or the built-in data.
func truncationDataLabel(_ p: ParsedArguments) -> String {
    p.values["x"] != nil ? "--x/--y (\(p.string("x")!), \(p.string("y")!))" : "the built-in data"
}

/// The number of steps `until/step`, or a usage error above 10⁶.
func truncationSteps(until: Double, step: Double) throws -> Int {
    guard step <= until else { throw UsageError.invalid("step", "\(step)", expected: "a number in (0, --until]") }
    guard until / step <= 1_000_000 else {
        throw UsageError(message: "'--until'/'--step' asks for \(String(format: "%.3g", until / step)) steps (at most 1000000)",
                         hint: "use a larger --step or a smaller --until")
    }
    return Int((until / step).rounded(.up))
}

/// `count` times from 0 to `until`, evenly spaced.
func truncationGrid(until: Double, count: Int) -> [Double] {
    (0..<count).map { until * Double($0) / Double(count - 1) }
}
