/// The W₂ proximal-point step of §2.2.2 of file 004 (MATH.md §6) for a state of `m` particles in `R^d`
/// (column-major `m×d`: particle `i`'s coordinate `k` at `i + k·m`) on a `ResolventField` `F = −c∇E`:
///
/// ```
/// y₁ = argmin_V E(V) + W₂²(V, y)·m/(2hc),   W₂²(V, y) = (1/m) min_σ Σ_i |V_i − y_σ(i)|²
///    = argmin_{V,σ} E(V) + Σ_i |V_i − y_σ(i)|²/(2hc)
/// ```
/// (with `hc = mγ` this is `argmin F(V) + W₂²(V, W^t)/(2γ)`). Block-coordinate descent from `V = y`, `σ = id`:
/// the field's resolvent towards the permuted targets `T_σ` (σ fixed), then an exact linear assignment (V fixed, warm-started from the previous round's dual potentials);
/// repeat until the assignment no longer lowers the transport cost beyond rounding (`1e-13` relative). Each
/// round does not increase the objective and there are finitely many σ, so the rounds stop; reaching
/// `maxAssignmentRounds` first is reported (`converged == false`). At the result, `V` meets the Frobenius
/// optimality condition `∇E(V) + (V − T_σ)/(hc) = 0` for an optimal `σ`. While the identity stays optimal (small
/// `hc`) the step equals `ProximalPointStepper`'s. Order 1, no error estimate.
///
/// A local method. Stopping rule, round `r`: with `V_r` the inner solve's result for the kept `σ_r`, stop when
/// `min_σ Σ_i |V_r,i − y_σ(i)|² ≥ Σ_i |V_r,i − y_σ_r(i)|² − 10⁻¹³·max(Σ_i |V_r,i − y_σ_r(i)|², 10⁻³⁰⁰)` (`σ_r` kept),
/// else `σ_{r+1}` = the optimal assignment. What it returns is a partial minimum of `(V, σ) ↦ E(V) + Σ|V_i − y_σ(i)|²/(2hc)`:
/// `σ` optimal for `V`, and `V` the inner solve's stationary point for `σ` reached by descent from the previous `V` —
/// a local minimiser of the non-convex, piecewise-quadratic `V`-problem, not necessarily the global `argmin` over
/// `(V, σ)`. In particular a start `y` that is a local minimiser of `E` is returned unchanged after one round with
/// `σ = id` (no movement), however large `hc` is. `ProximalStepReport.rounds` records both costs of every round,
/// `permutation` the final `σ`.
public struct WassersteinProximalStepper: Stepper {
    /// Number of particles `m` (the state has `m·d` entries).
    public let particles: Int
    /// The inner solve's stopping threshold (the field's stationarity measure), `> 0`.
    public let tolerance: Double
    /// Cap on inner iterations per assignment round, `≥ 1`.
    public let maxInnerIterations: Int
    /// Cap on assignment rounds, `≥ 1`.
    public let maxAssignmentRounds: Int
    /// Backend of the assignment solve (`Kernels.pointAssignment`).
    public let backend: KernelBackend

    /// - Throws: `.invalidArgument` for `particles < 1`, a tolerance `≤ 0` or a cap `< 1`.
    public init(particles: Int, tolerance: Double, maxInnerIterations: Int, maxAssignmentRounds: Int = 50,
                backend: KernelBackend = .c) throws {
        let op = "WassersteinProximalStepper"
        guard particles >= 1, tolerance > 0, tolerance.isFinite, maxInnerIterations >= 1, maxAssignmentRounds >= 1 else {
            throw TangentFlowError.invalidArgument(
                operation: op, reason: "need particles, maxInnerIterations, maxAssignmentRounds ≥ 1 and a finite tolerance > 0")
        }
        self.particles = particles
        self.tolerance = tolerance
        self.maxInnerIterations = maxInnerIterations
        self.maxAssignmentRounds = maxAssignmentRounds
        self.backend = backend
    }

    /// Order of the propagated solution.
    public var order: Int { 1 }
    /// No embedded error estimate.
    public var errorOrder: Int? { nil }

    /// One step from `(s, y)` of size `h` (equation in the type's documentation), with a `ProximalStepReport`.
    /// - Throws: `.invalidArgument` unless `field` is a `ResolventField`; `.shapeMismatch` unless `y.count` is a
    ///   positive multiple of `particles`; whatever the resolvent or the assignment throws.
    public func step(_ field: any VectorField, at s: Double, _ y: [Double], size h: Double, f0: [Double]?) throws -> StepResult {
        let op = "WassersteinProximalStepper"
        guard let field = field as? any ResolventField else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "the field must be a ResolventField (it solves the inner proximal problem)")
        }
        let m = particles
        guard !y.isEmpty, y.count % m == 0 else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "a state of m·d entries, m = \(m)", got: "\(y.count)")
        }
        let d = y.count / m
        let start = Matrix(uncheckedRows: m, cols: d, elements: y)
        var v = y
        var permutation = Array(0..<m)
        var rounds = 0, iterations = 0
        var inner = ResolventSolution(point: y, iterations: 0, residual: 0, converged: true)
        var assignmentStable = true
        var potentials: [Double]? = nil
        var history: [(keptCost: Double, assignedCost: Double)] = []
        while true {
            rounds += 1
            inner = try field.resolvent(
                of: permutedRows(y, permutation, m, d), at: s + h, size: h, start: v, tolerance: tolerance, maxIterations: maxInnerIterations)
            v = inner.point
            iterations += inner.iterations
            // Warm start: the column potentials of the previous round (the targets y are the same, V moved a
            // little, so most rows keep a tight column); exact from any start.
            let assignment = try backend.kernels.pointAssignment(
                Matrix(uncheckedRows: m, cols: d, elements: v), start, warmStart: potentials)
            potentials = assignment.columnPotentials
            var current = 0.0
            for i in 0..<m {
                for k in 0..<d { let e = v[i + k * m] - y[permutation[i] + k * m]; current += e * e }
            }
            history.append((current, assignment.totalCost))
            // Keep σ unless the new assignment lowers the transport cost beyond rounding.
            guard assignment.totalCost < current - 1e-13 * Swift.max(current, 1e-300) else { break }
            permutation = assignment.permutation
            if rounds >= maxAssignmentRounds {
                assignmentStable = false
                break
            }
        }
        let target = permutedRows(y, permutation, m, d)
        var moved = 0.0
        for k in 0..<(m * d) { moved += (v[k] - target[k]) * (v[k] - target[k]) }
        let report = ProximalStepReport(
            innerIterations: iterations, residual: inner.residual, assignmentRounds: rounds,
            converged: inner.converged && assignmentStable, squaredDistance: moved,
            permutation: permutation, rounds: history)
        return StepResult(y: v, error: nil, fLast: nil, evaluations: iterations, report: report)
    }

    /// Rows of column-major `m×d` storage `w` reordered: row i of the result is row `permutation[i]` of `w`.
    func permutedRows(_ w: [Double], _ permutation: [Int], _ m: Int, _ d: Int) -> [Double] {
        var out = [Double](repeating: 0, count: m * d)
        for k in 0..<d { for i in 0..<m { out[i + k * m] = w[permutation[i] + k * m] } }
        return out
    }
}
