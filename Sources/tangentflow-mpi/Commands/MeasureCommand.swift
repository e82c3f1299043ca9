import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowIO
import TangentFlowDistributed

let measureCommand = CommandSpec(
    name: "measure",
    abstract: "Time and per-rank peak memory of the distributed NTK, spectrum and D⁺g on a synthetic problem.",
    discussion: """
        Inputs X ~ N(0, I) (SyntheticData.gaussian), θ from the package's initialisation, g = ∇ₓC of the squared
        loss. Phases, in this order (peak memory is cumulative): gram (local blocks of G), cholesky (pdpotrf +
        pdpocon + pdpotrs + VJPs, G recomputed first), spectrum (pdsyevr, eigenvalues only), eigen (pdsyevr with
        vectors + 2 pdgemv + VJPs). Use a release build: swift build -c release --product tangentflow-mpi.
        """,
    options: [
        OptionSpec(name: "widths", value: "widths", help: "Layer widths M_0,…,M_L, comma-separated.", defaultValue: "16,128,128,10"),
        OptionSpec(name: "activation", value: "activation", help: "Hidden-layer activation.", defaultValue: "tanh",
                   values: Activation.allCases.map(\.rawValue)),
        OptionSpec(name: "samples", value: "N", help: "Number of samples N (QN = N·M_L).", defaultValue: "1024"),
        OptionSpec(name: "seed", value: "seed", help: "Seed of the synthetic data and θ.", defaultValue: "1"),
        OptionSpec(name: "phases", value: "list", help: "Comma-separated phases to run after gram.", defaultValue: "cholesky,spectrum"),
        OptionSpec(name: "grid", value: "RxC", help: "Process grid rows×columns; R·C = ranks (default: the most square).", optional: true),
        OptionSpec(name: "block", value: "nb", help: "Square block size of the block-cyclic layout.", defaultValue: "64"),
        OptionSpec(name: "json", value: "file", help: "Also write the records as a JSON array (rank 0).", optional: true),
    ],
    run: { p in
        let net = try MLP(widths: parseWidths(p.required("widths")), activation: Activation(rawValue: p.string("activation") ?? "tanh")!)
        let n = try p.parsed("samples", as: Int.self) ?? 1024
        let seed = try p.parsed("seed", as: UInt64.self) ?? 1
        let phases = (p.string("phases") ?? "").split(separator: ",").map(String.init)
        for ph in phases where !["cholesky", "spectrum", "eigen"].contains(ph) {
            throw UsageError(message: "The value '\(ph)' is invalid for '--phases' (values: cholesky, spectrum, eigen)")
        }
        let grid = try ModelOptions.grid(p)
        let data = try SyntheticData.gaussian(samples: n, inputDimension: net.inputDimension, outputs: net.outputDimension, seed: seed)
        let theta = net.initialParameters(seed: seed)
        let problem = try TrainingProblem(model: net, inputs: data.inputs, targets: data.targets)
        let g = problem.outputGradient(try problem.outputs(theta))
        var records: [[String: Any]] = []
        func record(_ phase: String, _ secs: Double, _ extra: [String: Any] = [:]) throws {
            let peak = try Distributed.peakMemory()
            var r: [String: Any] = [
                "case": "mpi-ntk", "phase": phase, "qn": problem.outputCount, "k": net.parameterCount, "ranks": Distributed.size,
                "grid": "\(grid.rows)x\(grid.cols)", "block": grid.blockSize, "seconds": secs,
                "peak_rss_max_bytes": peak.max() ?? 0, "peak_rss_bytes": peak,
                "threads": ProcessInfo.processInfo.environment["OMP_NUM_THREADS"] ?? "default",
            ]
            r.merge(extra) { $1 }
            records.append(r)
            say(phase.padding(toLength: 9, withPad: " ", startingAt: 0) + String(format: " %9.3f s", secs) + "   peak RSS max over ranks \(mib(peak.max() ?? 0))")
        }
        say("measure: QN = \(problem.outputCount), K = \(net.parameterCount), \(gridLine(grid))")
        let t0 = Distributed.time
        let ntk = try DistributedNTK(model: net, theta: theta, inputs: data.inputs, grid: grid)
        let mem = ntk.memory
        try record("gram", Distributed.time - t0, ["g_local_bytes": mem.gram, "row_tape_bytes": mem.tape, "panel_bytes": mem.panel])
        say("  local G \(mib(mem.gram)), row tape \(mib(mem.tape)), panel \(mib(mem.panel)) (rank 0)")
        for ph in phases {
            switch ph {
            case "spectrum":
                let work = ntk.eigenWorkspaceDoubles(vectors: false)
                let t = Distributed.time
                let w = try ntk.eigenvalues()
                let (rk, _) = ntk.rank(eigenvalues: w)
                try record("spectrum", Distributed.time - t, ["rank": rk, "workspace_bytes": work * 8, "lambda_max": w.last ?? 0])
            default:
                let method: GramPseudoinverse.Method = ph == "eigen" ? .eigen : .cholesky
                let work = method == .eigen ? ntk.eigenWorkspaceDoubles(vectors: true) : 0
                let t = Distributed.time
                let (_, r) = try ntk.pseudoinverseApply(g, method: method)
                try record(ph, Distributed.time - t, [
                    "rank": r.rank, "seconds_gram": r.secondsGram, "seconds_scalapack": r.secondsSolve,
                    "seconds_vjp": r.secondsPullback, "workspace_bytes": work * 8,
                ])
                say(String(format: "          (G recomputed %.3f s, ScaLAPACK %.3f s, VJPs + reduction %.3f s)", r.secondsGram, r.secondsSolve, r.secondsPullback))
            }
        }
        if let path = p.string("json") {
            try writeOnRankZero("writing JSON") {
                let data = try JSONSerialization.data(withJSONObject: records, options: [.prettyPrinted, .sortedKeys])
                try AtomicFile.write([UInt8](data), to: path)
            }
        }
    })
