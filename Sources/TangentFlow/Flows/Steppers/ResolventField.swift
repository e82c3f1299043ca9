/// A gradient field `F = −c∇E` that solves its own proximal problem — the resolvent `(I − hF)⁻¹` that an
/// implicit step needs — with an inner solver that knows the field's structure (kinks, convexity):
///
/// ```
/// y₁ = argmin_z E(z) + |z − T|²/(2hc)   ⇔   ∇E(y₁) + (y₁ − T)/(hc) = 0   ⇔   y₁ = T + h F(y₁)
/// ```
/// (the proximal-point / minimising-movement step of §2.2 of file 004, MATH.md §6, towards the target `T`).
/// `ProximalPointStepper` uses it (with `T = y`) instead of its fixed-point iteration, and
/// `WassersteinProximalStepper` calls it towards the assignment-permuted targets.
public protocol ResolventField: VectorField {
    /// `y₁ = T + h F(s, y₁)`, the inner solve started at `start`.
    ///
    /// - Parameters:
    ///   - target: `T`.
    ///   - s: the time at which `F` is taken (`s + h` of the step; autonomous fields ignore it).
    ///   - h: the step `h > 0` in the solve's time (`hc` in the flow time of `E`).
    ///   - start: where the inner solve starts.
    ///   - tolerance: the field's own stopping threshold on its stationarity measure, `> 0`.
    ///   - maxIterations: cap on inner iterations, `≥ 1`; reaching it is reported (`converged == false`), not thrown.
    /// - Throws: `.shapeMismatch` for wrong lengths, `.invalidArgument` for a non-positive step.
    func resolvent(of target: [Double], at s: Double, size h: Double, start: [Double], tolerance: Double,
                   maxIterations: Int) throws -> ResolventSolution
}

/// The outcome of a `ResolventField.resolvent` solve.
public struct ResolventSolution: Sendable {
    /// `y₁`.
    public var point: [Double]
    /// Inner iterations run.
    public var iterations: Int
    /// Final stationarity measure (e.g. `‖∇E(y₁) + (y₁ − T)/(hc)‖`).
    public var residual: Double
    /// Whether `residual ≤ tolerance`.
    public var converged: Bool

    /// A solution record.
    public init(point: [Double], iterations: Int, residual: Double, converged: Bool) {
        self.point = point
        self.iterations = iterations
        self.residual = residual
        self.converged = converged
    }
}
