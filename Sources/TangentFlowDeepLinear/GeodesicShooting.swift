import Foundation
import TangentFlow

/// A geodesic of the DLN metric between arbitrary full-rank endpoints, by shooting on the initial covector
/// (Thm 2.1 in file 002; the paper's open problem 1, answered numerically):
///
/// ```
/// solve  Φ₁(W_0, P_0)_W = W_1  for P_0,   Φ_t = flow of  W' = A_{N,W}(P),  P' = −∂H/∂W   (fixed-step RK4)
/// Newton:  J δ = −(W(1) − W_1),  J by forward differences of the endpoint map (d² integrations), then
///          Broyden rank-one updates; δ by SVD least squares; step halved (up to 10 times) until the residual
///          decreases; a fresh difference Jacobian when the residual contracts by less than 2×
/// continuation (if Newton fails from the guess, or always if asked): targets C(s_k) on the polar path
///          C(s) = R_0 exp(sΩ) ((1−s)S_0^{1/N} + sS_1^{1/N})^N,  Ω = log(R_0ᵀR_1)   (W = R S, inside GL⁺ or GL⁻)
///          with s_k adaptive (halved on failure), each solve started from (s_k/s_{k−1})·P_0(s_{k−1})
/// refinement: RK4 steps doubled (re-solving from the current P_0) while the drift of H exceeds its tolerance
/// ```
/// Where the endpoints share singular vectors the result reproduces `SharedSingularVectorGeodesic` (and the polar
/// path is that geodesic). Cost: `d²` integrations per fresh Jacobian, so meant for `d ≲ 10`.
///
/// - Parameters:
///   - w0: start, square `d×d`, full rank.
///   - w1: end, same shape, full rank, with `sign det W_1 = sign det W_0` (GL(d) has two components).
///   - depth: `N ≥ 1`.
///   - points: how many points to return (`≥ 2`, at `t = k/(points − 1)`).
///   - options: steps, drift tolerance, iterations, tolerance, initial guess, continuation.
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
    guard options.steps >= 1, options.maxSteps >= options.steps, options.maxIterations >= 0, options.tolerance.isFinite,
        options.tolerance > 0, options.driftTolerance >= 0
    else {
        throw TangentFlowError.invalidArgument(
            operation: op,
            reason: "need 1 ≤ steps ≤ maxSteps, maxIterations ≥ 0, a positive tolerance and driftTolerance ≥ 0, got steps \(options.steps), "
                + "maxSteps \(options.maxSteps), maxIterations \(options.maxIterations), tolerance \(options.tolerance), driftTolerance \(options.driftTolerance)")
    }
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
    let shooter = try Shooter(w0: w0, depth: depth, backend: backend)
    let polar = try PolarPath(m0, m1, depth: depth, backend: backend)
    let goal = options.tolerance * Swift.max(w0.frobeniusNorm, w1.frobeniusNorm)
    let intervals = points - 1
    var steps = ((options.steps + intervals - 1) / intervals) * intervals
    let guess: Matrix
    switch options.initialGuess {
    case let .covector(p):
        try p.requireShape(w0.rows, w0.cols, op, "initial covector")
        try p.requireFinite(op, "initial covector")
        guess = p
    case .straightLine: guess = try m0.applyInverse(DenseOps.sub(w1, w0))
    case .logarithmic: guess = try m0.applyInverse(polar.initialVelocity)
    }

    var iterations = 0, stages = 0
    var lastJacobian: Matrix? = nil
    var x: [Double]? = nil
    var directFailure = "continuation requested"
    if options.continuation != .always {
        do {
            x = try shooter.newton(
                target: w1, start: guess.elements, steps: steps, goal: goal, maxIterations: options.maxIterations, iterations: &iterations,
                jacobian: &lastJacobian)
        } catch let failure as ShootingFailure {
            guard options.continuation == .onFailure else { throw TangentFlowError.invalidArgument(operation: op, reason: failure.message) }
            directFailure = failure.message
            lastJacobian = nil
        }
    }
    if x == nil {
        // Continuation along the polar path, s = 0 → 1, each stage predicted from the last by scaling P₀.
        let pLog = try m0.applyInverse(polar.initialVelocity).elements
        var s = 0.0, ds = 0.25
        var current = pLog.map { _ in 0.0 }
        var attempts = 0
        while s < 1 {
            let next = Swift.min(1, s + ds)
            let predictor = s == 0 ? pLog.map { $0 * next } : current.map { $0 * next / s }
            attempts += 1
            guard attempts <= 64, ds >= 1.0 / 4096 else {
                throw TangentFlowError.invalidArgument(
                    operation: op,
                    reason: "no convergence even by continuation (reached s = \(s) of the polar path W₀ → W₁ after \(attempts - 1) solves; "
                        + "from the initial guess: \(directFailure)); raise steps or maxIterations")
            }
            do {
                let target = next == 1 ? w1 : try polar.point(at: next)
                current = try shooter.newton(
                    target: target, start: predictor, steps: steps, goal: goal, maxIterations: options.maxIterations, iterations: &iterations,
                    jacobian: &lastJacobian)
                s = next
                stages += 1
                ds *= 1.5
            } catch is ShootingFailure {
                ds /= 2
            }
        }
        stages -= 1  // the last stage is the target itself
        x = current
    }
    var x0 = x!

    // Refine the integration until H is conserved to the requested drift.
    while true {
        let (ws, ps, h0, drift) = try shooter.sample(x0, steps: steps, intervals: intervals)
        if drift <= options.driftTolerance || steps * 2 > options.maxSteps {
            let residual = scaledNorm(zip(ws.last!.elements, w1.elements).map { $0 - $1 })
            return DeepLinearGeodesic(
                depth: depth, times: (0...intervals).map { Double($0) / Double(intervals) }, points: ws, covectors: ps, hamiltonian: h0,
                hamiltonianDrift: drift, residual: residual, iterations: iterations, steps: steps, continuationStages: stages)
        }
        steps *= 2
        do {
            x0 = try shooter.newton(
                target: w1, start: x0, steps: steps, goal: goal, maxIterations: options.maxIterations, iterations: &iterations,
                jacobian: &lastJacobian)
        } catch let failure as ShootingFailure {
            throw TangentFlowError.invalidArgument(operation: op, reason: "while refining to \(steps) steps: \(failure.message)")
        }
    }
}

/// A Newton solve that did not converge (caught by the continuation).
struct ShootingFailure: Error {
    let message: String
}

/// The endpoint map of the Hamiltonian flow from a fixed `W_0`, and Newton–Broyden on it.
struct Shooter {
    let w0: Matrix
    let hamiltonian: DeepLinearHamiltonian
    let backend: KernelBackend
    var d: Int { w0.rows }

    init(w0: Matrix, depth: Int, backend: KernelBackend) throws {
        self.w0 = w0
        self.backend = backend
        hamiltonian = try DeepLinearHamiltonian(depth: depth, width: w0.rows, backend: backend)
    }

    func trajectory(_ p0: [Double], steps: Int, save: SaveAt) throws -> FlowSolution {
        let sol = try integrate(hamiltonian, stepper: .rk4, controller: ConstantStepSize(1 / Double(steps)), from: 0, to: 1,
                                start: w0.elements + p0, saveAt: save, maxSteps: steps + 8)
        guard sol.status == .success, let last = sol.states.last, last.allSatisfy(\.isFinite) else {
            throw ShootingFailure(message: "the Hamiltonian flow did not reach t = 1 (\(sol.status))")
        }
        return sol
    }

    func residual(_ p0: [Double], target: Matrix, steps: Int) throws -> [Double] {
        let end = try trajectory(p0, steps: steps, save: .endpoints).states.last!
        return (0..<(d * d)).map { end[$0] - target.elements[$0] }
    }

    /// Forward-difference Jacobian (d² integrations): error O(h) + O(ε/h), h ≈ √ε·scale; it only steers Newton,
    /// the residual decides convergence.
    func jacobian(_ x: [Double], _ r: [Double], target: Matrix, steps: Int) throws -> Matrix {
        let n = d * d
        let h = 1.5e-8 * Swift.max(x.map(Swift.abs).max() ?? 0, 1e-6)
        var jac = Matrix(zerosRows: n, cols: n)
        for j in 0..<n {
            var xp = x
            xp[j] += h
            let rp = try residual(xp, target: target, steps: steps)
            for i in 0..<n { jac.elements[i + j * n] = (rp[i] - r[i]) / h }
        }
        return jac
    }

    /// Newton–Broyden on `P_0` until `‖W(1) − target‖ ≤ goal`; throws `ShootingFailure` on a stall, too many
    /// iterations or a trajectory that leaves GL(d).
    /// `jacobian` carries the last Jacobian between solves: the endpoint map does not depend on the target and
    /// changes by O(h⁴) when the steps double, so continuation stages and refinements start from it (Broyden and
    /// the fresh-Jacobian rule correct it).
    func newton(
        target: Matrix, start: [Double], steps: Int, goal: Double, maxIterations: Int, iterations: inout Int, jacobian saved: inout Matrix?
    ) throws -> [Double] {
        var x = start
        var r: [Double]
        do { r = try residual(x, target: target, steps: steps) } catch let e as TangentFlowError {
            throw ShootingFailure(message: "the initial covector's trajectory failed: \(e.description)")
        }
        var rnorm = scaledNorm(r)
        var jac: Matrix? = saved
        var fresh = false
        var count = 0
        defer { saved = jac }
        while rnorm > goal {
            guard count < maxIterations else {
                throw ShootingFailure(message: "Newton did not converge in \(maxIterations) iterations: ‖W(1) − W₁‖ = \(rnorm) > \(goal)")
            }
            count += 1
            iterations += 1
            if jac == nil {
                jac = try jacobian(x, r, target: target, steps: steps)
                fresh = true
            }
            let delta = try Pseudoinverse(of: jac!, backend: backend).apply(Matrix.column(r)).elements
            var step = 1.0
            var accepted: (x: [Double], r: [Double], norm: Double)? = nil
            for _ in 0..<11 {
                let trial = (0..<x.count).map { x[$0] - step * delta[$0] }
                if let rt = try? residual(trial, target: target, steps: steps), rt.allSatisfy(\.isFinite), scaledNorm(rt) < rnorm {
                    accepted = (trial, rt, scaledNorm(rt))
                    break
                }
                step /= 2
            }
            guard let next = accepted else {
                if !fresh {
                    jac = nil  // a stale Broyden Jacobian: recompute by differences and try again
                    continue
                }
                throw ShootingFailure(message: "Newton stalled at ‖W(1) − W₁‖ = \(rnorm) (> \(goal)) after \(count) iterations")
            }
            // Broyden's rank-one update J += (Δr − JΔx)Δxᵀ/(ΔxᵀΔx): later iterations cost one integration each;
            // a slow contraction (< 2× per step) triggers a fresh difference Jacobian instead.
            let dx = (0..<x.count).map { next.x[$0] - x[$0] }, dr = (0..<r.count).map { next.r[$0] - r[$0] }
            let contraction = next.norm / rnorm
            x = next.x
            r = next.r
            rnorm = next.norm
            if contraction > 0.5 {
                jac = nil
            } else if var j = jac {
                let jdx = try backend.kernels.multiply(j, transposeA: false, Matrix.column(dx), transposeB: false).elements
                let dxdx = dx.reduce(0) { $0 + $1 * $1 }
                let n = d * d
                if dxdx > 0 { for c in 0..<n { for i in 0..<n { j.elements[i + c * n] += (dr[i] - jdx[i]) * dx[c] / dxdx } } }
                jac = j
                fresh = false
            }
        }
        return x
    }

    /// Points and covectors at `t = k/intervals`, `H(0)` and the relative drift of `H`.
    func sample(_ p0: [Double], steps: Int, intervals: Int) throws -> (ws: [Matrix], ps: [Matrix], h0: Double, drift: Double) {
        let sol = try trajectory(p0, steps: steps, save: .steps)
        guard sol.states.count == steps + 1 else {
            throw TangentFlowError.invalidArgument(operation: "shootGeodesic", reason: "internal: expected \(steps + 1) states, got \(sol.states.count)")
        }
        let every = steps / intervals
        var ws: [Matrix] = [], ps: [Matrix] = []
        for k in 0...intervals {
            let (w, p) = try hamiltonian.split(sol.states[k * every])
            ws.append(w)
            ps.append(p)
        }
        let h0 = try hamiltonian.value(ws[0], ps[0])
        var drift = 0.0
        for k in stride(from: 0, through: steps, by: Swift.max(1, steps / 64)) {
            let (w, p) = try hamiltonian.split(sol.states[k])
            drift = Swift.max(drift, Swift.abs(try hamiltonian.value(w, p) - h0))
        }
        return (ws, ps, h0, drift / Swift.max(h0, Double.leastNormalMagnitude))
    }
}

/// The polar path `C(s) = R_0 exp(sΩ) ((1−s)S_0^{1/N} + sS_1^{1/N})^N` from `W_0` to `W_1` (`W = R S` polar,
/// `Ω = log(R_0ᵀR_1)`): the shared-singular-vector geodesic when it applies, and a path inside GL(d) in general
/// (a rotation times an SPD matrix). Its velocity at 0 is the log-type initial guess.
struct PolarPath {
    let r0: Matrix
    let omega: Matrix
    let s0root: SymmetricSpectrum
    let difference: Matrix  // S_1^{1/N} − S_0^{1/N}
    let depth: Int
    let backend: KernelBackend

    init(_ m0: DeepLinearMetric, _ m1: DeepLinearMetric, depth: Int, backend: KernelBackend) throws {
        let k = backend.kernels, n = Double(depth)
        r0 = try DenseOps.mul(k, m0.svd.u, m0.svd.vt)
        let r1 = try DenseOps.mul(k, m1.svd.u, m1.svd.vt)
        omega = try Rotations.logarithm(DenseOps.mul(k, r0, r1, ta: true), backend: backend)
        let root0 = m0.svd.singularValues.map { Foundation.pow($0, 1 / n) }
        let root1 = m1.svd.singularValues.map { Foundation.pow($0, 1 / n) }
        s0root = SymmetricSpectrum(values: root0, vectors: m0.v, backend: backend)
        difference = DenseOps.sub(try DenseOps.synthesize(k, m1.v, root1, m1.v), try DenseOps.synthesize(k, m0.v, root0, m0.v))
        self.depth = depth
        self.backend = backend
    }

    /// `C(s)`.
    func point(at s: Double) throws -> Matrix {
        let k = backend.kernels
        let inner = DenseOps.add(try s0root.applying(s0root.values), DenseOps.scale(s, difference))
        let stretch = try SymmetricSpectrum(of: DenseOps.symmetrized(inner), backend: backend).apply(.power(Double(depth)))
        return try DenseOps.mul(k, DenseOps.mul(k, r0, Rotations.exponential(omega, scale: s, backend: backend)), stretch)
    }

    /// `C'(0) = R_0 Ω S_0 + R_0 · D(x^N)(S_0^{1/N})[S_1^{1/N} − S_0^{1/N}]` (Daleckii–Krein).
    var initialVelocity: Matrix {
        get throws {
            let k = backend.kernels
            let s0 = try s0root.applying(s0root.values.map { Foundation.pow($0, Double(depth)) })
            let rotational = try DenseOps.mul(k, DenseOps.mul(k, r0, omega), s0)
            let stretch = try DenseOps.mul(k, r0, s0root.derivative(.power(Double(depth)), direction: difference))
            return DenseOps.add(rotational, stretch)
        }
    }
}
