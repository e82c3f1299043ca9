/// An explicit Runge–Kutta method as data (diffrax `_solver/runge_kutta.py`):
/// `k_i = F(s + c_i h, y + h Σ_{j<i} a_ij k_j)`, `y₁ = y + h Σ b_i k_i`, error `h Σ e_i k_i` with
/// `e = b − b̂` for an embedded pair.
public struct ButcherTableau: Sendable {
    /// Strictly lower-triangular stage coefficients (row `i` has `i` entries).
    public let a: [[Double]]
    /// Solution weights.
    public let b: [Double]
    /// Nodes.
    public let c: [Double]
    /// `b − b̂` (error weights), or `nil`.
    public let e: [Double]?
    /// Order of the solution.
    public let order: Int
    /// Order of the embedded estimate.
    public let errorOrder: Int?
    /// First same as last: the last stage is `F(s + h, y₁)`.
    public let fsal: Bool

    /// Explicit Euler: order 1, one stage. With a constant step it is gradient descent.
    public static let euler = ButcherTableau(a: [[]], b: [1], c: [0], e: nil, order: 1, errorOrder: nil, fsal: false)

    /// The classical fourth-order Runge–Kutta method: four stages, no error estimate.
    public static let rk4 = ButcherTableau(
        a: [[], [0.5], [0, 0.5], [0, 0, 1]], b: [1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6], c: [0, 0.5, 0.5, 1], e: nil,
        order: 4, errorOrder: nil, fsal: false)

    /// Dormand–Prince 5(4): seven stages (six new per step by FSAL), order 5 solution, order 4 embedded
    /// estimate (Hairer, Nørsett & Wanner, *Solving ODEs I*, Table 5.2).
    public static let dopri5: ButcherTableau = {
        let a: [[Double]] = [
            [],
            [1.0 / 5],
            [3.0 / 40, 9.0 / 40],
            [44.0 / 45, -56.0 / 15, 32.0 / 9],
            [19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729],
            [9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656],
            [35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84],
        ]
        let b: [Double] = [35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0]
        let bhat: [Double] = [5179.0 / 57600, 0, 7571.0 / 16695, 393.0 / 640, -92097.0 / 339200, 187.0 / 2100, 1.0 / 40]
        return ButcherTableau(
            a: a, b: b, c: [0, 0.2, 0.3, 0.8, 8.0 / 9, 1, 1], e: zip(b, bhat).map { $0 - $1 }, order: 5, errorOrder: 4,
            fsal: true)
    }()
}
