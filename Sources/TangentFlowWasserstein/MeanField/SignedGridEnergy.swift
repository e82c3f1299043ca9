// The signed mean-field measure on a parameter grid as "two grids" (§10 of file 004, MATH.md §6): one non-negative
// weight vector per output sign on the same ParameterGrid, μ = Σ_k (p₊_k − p₋_k) δ_{θ_k}. The one-sign grid energy
// (MeanFieldGridEnergy) is the case p₋ = 0.

import TangentFlow

/// The energy of a signed measure `μ = μ₊ − μ₋` on the points `θ_k` of a `ParameterGrid` (two grids of weights,
/// §10 of file 004), for scalar data augmented with a 1:
///
/// ```
/// h(x_j)     = Σ_k (p₊_k − p₋_k) σ(⟨θ_k, (x_j, 1)⟩) = (Φ(p₊ − p₋))_j,    Φ_jk = σ(⟨θ_k, (x_j, 1)⟩)
/// f(p₊, p₋)  = (1/(2n)) |Φ(p₊ − p₋) − y|²
/// ∂f/∂p₊ = Φᵀ(h − y)/n = F'(μ)(θ_k),   ∂f/∂p₋ = −F'(μ)(θ_k)              (first variations of the two parts)
/// ```
/// A particle network whose neurons sit on grid points is the measure with `p±_k` = (number of neurons of sign ±
/// at `θ_k`) × 1: `particleWeights` builds it, and the outputs agree (tested).
public struct SignedGridEnergy: Sendable {
    /// Scalar inputs and targets (the sign of the model is not used: each part carries its own).
    public let model: MeanFieldReLUModel
    /// The grid both parts live on.
    public let grid: ParameterGrid
    /// `Φ`, `n×K`, with sign +1.
    let features: Matrix

    /// The signed energy of the data of `model` on `grid`.
    public init(model: MeanFieldReLUModel, grid: ParameterGrid) throws {
        self.model = try MeanFieldReLUModel(inputs: model.inputs, targets: model.targets, sign: 1)
        self.grid = grid
        self.features = self.model.features(grid.points)
    }

    /// Outputs `h(x_j) = (Φ(p₊ − p₋))_j`.
    /// - Throws: `.shapeMismatch` (a length ≠ K), `.nonFinite`.
    public func outputs(positive: [Double], negative: [Double]) throws -> [Double] {
        try check(positive, negative, "SignedGridEnergy.outputs")
        let (n, count) = (model.samples, grid.count)
        var h = [Double](repeating: 0, count: n)
        for k in 0..<count where positive[k] != negative[k] {
            let w = positive[k] - negative[k]
            for j in 0..<n { h[j] += features.elements[j + k * n] * w }
        }
        return h
    }

    /// `f(p₊, p₋) = (1/(2n)) |Φ(p₊ − p₋) − y|²`.
    /// - Throws: as `outputs`.
    public func energy(positive: [Double], negative: [Double]) throws -> Double {
        let h = try outputs(positive: positive, negative: negative)
        return zip(h, model.targets).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / (2 * Double(model.samples))
    }

    /// The first variations `(∂f/∂p₊, ∂f/∂p₋) = (F'(μ)(θ_k), −F'(μ)(θ_k))`.
    /// - Throws: as `outputs`.
    public func firstVariations(positive: [Double], negative: [Double]) throws -> (positive: [Double], negative: [Double]) {
        let h = try outputs(positive: positive, negative: negative)
        let n = model.samples
        let e = (0..<n).map { (h[$0] - model.targets[$0]) / Double(n) }
        let fv = (0..<grid.count).map { k in
            var s = 0.0
            for j in 0..<n { s += features.elements[j + k * n] * e[j] }
            return s
        }
        return (fv, fv.map { -$0 })
    }

    /// The two weight vectors of a particle network whose neurons (rows `(w, b)` of `neurons`) sit on grid points:
    /// `p±_k` counts the neurons of sign ±1 at `θ_k`.
    /// - Throws: `.shapeMismatch` (not `m×2`, signs of the wrong length), `.invalidArgument` (a neuron off the grid
    ///   by more than 1e-12 of the spacing, a sign other than ±1).
    public func particleWeights(neurons: Matrix, signs: [Double]) throws -> (positive: [Double], negative: [Double]) {
        let op = "SignedGridEnergy.particleWeights"
        try neurons.requireShape(neurons.rows, 2, op, "neurons (one (w, b) per row)")
        guard signs.count == neurons.rows else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(neurons.rows) signs", got: "\(signs.count)")
        }
        var plus = [Double](repeating: 0, count: grid.count), minus = plus
        let h = grid.spacing
        for i in 0..<neurons.rows {
            let (a, b) = (neurons[i, 0], neurons[i, 1])
            let ia = ((a - grid.lower) / h).rounded(), ib = ((b - grid.lower) / h).rounded()
            guard ia >= 0, ib >= 0, ia < Double(grid.pointsPerAxis), ib < Double(grid.pointsPerAxis),
                  abs(grid.lower + ia * h - a) <= 1e-12 * h, abs(grid.lower + ib * h - b) <= 1e-12 * h else {
                throw TangentFlowError.invalidArgument(operation: op, reason: "neuron \(i) at (\(a), \(b)) is not a grid point")
            }
            let k = Int(ia) + grid.pointsPerAxis * Int(ib)
            switch signs[i] {
            case 1: plus[k] += 1
            case -1: minus[k] += 1
            default: throw TangentFlowError.invalidArgument(operation: op, reason: "signs must be −1 or 1, got \(signs[i]) at index \(i)")
            }
        }
        return (plus, minus)
    }

    func check(_ p: [Double], _ q: [Double], _ op: String) throws {
        for (name, v) in [("positive", p), ("negative", q)] {
            guard v.count == grid.count else {
                throw TangentFlowError.shapeMismatch(operation: op, expected: "\(grid.count) \(name) weights (one per grid point)", got: "\(v.count)")
            }
            try requireFinite(v, op, name)
        }
    }
}
