/// The proximal-point step (implicit Euler): `y₁ = y + h F(s + h, y₁)`. For a gradient flow `F = −∇C` this is
/// `y₁ = argmin_z C(z) + |z − y|²/(2h)`, the JKO/minimising-movement step. Solved by the fixed-point iteration
/// `z ← y + h F(s + h, z)`, which contracts when `h·Lip(F) < 1`; order 1, no error estimate.
///
/// On a `ResolventField` the step is the field's own resolvent solve towards `T = y` instead
/// (`∇E(y₁) + (y₁ − y)/(hc) = 0`, the Frobenius proximal step of §2.2.1 of file 004, MATH.md §6), started at
/// `y`, with `tolerance` and `maxIterations` passed to that solve (its stationarity measure, not `|Δz|`); an
/// unconverged solve is then reported in the step's `ProximalStepReport` (and `FlowSolution.stats`), not thrown.
public struct ProximalPointStepper: Stepper {
    /// Relative tolerance of the inner iteration: stop when `|Δz| ≤ tolerance·(1 + |z|)`.
    public let tolerance: Double
    /// Inner iteration cap; the step throws `.invalidArgument` (naming the step size) if reached.
    public let maxIterations: Int

    /// - Throws: `.invalidArgument` for a non-positive tolerance or cap.
    public init(tolerance: Double = 1e-12, maxIterations: Int = 200) throws {
        guard tolerance > 0, maxIterations > 0 else {
            throw TangentFlowError.invalidArgument(operation: "ProximalPointStepper", reason: "tolerance and maxIterations must be positive")
        }
        self.tolerance = tolerance
        self.maxIterations = maxIterations
    }

    /// Order of the propagated solution.
    public var order: Int { 1 }
    /// Order of the embedded error estimate (`nil`: none).
    public var errorOrder: Int? { nil }

    /// One step from `(s, y)` of size `h`, see `Stepper.step(_:at:_:size:f0:)`.
    public func step(_ field: any VectorField, at s: Double, _ y: [Double], size h: Double, f0: [Double]?) throws -> StepResult {
        if let field = field as? any ResolventField {
            let r = try field.resolvent(of: y, at: s + h, size: h, start: y, tolerance: tolerance, maxIterations: maxIterations)
            var moved = 0.0
            for k in 0..<y.count { moved += (r.point[k] - y[k]) * (r.point[k] - y[k]) }
            let report = ProximalStepReport(
                innerIterations: r.iterations, residual: r.residual, assignmentRounds: 0, converged: r.converged, squaredDistance: moved)
            return StepResult(y: r.point, error: nil, fLast: nil, evaluations: r.iterations, report: report)
        }
        var z = axpy(y, h, try f0 ?? field.velocity(at: s, y))  // explicit Euler predictor
        var evaluations = f0 == nil ? 1 : 0
        for _ in 0..<maxIterations {
            let next = axpy(y, h, try field.velocity(at: s + h, z))
            evaluations += 1
            let change = norm2((0..<z.count).map { next[$0] - z[$0] })
            z = next
            if change <= tolerance * (1 + norm2(z)) {
                return StepResult(y: z, error: nil, fLast: nil, evaluations: evaluations)
            }
        }
        throw TangentFlowError.invalidArgument(
            operation: "ProximalPointStepper",
            reason: "fixed-point iteration did not converge in \(maxIterations) iterations at step size \(h); use a smaller step")
    }
}
