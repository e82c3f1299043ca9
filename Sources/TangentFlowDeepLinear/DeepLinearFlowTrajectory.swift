import Foundation
import TangentFlow

/// A sampled gradient-flow trajectory of a deep linear network: the end-to-end flow `W' = −A_{N,W}(∇E(W))`
/// (`EndToEndFlow`, MATH.md §4) or the upstairs flow (1.3) (`DeepLinearUpstairsFlow`), with its diagnostics.
public struct DeepLinearFlowTrajectory: Sendable {
    /// Save times `s_k = k·T/(points − 1)`.
    public let times: [Double]
    /// End-to-end matrices `W(s_k)` (for the upstairs flow, the products `W_N⋯W_1`).
    public let points: [Matrix]
    /// Upstairs factors `[W_1..W_N]` at each save time (empty for the end-to-end flow).
    public let factors: [[Matrix]]
    /// `E(W(s_k))`, when the energy has a value.
    public let energies: [Double]?
    /// For the upstairs flow, `max_{k,p} ‖D_p(s_k) − D_p(0)‖_F` of the balancedness defects (1.4), conserved
    /// exactly by the flow; 0 for the end-to-end flow.
    public let balancednessDrift: Double
    /// Accepted steps of the adaptive solver.
    public let steps: Int
    /// Whether the solver reached `T` (`false`: the step cap or a collapsing step stopped it; the trajectory holds
    /// what was reached).
    public let reachedEnd: Bool

    /// Length `∫ ‖W'‖_{g_W} ds` by the midpoint rule over the saved points (`DeepLinearMetric.pathLengthAndEnergy`).
    public func length(depth: Int, backend: KernelBackend = .c) throws -> Double {
        try DeepLinearMetric.pathLengthAndEnergy(of: points, depth: depth, backend: backend).length
    }
}

/// Integrates the end-to-end flow `W' = −A_{N,W}(∇E(W))` ((1.8) in file 002; Arora–Cohen–Hazan) from `W_0` to time
/// `T` by Dormand–Prince 5(4) with a PI step controller, saving `points` equally spaced states.
/// - Parameters:
///   - w0: start, square `d×d`, finite (any rank: `A_{N,W}` is defined there, with `0⁰ = 1`).
///   - energy: the energy (e.g. `DeepLinearEnergy.squaredLoss(target:)`).
///   - depth: `N ≥ 1`.
///   - time: `T > 0`.
///   - points: `≥ 2`.
///   - rtol, atol: the controller's tolerances (defaults `1e-10`, `1e-12`).
///   - maxSteps: cap of accepted + rejected steps (default 100 000).
/// - Throws: `.invalidArgument` for bad arguments; shape/finiteness errors; whatever the energy throws.
public func solveEndToEndFlow(
    from w0: Matrix, energy: DeepLinearEnergy, depth: Int, time: Double, points: Int, rtol: Double = 1e-10, atol: Double = 1e-12,
    maxSteps: Int = 100_000, backend: KernelBackend = .c
) throws -> DeepLinearFlowTrajectory {
    try w0.requireSquareFinite("solveEndToEndFlow", "W₀")
    let field = try EndToEndFlow(depth: depth, width: w0.rows, energy: energy, backend: backend)
    let (_, sol) = try solveDeepLinearFlow(field, start: w0.elements, time: time, points: points, rtol: rtol, atol: atol, maxSteps: maxSteps, "solveEndToEndFlow")
    let ws = sol.states.map { Matrix(uncheckedRows: w0.rows, cols: w0.rows, elements: $0) }
    let energies = try energy.value.map { value in try ws.map { try value($0) } }
    return DeepLinearFlowTrajectory(times: sol.times, points: ws, factors: [], energies: energies, balancednessDrift: 0,
                                    steps: sol.stats.acceptedSteps, reachedEnd: sol.status == .success)
}

/// Integrates the upstairs flow (1.3) `W_p' = −(W_N⋯W_{p+1})ᵀ∇E(W)(W_{p−1}⋯W_1)ᵀ` from a network to time `T`
/// (Dormand–Prince 5(4), PI control), saving `points` equally spaced states and the drift of the balancedness
/// defects (1.4), which the flow conserves. From a balanced start the products follow `solveEndToEndFlow`.
/// - Throws: as `solveEndToEndFlow`.
public func solveUpstairsFlow(
    from network: DeepLinearNetwork, energy: DeepLinearEnergy, time: Double, points: Int, rtol: Double = 1e-10, atol: Double = 1e-12,
    maxSteps: Int = 100_000, backend: KernelBackend = .c
) throws -> DeepLinearFlowTrajectory {
    let field = try DeepLinearUpstairsFlow(depth: network.depth, width: network.width, energy: energy, backend: backend)
    let (_, sol) = try solveDeepLinearFlow(
        field, start: DeepLinearUpstairsFlow.state(of: network), time: time, points: points, rtol: rtol, atol: atol, maxSteps: maxSteps, "solveUpstairsFlow")
    let networks = try sol.states.map { try field.network(from: $0) }
    let d0 = try network.balancednessDefects()
    var drift = 0.0
    for n in networks {
        for (a, b) in zip(try n.balancednessDefects(), d0) { drift = Swift.max(drift, DenseOps.sub(a, b).frobeniusNorm) }
    }
    let ws = try networks.map { try $0.endToEnd() }
    let energies = try energy.value.map { value in try ws.map { try value($0) } }
    return DeepLinearFlowTrajectory(times: sol.times, points: ws, factors: networks.map(\.factors), energies: energies,
                                    balancednessDrift: drift, steps: sol.stats.acceptedSteps, reachedEnd: sol.status == .success)
}

private func solveDeepLinearFlow(
    _ field: any VectorField, start: [Double], time: Double, points: Int, rtol: Double, atol: Double, maxSteps: Int, _ op: String
) throws -> ([Double], FlowSolution) {
    guard time.isFinite, time > 0 else { throw TangentFlowError.invalidArgument(operation: op, reason: "need a finite time T > 0, got \(time)") }
    guard points >= 2 else { throw TangentFlowError.invalidArgument(operation: op, reason: "need at least 2 points, got \(points)") }
    guard maxSteps >= 1 else { throw TangentFlowError.invalidArgument(operation: op, reason: "need maxSteps ≥ 1, got \(maxSteps)") }
    let times = (0..<points).map { time * Double($0) / Double(points - 1) }
    let sol = try integrate(field, stepper: ExplicitRungeKutta.dopri5, controller: PIController(rtol: rtol, atol: atol), from: 0, to: time,
                            start: start, saveAt: .times(times), maxSteps: maxSteps)
    return (times, sol)
}
