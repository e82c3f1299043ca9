import TangentFlow

/// Entropic optimal transport between two measures on one regular 2-D grid with cost `½|x − y|²`, in the log
/// domain (never underflows at small `ε`), with separable kernel applications, optional ε-scaling and
/// over-relaxation, and L1 marginal-error stopping (MATH.md §6; DESIGN.md "Regular-grid Gibbs kernels").
public enum GridSinkhorn {
    /// Solves for the potentials. Throws for bad marginals (negative, not summing to 1, wrong length, NaN), bad
    /// options, or `.didNotConverge` if the iteration cap is reached with an error above the tolerance.
    public static func solve(
        grid: RegularGrid2D, a: [Double], b: [Double], options: SinkhornOptions, backend: KernelBackend = .c
    ) throws -> SinkhornResult {
        let result = try backend.kernels.gridSinkhorn(grid: grid, a: a, b: b, options: options)
        guard result.marginalErrorA <= options.tolerance, result.marginalErrorB <= options.tolerance else {
            throw TangentFlowError.didNotConverge(
                operation: "GridSinkhorn.solve", iterations: result.totalIterations,
                residual: Swift.max(result.marginalErrorA, result.marginalErrorB), tolerance: options.tolerance)
        }
        return result
    }

    /// The transport cost `⟨P, C⟩ = Σ_kl P_kl C_kl` and total mass `Σ_kl P_kl` of the plan of `(f, g)`, summed over
    /// all `(n1·n2)²` pairs (vectorised exponentials in C; a plain loop in the Swift path).
    public static func transportCost(
        grid: RegularGrid2D, f: [Double], g: [Double], regularization: Double, backend: KernelBackend = .c
    ) throws -> (cost: Double, mass: Double) {
        try backend.kernels.gridTransportCost(grid: grid, f: f, g: g, regularization: regularization)
    }
}
