// What a descent on a TwoLayerReLUProblem records: per step, the loss, the flow time it stands for, the distance
// moved and, for proximal steps, the inner solver's statistics — so an unconverged inner solve is never silent.

import TangentFlow

/// One step of a descent (gradient descent or a proximal-point method).
public struct DescentRecord: Sendable {
    /// Step index `t` (0 = the starting point).
    public let step: Int
    /// Flow time of `W' = −∇F` that step `t` stands for: `t·η` for gradient descent with step `η`, `t·mγ` for a
    /// proximal step with parameter `γ` (its optimality condition `∇F(V) + (V − W)/(mγ) = 0` is implicit Euler
    /// with step `mγ`).
    public let time: Double
    /// `F(W^t)` (including weight decay).
    public let loss: Double
    /// The distance moved, `d(W^t, W^{t−1})` in the method's metric (Frobenius `(1/m)Σ|ΔW_i|²` or `W₂²`); 0 at
    /// step 0.
    public let distance: Double
    /// Inner gradient iterations of the proximal solve (0 for gradient descent and step 0).
    public let innerIterations: Int
    /// Final inner stationarity measure: `‖∇G(V)‖_F`, `∇G(V) = ∇F(V) + (V − T)/(mγ)`, or — when the minimiser
    /// sits on a ReLU kink — the norm of the minimum-norm convex combination of `∇G` over the last inner
    /// iterates (a Clarke-stationarity measure). 0 for gradient descent and step 0.
    public let innerGradientNorm: Double
    /// Assignment rounds of a W₂ proximal step (0 otherwise).
    public let assignmentRounds: Int
    /// Whether the step's inner solve met its tolerance (always true for gradient descent).
    public let converged: Bool
}

/// The trajectory of a descent: one record and one iterate per step, step 0 first.
public struct DescentTrace: Sendable {
    /// Per-step statistics, `records[t].step == t`.
    public let records: [DescentRecord]
    /// `W^t`, parallel to `records`.
    public let iterates: [Matrix]

    /// The last iterate.
    public var final: Matrix { iterates[iterates.count - 1] }
    /// Number of steps whose inner solve did not meet its tolerance (0 means every step converged).
    public var unconvergedSteps: Int { records.filter { !$0.converged }.count }
}

/// The metric of a proximal-point step `W^{t+1} = argmin_V F(V) + d(V, W^t)/(2γ)` (§2.2 of file 004, MATH.md §6).
public enum ProximalDistance: String, CaseIterable, Sendable {
    /// `d(V, W) = (1/m) Σ_i |V_i − W_i|²`: neurons keep their labels (§2.2.1). One inner solve per step.
    case frobenius
    /// `d(V, W) = W₂²((1/m)Σδ_{V_i}, (1/m)Σδ_{W_i}) = (1/m) min_σ Σ_i |V_i − W_{σ(i)}|²`: the particles' labels may
    /// be exchanged (§2.2.2); an exact linear assignment per round. Reduces to `.frobenius` while the identity
    /// stays the optimal assignment (small γ).
    case wasserstein
}
