import TangentFlow

/// The gradient field of a `TwoLayerReLUProblem` (MATH.md §6; §2, §6 of file 004) on the neurons `W` (state:
/// the column-major `m×d` storage of `W`), with a time scale `c`:
///
/// ```
/// W' = F(W) = −c ∇F(W),    ∂F/∂w_i = (α_i/n) Σ_j e_j s_ij x_j + λ w_i
/// resolvent:  V = argmin_V F(V) + |V − T|²/(2hc)   (the proximal step of §2.2 with mγ = hc)
/// ```
/// Explicit Euler (`.euler`) on it is gradient descent with step `hc`; `ProximalPointStepper` on it is the
/// Frobenius proximal step (§2.2.1) and `WassersteinProximalStepper` the W₂ one (§2.2.2), both through
/// `resolvent`. The descents of `TwoLayerReLUProblem+Descent.swift` run it with `c` = the step (`η`, `mγ`) and
/// unit steps, so the solve's time counts steps exactly.
public struct TwoLayerReLUGradientFlow: ResolventField {
    /// The problem.
    public let problem: TwoLayerReLUProblem
    /// `c > 0`: flow time of `W' = −∇F` per unit of the solve's time.
    public let timeScale: Double
    /// The resolvent's inner gradient step `β` (`nil`: `1/(L + 1/(hc))`, `L = gradientLipschitzBound`).
    public let innerStep: Double?

    /// The field of `problem` with time scale `c` and inner step `β`.
    /// - Throws: `.invalidArgument` unless `c > 0` (and `β > 0`, if given) are finite.
    public init(problem: TwoLayerReLUProblem, timeScale: Double = 1, innerStep: Double? = nil) throws {
        let op = "TwoLayerReLUGradientFlow"
        try requirePositive(timeScale, op, "timeScale c")
        if let innerStep { try requirePositive(innerStep, op, "innerStep β") }
        self.problem = problem
        self.timeScale = timeScale
        self.innerStep = innerStep
    }

    /// `F(W) = −c ∇F(W)` (equation in the type's documentation), entry by entry `−(c·∂F/∂W_k)`.
    /// - Throws: `.shapeMismatch` unless the state has `m·d` entries.
    public func velocity(at s: Double, _ w: [Double]) throws -> [Double] {
        try checkLength(w.count, "TwoLayerReLUGradientFlow.velocity")
        return problem.gradientUnchecked(w).map { -(timeScale * $0) }
    }

    /// The proximal step towards `target` by the kink-aware inner solve (`TwoLayerReLUProblem.innerSolve`):
    /// `‖∇F(V) + (V − T)/(hc)‖_F ≤ tolerance` (or the Clarke measure on a kink), started at `start`.
    /// - Throws: `.shapeMismatch` for lengths other than `m·d`, `.invalidArgument` unless `hc > 0` is finite.
    public func resolvent(of target: [Double], at s: Double, size h: Double, start: [Double], tolerance: Double,
                          maxIterations: Int) throws -> ResolventSolution {
        let op = "TwoLayerReLUGradientFlow.resolvent"
        try checkLength(target.count, op)
        try checkLength(start.count, op)
        let flowStep = h * timeScale
        try requirePositive(flowStep, op, "flow-time step hc")
        let beta = innerStep ?? 1 / (problem.gradientLipschitzBound + 1 / flowStep)
        var v = start
        let r = problem.innerSolve(&v, target: target, scale: 1 / flowStep, beta: beta, tolerance: tolerance, maxIterations: maxIterations)
        return ResolventSolution(point: v, iterations: r.iterations, residual: r.norm, converged: r.converged)
    }

    func checkLength(_ count: Int, _ op: String) throws {
        let expected = problem.neurons * problem.inputDimension
        guard count == expected else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(expected) entries (m×d neurons)", got: "\(count)")
        }
    }
}
