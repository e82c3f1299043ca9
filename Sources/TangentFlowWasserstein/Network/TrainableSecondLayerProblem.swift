// §9 of file 004 ("classic setup", MATH.md §6): the two-layer ReLU network with a trainable second layer and
// weight decay. The notes' printed loss is garbled (λ inside Σ_j, an unsquared norm in the implicit step); this is
// the standard form MATH.md prescribes, with the package's 1/(2n) normalisation and an output scale c (c = 1: the
// finite network; c = 1/m: the mean-field normalisation of §4.2, h = (1/m) Σ ψ(w_i)).
//
// State layout (the flat vector the field and `integrate` see): the m×d first layer W column-major (neuron i's
// k-th weight at i + k·m), then the m second-layer weights α.

import TangentFlow

/// A two-layer ReLU regression problem with trainable first and second layers and weight decay (§9 of file 004,
/// MATH.md §6):
///
/// ```
/// f(x)      = c Σ_i α_i σ(⟨w_i, x⟩),                 σ = max(0, ·), x augmented with a 1 by the caller
/// L(W, α)   = (1/(2n)) Σ_j (f(x_j) − y_j)²  +  (λ/2)(‖W‖_F² + ‖α‖²)
/// ∂L/∂w_i   = (c α_i/n) Σ_j e_j s_ij x_j + λ w_i,     e_j = f(x_j) − y_j, s_ij = 1[⟨w_i, x_j⟩ > 0] (σ'(0) = 0)
/// ∂L/∂α_i   = (c/n) Σ_j e_j σ(⟨w_i, x_j⟩) + λ α_i
/// ```
/// Along the gradient flow `θ' = −∇L` each neuron's balance `α_i² − |w_i|²` obeys
/// `(α_i² − |w_i|²)' = −2λ(α_i² − |w_i|²)`: conserved without weight decay (the ReLU is 1-homogeneous), decaying
/// as `e^{−2λt}` with it.
public struct TrainableSecondLayerProblem: Sendable {
    /// Inputs `X`, `n×d`, one (augmented) sample per row.
    public let inputs: Matrix
    /// Targets `y_j`.
    public let targets: [Double]
    /// Weight decay `λ ≥ 0`.
    public let weightDecay: Double
    /// Output scale `c > 0` (1: the network of §9; `1/m`: the mean-field normalisation of §4.2).
    public let outputScale: Double

    /// Number of samples `n`.
    public var samples: Int { inputs.rows }
    /// Input dimension `d` (after augmentation).
    public var inputDimension: Int { inputs.cols }

    /// A problem on `inputs` (`n×d`, already augmented if a bias is wanted) and `targets`.
    /// - Throws: `.emptyInput`, `.nonFinite`, `.shapeMismatch` (targets vs samples), `.invalidArgument` (λ < 0,
    ///   `c ≤ 0` or non-finite).
    public init(inputs: Matrix, targets: [Double], weightDecay: Double = 0, outputScale: Double = 1) throws {
        let op = "TrainableSecondLayerProblem"
        try inputs.requireNonEmpty(op, "inputs")
        try inputs.requireFinite(op, "inputs")
        guard targets.count == inputs.rows else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(inputs.rows) targets (one per input row)", got: "\(targets.count)")
        }
        try requireFinite(targets, op, "targets")
        try requireNonNegative(weightDecay, op, "weightDecay λ")
        try requirePositive(outputScale, op, "outputScale c")
        self.inputs = inputs
        self.targets = targets
        self.weightDecay = weightDecay
        self.outputScale = outputScale
    }

    /// The flat state `[W column-major, α]` of `m` neurons.
    /// - Throws: `.shapeMismatch` unless `w` is `m×d` and `alpha` has `m` entries; `.nonFinite`.
    public func state(_ w: Matrix, _ alpha: [Double]) throws -> [Double] {
        let op = "TrainableSecondLayerProblem.state"
        try w.requireNonEmpty(op, "W")
        try w.requireShape(w.rows, inputDimension, op, "W (one neuron per row, d = \(inputDimension) columns)")
        guard alpha.count == w.rows else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(w.rows) second-layer weights α", got: "\(alpha.count)")
        }
        try w.requireFinite(op, "W")
        try requireFinite(alpha, op, "alpha")
        return w.elements + alpha
    }

    /// Splits a flat state into `(W, α)`.
    /// - Throws: `.shapeMismatch` unless the length is a positive multiple of `d + 1`.
    public func split(_ state: [Double]) throws -> (w: Matrix, alpha: [Double]) {
        let m = try neurons(in: state, "TrainableSecondLayerProblem.split")
        return (Matrix(uncheckedRows: m, cols: inputDimension, elements: Array(state[0..<(m * inputDimension)])),
                Array(state[(m * inputDimension)...]))
    }

    /// Network outputs `f(x_j)` for the flat state.
    /// - Throws: `.shapeMismatch`, `.nonFinite`.
    public func outputs(_ state: [Double]) throws -> [Double] {
        try check(state, "TrainableSecondLayerProblem.outputs")
        return forward(state)
    }

    /// The loss `L(W, α)` (see the type's documentation).
    /// - Throws: `.shapeMismatch`, `.nonFinite`.
    public func loss(_ state: [Double]) throws -> Double {
        try check(state, "TrainableSecondLayerProblem.loss")
        return lossUnchecked(state)
    }

    /// The gradient `∇L` in the state's layout.
    /// - Throws: `.shapeMismatch`, `.nonFinite`.
    public func gradient(_ state: [Double]) throws -> [Double] {
        try check(state, "TrainableSecondLayerProblem.gradient")
        return gradientUnchecked(state)
    }

    /// The balances `α_i² − |w_i|²`, one per neuron (conserved by the flow when λ = 0).
    /// - Throws: `.shapeMismatch`, `.nonFinite`.
    public func balances(_ state: [Double]) throws -> [Double] {
        let m = try neurons(in: state, "TrainableSecondLayerProblem.balances")
        try requireFinite(state, "TrainableSecondLayerProblem.balances", "state")
        let d = inputDimension
        return (0..<m).map { i in
            var s = 0.0
            for k in 0..<d { s += state[i + k * m] * state[i + k * m] }
            return state[m * d + i] * state[m * d + i] - s
        }
    }

    /// Full-batch gradient descent `θ ← θ − η ∇L(θ)` (§9 "discrete time"): explicit Euler on
    /// `TrainableSecondLayerFlow`, unit steps. Returns the `steps + 1` losses and the final state.
    /// - Throws: `.shapeMismatch`, `.nonFinite` for a bad start; `.invalidArgument` for `η ≤ 0` or `steps < 0`.
    public func gradientDescent(from start: [Double], step: Double, steps: Int) throws -> (losses: [Double], final: [Double]) {
        let op = "TrainableSecondLayerProblem.gradientDescent"
        try check(start, op)
        try requirePositive(step, op, "step η")
        try requireAtLeast(steps, 0, op, "steps")
        let field = try TrainableSecondLayerFlow(problem: self, timeScale: step)
        let sol = try integrate(field, stepper: .euler, controller: ConstantStepSize(1), from: 0, to: Double(steps), start: start,
                                saveAt: .steps, maxSteps: max(steps, 1))
        guard sol.states.count == steps + 1 else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "the solve stopped after \(sol.states.count - 1) of \(steps) steps (\(sol.status))")
        }
        return (sol.states.map(lossUnchecked), sol.states[steps])
    }

    // MARK: internals

    func neurons(in state: [Double], _ op: String) throws -> Int {
        let d1 = inputDimension + 1
        guard !state.isEmpty, state.count % d1 == 0 else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "m·(d + 1) entries, d = \(inputDimension), m ≥ 1 (W column-major, then α)", got: "\(state.count)")
        }
        return state.count / d1
    }

    func check(_ state: [Double], _ op: String) throws {
        _ = try neurons(in: state, op)
        try requireFinite(state, op, "state")
    }

    /// `f(x_j)`, no validation.
    func forward(_ s: [Double]) -> [Double] {
        let (n, d) = (samples, inputDimension)
        let m = s.count / (d + 1)
        let x = inputs.elements
        return (0..<n).map { j in
            var f = 0.0
            for i in 0..<m {
                var z = 0.0
                for k in 0..<d { z += s[i + k * m] * x[j + k * n] }
                if z > 0 { f += s[m * d + i] * z }
            }
            return outputScale * f
        }
    }

    func lossUnchecked(_ s: [Double]) -> Double {
        let f = forward(s)
        var r = 0.0
        for j in 0..<samples { r += (f[j] - targets[j]) * (f[j] - targets[j]) }
        var decay = 0.0
        if weightDecay > 0 { for v in s { decay += v * v } }
        return r / (2 * Double(samples)) + weightDecay / 2 * decay
    }

    func gradientUnchecked(_ s: [Double]) -> [Double] {
        let (n, d) = (samples, inputDimension)
        let m = s.count / (d + 1)
        let x = inputs.elements
        let f = forward(s)
        var g = [Double](repeating: 0, count: s.count)
        for j in 0..<n {
            let e = outputScale * (f[j] - targets[j]) / Double(n)
            for i in 0..<m {
                var z = 0.0
                for k in 0..<d { z += s[i + k * m] * x[j + k * n] }
                guard z > 0 else { continue }   // s_ij = 0 and σ(z) = 0: no contribution (σ'(0) = 0)
                let a = s[m * d + i]
                for k in 0..<d { g[i + k * m] += e * a * x[j + k * n] }
                g[m * d + i] += e * z
            }
        }
        if weightDecay > 0 { for k in 0..<s.count { g[k] += weightDecay * s[k] } }
        return g
    }
}

/// The gradient flow of a `TrainableSecondLayerProblem` (§9 of file 004, "continuous time"), with a time scale:
///
/// ```
/// θ' = −c_t ∇L(θ),   θ = (W, α)
/// ```
/// `.euler` on it with unit steps is full-batch gradient descent with step `c_t`. With the mean-field output
/// scale `1/m` and `c_t = m` it is the particle flow of §4.2 (`w_j' = −∇_w J(w_j | ν)`).
public struct TrainableSecondLayerFlow: VectorField {
    /// The problem.
    public let problem: TrainableSecondLayerProblem
    /// `c_t > 0`: flow time per unit of the solve's time.
    public let timeScale: Double

    /// The flow of `problem` with time scale `c_t`.
    /// - Throws: `.invalidArgument` unless `c_t > 0` is finite.
    public init(problem: TrainableSecondLayerProblem, timeScale: Double = 1) throws {
        try requirePositive(timeScale, "TrainableSecondLayerFlow", "timeScale")
        self.problem = problem
        self.timeScale = timeScale
    }

    /// `−c_t ∇L(θ)`.
    /// - Throws: `.shapeMismatch` for a state that is not `m·(d + 1)` long.
    public func velocity(at s: Double, _ y: [Double]) throws -> [Double] {
        _ = try problem.neurons(in: y, "TrainableSecondLayerFlow.velocity")
        return problem.gradientUnchecked(y).map { -(timeScale * $0) }
    }
}
