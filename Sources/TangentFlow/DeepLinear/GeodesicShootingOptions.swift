/// Settings of `shootGeodesic`. Every number is stated; none is hidden in the solver.
public struct GeodesicShootingOptions: Sendable {
    /// Fixed RK4 steps on `t ∈ [0, 1]` (default 64; the integration error is `O(steps⁻⁴)`). Rounded up to a
    /// multiple of `points − 1` so that saved points fall on steps.
    public var steps: Int
    /// Newton iterations allowed (default 30).
    public var maxIterations: Int
    /// Stop when `‖W(1) − W_1‖_F ≤ tolerance · max(‖W_0‖_F, ‖W_1‖_F)` (default `1e-11`).
    public var tolerance: Double
    /// The starting covector (default `.logarithmic`).
    public var initialGuess: ShootingInitialGuess

    /// Options with the stated defaults.
    public init(steps: Int = 64, maxIterations: Int = 30, tolerance: Double = 1e-11, initialGuess: ShootingInitialGuess = .logarithmic) {
        self.steps = steps
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.initialGuess = initialGuess
    }
}
