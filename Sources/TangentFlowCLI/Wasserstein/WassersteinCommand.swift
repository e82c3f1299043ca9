import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowWasserstein

/// `tangentflow wasserstein …`: the experiments of file 004 (Wasserstein gradient flows of two-layer ReLU
/// networks, MATH.md §6), each writing CSV files and SVG plots (PNG copies when rsvg-convert is installed).
let wassersteinCommand = CommandSpec(
    name: "wasserstein",
    abstract: "Wasserstein gradient flows of two-layer ReLU networks (Mercklé, Wasserstein gradient flow of two-layer ReLU networks, 2024): the notes' experiments.",
    discussion: """
        Two-layer ReLU networks f(x) = Σ_i α_i max(0, ⟨w_i, (x, 1)⟩) with fixed signs α_i = ±1 and the loss
        (1/(2n)) Σ_j (f(x_j) − y_j)², trained by gradient descent, by proximal-point steps in the Frobenius and the
        W₂ distance, and as a mean-field measure on a parameter grid by entropic JKO steps. Every experiment takes
        --seed, writes into its own default folder, and records its headline claims in run.json.
        """,
    subcommands: [gdVersusProxCommand, initScaleCommand, jkoCommand, neuronsCommand, proxStuckCommand, chizatBachCommand]
        + wassersteinMeasureCommands,
    examples: ["tangentflow wasserstein gd-vs-prox -o gd-vs-prox", "tangentflow wasserstein jko --json -o jko"])

/// `-o, --output DIR` and `--seed S`, shared by the experiments.
func wassersteinCommonOptions(_ defaultFolder: String) -> [OptionSpec] {
    [
        OptionSpec(name: "output", short: "o", value: "DIR", help: "Output folder.", defaultValue: defaultFolder, kind: .outputFolder),
        OptionSpec(name: "seed", value: "seed", help: "Seed of the initial neurons.", defaultValue: "1", kind: .seed),
    ]
}

/// The regression data of the network experiments: n points x ∈ [−1, 1], augmented with a 1, and targets of a
/// three-neuron ReLU teacher with both output signs.
func teacherData(samples n: Int = 16) throws -> (inputs: Matrix, targets: [Double]) {
    let x = (0..<n).map { -1 + 2 * Double($0) / Double(n - 1) }
    let y = x.map { max(0, 1.5 * $0 - 0.2) + max(0, -1.2 * $0 - 0.1) - max(0, 0.6 * $0 + 0.5) + 0.4 }
    return (try TwoLayerReLUProblem.augmented(Matrix.column(x)), y)
}

/// `m` neurons in R² with i.i.d. N(0, scale²) coordinates and alternating signs +1, −1, …
func initialNeurons(_ m: Int, scale: Double, seed: UInt64) throws -> (Matrix, [Double]) {
    var rng = SeededGenerator(seed: seed)
    let g = try Matrix.gaussian(rows: m, cols: 2, using: &rng)
    let w = try Matrix(rows: m, cols: 2, columnMajor: g.elements.map { $0 * scale })
    return (w, (0..<m).map { $0 % 2 == 0 ? 1 : -1 })
}

/// `--name` as a Double (usage error naming the option when it does not parse).
func doubleOption(_ p: ParsedArguments, _ name: String) throws -> Double { try p.parsed(name, as: Double.self)! }

/// `--seed` (a usage error unless a non-negative integer).
func seedOption(_ p: ParsedArguments) throws -> UInt64 { try p.parsed("seed", as: UInt64.self)! }

/// `count` as an Int step count, or a usage error naming `what` when it is not below `limit` (so a huge ratio
/// never reaches `Int(_:)`, which would trap): the options ask for more steps than the stated cap.
func stepCount(_ count: Double, limit: Double, _ op: String, _ what: String) throws -> Int {
    guard count.isFinite, count <= limit else {
        throw UsageError(message: "\(op): \(what) would take \(String(format: "%.3g", count)) steps, more than the cap of \(Int(limit))",
                         hint: "shorten the run (--time) or take larger steps")
    }
    return max(0, Int(count.rounded(.up)))
}

/// `--name` as an Int (usage error naming the option when it does not parse).
func intOption(_ p: ParsedArguments, _ name: String) throws -> Int { try p.parsed(name, as: Int.self)! }
