/// One step of an ODE solver (diffrax `_solver/base.py`): from `(s, y)` with step `h` to `y(s + h)`, with an
/// error estimate if the method has an embedded pair. Steppers know nothing of step-size control or saving.
public protocol Stepper: Sendable {
    /// Order of the propagated solution.
    var order: Int { get }
    /// Order of the embedded error estimate (`nil`: no estimate, fixed steps only).
    var errorOrder: Int? { get }
    /// One step. `f0` is `F(s, y)` when the caller already has it (first-same-as-last reuse).
    func step(_ field: any VectorField, at s: Double, _ y: [Double], size h: Double, f0: [Double]?) throws -> StepResult
}

/// The outcome of one step.
public struct StepResult: Sendable {
    /// `y(s + h)`.
    public var y: [Double]
    /// Local error estimate (`nil` without an embedded pair).
    public var error: [Double]?
    /// `F(s + h, y(s + h))` when the method computed it anyway (FSAL), for reuse by the next step.
    public var fLast: [Double]?
    /// Field evaluations made.
    public var evaluations: Int
    /// What an implicit step's inner solve did (`nil` for explicit methods); `integrate` collects one per
    /// accepted step into `FlowSolution.stepReports`.
    public var report: (any StepReport)? = nil

    /// The memberwise initialiser, `package` so that steppers in the papers' modules (the entropic JKO step) can
    /// return a result.
    package init(
        y: [Double], error: [Double]? = nil, fLast: [Double]? = nil, evaluations: Int, report: (any StepReport)? = nil
    ) {
        self.y = y
        self.error = error
        self.fLast = fLast
        self.evaluations = evaluations
        self.report = report
    }
}

/// Statistics of one step's inner solve (proximal and JKO steps: inner iterations, convergence), so that an
/// unconverged inner solve is reported by the solution, never silent.
public protocol StepReport: Sendable {
    /// Inner iterations the step ran (summed into `FlowSolution.Stats.innerIterations`).
    var innerIterations: Int { get }
    /// Whether the inner solve met its tolerance (counted in `FlowSolution.Stats.unconvergedSteps` when not).
    var converged: Bool { get }
}
