import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowDeepLinear
import TangentFlowIO

/// `tangentflow dln flow --upstairs|--end-to-end --w W0.npy --target Y.npy --depth N --time T -o traj.npy`.
let dlnFlowCommand = CommandSpec(
    name: "flow",
    abstract: "Gradient flow of E(W) = ½‖W − Y‖²_F for a deep linear network: upstairs (1.3) or end-to-end.",
    discussion: """
        --end-to-end integrates W' = −A_{N,W}(W − Y) on d×d matrices (Arora–Cohen–Hazan; the image of the balanced
        upstairs flow). --upstairs integrates W_p' = −(W_N⋯W_{p+1})ᵀ(W − Y)(W_{p−1}⋯W_1)ᵀ (1.3) on the factors,
        started from the balanced network of --w (W_p = U Σ^{1/N} Uᵀ…, (1.5)) or from the factors in --factors.
        Dormand–Prince 5(4) with relative/absolute tolerances --rtol/--atol; -o gets the end-to-end matrices
        W(s_k) at s_k = k·T/(K−1) as a (K, d, d) array; --factors-output gets the upstairs factors as a (K·N, d, d)
        array (entry k·N + p − 1 holds W_p(s_k)). Prints the final energy and, upstairs, the drift of the conserved
        balancedness defects W_{p+1}ᵀW_{p+1} − W_pW_pᵀ (1.4). Exit 75 if the step cap stops the solve.
        """,
    options: [
        OptionSpec(name: "upstairs", help: "Integrate the factors W_1..W_N (1.3)."),
        OptionSpec(name: "end-to-end", help: "Integrate the end-to-end matrix W (the default)."),
        OptionSpec(name: "w", value: "W0.npy", help: "Start (d×d); upstairs, the balanced network of it.", optional: true, kind: .inputFile),
        OptionSpec(name: "factors", value: "F.npy", help: "Upstairs start: factors W_1..W_N as an (N, d, d) array (sets N).", optional: true,
                   kind: .inputFile),
        OptionSpec(name: "target", value: "Y.npy", help: "Target Y (d×d) of E(W) = ½‖W − Y‖²_F.", kind: .inputFile),
        depthOption,
        OptionSpec(name: "time", value: "T", help: "Flow time.", defaultValue: "1", kind: .real(lower: 0, upper: 1e6, openLower: true)),
        OptionSpec(name: "points", value: "K", help: "Saved points, at s = k·T/(K−1).", defaultValue: "11", kind: .integer(2...100_000)),
        OptionSpec(name: "rtol", value: "r", help: "Relative tolerance of the step control.", defaultValue: "1e-10", kind: .real(lower: 1e-14, upper: 1)),
        OptionSpec(name: "atol", value: "a", help: "Absolute tolerance of the step control.", defaultValue: "1e-12", kind: .real(lower: 1e-16, upper: 1)),
        OptionSpec(name: "max-steps", value: "n", help: "Cap of solver steps (accepted + rejected).", defaultValue: "100000", kind: .integer(1...10_000_000)),
        OptionSpec(name: "output", short: "o", value: "traj.npy", help: "Where to write W(s_k): float64 (K, d, d) ('-': standard output).",
                   kind: .outputFile),
        OptionSpec(name: "factors-output", value: "F.npy", help: "Upstairs only: where to write the factors, (K·N, d, d).", optional: true,
                   kind: .outputFile),
    ],
    examples: [
        "python3 -c 'import numpy as np; np.save(\"W0.npy\", .5 * np.eye(2)); np.save(\"Y.npy\", [[2., 1.], [0., 1.]])'",
        "tangentflow dln flow --end-to-end --w W0.npy --target Y.npy --depth 3 --time 2 -o traj.npy",
        "tangentflow dln flow --upstairs --w W0.npy --target Y.npy --depth 3 --time 2 -o traj.npy --factors-output F.npy",
    ],
    run: { p in
        let upstairs = p.has("upstairs")
        if upstairs && p.has("end-to-end") {
            throw UsageError(message: "--upstairs and --end-to-end contradict each other: give one")
        }
        let output = try p.required("output")
        if !upstairs && p.string("factors") != nil { throw UsageError(message: "--factors needs --upstairs") }
        if !upstairs && p.string("factors-output") != nil { throw UsageError(message: "--factors-output needs --upstairs") }
        guard (p.string("w") == nil) != (p.string("factors") == nil) else {
            throw UsageError(message: upstairs ? "give exactly one start: --w W0.npy or --factors F.npy" : "missing required option '--w <W0.npy>'")
        }
        let time = try p.double("time"), points = try p.int("points"), maxSteps = try p.int("max-steps")
        let rtol = try p.double("rtol"), atol = try p.double("atol")
        let y = try squareMatrixOption(p, "target")
        let energy = try DeepLinearEnergy.squaredLoss(target: y)
        var depth = try p.int("depth")
        let start: DeepLinearNetwork?
        let w0: Matrix
        if let _ = p.string("factors") {
            let factors = try p.stack("factors")
            guard let first = factors.first, factors.allSatisfy({ $0.rows == y.rows && $0.cols == y.rows }), first.rows > 0 else {
                throw CommandFailure(.dataError, "--factors: \(p.string("factors")!) must hold N ≥ 1 factors of the size of --target (\(y.rows)×\(y.rows))")
            }
            start = try DeepLinearNetwork(factors: factors)
            depth = factors.count
            w0 = try start!.endToEnd()
        } else {
            w0 = try squareMatrixOption(p, "w")
            try requireSameSize(y, "target", as: w0, "w")
            start = upstairs ? try DeepLinearNetwork.balanced(endToEnd: w0, depth: depth) : nil
        }
        let d = y.rows
        try MemoryBudget.require(bytes: MemoryBudget.product(points, (depth + 1) * d * d, 8 * 2),
                                 operation: "a flow of \(points) points of depth \(depth) on \(d)×\(d)")
        Progress.shared.begin("dln flow", detail: upstairs ? "upstairs" : "end-to-end")
        let trajectory = try upstairs
            ? solveUpstairsFlow(from: start!, energy: energy, time: time, points: points, rtol: rtol, atol: atol, maxSteps: maxSteps)
            : solveEndToEndFlow(from: w0, energy: energy, depth: depth, time: time, points: points, rtol: rtol, atol: atol, maxSteps: maxSteps)
        Progress.shared.end()
        guard trajectory.points.allSatisfy({ $0.elements.allSatisfy(\.isFinite) }) else {
            throw CommandFailure(.stopped, "the flow became non-finite (it blew up before s = \(time))", hint: "lower --time")
        }
        try p.write(stack: trajectory.points, to: "output")
        if upstairs, p.string("factors-output") != nil { try p.write(stack: trajectory.factors.flatMap { $0 }, to: "factors-output") }
        let final = trajectory.energies?.last ?? .nan
        p.report.results(["flow": upstairs ? "upstairs" : "end-to-end", "depth": depth, "points": trajectory.points.count,
                          "final_time": trajectory.times.last ?? 0, "final_energy": final, "steps": trajectory.steps,
                          "balancedness_drift": trajectory.balancednessDrift])
        guard trajectory.reachedEnd else {
            throw CommandFailure(.stopped, "the solver stopped at s = \(trajectory.times.last ?? 0) before T = \(time) (step cap \(maxSteps) or a collapsing step)",
                                 hint: "raise --max-steps or loosen --rtol/--atol")
        }
        p.report.say("wrote \(output)")
    })

extension ParsedArguments {
    /// The `(count, rows, cols)` stack in the file of `--name`; NaN or ±∞ entries are bad data named by the option.
    func stack(_ name: String) throws -> [Matrix] {
        let path = try path(name)
        let ms = try NpyFile.readStack(from: path)
        report.input(name, path: path, shape: [ms.count, ms.first?.rows ?? 0, ms.first?.cols ?? 0])
        for (k, m) in ms.enumerated() where !m.elements.allSatisfy(\.isFinite) {
            throw CommandFailure(.dataError, "\(label(name)): \(path) has a non-finite entry in matrix \(k)", hint: "remove or replace the NaN/infinite entries")
        }
        return ms
    }
}
