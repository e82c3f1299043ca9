// Signed mean-field measures as §10 of file 004 uses them (MATH.md §6): a two-layer ReLU network with fixed output
// signs α_i = ±1 is the signed measure μ = q Σ_i α_i δ_{w_i} = μ₊ − μ₋ ("± copies": one positive measure per sign),
// with network output h_μ(x) = ∫ σ(⟨w, x⟩) dμ(w). The notes list four ways to write the same network as a measure;
// each is offered here with its own output formula, so that a test can check they all agree with the particle
// network (TwoLayerReLUProblem). The notes' third representation prints the neuron as ⟨w̃₊, x⟩⟨w̃₋, x⟩, which is
// not a ReLU network; its label ("separate neg and positive") says what is meant: σ(⟨w̃₊, x⟩) − σ(⟨w̃₋, x⟩).

import TangentFlow

/// A signed particle measure `μ = μ₊ − μ₋`, `μ± = q Σ_{i ∈ ±} δ_{w_i}` (atoms of mass `q`), the second
/// representation of §10 of file 004 split into its two positive parts:
///
/// ```
/// h_μ(x)      = ∫ σ(⟨w, x⟩) dμ₊ − ∫ σ(⟨w, x⟩) dμ₋ = q Σ_i α_i σ(⟨w_i, x⟩)
/// F(μ)        = (1/(2n)) Σ_j (h_μ(x_j) − y_j)²
/// F'(μ)(w)    = (1/n) Σ_j e_j σ(⟨w, x_j⟩),   e_j = h_μ(x_j) − y_j                 (first variation)
/// W₂ gradient flow:  ∂_t μ± = ±div(μ± ∇F'(μ)),  i.e. atoms of μ± move with  w' = ∓∇F'(μ)(w)
/// ```
/// Since `σ` is 1-homogeneous, `μ` is the particle network with neurons `q·w_i` and signs `α_i`
/// (`network`), and its W₂ gradient flow is that network's gradient flow `W' = −q ∇F(W)` (time scaled by `q`;
/// `q = 1`: the same clock, `q = 1/m`: Chizat–Bach's mean-field clock).
public struct SignedParticleMeasure: Sendable {
    /// Atoms of `μ₊`, one per row (`m₊×d`, `m₊ ≥ 0`).
    public let positive: Matrix
    /// Atoms of `μ₋`, one per row (`m₋×d`, `m₋ ≥ 0`).
    public let negative: Matrix
    /// Mass `q > 0` of every atom.
    public let atomMass: Double

    /// Number of atoms `m = m₊ + m₋`.
    public var atoms: Int { positive.rows + negative.rows }
    /// Dimension `d` of the atoms.
    public var dimension: Int { positive.rows > 0 ? positive.cols : negative.cols }

    /// The measure with atoms `positive` (sign +1) and `negative` (sign −1), each of mass `q`.
    /// - Throws: `.emptyInput` (no atom at all), `.shapeMismatch` (different dimensions), `.nonFinite`,
    ///   `.invalidArgument` (`q ≤ 0`).
    public init(positive: Matrix, negative: Matrix, atomMass: Double = 1) throws {
        let op = "SignedParticleMeasure"
        guard positive.rows + negative.rows > 0, positive.cols > 0 || negative.cols > 0 else {
            throw TangentFlowError.emptyInput(operation: op, argument: "positive and negative atoms")
        }
        if positive.rows > 0 && negative.rows > 0 && positive.cols != negative.cols {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "negative atoms of dimension \(positive.cols)", got: "\(negative.cols)")
        }
        try positive.requireFinite(op, "positive")
        try negative.requireFinite(op, "negative")
        try requirePositive(atomMass, op, "atomMass q")
        self.positive = positive
        self.negative = negative
        self.atomMass = atomMass
    }

    /// The measure `q Σ α_i δ_{w_i}` of a particle network with neurons `w` (rows) and signs `α_i = ±1`.
    /// - Throws: `.emptyInput`, `.shapeMismatch` (signs vs rows), `.nonFinite`, `.invalidArgument` (a sign other
    ///   than ±1, `q ≤ 0`).
    public init(network w: Matrix, signs: [Double], atomMass: Double = 1) throws {
        let op = "SignedParticleMeasure"
        try w.requireNonEmpty(op, "W")
        guard signs.count == w.rows else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(w.rows) signs (one per neuron)", got: "\(signs.count)")
        }
        if let k = signs.firstIndex(where: { $0 != 1 && $0 != -1 }) {
            throw TangentFlowError.invalidArgument(operation: op, reason: "signs must be −1 or 1, got \(signs[k]) at index \(k)")
        }
        let plus = (0..<w.rows).filter { signs[$0] == 1 }, minus = (0..<w.rows).filter { signs[$0] == -1 }
        try self.init(positive: Self.rows(w, plus), negative: Self.rows(w, minus), atomMass: atomMass)
    }

    /// The particle network it is: neurons `q·w_i` (positive atoms first) and their signs.
    public var network: (neurons: Matrix, signs: [Double]) {
        let all = Self.stack(positive, negative, dimension)
        return (Matrix(uncheckedRows: all.rows, cols: all.cols, elements: all.elements.map { $0 * atomMass }),
                [Double](repeating: 1, count: positive.rows) + [Double](repeating: -1, count: negative.rows))
    }

    /// `h_μ(x_j) = ∫ σ(⟨w, x_j⟩) dμ₊ − ∫ σ(⟨w, x_j⟩) dμ₋` for the rows of `x` (`n×d`).
    /// - Throws: `.shapeMismatch` (`d` differs), `.emptyInput`, `.nonFinite`.
    public func outputs(_ x: Matrix) throws -> [Double] {
        try checkInputs(x, "SignedParticleMeasure.outputs")
        return (0..<x.rows).map { j in
            atomMass * (Self.reluSum(positive, x, j) - Self.reluSum(negative, x, j))
        }
    }

    /// `F(μ) = (1/(2n)) Σ_j (h_μ(x_j) − y_j)²`.
    /// - Throws: as `outputs`, and `.shapeMismatch` for `y` of the wrong length.
    public func energy(inputs x: Matrix, targets y: [Double]) throws -> Double {
        let e = try residuals(x, y, "SignedParticleMeasure.energy")
        return e.reduce(0) { $0 + $1 * $1 } / (2 * Double(e.count))
    }

    /// The W₂ velocities `∓∇F'(μ)` of the atoms: `(positive, negative)`, same shapes as the atoms.
    /// - Throws: as `energy`.
    public func velocities(inputs x: Matrix, targets y: [Double]) throws -> (positive: Matrix, negative: Matrix) {
        let e = try residuals(x, y, "SignedParticleMeasure.velocities").map { $0 / Double(x.rows) }
        return (Self.gradientOfPotential(positive, x, e, sign: -1), Self.gradientOfPotential(negative, x, e, sign: 1))
    }

    // MARK: the other representations of §10

    /// First representation: atoms `θ_i = (w_i, α_i) ∈ R^d × R` of the probability measure `(1/m) Σ δ_{θ_i}`
    /// (`m×(d+1)`, positive atoms first); with `M = m q` its output is `M ∫ α σ(⟨w, x⟩) dθ`
    /// (`liftedOutputs`).
    public var lifted: Matrix {
        let all = Self.stack(positive, negative, dimension)
        let signs = [Double](repeating: 1, count: positive.rows) + [Double](repeating: -1, count: negative.rows)
        return Matrix(uncheckedRows: atoms, cols: dimension + 1, elements: all.elements + signs)
    }

    /// Output of the lifted representation: `M (1/m) Σ_i α_i σ(⟨w_i, x_j⟩)` for atoms `(w_i, α_i)` (rows of
    /// `lifted`, `m×(d+1)`) and total mass `M`.
    /// - Throws: `.shapeMismatch` (`x` not `n×d`), `.emptyInput`, `.nonFinite`.
    public static func liftedOutputs(_ lifted: Matrix, totalMass: Double, _ x: Matrix) throws -> [Double] {
        let op = "SignedParticleMeasure.liftedOutputs"
        try lifted.requireNonEmpty(op, "lifted")
        try x.requireShape(x.rows, lifted.cols - 1, op, "x (d = \(lifted.cols - 1) columns)")
        let (m, d) = (lifted.rows, lifted.cols - 1)
        return (0..<x.rows).map { j in
            var s = 0.0
            for i in 0..<m {
                var z = 0.0
                for k in 0..<d { z += lifted.elements[i + k * m] * x.elements[j + k * x.rows] }
                s += lifted.elements[i + d * m] * max(0, z)
            }
            return totalMass * s / Double(m)
        }
    }

    /// Third representation (when `m₊ = m₋`): pair atoms `(w̃₊, w̃₋) ∈ R^d × R^d` of the probability measure
    /// `(1/p) Σ δ`, `p = m₊` (`p×2d`), neuron `σ(⟨w̃₊, x⟩) − σ(⟨w̃₋, x⟩)`; `nil` when the counts differ.
    public var pairs: Matrix? {
        guard positive.rows == negative.rows, positive.rows > 0 else { return nil }
        return Matrix(uncheckedRows: positive.rows, cols: 2 * dimension, elements: positive.elements + negative.elements)
    }

    /// Output of the pair representation: `M (1/p) Σ_i (σ(⟨w̃₊_i, x_j⟩) − σ(⟨w̃₋_i, x_j⟩))` for rows of `pairs`
    /// (`p×2d`) and total mass `M` of each part.
    /// - Throws: `.shapeMismatch`, `.emptyInput`, `.nonFinite`.
    public static func pairOutputs(_ pairs: Matrix, massPerPart: Double, _ x: Matrix) throws -> [Double] {
        let op = "SignedParticleMeasure.pairOutputs"
        try pairs.requireNonEmpty(op, "pairs")
        guard pairs.cols % 2 == 0 else { throw TangentFlowError.shapeMismatch(operation: op, expected: "an even number of columns (w̃₊, w̃₋)", got: "\(pairs.cols)") }
        let (p, d) = (pairs.rows, pairs.cols / 2)
        try x.requireShape(x.rows, d, op, "x (d = \(d) columns)")
        return (0..<x.rows).map { j in
            var s = 0.0
            for i in 0..<p {
                var zp = 0.0, zm = 0.0
                for k in 0..<d {
                    zp += pairs.elements[i + k * p] * x.elements[j + k * x.rows]
                    zm += pairs.elements[i + (k + d) * p] * x.elements[j + k * x.rows]
                }
                s += max(0, zp) - max(0, zm)
            }
            return massPerPart * s / Double(p)
        }
    }

    /// Fourth representation: directions `d_i = w_i/|w_i|` on the sphere and amplitudes `α̃_i = q|w_i|α_i`
    /// (neuron `α̃ σ(⟨d, x⟩)`, by 1-homogeneity). A zero atom gets direction 0 and amplitude 0.
    public var sphereAmplitude: (directions: Matrix, amplitudes: [Double]) {
        let all = Self.stack(positive, negative, dimension)
        let (m, d) = (all.rows, dimension)
        var dirs = Matrix(zerosRows: m, cols: d)
        var amp = [Double](repeating: 0, count: m)
        for i in 0..<m {
            let r = scaledNorm((0..<d).map { all.elements[i + $0 * m] })
            guard r > 0 else { continue }
            for k in 0..<d { dirs.elements[i + k * m] = all.elements[i + k * m] / r }
            amp[i] = atomMass * r * (i < positive.rows ? 1 : -1)
        }
        return (dirs, amp)
    }

    /// Output of the sphere representation: `Σ_i α̃_i σ(⟨d_i, x_j⟩)`.
    /// - Throws: `.shapeMismatch`, `.emptyInput`, `.nonFinite`.
    public static func sphereOutputs(directions: Matrix, amplitudes: [Double], _ x: Matrix) throws -> [Double] {
        let op = "SignedParticleMeasure.sphereOutputs"
        try directions.requireNonEmpty(op, "directions")
        guard amplitudes.count == directions.rows else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(directions.rows) amplitudes", got: "\(amplitudes.count)")
        }
        try x.requireShape(x.rows, directions.cols, op, "x (d = \(directions.cols) columns)")
        let (m, d) = (directions.rows, directions.cols)
        return (0..<x.rows).map { j in
            var s = 0.0
            for i in 0..<m {
                var z = 0.0
                for k in 0..<d { z += directions.elements[i + k * m] * x.elements[j + k * x.rows] }
                s += amplitudes[i] * max(0, z)
            }
            return s
        }
    }

    // MARK: internals

    func checkInputs(_ x: Matrix, _ op: String) throws {
        try x.requireNonEmpty(op, "x")
        try x.requireShape(x.rows, dimension, op, "x (d = \(dimension) columns, like the atoms)")
        try x.requireFinite(op, "x")
    }

    func residuals(_ x: Matrix, _ y: [Double], _ op: String) throws -> [Double] {
        try checkInputs(x, op)
        guard y.count == x.rows else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(x.rows) targets", got: "\(y.count)")
        }
        try requireFinite(y, op, "targets")
        return zip(try outputs(x), y).map { $0 - $1 }
    }

    static func reluSum(_ atoms: Matrix, _ x: Matrix, _ j: Int) -> Double {
        let (m, d) = (atoms.rows, atoms.cols)
        var s = 0.0
        for i in 0..<m {
            var z = 0.0
            for k in 0..<d { z += atoms.elements[i + k * m] * x.elements[j + k * x.rows] }
            s += max(0, z)
        }
        return s
    }

    /// `sign · ∇F'(μ)(w_i)` for each atom, `∇F'(w) = Σ_j e_j 1[⟨w, x_j⟩ > 0] x_j` with `e` already divided by n.
    static func gradientOfPotential(_ atoms: Matrix, _ x: Matrix, _ e: [Double], sign: Double) -> Matrix {
        let (m, d, n) = (atoms.rows, atoms.cols, x.rows)
        var v = Matrix(zerosRows: m, cols: d)
        for i in 0..<m {
            for j in 0..<n {
                var z = 0.0
                for k in 0..<d { z += atoms.elements[i + k * m] * x.elements[j + k * n] }
                guard z > 0 else { continue }
                for k in 0..<d { v.elements[i + k * m] += sign * e[j] * x.elements[j + k * n] }
            }
        }
        return v
    }

    static func rows(_ w: Matrix, _ idx: [Int]) -> Matrix {
        var out = Matrix(zerosRows: idx.count, cols: w.cols)
        for (r, i) in idx.enumerated() { for k in 0..<w.cols { out.elements[r + k * idx.count] = w.elements[i + k * w.rows] } }
        return out
    }

    static func stack(_ a: Matrix, _ b: Matrix, _ d: Int) -> Matrix {
        let m = a.rows + b.rows
        var out = Matrix(zerosRows: m, cols: d)
        for k in 0..<d {
            for i in 0..<a.rows { out.elements[i + k * m] = a.elements[i + k * a.rows] }
            for i in 0..<b.rows { out.elements[a.rows + i + k * m] = b.elements[i + k * b.rows] }
        }
        return out
    }
}

/// The W₂ gradient flow of a `SignedParticleMeasure` as a vector field on its atoms (§10 of file 004):
/// state `[positive atoms column-major, negative atoms column-major]`, velocity `∓∇F'(μ)` (see
/// `SignedParticleMeasure`). Independent of the particle network's code, so the two can be compared.
public struct SignedMeasureFlow: VectorField {
    /// Inputs `n×d` (augmented by the caller if a bias is wanted).
    public let inputs: Matrix
    /// Targets.
    public let targets: [Double]
    /// Number of positive atoms `m₊`.
    public let positiveAtoms: Int
    /// Number of negative atoms `m₋`.
    public let negativeAtoms: Int
    /// Mass `q` of each atom.
    public let atomMass: Double

    /// The flow of measures with `m₊` positive and `m₋` negative atoms of mass `q` on the data.
    /// - Throws: `.emptyInput`, `.shapeMismatch`, `.nonFinite`, `.invalidArgument` (`q ≤ 0`, negative counts).
    public init(inputs: Matrix, targets: [Double], positiveAtoms: Int, negativeAtoms: Int, atomMass: Double = 1) throws {
        let op = "SignedMeasureFlow"
        try inputs.requireNonEmpty(op, "inputs")
        try inputs.requireFinite(op, "inputs")
        guard targets.count == inputs.rows else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(inputs.rows) targets", got: "\(targets.count)")
        }
        try requireFinite(targets, op, "targets")
        try requireAtLeast(positiveAtoms, 0, op, "positiveAtoms")
        try requireAtLeast(negativeAtoms, 0, op, "negativeAtoms")
        try requireAtLeast(positiveAtoms + negativeAtoms, 1, op, "positiveAtoms + negativeAtoms")
        try requirePositive(atomMass, op, "atomMass q")
        self.inputs = inputs
        self.targets = targets
        self.positiveAtoms = positiveAtoms
        self.negativeAtoms = negativeAtoms
        self.atomMass = atomMass
    }

    /// The state of a measure (atoms column-major, positive then negative).
    public static func state(of mu: SignedParticleMeasure) -> [Double] { mu.positive.elements + mu.negative.elements }

    /// The measure of a state.
    /// - Throws: `.shapeMismatch` for a state of the wrong length.
    public func measure(_ y: [Double]) throws -> SignedParticleMeasure {
        let d = inputs.cols
        guard y.count == (positiveAtoms + negativeAtoms) * d else {
            throw TangentFlowError.shapeMismatch(operation: "SignedMeasureFlow", expected: "\((positiveAtoms + negativeAtoms) * d) entries", got: "\(y.count)")
        }
        let split = positiveAtoms * d
        return try SignedParticleMeasure(positive: Matrix(uncheckedRows: positiveAtoms, cols: d, elements: Array(y[0..<split])),
                                         negative: Matrix(uncheckedRows: negativeAtoms, cols: d, elements: Array(y[split...])),
                                         atomMass: atomMass)
    }

    /// `∓∇F'(μ)` at every atom.
    /// - Throws: `.shapeMismatch`, `.nonFinite`.
    public func velocity(at s: Double, _ y: [Double]) throws -> [Double] {
        let v = try measure(y).velocities(inputs: inputs, targets: targets)
        return v.positive.elements + v.negative.elements
    }
}
