import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowIO
import TangentFlowDistributed

func mib(_ bytes: Double) -> String { String(format: "%.0f MiB", bytes / 1_048_576) }
func mib(_ bytes: Int) -> String { mib(Double(bytes)) }
func seconds(_ s: Double) -> String { String(format: "%.3f s", s) }

/// COLLECTIVE. Rank 0 writes the file; a failure there fails every rank.
func writeOnRankZero(_ what: String, _ body: () throws -> Void) throws {
    try Distributed.agree(what) { if Distributed.rank == 0 { try body() } }
}

func gridLine(_ g: ProcessGrid) -> String { "grid \(g.rows)x\(g.cols), block \(g.blockSize), \(Distributed.size) rank(s)" }

/// `tangentflow-mpi ntk-eigenvalues`: every eigenvalue of the dense distributed `G` (named `ntk-spectrum` before
/// that name went to the matrix-free command both tools share).
let ntkEigenvaluesCommand = CommandSpec(
    name: "ntk-eigenvalues",
    abstract: "All eigenvalues of the NTK G = Θ(X, X) ∈ R^{QN×QN} on ScaLAPACK over MPI (pdsyevr), and its numerical rank.",
    discussion: """
        G is computed block-cyclically (each rank only its own blocks, from the per-layer factors of the samples
        they touch) and never gathered: 8(QN)²/P bytes per rank. For a few eigenpairs of a larger G use
        'ntk-spectrum', which never forms it. Writes the QN eigenvalues, ascending, as a float64 vector. The rank uses the
        rank cut-off tol_G = max(tol_D², QN·ε·λ_max), tol_D = max(QN, K)·ε·√λ_max. Rank 0 alone reads, writes
        and prints.
        """,
    options: ModelOptions.specs + [
        OptionSpec(name: "output", short: "o", value: "eig.npy", help: "Where to write the eigenvalues (float64, ascending)."),
    ],
    run: { p in
        let net = try ModelOptions.model(p)
        let grid = try ModelOptions.grid(p)
        let inputs = try ModelOptions.replicated(p, ["theta", "x"])
        let t0 = Distributed.time
        let ntk = try DistributedNTK(model: net, theta: inputs[0].elements, inputs: inputs[1], grid: grid)
        let t1 = Distributed.time
        let w = try ntk.eigenvalues()
        let t2 = Distributed.time
        let (rank, tol) = ntk.rank(eigenvalues: w)
        try writeOnRankZero("writing eigenvalues") { try NpyFile.write(vector: w, to: p.required("output")) }
        let peak = try Distributed.peakMemory()
        say("G: \(ntk.order)x\(ntk.order), K = \(ntk.parameterCount), \(gridLine(grid))")
        say(String(format: "spectrum: λ_max = %.6e, λ_min = %.6e, rank %d (tol_G = %.3e)", w.last ?? 0, w.first ?? 0, rank, tol))
        say("time: G blocks \(seconds(t1 - t0)), pdsyevr \(seconds(t2 - t1)); peak memory per rank max \(mib(peak.max() ?? 0))")
    })

let adaptedStepCommand = CommandSpec(
    name: "adapted-step",
    abstract: "Adapted-flow field θ' = −D⁺∇ₓC ((2.19)/(2.27) in 2408.01517) on ScaLAPACK over MPI, or a short flow.",
    discussion: """
        D⁺g = Dᵀψ with G ψ = P_ran(G) g solved distributed (pdpotrf/pdpotrs while G is safely positive definite,
        pdsyevr with the rank cut-off otherwise), Dᵀψ by local VJPs and one reduction. With --steps 0 writes
        θ' (length K); with --steps S > 0 integrates S fixed steps of size --dt and writes θ(S·dt).
        """,
    options: ModelOptions.specs + [
        OptionSpec(name: "y", value: "Y.npy", help: "Targets, one sample per row (N×Q)."),
        OptionSpec(name: "loss", value: "loss", help: "Cost.", defaultValue: "squared", values: Loss.allCases.map(\.rawValue)),
        OptionSpec(name: "method", value: "method", help: "How G⁺g is solved.", defaultValue: "automatic",
                   values: GramPseudoinverse.Method.allCases.map(\.rawValue)),
        OptionSpec(name: "steps", value: "S", help: "Fixed steps to integrate (0: only the velocity).", defaultValue: "0"),
        OptionSpec(name: "dt", value: "h", help: "Step size in flow time s.", defaultValue: "0.1"),
        OptionSpec(name: "stepper", value: "stepper", help: "Explicit Runge–Kutta method.", defaultValue: "rk4", values: ["euler", "rk4"]),
        OptionSpec(name: "output", short: "o", value: "out.npy", help: "Where to write θ' (S = 0) or θ(S·dt) (float64)."),
    ],
    run: { p in
        let net = try ModelOptions.model(p)
        let loss = Loss(rawValue: p.string("loss") ?? "squared")!
        let method = GramPseudoinverse.Method(rawValue: p.string("method") ?? "automatic")!
        let steps = try p.parsed("steps", as: Int.self) ?? 0
        let dt = try p.parsed("dt", as: Double.self) ?? 0.1
        guard steps >= 0 else { throw UsageError(message: "The value '\(steps)' is invalid for '--steps'") }
        guard dt > 0, dt.isFinite else { throw UsageError(message: "The value '\(dt)' is invalid for '--dt'") }
        let grid = try ModelOptions.grid(p)
        let inputs = try ModelOptions.replicated(p, ["theta", "x", "y"])
        let theta = inputs[0].elements
        let problem = try Distributed.agree("adapted-step") {
            try TrainingProblem(model: net, inputs: inputs[1], targets: inputs[2], loss: loss)
        }
        let flow = DistributedAdaptedFlow(problem: problem, grid: grid, method: method)
        let t0 = Distributed.time
        let result: [Double]
        if steps == 0 {
            let (v, r) = try flow.step(theta)
            result = v
            say("D⁺g: rank \(r.rank) of \(problem.outputCount), route \(r.usedCholesky ? "cholesky" : "eigen")"
                + (r.usedCholesky ? String(format: " (1/κ₁ ≈ %.2e)", r.reciprocalCondition) : String(format: " (λ_max %.3e, tol_G %.3e)", r.lambdaMax, r.threshold)))
            say("time: G blocks \(seconds(r.secondsGram)), ScaLAPACK \(seconds(r.secondsSolve)), VJPs + reduction \(seconds(r.secondsPullback))")
        } else {
            let stepper = p.string("stepper") == "euler" ? ExplicitRungeKutta.euler : ExplicitRungeKutta.rk4
            let sol = try integrate(flow, stepper: stepper, controller: ConstantStepSize(dt), from: 0, to: Double(steps) * dt, start: theta)
            result = sol.states.last!
            let c0 = try problem.lossValue(theta), c1 = try problem.lossValue(result)
            say(String(format: "flow: %d steps, loss %.6e → %.6e", sol.stats.acceptedSteps, c0, c1))
        }
        let t1 = Distributed.time
        try writeOnRankZero("writing the result") { try NpyFile.write(vector: result, to: p.required("output")) }
        let peak = try Distributed.peakMemory()
        say("QN = \(problem.outputCount), K = \(net.parameterCount), \(gridLine(grid)); total \(seconds(t1 - t0)); peak memory per rank max \(mib(peak.max() ?? 0))")
    })
