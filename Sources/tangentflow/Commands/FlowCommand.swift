import CommandLineSupport
import Foundation
import TangentFlow

/// `tangentflow flow`: one configurable gradient flow of an MLP, with diagnostics (issue #12 §5).
let flowCommand = CommandSpec(
    name: "flow",
    abstract: "Integrate one gradient flow of an MLP and record its diagnostics (2408.01517).",
    discussion: """
        Writes DIR/trajectory.csv (one row per saved point: s, t, loss, deviation from linear interpolation
        |x(θ(s)) − ((1−t)x₀ + t y)| / |x₀ − y|, σ_min/σ_max and rank of D, the Prop. 2.5 prediction, …),
        DIR/theta_final.npy, and the inputs of the run (DIR/x.npy, DIR/y.npy, DIR/theta0.npy) so that another
        tool can solve the same problem. Time: --t-end is the reparametrised time t = 1 − e^{−s/N} (squared losses),
        --s-end the flow time s.
        """,
    options: [
        OptionSpec(name: "widths", value: "widths", help: "Layer widths M_0,…,M_L, comma-separated.", defaultValue: "16,64,64,10"),
        OptionSpec(name: "activation", value: "activation", help: "Hidden-layer activation.", defaultValue: "tanh", values: Activation.allCases.map(\.rawValue)),
        OptionSpec(name: "theta", value: "theta.npy", help: "Initial parameters (else --seed).", optional: true),
        OptionSpec(name: "seed", value: "S", help: "Seed of a fresh initialisation (W ~ N(0, 1/fan-in), b = 0) and of --data.", defaultValue: "0"),
        OptionSpec(name: "x", value: "X.npy", help: "Inputs, one sample per row (else --data).", optional: true),
        OptionSpec(name: "y", value: "Y.npy", help: "Targets, one sample per row (N×Q).", optional: true),
        OptionSpec(name: "data", value: "name", help: "Named synthetic data set.", defaultValue: "clusters", values: SyntheticData.names),
        OptionSpec(name: "samples", value: "N", help: "Samples of the synthetic data set.", defaultValue: "64"),
        OptionSpec(name: "loss", value: "loss", help: "Cost: squared |x−y|²/(2N) (2.48), squared-mean |x−y|²/N (2.7), cross-entropy.", defaultValue: "squared", values: ["squared", "squared-mean", "cross-entropy"]),
        OptionSpec(name: "field", value: "field", help: "Vector field.", defaultValue: "adapted", values: ["standard", "adapted", "interpolated", "prescribed"]),
        OptionSpec(name: "alpha", value: "A", help: "α of the interpolated field.", defaultValue: "0.5"),
        OptionSpec(name: "route", value: "route", help: "How D⁺g is computed (gram: NTK + Cholesky/eigen; svd: SVD of D).", defaultValue: "gram", values: ["gram", "svd"]),
        OptionSpec(name: "stepper", value: "stepper", help: "Stepper.", defaultValue: "dopri5", values: ["euler", "rk4", "dopri5", "prox"]),
        OptionSpec(name: "rtol", value: "r", help: "Relative tolerance (dopri5).", defaultValue: "1e-8"),
        OptionSpec(name: "atol", value: "a", help: "Absolute tolerance (dopri5).", defaultValue: "1e-10"),
        OptionSpec(name: "beta", value: "β", help: "PI step-size controller's β (0: the pure I-controller, diffrax's default PIDController).", defaultValue: "0.04"),
        OptionSpec(name: "step", value: "h", help: "Constant step (euler, rk4, prox; or fixed-step dopri5).", optional: true),
        OptionSpec(name: "t-end", value: "T", help: "End in reparametrised time t ∈ (0, 1) (squared losses).", optional: true),
        OptionSpec(name: "s-end", value: "S", help: "End in flow time s (default: t = 0.99, or s = 1 for prescribed).", optional: true),
        OptionSpec(name: "save-points", value: "K", help: "Saved points, evenly spaced in t (squared losses) or s.", defaultValue: "21"),
        OptionSpec(name: "max-steps", value: "n", help: "Step cap.", defaultValue: "100000"),
        OptionSpec(name: "backend", value: "backend", help: "Kernel backend.", defaultValue: "c", values: KernelBackend.allCases.map(\.rawValue)),
        OptionSpec(name: "output", short: "o", value: "DIR", help: "Output folder.", defaultValue: "tangentflow-flow"),
    ],
    run: { try runFlow($0) })

func runFlow(_ p: ParsedArguments) throws {
    let config = try FlowConfiguration(p)
    var progress: ((FlowProgress) -> Void)? = nil
    if TerminalProgress.isTerminal { progress = { TerminalProgress.report($0) } }
    let result = try config.run(progress: progress)
    TerminalProgress.finish()
    try result.write(to: config.outputDirectory, inputsOf: config)
    let sol = result.solution
    let stats = sol.stats
    print("status=\(sol.status) steps_accepted=\(stats.acceptedSteps) steps_rejected=\(stats.rejectedSteps) field_evaluations=\(stats.fieldEvaluations) wall_time=\(String(format: "%.3f", result.wallTime))s")
    if let last = result.points.last {
        let dev = last.deviation.map { "\($0)" } ?? "n/a"
        print("final: s=\(last.s) loss=\(last.loss) deviation=\(dev) rank=\(last.rank) sigma_min=\(last.sigmaMin)")
    }
    print("wrote \(config.outputDirectory)/trajectory.csv, theta_final.npy, and the inputs x.npy, y.npy, theta0.npy")
}

/// A flow run assembled from command-line values (shared by `flow` and the demo).
struct FlowConfiguration {
    let problem: TrainingProblem
    let theta0: [Double]
    let field: any ParameterFlow
    let stepper: any Stepper
    let controller: any StepSizeController
    let sEnd: Double
    let saveAt: SaveAt
    let maxSteps: Int
    let outputDirectory: String
    let prescribed: PrescribedPathFlow?

    init(_ p: ParsedArguments) throws {
        let widths = try parseWidths(p.required("widths"))
        let net = try MLP(widths: widths, activation: Activation(rawValue: p.string("activation")!)!)
        let seed: UInt64 = try p.parsed("seed") ?? 0
        let loss: Loss = ["squared": .squared, "squared-mean": .squaredMean, "cross-entropy": .crossEntropy][p.string("loss")!]!
        let backend = KernelBackend(rawValue: p.string("backend")!)!
        let x: Matrix, y: Matrix
        switch (p.string("x"), p.string("y")) {
        case let (xp?, yp?):
            x = try NpyFile.readMatrix(from: xp)
            y = try NpyFile.readMatrix(from: yp)
        case (nil, nil):
            let n: Int = try p.parsed("samples") ?? 64
            guard n >= 1 else { throw UsageError(message: "The value '\(n)' is invalid for '--samples'") }
            let data = try SyntheticData.named(p.string("data")!, samples: n, inputDimension: widths[0], classes: widths.last!, seed: seed &+ 1000)
            x = data.inputs
            y = data.targets
        default:
            throw UsageError(message: "'--x' and '--y' must be given together")
        }
        problem = try TrainingProblem(model: net, inputs: x, targets: y, loss: loss, backend: backend)
        theta0 = try p.string("theta").map { try NpyFile.readVector(from: $0) } ?? net.initialParameters(seed: seed)
        try net.validateParameters(theta0)
        let route: PseudoinverseRoute = p.string("route") == "svd" ? .svd : .default
        var prescribed: PrescribedPathFlow? = nil
        switch p.string("field")! {
        case "standard": field = StandardFlow(problem: problem)
        case "adapted": field = AdaptedFlow(problem: problem, route: route)
        case "interpolated": field = try InterpolatedFlow(problem: problem, alpha: p.parsed("alpha") ?? 0.5, route: route)
        default:
            let f = try PrescribedPathFlow(problem: problem, startingAt: theta0, route: route)
            prescribed = f
            field = f
        }
        self.prescribed = prescribed
        let step: Double? = try p.parsed("step")
        switch p.string("stepper")! {
        case "euler": stepper = ExplicitRungeKutta.euler
        case "rk4": stepper = ExplicitRungeKutta.rk4
        case "prox": stepper = try ProximalPointStepper()
        default: stepper = ExplicitRungeKutta.dopri5
        }
        if let step {
            controller = try ConstantStepSize(step)
        } else if stepper.errorOrder != nil {
            controller = try PIController(rtol: p.parsed("rtol") ?? 1e-8, atol: p.parsed("atol") ?? 1e-10, beta: p.parsed("beta") ?? 0.04)
        } else {
            throw UsageError(message: "'--stepper \(p.string("stepper")!)' needs '--step <h>' (no error estimate for adaptive control)")
        }
        let tEnd: Double? = try p.parsed("t-end"), sGiven: Double? = try p.parsed("s-end")
        let n = problem.samples
        if let tEnd {
            guard sGiven == nil else { throw UsageError(message: "'--t-end' and '--s-end' cannot be combined") }
            guard let s = loss.flowTime(reaching: tEnd, samples: n) else {
                throw UsageError(message: "'--t-end' needs a squared loss and 0 ≤ T < 1 (got \(tEnd)); use '--s-end'")
            }
            sEnd = s
        } else if let sGiven {
            guard sGiven > 0, sGiven.isFinite else { throw UsageError(message: "The value '\(sGiven)' is invalid for '--s-end'") }
            sEnd = sGiven
        } else if prescribed != nil {
            sEnd = 1
        } else {
            sEnd = loss.flowTime(reaching: 0.99, samples: n) ?? 100
        }
        let k: Int = try p.parsed("save-points") ?? 21
        guard k >= 2 else { throw UsageError(message: "'--save-points' must be at least 2") }
        let end = sEnd
        if prescribed == nil, let tMax = loss.reparametrizedTime(end, samples: n) {
            saveAt = .times((0..<k).map { loss.flowTime(reaching: tMax * Double($0) / Double(k - 1), samples: n)! }.map { Swift.min($0, end) })
        } else {
            saveAt = .evenly(k, from: 0, to: sEnd)
        }
        maxSteps = try p.parsed("max-steps") ?? 100_000
        outputDirectory = p.string("output")!
    }

    func run(progress: ((FlowProgress) -> Void)?) throws -> FlowResult {
        let t0 = Date()
        let sol = try integrate(
            field, stepper: stepper, controller: controller, from: 0, to: sEnd, start: theta0, saveAt: saveAt, maxSteps: maxSteps,
            progress: progress)
        let wall = Date().timeIntervalSince(t0)
        return FlowResult(solution: sol, points: try TrajectoryDiagnostics.compute(problem, sol, field: field), wallTime: wall)
    }
}

/// A finished run: solution, diagnostics and the solve's wall time (diagnostics excluded).
struct FlowResult {
    let solution: FlowSolution
    let points: [TrajectoryPoint]
    let wallTime: Double

    func write(to dir: String, inputsOf config: FlowConfiguration? = nil) throws {
        try makeDirectory(dir)
        if let config {
            try NpyFile.write(config.problem.inputs, to: dir + "/x.npy")
            try NpyFile.write(config.problem.targets, to: dir + "/y.npy")
            try NpyFile.write(vector: config.theta0, to: dir + "/theta0.npy")
        }
        try TrajectoryDiagnostics.table(points).write(to: dir + "/trajectory.csv")
        try NpyFile.write(vector: solution.finalState, to: dir + "/theta_final.npy")
    }
}

func makeDirectory(_ dir: String) throws {
    do {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    } catch {
        throw TangentFlowError.io(path: dir, reason: "cannot create the output folder: \(error.localizedDescription)")
    }
}

/// A one-line progress display on a terminal (stderr), nothing otherwise.
enum TerminalProgress {
    static let isTerminal = isatty(STDERR_FILENO) == 1
    nonisolated(unsafe) static var last = Date.distantPast

    static func report(_ p: FlowProgress) {
        let now = Date()
        guard now.timeIntervalSince(last) > 0.1 else { return }
        last = now
        let line = String(format: "\r  s = %.4g (%3.0f%%)  steps %d (+%d rejected)  evaluations %d ", p.s, 100 * p.fraction, p.stats.acceptedSteps, p.stats.rejectedSteps, p.stats.fieldEvaluations)
        FileHandle.standardError.write(line.data(using: .utf8)!)
    }

    static func finish() {
        if isTerminal { FileHandle.standardError.write("\n".data(using: .utf8)!) }
    }
}
