import Foundation

/// A geodesic of the DLN metric between arbitrary full-rank endpoints, by shooting on the initial covector
/// (Thm 2.1 in file 002; the paper's open problem 1, answered numerically):
///
/// ```
/// solve  Φ₁(W_0, P_0)_W = W_1  for P_0,   Φ_t = flow of  W' = A_{N,W}(P),  P' = −∂H/∂W   (fixed-step RK4)
/// Newton:  J δ = −(W(1) − W_1),  J by forward differences of the endpoint map (d² integrations), then
///          Broyden rank-one updates; δ by SVD least squares; step halved (up to 10 times) until the residual
///          decreases; a fresh difference Jacobian when the residual contracts by less than 2×
/// ```
/// Where the endpoints share singular vectors the result reproduces `SharedSingularVectorGeodesic`.
///
/// - Parameters:
///   - w0: start, square `d×d`, full rank.
///   - w1: end, same shape, full rank, with `sign det W_1 = sign det W_0` (GL(d) has two components).
///   - depth: `N ≥ 1`.
///   - points: how many points to return (`≥ 2`, at `t = k/(points − 1)`).
///   - options: steps, iterations, tolerance, initial guess.
/// - Throws: `.invalidArgument` for singular endpoints (naming `σ_min`), endpoints in different components of
///   GL(d), bad options, or no convergence (with the residual reached and what to change); shape/finiteness errors.
public func shootGeodesic(
    from w0: Matrix, to w1: Matrix, depth: Int, points: Int = 11, options: GeodesicShootingOptions = .init(),
    backend: KernelBackend = .c
) throws -> DeepLinearGeodesic {
    let op = "shootGeodesic"
    try w0.requireSquareFinite(op, "W₀")
    try w1.requireShape(w0.rows, w0.cols, op, "W₁")
    try w1.requireFinite(op, "W₁")
    guard depth >= 1 else { throw TangentFlowError.invalidArgument(operation: op, reason: "depth N must be ≥ 1, got \(depth)") }
    guard points >= 2 else { throw TangentFlowError.invalidArgument(operation: op, reason: "need at least 2 points, got \(points)") }
    guard options.steps >= 1, options.maxIterations >= 0, options.tolerance.isFinite, options.tolerance > 0 else {
        throw TangentFlowError.invalidArgument(
            operation: op, reason: "need steps ≥ 1, maxIterations ≥ 0 and a positive tolerance, got \(options.steps), \(options.maxIterations), \(options.tolerance)")
    }
    let d = w0.rows
    let m0 = try DeepLinearMetric(at: w0, depth: depth, backend: backend)
    try m0.requireFullRank(op + " (W₀)")
    let m1 = try DeepLinearMetric(at: w1, depth: depth, backend: backend)
    try m1.requireFullRank(op + " (W₁)")
    let sign0 = DenseOps.determinantSign(w0), sign1 = DenseOps.determinantSign(w1)
    guard sign0 == sign1 else {
        throw TangentFlowError.invalidArgument(
            operation: op,
            reason: "det W₀ and det W₁ have opposite signs (\(sign0 > 0 ? "+" : "−") vs \(sign1 > 0 ? "+" : "−")): "
                + "the endpoints lie in different components of GL(d), and no path of invertible matrices joins them")
    }
    let hamiltonian = try DeepLinearHamiltonian(depth: depth, width: d, backend: backend)
    let intervals = points - 1
    let steps = ((options.steps + intervals - 1) / intervals) * intervals
    let controller = try ConstantStepSize(1 / Double(steps))

    func trajectory(_ p0: [Double], save: SaveAt) throws -> FlowSolution {
        let sol = try integrate(hamiltonian, stepper: .rk4, controller: controller, from: 0, to: 1, start: w0.elements + p0, saveAt: save,
                                maxSteps: steps + 8)
        guard sol.status == .success, let last = sol.states.last, last.allSatisfy(\.isFinite) else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "the Hamiltonian flow did not reach t = 1 (\(sol.status))")
        }
        return sol
    }
    func residual(_ p0: [Double]) throws -> [Double] {
        let end = try trajectory(p0, save: .endpoints).states.last!
        return (0..<(d * d)).map { end[$0] - w1.elements[$0] }
    }

    var x = try initialCovector(options.initialGuess, w0, w1, m0, m1, depth, backend).elements
    let scale = Swift.max(w0.frobeniusNorm, w1.frobeniusNorm)
    let goal = options.tolerance * scale
    var r = try residual(x)
    var rnorm = scaledNorm(r)
    var iterations = 0
    var jacobian: Matrix? = nil
    var jacobianIsFresh = false
    // Forward-difference Jacobian of the endpoint map (d² integrations): error O(h) + O(ε/h), h ≈ √ε·scale; it
    // only steers Newton, the solution is decided by the residual.
    func finiteDifferenceJacobian() throws -> Matrix {
        let h = 1.5e-8 * Swift.max(x.map(Swift.abs).max() ?? 0, 1e-6)
        var jac = Matrix(zerosRows: d * d, cols: d * d)
        for j in 0..<(d * d) {
            var xp = x
            xp[j] += h
            let rp = try residual(xp)
            for i in 0..<(d * d) { jac.elements[i + j * d * d] = (rp[i] - r[i]) / h }
        }
        return jac
    }
    while rnorm > goal {
        guard iterations < options.maxIterations else {
            throw TangentFlowError.invalidArgument(
                operation: op,
                reason: "Newton did not converge in \(options.maxIterations) iterations: ‖W(1) − W₁‖ = \(rnorm) > \(goal); "
                    + "raise maxIterations, or bring the endpoints closer (shoot to an intermediate point first)")
        }
        iterations += 1
        if jacobian == nil {
            jacobian = try finiteDifferenceJacobian()
            jacobianIsFresh = true
        }
        let delta = try Pseudoinverse(of: jacobian!, backend: backend).apply(Matrix.column(r)).elements
        var step = 1.0
        var accepted: (x: [Double], r: [Double], norm: Double)? = nil
        for _ in 0..<11 {
            let trial = (0..<x.count).map { x[$0] - step * delta[$0] }
            if let rt = try? residual(trial), rt.allSatisfy(\.isFinite), scaledNorm(rt) < rnorm {
                accepted = (trial, rt, scaledNorm(rt))
                break
            }
            step /= 2
        }
        guard let next = accepted else {
            if !jacobianIsFresh {
                jacobian = nil  // a stale Broyden Jacobian: recompute by differences and try again
                continue
            }
            throw TangentFlowError.invalidArgument(
                operation: op,
                reason: "Newton stalled at ‖W(1) − W₁‖ = \(rnorm) (> \(goal)) after \(iterations) iterations: no step along the "
                    + "Newton direction reduced the residual; raise steps (integration error) or try another initial guess")
        }
        // Broyden's rank-one update J += (Δr − JΔx)Δxᵀ/(ΔxᵀΔx) keeps later iterations at one integration each;
        // a slow contraction (< 2× per step) triggers a fresh difference Jacobian instead.
        let dx = (0..<x.count).map { next.x[$0] - x[$0] }, dr = (0..<r.count).map { next.r[$0] - r[$0] }
        let contraction = next.norm / rnorm
        x = next.x
        r = next.r
        rnorm = next.norm
        if contraction > 0.5 {
            jacobian = nil
        } else if var jac = jacobian {
            let jdx = try backend.kernels.multiply(jac, transposeA: false, Matrix.column(dx), transposeB: false).elements
            let dxdx = dx.reduce(0) { $0 + $1 * $1 }
            if dxdx > 0 {
                let n2 = d * d
                for j in 0..<n2 { for i in 0..<n2 { jac.elements[i + j * n2] += (dr[i] - jdx[i]) * dx[j] / dxdx } }
            }
            jacobian = jac
            jacobianIsFresh = false
        }
    }
    let every = steps / intervals
    let sol = try trajectory(x, save: .steps)
    guard sol.states.count == steps + 1 else {
        throw TangentFlowError.invalidArgument(operation: op, reason: "internal: expected \(steps + 1) states, got \(sol.states.count)")
    }
    var ws: [Matrix] = [], ps: [Matrix] = []
    for k in 0...intervals {
        let (w, p) = try hamiltonian.split(sol.states[k * every])
        ws.append(w)
        ps.append(p)
    }
    let h0 = try hamiltonian.value(ws[0], ps[0])
    var drift = 0.0
    for k in 1..<ws.count { drift = Swift.max(drift, Swift.abs(try hamiltonian.value(ws[k], ps[k]) - h0)) }
    return DeepLinearGeodesic(
        depth: depth, times: (0...intervals).map { Double($0) / Double(intervals) }, points: ws, covectors: ps, hamiltonian: h0,
        hamiltonianDrift: drift / Swift.max(h0, Double.leastNormalMagnitude), residual: rnorm, iterations: iterations)
}

/// The starting covector of the shooting (see `ShootingInitialGuess`).
func initialCovector(
    _ guess: ShootingInitialGuess, _ w0: Matrix, _ w1: Matrix, _ m0: DeepLinearMetric, _ m1: DeepLinearMetric, _ depth: Int,
    _ backend: KernelBackend
) throws -> Matrix {
    let k = backend.kernels, n = Double(depth)
    switch guess {
    case let .covector(p):
        try p.requireShape(w0.rows, w0.cols, "shootGeodesic", "initial covector")
        try p.requireFinite("shootGeodesic", "initial covector")
        return p
    case .straightLine:
        return try m0.applyInverse(DenseOps.sub(w1, w0))
    case .logarithmic:
        // Polar factors W = R S: R = UVᵀ, S^{1/N} = V Σ^{1/N} Vᵀ.
        let r0 = try DenseOps.mul(k, m0.svd.u, m0.svd.vt), r1 = try DenseOps.mul(k, m1.svd.u, m1.svd.vt)
        let root0 = m0.svd.singularValues.map { Foundation.pow($0, 1 / n) }
        let root1 = m1.svd.singularValues.map { Foundation.pow($0, 1 / n) }
        let s0root = try DenseOps.synthesize(k, m0.v, root0, m0.v), s1root = try DenseOps.synthesize(k, m1.v, root1, m1.v)
        // Rotation part: Ω = skew(R₀ᵀR₁) ≈ log(R₀ᵀR₁); velocity R₀ Ω S₀ = R₀ Ω R₀ᵀ W₀.
        let q = try DenseOps.mul(k, r0, r1, ta: true)
        let omega = DenseOps.combine(0.5, q, -0.5, q.transposed)
        let rotational = try DenseOps.mul(k, DenseOps.mul(k, DenseOps.mul(k, r0, omega), r0, tb: true), w0)
        // Stretch part: R₀ · D(x^N)(S₀^{1/N})[S₁^{1/N} − S₀^{1/N}] (Daleckii–Krein).
        let spectrum = SymmetricSpectrum(values: root0, vectors: m0.v, backend: backend)
        let stretch = try DenseOps.mul(k, r0, spectrum.derivative(.power(n), direction: DenseOps.sub(s1root, s0root)))
        return try m0.applyInverse(DenseOps.add(rotational, stretch))
    }
}
