import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowWasserstein

/// `--x`, `--y`, `--theta`, `--signs`: a user's own data and network for the two-layer ReLU experiments
/// (Mercklé, *Wasserstein gradient flow of two-layer ReLU networks*): f(x) = Σ_i α_i max(0, ⟨w_i, (x, 1)⟩).
let wassersteinDataOptions: [OptionSpec] = [
    OptionSpec(name: "x", value: "X.npy", help: "Inputs, one sample per row (n×d, or a length-n vector for d = 1); default: 16 points in [−1, 1].",
               optional: true, kind: .inputFile),
    OptionSpec(name: "y", value: "Y.npy", help: "Targets, one per sample (length n); default: a three-neuron ReLU teacher. Needs --x.",
               optional: true, kind: .inputFile),
]

/// `--theta` and `--signs` of the particle experiments.
let wassersteinNetworkOptions: [OptionSpec] = [
    OptionSpec(name: "theta", value: "W.npy", help: "Initial neurons, one per row (m×(d+1): weights, then bias); sets m. Default: seeded Gaussian.",
               optional: true, kind: .inputFile),
    OptionSpec(name: "signs", value: "S.npy", help: "Output signs α_i = ±1 (length m); default alternating +1, −1, …", optional: true, kind: .inputFile),
]

/// The regression data: `--x`/`--y` when given (augmented with a column of ones), else the teacher data.
func wassersteinData(_ p: ParsedArguments) throws -> (inputs: Matrix, targets: [Double]) {
    let hasX = p.values["x"] != nil, hasY = p.values["y"] != nil
    guard hasX == hasY else { throw UsageError(message: "--x and --y go together: give both or neither", hint: "--x X.npy --y Y.npy") }
    guard hasX else { return try teacherData() }
    let x = try p.matrix("x"), y = try p.vector("y")
    guard x.rows > 0, x.cols > 0 else { throw CommandFailure(.dataError, "--x: \(p.string("x")!) is empty (\(x.rows)×\(x.cols))") }
    guard y.count == x.rows else {
        throw CommandFailure(.dataError, "--x has \(x.rows) samples but --y has \(y.count) targets: one target per sample is needed")
    }
    return (try TwoLayerReLUProblem.augmented(x), y)
}

/// The initial neurons and signs: `--theta`/`--signs` when given (checked against the data's d + 1 columns), else
/// `m` seeded Gaussian neurons of standard deviation `scale` with alternating signs.
func wassersteinNeurons(_ p: ParsedArguments, columns: Int, neurons m: Int, scale: Double, seed: UInt64) throws -> (Matrix, [Double]) {
    var (w, signs): (Matrix, [Double])
    if p.values["theta"] != nil {
        w = try p.matrix("theta")
        guard w.rows > 0, w.cols == columns else {
            throw CommandFailure(.dataError, "--theta: \(p.string("theta")!) is \(w.rows)×\(w.cols); m×\(columns) neurons (weights for the \(columns - 1) input(s), then the bias) are needed")
        }
        if p.values["neurons"] != nil, m != w.rows {
            throw UsageError(message: "--neurons \(m) contradicts --theta, which holds \(w.rows) neurons", hint: "leave out --neurons when giving --theta")
        }
        signs = (0..<w.rows).map { $0 % 2 == 0 ? 1 : -1 }
    } else {
        guard columns == 2 else {
            throw UsageError(message: "--x has \(columns - 1) input columns: give the initial neurons with --theta (m×\(columns))",
                             hint: "the default neurons are drawn in R² (slope, bias) for scalar inputs")
        }
        (w, signs) = try initialNeurons(m, scale: scale, seed: seed)
    }
    if p.values["signs"] != nil {
        let s = try p.vector("signs")
        guard s.count == w.rows, s.allSatisfy({ $0 == 1 || $0 == -1 }) else {
            throw CommandFailure(.dataError, "--signs: \(p.string("signs")!) must hold \(w.rows) entries, each +1 or −1")
        }
        signs = s
    }
    return (w, signs)
}
