import TangentFlow

/// Settings of `shootGeodesic`. Every number is stated; none is hidden in the solver.
public struct GeodesicShootingOptions: Sendable {
    /// Initial fixed RK4 steps on `t ∈ [0, 1]` (default 64; the integration error is `O(steps⁻⁴)`). Rounded up to a
    /// multiple of `points − 1` so that saved points fall on steps; doubled while the drift of `H` exceeds
    /// `driftTolerance`, up to `maxSteps`.
    public var steps: Int
    /// Cap of the step doubling (default 4096).
    public var maxSteps: Int
    /// Largest accepted relative drift `max_t |H(t) − H(0)|/H(0)` of the integrated curve, a measure of its
    /// integration error (default `1e-9`; `H` is exactly conserved by the true geodesic).
    public var driftTolerance: Double
    /// Newton iterations allowed per solve (default 30).
    public var maxIterations: Int
    /// Stop when `‖W(1) − W_1‖_F ≤ tolerance · max(‖W_0‖_F, ‖W_1‖_F)` (default `1e-11`).
    public var tolerance: Double
    /// The starting covector (default `.logarithmic`).
    public var initialGuess: ShootingInitialGuess
    /// When to shoot along intermediate targets of the polar path (see `shootGeodesic`) (default `.onFailure`).
    public var continuation: Continuation

    /// When `shootGeodesic` uses continuation.
    public enum Continuation: Sendable, Equatable {
        /// Only Newton from the initial guess; its failure is the error.
        case never
        /// Newton from the initial guess first; continuation if it fails (the default: cheap when the guess is good).
        case onFailure
        /// Continuation from the start (the initial guess is not used).
        case always
    }

    /// Options with the stated defaults.
    public init(
        steps: Int = 64, maxSteps: Int = 4096, driftTolerance: Double = 1e-9, maxIterations: Int = 30, tolerance: Double = 1e-11,
        initialGuess: ShootingInitialGuess = .logarithmic, continuation: Continuation = .onFailure
    ) {
        self.steps = steps
        self.maxSteps = maxSteps
        self.driftTolerance = driftTolerance
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.initialGuess = initialGuess
        self.continuation = continuation
    }
}
