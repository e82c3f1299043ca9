internal import CKernels

/// How much the Sinkhorn updates are over-relaxed: `f ← (1−ω)f + ω·(Sinkhorn update)`.
public enum OverRelaxation: Sendable, Equatable {
    /// `ω = 1`: plain Sinkhorn.
    case none
    /// Ten plain iterations measure the linear rate `r`; then `ω = 2/(1 + √(1 − r))`, the optimum for a linear
    /// iteration with that rate (SOR theory; Thibault, Chizat, Dossal & Papadakis 2017). Whenever the marginal
    /// error has not decreased for 20 iterations, `ω − 1` is halved (down to plain Sinkhorn, which converges).
    case automatic
    /// A fixed `ω ∈ [1, 2)`, with the same fall-back.
    case fixed(Double)
}

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

    /// The C encoding of `overRelaxation`: 0 = automatic.
    var omegaCode: Double {
        switch overRelaxation {
        case .none: 1
        case .automatic: 0
        case let .fixed(w): w
        }
    }
}

/// The outcome of a grid Sinkhorn solve: potentials `f`, `g` (cost units) of the plan
/// `P_kl = exp((f_k + g_l − C_kl)/ε)`, and how the solve went.
public struct SinkhornResult: Sendable {
    /// Potential of the first marginal (`−∞` where `a_k = 0`).
    public let f: [Double]
    /// Potential of the second marginal (`−∞` where `b_l = 0`).
    public let g: [Double]
    /// Iterations at the target `ε`.
    public let iterations: Int
    /// Iterations including the ε-scaling stages.
    public let totalIterations: Int
    /// `Σ_k |Σ_l P_kl − a_k|` of the returned plan.
    public let marginalErrorA: Double
    /// `Σ_l |Σ_k P_kl − b_l|` of the returned plan.
    public let marginalErrorB: Double
    /// The over-relaxation `ω` in use at the end.
    public let overRelaxation: Double
    /// Kernel entries the C path recomputed by direct log-sum-exp because the dgemm path was outside its
    /// exact range (0 for the Swift path, which always takes the direct route).
    public let exactFallbacks: Int
}

/// Entropic optimal transport between two measures on one regular 2-D grid with cost `½|x − y|²`, in the log
/// domain (never underflows at small `ε`), with separable kernel applications, optional ε-scaling and
/// over-relaxation, and L1 marginal-error stopping (MATH.md §6; DESIGN.md "Regular-grid Gibbs kernels").
public enum GridSinkhorn {
    /// Solves for the potentials. Throws for bad marginals (negative, not summing to 1, wrong length, NaN), bad
    /// options, or `.didNotConverge` if the iteration cap is reached with an error above the tolerance.
    public static func solve(
        grid: RegularGrid2D, a: [Double], b: [Double], options: SinkhornOptions, backend: KernelBackend = .c
    ) throws -> SinkhornResult {
        let op = "GridSinkhorn.solve"
        try options.validate(op)
        try requireProbabilityVector(a, count: grid.count, op, "a")
        try requireProbabilityVector(b, count: grid.count, op, "b")
        try MemoryBudget.require(doubles: 12 * grid.count + 2 * (grid.x1.count * grid.x1.count + grid.x2.count * grid.x2.count), operation: op)
        let result: SinkhornResult
        switch backend {
        case .c: result = try solveC(grid: grid, a: a, b: b, options: options)
        case .swift: result = try SwiftGridSinkhorn.solve(grid: grid, a: a, b: b, options: options)
        }
        guard result.marginalErrorA <= options.tolerance, result.marginalErrorB <= options.tolerance else {
            throw TangentFlowError.didNotConverge(
                operation: op, iterations: result.totalIterations,
                residual: Swift.max(result.marginalErrorA, result.marginalErrorB), tolerance: options.tolerance)
        }
        return result
    }

    private static func solveC(grid: RegularGrid2D, a: [Double], b: [Double], options: SinkhornOptions) throws -> SinkhornResult {
        var f = [Double](repeating: 0, count: grid.count), g = f
        var opt = ck_sinkhorn_options(
            reg: options.regularization, tol: options.tolerance, max_iterations: options.maxIterations,
            reg_start: options.epsilonScalingStart ?? 0, reg_decay: options.epsilonScalingDecay,
            stage_iterations: options.iterationsPerScale, omega: options.omegaCode)
        var report = ck_sinkhorn_report()
        let status = ck_sinkhorn_grid(grid.x1.count, grid.x2.count, grid.x1, grid.x2, a, b, &opt, &f, &g, &report)
        try TangentFlowError.check(status, operation: "GridSinkhorn.solve")
        return SinkhornResult(
            f: f, g: g, iterations: report.iterations, totalIterations: report.total_iterations,
            marginalErrorA: report.error_a, marginalErrorB: report.error_b, overRelaxation: report.omega_final,
            exactFallbacks: report.exact_fallbacks)
    }

    /// The transport cost `⟨P, C⟩ = Σ_kl P_kl C_kl` and total mass `Σ_kl P_kl` of the plan of `(f, g)`, summed over
    /// all `(n1·n2)²` pairs (vectorised exponentials in C; a plain loop in the Swift path).
    public static func transportCost(
        grid: RegularGrid2D, f: [Double], g: [Double], regularization: Double, backend: KernelBackend = .c
    ) throws -> (cost: Double, mass: Double) {
        let op = "GridSinkhorn.transportCost"
        guard f.count == grid.count, g.count == grid.count else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "f, g of length \(grid.count)", got: "\(f.count), \(g.count)")
        }
        guard regularization > 0, regularization.isFinite else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "regularization must be positive, got \(regularization)")
        }
        for (k, v) in f.enumerated() where v.isNaN || v == .infinity {
            throw TangentFlowError.nonFinite(operation: op, argument: "f", row: k, column: 0)
        }
        for (k, v) in g.enumerated() where v.isNaN || v == .infinity {
            throw TangentFlowError.nonFinite(operation: op, argument: "g", row: k, column: 0)
        }
        switch backend {
        case .c:
            var cost = 0.0, mass = 0.0
            let status = ck_sinkhorn_grid_cost(grid.x1.count, grid.x2.count, grid.x1, grid.x2, regularization, f, g, &cost, &mass, 0)
            try TangentFlowError.check(status, operation: op)
            return (cost, mass)
        case .swift:
            return SwiftGridSinkhorn.transportCost(grid: grid, f: f, g: g, regularization: regularization)
        }
    }
}
