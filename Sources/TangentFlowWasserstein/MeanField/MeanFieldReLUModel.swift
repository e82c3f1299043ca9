// The mean-field two-layer ReLU network of file 004 (§4, §10; MATH.md §6) on 1-D data: a measure μ over neurons
// θ = (w, b) ∈ R², output ∫ α σ(w x + b) dμ(θ), squared loss with the 1/(2n) normalisation.

import TangentFlow

/// A mean-field two-layer ReLU model on scalar data: neurons `θ = (w, b) ∈ R²` acting on `x ∈ R` augmented with
/// a 1, one fixed output sign `α ∈ {−1, 1}` shared by all neurons (the second representation of §10 of file 004,
/// `μ = (1/m)Σ α δ_{w_i}`, with α the same for every neuron so that μ stays a probability measure):
///
/// ```
/// h_μ(x) = ∫ α σ(⟨θ, (x, 1)⟩) dμ(θ),      σ = max(0, ·)
/// F(μ)   = (1/(2n)) Σ_j (h_μ(x_j) − y_j)²
/// F'(μ)(θ) = (α/n) Σ_j e_j σ(⟨θ, x̃_j⟩),   e_j = h_μ(x_j) − y_j          (first variation)
/// ∇_θ F'(μ)(θ) = (α/n) Σ_j e_j 1[⟨θ, x̃_j⟩ > 0] x̃_j                       (σ'(0) = 0)
/// ```
/// The Wasserstein gradient flow `∂_t μ = div(μ ∇_θ F'(μ))` moves mass along `−∇_θ F'`. It is discretised two
/// ways: on a fixed grid by entropic JKO steps (`MeanFieldGridEnergy`, `EntropicJKO`), and by particles following
/// `−∇_θ F'` (`particleFlow`). Since the network is 1-homogeneous, a density on a grid of radius `R` can only
/// produce outputs up to `R·(|x| + 1)`: pick the grid to cover the targets' slopes (MATH.md §6: the grid fixes
/// the neurons' scale).
public struct MeanFieldReLUModel: Sendable {
    /// Scalar inputs `x_j` (augmented internally to `(x_j, 1)`).
    public let inputs: [Double]
    /// Targets `y_j`.
    public let targets: [Double]
    /// Output sign `α ∈ {−1, 1}`.
    public let sign: Double

    /// Number of samples `n`.
    public var samples: Int { inputs.count }

    /// A model on `n ≥ 1` samples.
    /// - Throws: `.emptyInput`, `.shapeMismatch` (targets vs inputs), `.nonFinite`, `.invalidArgument` (sign).
    public init(inputs: [Double], targets: [Double], sign: Double = 1) throws {
        let op = "MeanFieldReLUModel"
        guard !inputs.isEmpty else { throw TangentFlowError.emptyInput(operation: op, argument: "inputs") }
        guard targets.count == inputs.count else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(inputs.count) targets (one per input)", got: "\(targets.count)")
        }
        try requireFinite(inputs, op, "inputs")
        try requireFinite(targets, op, "targets")
        guard sign == 1 || sign == -1 else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "sign must be −1 or 1, got \(sign)")
        }
        self.inputs = inputs
        self.targets = targets
        self.sign = sign
    }

    /// Feature matrix `Φ_jk = α σ(w_k x_j + b_k)` for neurons given as rows `(w_k, b_k)` of `theta` (`n×K`).
    func features(_ theta: Matrix) -> Matrix {
        let (n, count) = (samples, theta.rows)
        var phi = Matrix(zerosRows: n, cols: count)
        for k in 0..<count {
            let (w, b) = (theta.elements[k], theta.elements[k + count])
            for j in 0..<n { phi.elements[j + k * n] = sign * max(0, w * inputs[j] + b) }
        }
        return phi
    }

    // MARK: particles

    /// `F(μ)` for the particle measure `μ = (1/M) Σ δ_{θ_i}`, particles as rows of an `M×2` matrix.
    /// - Throws: `.emptyInput`, `.shapeMismatch` (not `M×2`), `.nonFinite`.
    public func particleEnergy(_ particles: Matrix) throws -> Double {
        try checkParticles(particles, "MeanFieldReLUModel.particleEnergy")
        return energy(residuals: particleResiduals(particles))
    }

    /// The velocity `−∇_θ F'(μ)(θ_i)` of every particle (`M×2`), for `μ = (1/M) Σ δ_{θ_i}`.
    /// - Throws: as `particleEnergy`.
    public func particleVelocity(_ particles: Matrix) throws -> Matrix {
        try checkParticles(particles, "MeanFieldReLUModel.particleVelocity")
        return velocity(particles, residuals: particleResiduals(particles))
    }

    /// The particle (Lagrangian) discretisation of the Wasserstein gradient flow: explicit Euler on
    /// `θ_i' = −∇_θ F'(μ_t)(θ_i)`, `μ_t = (1/M) Σ δ_{θ_i(t)}`.
    ///
    /// - Parameters:
    ///   - start: `M×2` initial particles.
    ///   - step: time step `> 0`.
    ///   - steps: number of steps `≥ 0`.
    ///   - saveEvery: keep every `saveEvery`-th state (and the last), `≥ 1`.
    /// - Returns: saved times, particle sets and energies.
    /// - Throws: as `particleEnergy`; `.invalidArgument` for a bad step or counts.
    public func particleFlow(from start: Matrix, step: Double, steps: Int, saveEvery: Int = 1) throws -> MeanFieldParticleTrace {
        let op = "MeanFieldReLUModel.particleFlow"
        try checkParticles(start, op)
        try requirePositive(step, op, "step")
        try requireAtLeast(steps, 0, op, "steps")
        try requireAtLeast(saveEvery, 1, op, "saveEvery")
        var theta = start
        var times = [0.0], states = [start], energies = [energy(residuals: particleResiduals(start))]
        for t in stride(from: 1, through: steps, by: 1) {
            let v = velocity(theta, residuals: particleResiduals(theta))
            for k in 0..<theta.elements.count { theta.elements[k] += step * v.elements[k] }
            if t % saveEvery == 0 || t == steps {
                times.append(Double(t) * step)
                states.append(theta)
                energies.append(energy(residuals: particleResiduals(theta)))
            }
        }
        return MeanFieldParticleTrace(times: times, particles: states, energies: energies)
    }

    // MARK: internals

    func checkParticles(_ p: Matrix, _ op: String) throws {
        try p.requireNonEmpty(op, "particles")
        try p.requireShape(p.rows, 2, op, "particles (one (w, b) per row)")
        try p.requireFinite(op, "particles")
    }

    /// `e_j = h_μ(x_j) − y_j` for the uniform particle measure.
    func particleResiduals(_ theta: Matrix) -> [Double] {
        let m = theta.rows
        var e = [Double](repeating: 0, count: samples)
        for j in 0..<samples {
            var h = 0.0
            for i in 0..<m { h += max(0, theta.elements[i] * inputs[j] + theta.elements[i + m]) }
            e[j] = sign * h / Double(m) - targets[j]
        }
        return e
    }

    /// `(1/(2n)) Σ e_j²`.
    func energy(residuals e: [Double]) -> Double {
        var s = 0.0
        for v in e { s += v * v }
        return s / (2 * Double(samples))
    }

    /// `−∇_θ F'(μ)(θ_i) = −(α/n) Σ_j e_j 1[⟨θ_i, x̃_j⟩ > 0] x̃_j` for each row of `theta`.
    func velocity(_ theta: Matrix, residuals e: [Double]) -> Matrix {
        let m = theta.rows
        var v = Matrix(zerosRows: m, cols: 2)
        for i in 0..<m {
            let (w, b) = (theta.elements[i], theta.elements[i + m])
            var gw = 0.0, gb = 0.0
            for j in 0..<samples where w * inputs[j] + b > 0 {
                gw += e[j] * inputs[j]
                gb += e[j]
            }
            v.elements[i] = -sign * gw / Double(samples)
            v.elements[i + m] = -sign * gb / Double(samples)
        }
        return v
    }
}

/// Saved states of `MeanFieldReLUModel.particleFlow`.
public struct MeanFieldParticleTrace: Sendable {
    /// Flow times of the saved states.
    public let times: [Double]
    /// Particles (`M×2`, rows `(w, b)`) at each saved time.
    public let particles: [Matrix]
    /// `F(μ_t)` at each saved time.
    public let energies: [Double]
}
