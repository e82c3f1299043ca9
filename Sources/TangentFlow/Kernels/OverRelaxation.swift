// A value type of the grid Sinkhorn kernels (`Kernels.gridSinkhorn`), below the `TangentFlowWasserstein/Transport/` façade.

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
