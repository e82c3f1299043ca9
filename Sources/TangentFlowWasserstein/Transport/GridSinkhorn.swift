import Foundation
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

    /// The transport cost `⟨P, C⟩ = Σ_kl P_kl C_kl` and total mass `Σ_kl P_kl` of the plan of `(f, g)`, in
    /// `O(n1·n2·(n1 + n2))`: the cost `C = c_1 ⊕ c_2` is separable, so `Σ_kl P_kl c_a(k, l)` is
    /// `Σ_k exp(f_k/ε + log Σ_l exp((g_l − C_kl)/ε)·c_a(k, l))`, one cost-weighted log-domain kernel application
    /// per axis (`Kernels.gridTransportCost`).
    public static func transportCost(
        grid: RegularGrid2D, f: [Double], g: [Double], regularization: Double, backend: KernelBackend = .c
    ) throws -> (cost: Double, mass: Double) {
        try backend.kernels.gridTransportCost(grid: grid, f: f, g: g, regularization: regularization)
    }

    /// The entropic OT objective of the potentials `(f, g)` as a dual value (Peyré & Cuturi, arXiv:1803.00567,
    /// Prop. 4.4; ott-jax's `reg_ot_cost` for a balanced problem):
    ///
    /// ```
    /// D(f, g) = ⟨a, f⟩ + ⟨b, g⟩ − ε(⟨a, log a⟩ + ⟨b, log b⟩) + ε(1 − Σ_kl P_kl)
    /// ```
    ///
    /// which at the solution equals the primal `⟨P, C⟩ + ε KL(P ‖ a ⊗ b)` (differing from it by the marginal
    /// errors only). Entries with zero mass (potential `−∞`) contribute nothing. `mass` is `Σ P` from
    /// `transportCost`.
    public static func regularizedCost(a: [Double], b: [Double], f: [Double], g: [Double], mass: Double, regularization: Double) -> Double {
        var s = 0.0
        for (mass, pot) in [(a, f), (b, g)] {
            for t in mass.indices where mass[t] > 0 { s += mass[t] * (pot[t] - regularization * Foundation.log(mass[t])) }
        }
        return s + regularization * (1 - mass)
    }
}
