import TangentFlow

/// A DLN geodesic found by shooting: points, covectors and diagnostics.
public struct DeepLinearGeodesic: Sendable {
    /// Depth `N`.
    public let depth: Int
    /// `t_k = k/(points − 1)`.
    public let times: [Double]
    /// `W(t_k)`; `points.first == W_0` exactly, `points.last` within the tolerance of `W_1`.
    public let points: [Matrix]
    /// `P(t_k)`.
    public let covectors: [Matrix]
    /// `H(W(0), P(0)) = ½ g(Ẇ, Ẇ)`.
    public let hamiltonian: Double
    /// `max_k |H(t_k) − H(0)| / H(0)`: conservation along the integrated curve.
    public let hamiltonianDrift: Double
    /// `‖W(1) − W_1‖_F` at the solution.
    public let residual: Double
    /// Newton iterations used, summed over continuation stages and step refinements.
    public let iterations: Int
    /// RK4 steps of the final integration.
    public let steps: Int
    /// Intermediate targets solved on the way (0: Newton converged from the initial guess).
    public let continuationStages: Int
    /// Length `∫₀¹ ‖Ẇ‖_W dt = √(2H)` (constant speed).
    public var length: Double { (2 * hamiltonian).squareRoot() }
    /// Energy `∫₀¹ g(Ẇ, Ẇ) dt = 2H`.
    public var energy: Double { 2 * hamiltonian }
    /// `P(0)`.
    public var initialCovector: Matrix { covectors[0] }
}
