import TangentFlow

/// The gradient field of the grid energy (§10.1 of file 004, MATH.md §6) on weights `p` over a `ParameterGrid`,
/// with a time scale `c`:
///
/// ```
/// p' = F(p) = −c ∇f(p) = −c Φᵀ(Φp − y)/n        (the first variation at the grid points)
/// ```
/// As a velocity it is the Euclidean gradient flow of the weights; its Wasserstein flow is taken by
/// `EntropicJKOStepper`, whose step of size `h` is the entropic JKO step with `τ = 2hc` (flow time `hc`).
/// `EntropicJKO.flow` runs it with `c = τ/2` and unit steps, so the solve's time counts steps exactly.
public struct MeanFieldGridGradientFlow: VectorField {
    /// The energy `f`.
    public let energy: MeanFieldGridEnergy
    /// `c > 0`: flow time per unit of the solve's time.
    public let timeScale: Double

    /// The field of `energy` with time scale `c`.
    /// - Throws: `.invalidArgument` unless `c > 0` is finite.
    public init(energy: MeanFieldGridEnergy, timeScale: Double = 1) throws {
        try requirePositive(timeScale, "MeanFieldGridGradientFlow", "timeScale c")
        self.energy = energy
        self.timeScale = timeScale
    }

    /// `F(p) = −c Φᵀ(Φp − y)/n` (equation in the type's documentation).
    /// - Throws: `.shapeMismatch` (length ≠ grid points), `.nonFinite`.
    public func velocity(at s: Double, _ p: [Double]) throws -> [Double] {
        try energy.firstVariation(p).map { -(timeScale * $0) }
    }
}
