import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowIO
import TangentFlowReporting

/// `tangentflow flow`: one configurable gradient flow of an MLP, with diagnostics.
let flowCommand = CommandSpec(
    name: "flow",
    abstract: "Integrate one gradient flow of an MLP and record its diagnostics (Chen & Muñoz Ewald, arXiv 2408.01517).",
    discussion: """
        Writes DIR/trajectory.csv (one row per saved point: s, t, loss, deviation from linear interpolation
        |x(θ(s)) − ((1−t)x₀ + t y)| / |x₀ − y|, σ_min/σ_max and rank of D, the Prop. 2.5 prediction, …; 'nan'
        where a value is not defined), DIR/theta_final.npy, the inputs of the run (DIR/x.npy, DIR/y.npy,
        DIR/theta0.npy) so that another tool can solve the same problem, and DIR/run.json last (the options, the
        status and the results). Time: --t-end is the reparametrised time t = 1 − e^{−s/N} (squared losses; for
        the prescribed field t = s ∈ (0, 1]), --s-end the flow time s. A run that reaches --max-steps first
        writes what it has, marks run.json "stopped" and exits with status 75.
        --field prescribed checks the feasibility condition (3.7) at every saved point: the result
        feasibility_residual is max |P_ran(D)^⊥(y − x₀)| / |y − x₀| over them; above --feasibility-tol the path
        cannot be realised (the outputs follow P_ran(D)(y − x₀) instead), the run goes to DIR/infeasible/ and the
        command exits with status 65 "infeasible prescribed path". --integrated-prediction (adapted field, squared
        losses) integrates the Prop. 2.5 deviation δ' = −P_t δ/(1−t) + P_t^⊥(x₀ − y) together with θ, so the
        projector is not frozen between saved points (columns integrated_predicted_deviation and
        integrated_prediction_error). With --loss cross-entropy the result loss_infimum is the mean label entropy
        H(y), the infimum of the loss.
        Routes: gram forms the QN×QN NTK (8(QN)² bytes), svd the QN×K Jacobian; matrix-free forms neither (LSMR on
        D by JVP/VJP, stopping at the dense route's cut-off unless --krylov-tol is given; a solve that reaches
        --krylov-max-iter exits with status 75), and then the σ_min, σ_max, rank and Prop. 2.5 columns are 'nan'.
        """,
    options: [
        OptionSpec(name: "widths", value: "widths", help: "Layer widths M_0,…,M_L, comma-separated.", defaultValue: "16,64,64,10"),
        ModelOptions.activationSpec,
        OptionSpec(name: "theta", value: "theta.npy", help: "Initial parameters (else a fresh draw from --seed).", optional: true, kind: .inputFile),
        OptionSpec(name: "seed", value: "S", help: "Seed of a fresh initialisation (W ~ N(0, 1/fan-in), b = 0) and of --data.", defaultValue: "0",
                   kind: .seed),
        OptionSpec(name: "x", value: "X.npy", help: "Inputs, one sample per row (else --data).", optional: true, kind: .inputFile),
        OptionSpec(name: "y", value: "Y.npy", help: "Targets, one sample per row (N×Q).", optional: true, kind: .inputFile),
        OptionSpec(name: "data", value: "name", help: "Named synthetic data set.", defaultValue: "clusters", values: SyntheticData.names),
        OptionSpec(name: "samples", value: "N", help: "Samples of the synthetic data set.", defaultValue: "64", kind: .integer(1...100_000)),
        .choice("loss", of: Loss.self, help: "Cost: squared |x−y|²/(2N) (2.48), squared-mean |x−y|²/N (2.7), cross-entropy (targets: probability vectors).",
                default: .squared),
        .choice("field", of: FieldChoice.self, help: "Vector field.", default: .adapted),
        OptionSpec(name: "alpha", value: "A", help: "α of the interpolated field.", defaultValue: "0.5", kind: .real(lower: 0, upper: 1)),
        .choice("route", of: RouteChoice.self,
                help: "How D⁺g is computed (gram: NTK + Cholesky/eigen; svd: SVD of D; matrix-free: LSMR on D, no NTK formed).",
                default: .gram),
        OptionSpec(name: "krylov-tol", value: "tol", help: "matrix-free: LSMR's atol = btol (default max(QN, K)·ε, the dense cut-off's).",
                   optional: true, kind: .real(lower: 0, upper: 1, openUpper: true)),
        OptionSpec(name: "krylov-max-iter", value: "n", help: "matrix-free: iteration cap of one LSMR solve (reaching it: status 75).",
                   defaultValue: "2000", kind: .integer(1...10_000_000)),
        .choice("stepper", of: StepperChoice.self, help: "Stepper (all but dopri5 need --step).", default: .dopri5),
        OptionSpec(name: "rtol", value: "r", help: "Relative tolerance (dopri5).", defaultValue: "1e-8", kind: .real(lower: 1e-14, upper: 1)),
        OptionSpec(name: "atol", value: "a", help: "Absolute tolerance (dopri5).", defaultValue: "1e-10", kind: .real(lower: 1e-16, upper: 1)),
        OptionSpec(name: "beta", value: "β", help: "PI step-size controller's β (0: the pure I-controller, diffrax's default PIDController).",
                   defaultValue: "0.04", kind: .real(lower: 0, upper: 0.3)),
        OptionSpec(name: "step", value: "h", help: "Constant step (euler, rk4, prox; or fixed-step dopri5); at most --max-steps steps.",
                   optional: true, kind: .positive),
        OptionSpec(name: "t-end", value: "T", help: "End in reparametrised time t (squared losses: t ∈ (0, 1); prescribed: s = t ∈ (0, 1]).",
                   optional: true, kind: .real(lower: 0, upper: 1, openLower: true)),
        OptionSpec(name: "s-end", value: "S", help: "End in flow time s (default: t = 0.99, or s = 1 for prescribed; prescribed: s ≤ 1).",
                   optional: true, kind: .real(lower: 0, upper: 1e9, openLower: true)),
        OptionSpec(name: "save-points", value: "K", help: "Saved points, evenly spaced in t (squared losses) or s.", defaultValue: "21",
                   kind: .integer(2...100_000)),
        OptionSpec(name: "feasibility-tol", value: "r",
                   help: "Prescribed field: largest relative residual |P_ran(D)^⊥(y − x₀)|/|y − x₀| (3.7) accepted as feasible.",
                   defaultValue: "1e-6", kind: .real(lower: 0, upper: 1)),
        OptionSpec(name: "integrated-prediction",
                   help: "Adapted field, squared losses: integrate the Prop. 2.5 deviation with θ (P_t not frozen between saved points)."),
        OptionSpec(name: "max-steps", value: "n", help: "Step cap: reaching it stops the run with status 75.", defaultValue: "100000",
                   kind: .integer(1...100_000_000)),
        .backend,
        OptionSpec(name: "output", short: "o", value: "DIR", help: "Output folder.", defaultValue: "tangentflow-flow", kind: .outputFolder),
    ],
    examples: [
        "tangentflow flow --widths 16,64,64,10 --field adapted --stepper dopri5 --t-end 0.99 -o adapted",
        "tangentflow flow --field standard --stepper rk4 --step 0.05 --s-end 10 --json -o standard",
        "tangentflow flow --x X.npy --y Y.npy --theta theta.npy --widths 16,64,10 --loss cross-entropy -o ce",
        "tangentflow flow --widths 16,256,256,10 --samples 20000 --route matrix-free --krylov-tol 1e-3 --stepper euler --step 1000 --s-end 3000 -o big",
    ],
    run: { try runFlow($0) })

func runFlow(_ p: ParsedArguments) throws {
    let config = try FlowConfiguration(p)
    Progress.shared.begin("flow", detail: "s = 0")
    let result: FlowResult
    do {
        result = try config.run { f in
            Progress.shared.update(fraction: f.fraction, String(format: "s = %.4g, steps %d (+%d rejected)", f.s, f.stats.acceptedSteps, f.stats.rejectedSteps))
        }
    } catch TangentFlowError.nonFinite {
        // The inputs were checked finite when read, so a NaN or ±∞ met during the run is the flow diverging.
        throw CommandFailure(.stopped, "flow diverged: the state became non-finite (NaN or ±∞) during the run; nothing was written",
                             hint: "use a smaller --step, or the adaptive dopri5 stepper")
    } catch let e as TangentFlowError where config.krylovLog != nil {
        guard case let .didNotConverge(op, iterations, residual, tolerance) = e else { throw e }
        throw CommandFailure(.stopped, String(format: "flow stopped: an LSMR solve of the matrix-free route reached --krylov-max-iter %d with ‖Dᵀr‖/(‖D‖‖r‖) = %.3g and ‖r‖ above their tolerance %.3g", iterations, residual, tolerance)
                             + " (\(op)); nothing was written",
                             hint: "raise --krylov-max-iter, or loosen --krylov-tol (D is ill-conditioned here)")
    }
    Progress.shared.end()
    let sol = result.solution
    // (3.7): the largest relative feasibility residual over the saved points (prescribed field only).
    let feasibility = config.prescribed.map { f in result.relativeFeasibilityResidual(direction: f.direction) }
    let infeasible = sol.status == .success && (feasibility.map { $0 > config.feasibilityTolerance } ?? false)
    // A run stopped at a limit (or an infeasible one) never replaces the outputs of an earlier finished run: what
    // it reached goes to DIR/stopped/ (DIR/infeasible/), and run.json says "stopped" ("failed").
    let dir = sol.status != .success ? config.outputDirectory + "/stopped"
        : infeasible ? config.outputDirectory + "/infeasible" : config.outputDirectory
    try result.write(to: dir, inputsOf: config)
    let stats = sol.stats
    p.report.results(["status": "\(sol.status)", "steps_accepted": stats.acceptedSteps, "steps_rejected": stats.rejectedSteps,
                      "field_evaluations": stats.fieldEvaluations, "wall_time": result.wallTime])
    if let log = config.krylovLog {
        let solves = log.solves
        p.report.results(["krylov_solves": solves, "krylov_iterations_total": log.totalIterations,
                          "krylov_iterations_max": log.maxIterations])
        p.report.record("krylov_iterations_mean", solves > 0 ? Double(log.totalIterations) / Double(solves) : .nan, mayBeUndefined: true)
        p.report.record("krylov_worst_relative_normal_residual", log.worstRelativeNormalResidual, mayBeUndefined: true)
        p.report.record("krylov_worst_relative_residual", log.worstRelativeResidual, mayBeUndefined: true)
        // Which residual is small depends on the stop: ‖r‖/‖g‖ for a consistent system (wide D of full rank),
        // ‖Dᵀr‖/(‖D‖‖r‖) for a least-squares one.
        let stops = log.stops.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        p.report.say(String(format: "LSMR: %d solves, %d iterations (max %d); worst final ‖r‖/‖g‖ = %.2e, ‖Dᵀr‖/(‖D‖‖r‖) = %.2e",
                            solves, log.totalIterations, log.maxIterations, log.worstRelativeResidual, log.worstRelativeNormalResidual)
                     + "; stops: " + stops)
    }
    if let last = result.points.last {
        p.report.results(["final_s": last.s, "final_loss": last.loss])
        p.report.record("final_rank", last.rank.map(Double.init) ?? .nan, mayBeUndefined: true)
        p.report.record("final_sigma_min", last.sigmaMin, mayBeUndefined: true)
        if let dev = last.deviation { p.report.record("final_deviation", dev, mayBeUndefined: true) }
        if let e = last.integratedPredictionError { p.report.results(["final_integrated_prediction_error": e]) }
    }
    if config.problem.loss == .crossEntropy {
        let infimum = try CrossEntropyGeometry.labelEntropy(targets: config.problem.targetVector, outputDimension: config.problem.model.outputDimension)
        p.report.results(["loss_infimum": infimum])
    }
    if let feasibility {
        p.report.results(["feasibility_residual": feasibility, "feasibility_tolerance": config.feasibilityTolerance])
    }
    p.report.say("wrote \(dir)/trajectory.csv, theta_final.npy, and the inputs x.npy, y.npy, theta0.npy")
    guard sol.status == .success else {
        let why = sol.status == .maxStepsReached
            ? "reached --max-steps \(config.maxSteps) at s = \(result.points.last?.s ?? 0) before the end s = \(config.sEnd)"
            : "the step size fell below its minimum at s = \(result.points.last?.s ?? 0) (a stiff or singular field)"
        throw CommandFailure(.stopped, "flow stopped: \(why); the run up to there is in \(dir)/",
                             hint: sol.status == .maxStepsReached ? "raise --max-steps or use a larger --step" : "try --stepper prox or a smaller --t-end")
    }
    if infeasible, let feasibility {
        throw CommandFailure(
            .dataError,
            "infeasible prescribed path: y − x₀ is not in ran D(s) (3.7); the relative residual |P_ran(D)^⊥(y − x₀)|/|y − x₀| reaches "
                + String(format: "%.3g", feasibility) + " > --feasibility-tol " + String(format: "%.3g", config.feasibilityTolerance)
                + "; the realised outputs follow P_ran(D)(y − x₀) instead (run in \(dir)/)",
            hint: "rank D < QN here (e.g. fewer parameters than outputs); use --field adapted, or a wider network")
    }
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
    /// `--feasibility-tol`: the relative residual of (3.7) above which a prescribed path is infeasible.
    let feasibilityTolerance: Double
    /// `--integrated-prediction`: the augmented field `[θ; δ]` of Prop. 2.5.
    let integratedPrediction: IntegratedRankLossPrediction?
    /// The LSMR solves' tally on the matrix-free route (`nil` on the dense routes).
    let krylovLog: KrylovSolveLog?

    init(_ p: ParsedArguments) throws {
        let widths = try parseWidths(p.required("widths"))
        let net = try MLP(widths: widths, activation: p.choice(Activation.self, "activation"))
        let seed = try p.seed()
        let loss = try p.choice(Loss.self, "loss")
        let backend = p.backend
        let fieldChoice = try p.choice(FieldChoice.self, "field"), stepperChoice = try p.choice(StepperChoice.self, "stepper")
        let isPrescribed = fieldChoice == .prescribed
        // Everything the options decide is checked before any file is read or any work is done.
        let step: Double? = try p.parsed("step")
        let tEnd: Double? = try p.parsed("t-end"), sGiven: Double? = try p.parsed("s-end")
        if tEnd != nil, sGiven != nil { throw UsageError(message: "'--t-end' and '--s-end' cannot be combined", hint: "give one end time") }
        if isPrescribed, let sGiven, sGiven > 1 {
            throw UsageError.invalid("s-end", p.string("s-end")!, expected: "a number in (0, 1] for --field prescribed (s is the path parameter)")
        }
        if let tEnd, !isPrescribed, tEnd >= 1 {
            throw UsageError.invalid("t-end", p.string("t-end")!, expected: "a number in (0, 1) (t = 1 is reached only as s → ∞)")
        }
        if tEnd != nil, !isPrescribed, loss == .crossEntropy {
            throw UsageError(message: "'--t-end' needs a squared loss (t = 1 − e^{−s/N}); with --loss cross-entropy give '--s-end'")
        }
        if step == nil, !stepperChoice.isAdaptive {
            throw UsageError(message: "'--stepper \(stepperChoice.rawValue)' needs '--step <h>' (no error estimate for adaptive control)")
        }
        let integrated = p.has("integrated-prediction")
        if integrated, fieldChoice != .adapted || loss == .crossEntropy {
            throw UsageError(message: "'--integrated-prediction' needs '--field adapted' and a squared loss (Prop. 2.5 is about the adapted flow's clock t = 1 − e^{−κs})",
                             hint: "drop --integrated-prediction, or use --field adapted with --loss squared or squared-mean")
        }
        if integrated, stepperChoice == .prox {
            throw UsageError(message: "'--integrated-prediction' cannot be combined with '--stepper prox' (the augmented field has no resolvent)")
        }
        feasibilityTolerance = try p.double("feasibility-tol")
        let maxSteps = try p.int("max-steps")
        let x: Matrix, y: Matrix
        if p.values["x"] != nil || p.values["y"] != nil, let given = ["samples", "data"].first(where: { p.values[$0] != nil }) {
            throw UsageError(message: "'--\(given)' describes the synthetic data and cannot be combined with '--x'/'--y'",
                             hint: "drop --\(given), or drop --x and --y to use the synthetic data")
        }
        switch (p.string("x"), p.string("y")) {
        case (_?, _?):
            x = try p.matrix("x")
            y = try p.matrix("y")
            guard x.rows == y.rows, x.rows > 0 else {
                throw CommandFailure(.dataError, "--x has \(x.rows) samples and --y has \(y.rows): one target row per sample is needed")
            }
            guard x.cols == widths[0] else {
                throw CommandFailure(.dataError, "--x has \(x.cols) columns, but the first width of --widths is \(widths[0])")
            }
            guard y.cols == widths.last! else {
                throw CommandFailure(.dataError, "--y has \(y.cols) columns, but the last width of --widths is \(widths.last!)")
            }
        case (nil, nil):
            let n = try p.int("samples")
            let data = try SyntheticData.named(p.string("data")!, samples: n, inputDimension: widths[0], classes: widths.last!, seed: seed &+ 1000)
            x = data.inputs
            y = data.targets
        default:
            throw UsageError(message: "'--x' and '--y' must be given together", hint: "or neither, for the synthetic --data")
        }
        if loss == .crossEntropy { try requireProbabilityRows(y, p.string("y") ?? "the synthetic targets") }
        let routeChoice = try p.choice(RouteChoice.self, "route")
        let krylovTol: Double? = try p.parsed("krylov-tol")
        if routeChoice != .matrixFree, let given = ["krylov-tol", "krylov-max-iter"].first(where: { p.values[$0] != nil }) {
            throw UsageError(message: "'--\(given)' sets the LSMR solve of '--route matrix-free' (the route is '\(routeChoice.rawValue)')",
                             hint: "add --route matrix-free, or drop --\(given)")
        }
        let krylov = LSMROptions(atol: krylovTol, btol: krylovTol, maxIterations: try p.int("krylov-max-iter"))
        // Memory: the field builds the QN×QN Gram matrix (gram route) or the QN×K Jacobian (svd route) per step;
        // the matrix-free route only the operator's record of one forward pass and O(QN + K) vectors, and the
        // diagnostics then skip the NTK too.
        let qn = MemoryBudget.product(x.rows, widths.last!)
        if routeChoice == .matrixFree {
            let vectors = MemoryBudget.product(MemoryBudget.sum(qn, net.parameterCount), 8 * 16)
            let record = MemoryBudget.product(CBackend.ntkOperatorDoubles(net, samples: x.rows, keepSensitivities: false), 8)
            try MemoryBudget.require(bytes: MemoryBudget.sum(record, vectors),
                                     operation: "flow --route matrix-free: the NTK operator's record of \(x.rows) samples")
        } else {
            let perStep = MemoryBudget.sum(MemoryBudget.product(qn, qn, 8), MemoryBudget.product(qn, net.parameterCount, 8 * 3))
            do {
                try MemoryBudget.require(bytes: perStep, operation: "flow: the NTK and Jacobian of \(x.rows) samples")
            } catch let e as TangentFlowError {
                throw CommandFailure(.memory, e.description + " (--route matrix-free forms neither the NTK nor D)",
                                     hint: "add --route matrix-free (README, 'Which route')")
            }
        }
        problem = try TrainingProblem(model: net, inputs: x, targets: y, loss: loss, backend: backend)
        if p.string("theta") != nil {
            theta0 = try ModelOptions.theta(p, for: net)
        } else {
            theta0 = net.initialParameters(seed: seed)
        }
        let route = routeChoice.route(krylov: krylov)
        if case let .matrixFree(_, log) = route { krylovLog = log } else { krylovLog = nil }
        let f = try fieldChoice.make(problem: problem, route: route, alpha: p.double("alpha"), start: theta0)
        field = f
        self.prescribed = f as? PrescribedPathFlow
        if integrated, let adapted = f as? AdaptedFlow {
            integratedPrediction = try IntegratedRankLossPrediction(flow: adapted, startingAt: theta0)
        } else {
            integratedPrediction = nil
        }
        let prescribed = self.prescribed
        stepper = try stepperChoice.make()
        if let step {
            controller = try ConstantStepSize(step)
        } else if stepper.errorOrder != nil {
            controller = try PIController(rtol: p.double("rtol"), atol: p.double("atol"), beta: p.double("beta"))
        } else {
            throw UsageError(message: "'--stepper \(p.string("stepper")!)' needs '--step <h>' (no error estimate for adaptive control)")
        }
        let n = problem.samples
        if let tEnd {
            if prescribed != nil {
                sEnd = tEnd  // the prescribed path's parameter: t = s
            } else {
                guard let s = loss.flowTime(reaching: tEnd, samples: n) else {
                    throw UsageError(message: "'--t-end' needs a squared loss and 0 < T < 1 (got \(tEnd)); use '--s-end'")
                }
                sEnd = s
            }
        } else if let sGiven {
            sEnd = sGiven
        } else if prescribed != nil {
            sEnd = 1
        } else {
            sEnd = loss.flowTime(reaching: 0.99, samples: n) ?? 100
        }
        if let step, sEnd / step > Double(maxSteps) {
            throw UsageError.invalid("step", p.string("step")!,
                                     expected: "a step ≥ \(sEnd / Double(maxSteps)) (s_end / --max-steps): '--step \(step)' to s = \(sEnd) takes \(String(format: "%.3g", sEnd / step)) steps",
                                     hint: "use a larger --step, or raise --max-steps (now \(maxSteps))")
        }
        let k = try p.int("save-points")
        let end = sEnd
        // Save points evenly spaced in t when t(s_end) < 1 in floating point; evenly in s otherwise (a long run
        // whose t rounds to 1 has no finite flow time for its last points).
        let times = loss.reparametrizedTime(end, samples: n).map { tMax in
            (0..<k).map { loss.flowTime(reaching: tMax * Double($0) / Double(k - 1), samples: n) }
        }
        if prescribed == nil, let times, times.allSatisfy({ $0 != nil && $0!.isFinite }) {
            saveAt = .times(times.map { Swift.min($0!, end) })
        } else {
            saveAt = .evenly(k, from: 0, to: sEnd)
        }
        self.maxSteps = maxSteps
        outputDirectory = p.string("output")!
    }

    func run(progress: ((FlowProgress) -> Void)?) throws -> FlowResult {
        let t0 = Date()
        if let augmented = integratedPrediction {
            // θ and the Prop. 2.5 deviation δ in one solve; the diagnostics see θ alone.
            let both = try integrate(
                augmented, stepper: stepper, controller: controller, from: 0, to: sEnd, start: augmented.augmentedStart(theta0),
                saveAt: saveAt, maxSteps: maxSteps, progress: progress)
            let wall = Date().timeIntervalSince(t0)
            let sol = augmented.parameterSolution(both)
            var points = try TrajectoryDiagnostics.compute(problem, sol, field: field)
            for (k, q) in try augmented.compare(both).enumerated() where k < points.count {
                points[k].integratedPredictedDeviation = q.predictedDeviation
                points[k].integratedPredictionError = q.predictionError
            }
            return FlowResult(solution: sol, points: points, wallTime: wall)
        }
        let sol = try integrate(
            field, stepper: stepper, controller: controller, from: 0, to: sEnd, start: theta0, saveAt: saveAt, maxSteps: maxSteps,
            progress: progress)
        let wall = Date().timeIntervalSince(t0)
        let spectrum = krylovLog == nil  // the matrix-free route was chosen because G may not fit: no NTK here either
        return FlowResult(solution: sol, points: try TrajectoryDiagnostics.compute(problem, sol, field: field, spectrum: spectrum),
                          wallTime: wall)
    }
}

/// A finished run: solution, diagnostics and the solve's wall time (diagnostics excluded).
struct FlowResult {
    let solution: FlowSolution
    let points: [TrajectoryPoint]
    let wallTime: Double

    /// `max |P_ran(D)^⊥(y − x₀)| / |y − x₀|` over the saved points (3.7); 0 when `y = x₀`.
    func relativeFeasibilityResidual(direction: [Double]) -> Double {
        let scale = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard scale > 0 else { return 0 }
        return points.compactMap(\.feasibilityResidual).max().map { $0 / scale } ?? 0
    }

    func write(to dir: String, inputsOf config: FlowConfiguration? = nil) throws {
        try makeDirectory(dir)
        try requireFinite(solution.finalState, what: "the final parameters θ")
        if let config {
            try NpyFile.write(config.problem.inputs, to: dir + "/x.npy")
            try NpyFile.write(config.problem.targets, to: dir + "/y.npy")
            try NpyFile.write(vector: config.theta0, to: dir + "/theta0.npy")
        }
        try TrajectoryDiagnostics.table(points).write(to: dir + "/trajectory.csv")
        try NpyFile.write(vector: solution.finalState, to: dir + "/theta_final.npy")
    }
}

/// Creates an output folder (its parent must exist).
func makeDirectory(_ dir: String) throws {
    try AtomicFile.makeFolder(dir)
}

/// Cross-entropy targets must be probability vectors: entries in [0, 1], each row summing to 1.
func requireProbabilityRows(_ y: Matrix, _ name: String) throws {
    for i in 0..<y.rows {
        var sum = 0.0
        for q in 0..<y.cols {
            let v = y[i, q]
            guard v >= 0, v <= 1 else {
                throw CommandFailure(.dataError, "--y: \(name): row \(i) has the entry \(v); cross-entropy targets are probability vectors (entries in [0, 1])")
            }
            sum += v
        }
        guard abs(sum - 1) <= 1e-9 * Double(max(1, y.cols)) else {
            throw CommandFailure(.dataError, "--y: \(name): row \(i) sums to \(sum); cross-entropy targets are probability vectors (each row sums to 1)",
                                 hint: "normalise each row, e.g. y / y.sum(axis=1, keepdims=True)")
        }
    }
}
