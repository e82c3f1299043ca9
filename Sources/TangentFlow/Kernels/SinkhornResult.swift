// A value type of the grid Sinkhorn kernels (`Kernels.gridSinkhorn`), below the `TangentFlowWasserstein/Transport/` façade.

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
