// The ways to build a flow, as enumerations whose raw values are the command-line spellings: the command line
// lists `allCases` in its help and parses with `init(rawValue:)`, so the help and the parser cannot disagree,
// and adding a case here (plus the type it builds) is all a new stepper, field or route needs.

/// The steppers a flow can be integrated with.
public enum StepperChoice: String, CaseIterable, Sendable {
    /// Explicit Euler (order 1); needs a constant step.
    case euler
    /// Classical Runge–Kutta (order 4); needs a constant step.
    case rk4
    /// Dormand–Prince 5(4) with an embedded error estimate: adaptive with a PI controller, or constant.
    case dopri5
    /// Implicit proximal-point (backward Euler) steps, `θₙ₊₁ = θₙ − h ∇C(θₙ₊₁)`; needs a constant step.
    case prox

    /// A fresh stepper of this kind.
    /// - Throws: what the stepper's initialiser throws (never for the defaults).
    public func make() throws -> any Stepper {
        switch self {
        case .euler: return ExplicitRungeKutta.euler
        case .rk4: return ExplicitRungeKutta.rk4
        case .dopri5: return ExplicitRungeKutta.dopri5
        case .prox: return try ProximalPointStepper()
        }
    }

    /// Whether the stepper has an error estimate, so that an adaptive step-size controller can drive it.
    public var isAdaptive: Bool { self == .dopri5 }
}

/// The vector fields of a flow in parameter space (Chen & Muñoz Ewald, arXiv 2408.01517).
public enum FieldChoice: String, CaseIterable, Sendable {
    /// `θ' = −∇_θ C = −Dᵀ∇ₓC` (2.3).
    case standard
    /// `θ' = −D⁺∇ₓC`: outputs follow linear interpolation (Prop. 2.4).
    case adapted
    /// `θ' = −(α D⁺ + (1 − α) Dᵀ)∇ₓC` (2.31)–(2.32): α = 0 standard, α = 1 adapted.
    case interpolated
    /// The field that follows the prescribed output path `x(s) = (1 − s)x₀ + s y` (3.5), `s ∈ [0, 1]`.
    case prescribed

    /// The field for `problem`; `alpha` is used by `.interpolated`, `start` by `.prescribed`.
    /// - Throws: `.invalidArgument` for α outside [0, 1]; what the prescribed field's initialiser throws.
    public func make(problem: TrainingProblem, route: PseudoinverseRoute = .default, alpha: Double = 0.5,
                     start theta0: [Double]) throws -> any ParameterFlow {
        switch self {
        case .standard: return StandardFlow(problem: problem)
        case .adapted: return AdaptedFlow(problem: problem, route: route)
        case .interpolated: return try InterpolatedFlow(problem: problem, alpha: alpha, route: route)
        case .prescribed: return try PrescribedPathFlow(problem: problem, startingAt: theta0, route: route)
        }
    }
}

/// How `D⁺g` is computed (see `PseudoinverseRoute`).
public enum RouteChoice: String, CaseIterable, Sendable {
    /// The NTK `G` and a Cholesky or eigen solve (`PseudoinverseRoute.default`).
    case gram
    /// The thin SVD of the Jacobian `D`.
    case svd
    /// LSMR on the matrix-free NTK operator: neither `G` nor `D` is formed.
    case matrixFree = "matrix-free"

    /// The route this choice names; `.matrixFree` gets `krylov` and a fresh log.
    public func route(krylov: LSMROptions = LSMROptions()) -> PseudoinverseRoute {
        switch self {
        case .gram: return .default
        case .svd: return .svd
        case .matrixFree: return .matrixFree(krylov, log: KrylovSolveLog())
        }
    }
}
