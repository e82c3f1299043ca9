/// What one proximal-point step did (`ProximalPointStepper` on a `ResolventField`, `WassersteinProximalStepper`):
/// the step `y₁ = argmin_z E(z) + |z − T_σ|²/(2hc)` of §2.2 of file 004 (MATH.md §6), `T_σ` the start with its
/// particles permuted by the final assignment `σ` (the identity for the Frobenius step).
public struct ProximalStepReport: StepReport {
    /// Inner iterations summed over the assignment rounds.
    public let innerIterations: Int
    /// The last inner solve's stationarity measure (`ResolventSolution.residual`).
    public let residual: Double
    /// Assignment rounds (0 for the Frobenius step of `ProximalPointStepper`).
    public let assignmentRounds: Int
    /// The last inner solve met its tolerance and the assignment was stable within the round cap.
    public let converged: Bool
    /// `|y₁ − T_σ|² = Σ_k (y₁,k − T_σ,k)²`, the squared Euclidean distance moved in the state (for `m` particles,
    /// `m` times the Frobenius distance `(1/m)Σ|ΔW_i|²`, resp. `m·W₂²` of §2.2.2 with `σ` optimal).
    public let squaredDistance: Double
    /// The final assignment `σ` (`T_σ` row `i` is start row `σ(i)`) of a W₂ step; empty for the Frobenius step.
    public let permutation: [Int]
    /// Per assignment round of a W₂ step: the transport cost `Σ_i |V_i − y_σ(i)|²` with the round's `σ` kept, and
    /// the optimal assignment's cost for the same `V` (the stopping rule compares them); empty for the Frobenius step.
    public let rounds: [(keptCost: Double, assignedCost: Double)]

    /// A report; `permutation` and `rounds` are the W₂ step's (empty for the Frobenius step).
    public init(innerIterations: Int, residual: Double, assignmentRounds: Int, converged: Bool, squaredDistance: Double,
                permutation: [Int] = [], rounds: [(keptCost: Double, assignedCost: Double)] = []) {
        self.innerIterations = innerIterations
        self.residual = residual
        self.assignmentRounds = assignmentRounds
        self.converged = converged
        self.squaredDistance = squaredDistance
        self.permutation = permutation
        self.rounds = rounds
    }
}
