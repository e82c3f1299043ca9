// A value type of the grid Sinkhorn kernels (`Kernels.gridSinkhorn`), below the `TangentFlowWasserstein/Transport/` façade.

/// Options of the grid Sinkhorn solver.
public struct SinkhornOptions: Sendable, Equatable {
    /// Entropic regularisation `ε > 0` of `min ⟨C, P⟩ + ε Σ P(log P − 1)` (in cost units).
    public var regularization: Double
    /// Stop when the L1 errors of both marginals are at most this.
    public var tolerance: Double = 1e-9
    /// Cap on all iterations (ε-scaling stages included). Reaching it throws `.didNotConverge`.
    public var maxIterations: Int = 100_000
    /// ε-scaling: the first `ε` of a geometric schedule down to `regularization` (`nil`: no scaling).
    public var epsilonScalingStart: Double? = nil
    /// ε-scaling: the factor between consecutive `ε` (in `(0, 1)`).
    public var epsilonScalingDecay: Double = 0.5
    /// ε-scaling: iterations at each intermediate `ε`.
    public var iterationsPerScale: Int = 10
    /// Over-relaxation at the target `ε`.
    public var overRelaxation: OverRelaxation = .automatic

    /// Options with the given regularisation and defaults otherwise.
    public init(regularization: Double) { self.regularization = regularization }

    func validate(_ operation: String) throws {
        guard regularization > 0, regularization.isFinite else {
            throw TangentFlowError.invalidArgument(operation: operation, reason: "regularization must be positive and finite, got \(regularization)")
        }
        guard tolerance > 0, tolerance.isFinite else {
            throw TangentFlowError.invalidArgument(operation: operation, reason: "tolerance must be positive, got \(tolerance)")
        }
        guard maxIterations > 0 else {
            throw TangentFlowError.invalidArgument(operation: operation, reason: "maxIterations must be positive, got \(maxIterations)")
        }
        if let s = epsilonScalingStart, !(s > 0 && s.isFinite) {
            throw TangentFlowError.invalidArgument(operation: operation, reason: "epsilonScalingStart must be positive, got \(s)")
        }
        guard epsilonScalingDecay > 0, epsilonScalingDecay < 1 else {
            throw TangentFlowError.invalidArgument(operation: operation, reason: "epsilonScalingDecay must be in (0, 1), got \(epsilonScalingDecay)")
        }
        guard iterationsPerScale >= 0 else {
            throw TangentFlowError.invalidArgument(operation: operation, reason: "iterationsPerScale must be ≥ 0, got \(iterationsPerScale)")
        }
        if case let .fixed(w) = overRelaxation, !(w >= 1 && w < 2) {
            throw TangentFlowError.invalidArgument(operation: operation, reason: "over-relaxation ω must be in [1, 2), got \(w)")
        }
    }

    /// `ω` as one number, `0` meaning automatic: the encoding of `ck_sinkhorn_options.omega`, also read by the
    /// Swift path (a fixed `ω` or `1` for plain Sinkhorn).
    var omegaCode: Double {
        switch overRelaxation {
        case .none: 1
        case .automatic: 0
        case let .fixed(w): w
        }
    }
}
