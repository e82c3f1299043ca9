// The two-layer ReLU network of file 004 (§6, §7, §9; MATH.md §6): neurons w_i ∈ R^d on data augmented with a 1,
// fixed output signs α_i ∈ {−1, 1}, squared loss with the 1/(2n) normalisation, optional weight decay.
//
// Storage: the neurons are the rows of an m×d `Matrix` W (column-major, so neuron i's k-th coordinate is
// `elements[i + k·m]`); the inputs are the rows of an n×d matrix X. Everything here is O(m·n·d) loops: the sizes
// of this module's experiments (m, n ≤ a few hundred, d ≤ a few) do not call for BLAS.

import TangentFlow

/// A two-layer ReLU regression problem with fixed output signs, `(1/(2n))`-normalised squared loss and optional
/// weight decay (MATH.md §6; §6–§7, §9 of file 004):
///
/// ```
/// f(x)  = Σ_i α_i max(0, ⟨w_i, x⟩),                       α_i ∈ {−1, 1} fixed, x augmented with a 1
/// F(W)  = (1/(2n)) Σ_j (f(x_j) − y_j)²  +  (λ/2) ‖W‖_F²
/// ∂F/∂w_i = (α_i/n) Σ_j e_j s_ij x_j  +  λ w_i,           e_j = f(x_j) − y_j,  s_ij = 1[⟨w_i, x_j⟩ > 0]
/// ```
/// (σ'(0) = 0: a neuron exactly on a data point's kink gets no gradient from it.) The §9 formula of the notes is
/// garbled; this is the standard `F(W) + (λ/2)‖W‖²` that MATH.md prescribes.
///
/// Worked example (§7, corrected): x = 1, 2, 4 augmented, y = 2x, w = (1, 0), α = 1, one gradient step of
/// size 1 gives W¹ = (8, 7/3).
public struct TwoLayerReLUProblem: Sendable {
    /// Inputs `X`, `n×d`, one (augmented) sample per row.
    public let inputs: Matrix
    /// Targets `y_j`, one per sample.
    public let targets: [Double]
    /// Output signs `α_i ∈ {−1, 1}`, one per neuron.
    public let signs: [Double]
    /// Weight decay `λ ≥ 0` (the `(λ/2)‖W‖²` term).
    public let weightDecay: Double

    /// Number of samples `n`.
    public var samples: Int { inputs.rows }
    /// Number of neurons `m`.
    public var neurons: Int { signs.count }
    /// Input dimension `d` (after augmentation).
    public var inputDimension: Int { inputs.cols }

    /// A problem on `inputs` (already augmented, see `augmented(_:)`) with targets, signs and weight decay.
    ///
    /// - Parameters:
    ///   - inputs: `n×d`, `n, d ≥ 1`, finite.
    ///   - targets: `n` finite values.
    ///   - signs: `m ≥ 1` values, each exactly `−1` or `1`.
    ///   - weightDecay: `λ ≥ 0` (default 0).
    /// - Throws: `.emptyInput`, `.nonFinite`, `.shapeMismatch` (targets vs samples), `.invalidArgument` (a sign
    ///   other than ±1, negative or non-finite λ).
    public init(inputs: Matrix, targets: [Double], signs: [Double], weightDecay: Double = 0) throws {
        let op = "TwoLayerReLUProblem"
        try inputs.requireNonEmpty(op, "inputs")
        try inputs.requireFinite(op, "inputs")
        guard targets.count == inputs.rows else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(inputs.rows) targets (one per input row)", got: "\(targets.count)")
        }
        try requireFinite(targets, op, "targets")
        guard !signs.isEmpty else { throw TangentFlowError.emptyInput(operation: op, argument: "signs") }
        if let k = signs.firstIndex(where: { $0 != 1 && $0 != -1 }) {
            throw TangentFlowError.invalidArgument(operation: op, reason: "signs must be −1 or 1, got \(signs[k]) at index \(k)")
        }
        try requireNonNegative(weightDecay, op, "weightDecay λ")
        self.inputs = inputs
        self.targets = targets
        self.signs = signs
        self.weightDecay = weightDecay
    }

    /// `[X 1]`: the samples with a constant 1 appended as last coordinate (the bias of §6).
    /// - Throws: `.emptyInput` for an empty `x`, `.nonFinite` for NaN/±∞.
    public static func augmented(_ x: Matrix) throws -> Matrix {
        try x.requireNonEmpty("TwoLayerReLUProblem.augmented", "x")
        try x.requireFinite("TwoLayerReLUProblem.augmented", "x")
        return Matrix(uncheckedRows: x.rows, cols: x.cols + 1, elements: x.elements + [Double](repeating: 1, count: x.rows))
    }

    /// Network outputs `f(x_j)`, one per sample (§6).
    /// - Throws: `.shapeMismatch` unless `w` is `m×d`; `.nonFinite` for NaN/±∞ in `w`.
    public func outputs(_ w: Matrix) throws -> [Double] {
        try validate(w, "TwoLayerReLUProblem.outputs")
        return forward(w.elements)
    }

    /// The loss `F(W) = (1/(2n)) Σ_j (f(x_j) − y_j)² + (λ/2)‖W‖_F²` (MATH.md §6).
    /// - Throws: as `outputs(_:)`.
    public func loss(_ w: Matrix) throws -> Double {
        try validate(w, "TwoLayerReLUProblem.loss")
        return lossUnchecked(w.elements)
    }

    /// The gradient `∂F/∂w_i = (α_i/n) Σ_j e_j s_ij x_j + λ w_i` with `s_ij = 1[⟨w_i, x_j⟩ > 0]` (MATH.md §6),
    /// as an `m×d` matrix.
    /// - Throws: as `outputs(_:)`.
    public func gradient(_ w: Matrix) throws -> Matrix {
        try validate(w, "TwoLayerReLUProblem.gradient")
        return Matrix(uncheckedRows: neurons, cols: inputDimension, elements: gradientUnchecked(w.elements))
    }

    /// Activation pattern `s_ij = 1[⟨w_i, x_j⟩ > 0]` as an `m×n` matrix of 0/1.
    /// - Throws: as `outputs(_:)`.
    public func activationPattern(_ w: Matrix) throws -> Matrix {
        try validate(w, "TwoLayerReLUProblem.activationPattern")
        let (m, n, d) = (neurons, samples, inputDimension)
        var s = Matrix(zerosRows: m, cols: n)
        for j in 0..<n {
            for i in 0..<m {
                var z = 0.0
                for k in 0..<d { z += w.elements[i + k * m] * inputs.elements[j + k * n] }
                s.elements[i + j * m] = z > 0 ? 1 : 0
            }
        }
        return s
    }

    /// An upper bound on the gradient's Lipschitz constant on each region of constant activation pattern:
    /// `L = (m/n) Σ_j |x_j|² + λ` (the Gauss–Newton part `(1/n) Σ_j J_jᵀJ_j` with `|J_j|² ≤ m |x_j|²`). A
    /// gradient step below `1/L` decreases `F` as long as no activation changes.
    public var gradientLipschitzBound: Double {
        var sum = 0.0
        for v in inputs.elements { sum += v * v }
        return Double(neurons) / Double(samples) * sum + weightDecay
    }

    // MARK: unchecked kernels (the caller validated the shape)

    /// Throws `.shapeMismatch` unless `w` is `m×d`, `.nonFinite` for NaN/±∞.
    func validate(_ w: Matrix, _ op: String) throws {
        try w.requireShape(neurons, inputDimension, op, "W (one neuron per row)")
        try w.requireFinite(op, "W")
    }

    /// `f(x_j)` for column-major `m×d` storage `w`.
    func forward(_ w: [Double]) -> [Double] {
        let (m, n, d) = (neurons, samples, inputDimension)
        var out = [Double](repeating: 0, count: n)
        inputs.elements.withUnsafeBufferPointer { x in
            w.withUnsafeBufferPointer { w in
                for j in 0..<n {
                    var f = 0.0
                    for i in 0..<m {
                        var z = 0.0
                        for k in 0..<d { z += w[i + k * m] * x[j + k * n] }
                        if z > 0 { f += signs[i] * z }
                    }
                    out[j] = f
                }
            }
        }
        return out
    }

    /// `F(W)` for column-major storage.
    func lossUnchecked(_ w: [Double]) -> Double {
        let f = forward(w)
        var s = 0.0
        for j in 0..<samples { s += (f[j] - targets[j]) * (f[j] - targets[j]) }
        var decay = 0.0
        if weightDecay > 0 { for v in w { decay += v * v } }
        return s / (2 * Double(samples)) + weightDecay / 2 * decay
    }

    /// `∇F(W)` for column-major storage (same layout).
    func gradientUnchecked(_ w: [Double]) -> [Double] {
        let (m, n, d) = (neurons, samples, inputDimension)
        let f = forward(w)
        var g = [Double](repeating: 0, count: m * d)
        inputs.elements.withUnsafeBufferPointer { x in
            w.withUnsafeBufferPointer { w in
                for j in 0..<n {
                    let e = (f[j] - targets[j]) / Double(n)
                    for i in 0..<m {
                        var z = 0.0
                        for k in 0..<d { z += w[i + k * m] * x[j + k * n] }
                        guard z > 0 else { continue }   // s_ij = 0, σ'(0) = 0
                        let c = signs[i] * e
                        for k in 0..<d { g[i + k * m] += c * x[j + k * n] }
                    }
                }
            }
        }
        if weightDecay > 0 { for k in 0..<(m * d) { g[k] += weightDecay * w[k] } }
        return g
    }
}
