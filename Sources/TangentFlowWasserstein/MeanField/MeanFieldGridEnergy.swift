import TangentFlow

/// The energy of `MeanFieldReLUModel` for weights `p` on the simplex over the points of a `ParameterGrid`
/// (§10.1 of file 004, MATH.md §6): a quadratic in `p`,
///
/// ```
/// f(p) = (1/(2n)) |Φ p − y|²,   Φ_jk = α σ(⟨θ_k, (x_j, 1)⟩)          (n×K, K = grid points)
/// ∇f(p) = Φᵀ(Φ p − y)/n        (= the first variation F'(μ) at the grid points)
/// ```
public struct MeanFieldGridEnergy: Sendable {
    /// The model (data, targets, sign).
    public let model: MeanFieldReLUModel
    /// The grid carrying the weights.
    public let grid: ParameterGrid
    /// `Φ`, `n×K`.
    public let features: Matrix

    /// The energy of `model` on `grid`.
    public init(model: MeanFieldReLUModel, grid: ParameterGrid) {
        self.model = model
        self.grid = grid
        self.features = model.features(grid.points)
    }

    /// `f(p) = (1/(2n)) |Φp − y|²`.
    /// - Throws: `.shapeMismatch` (length ≠ K), `.nonFinite`. (`p` need not be normalised here.)
    public func energy(_ p: [Double]) throws -> Double {
        try check(p, "MeanFieldGridEnergy.energy")
        return model.energy(residuals: residuals(p))
    }

    /// `∇f(p) = Φᵀ(Φp − y)/n`, the first variation at the grid points.
    /// - Throws: as `energy`.
    public func firstVariation(_ p: [Double]) throws -> [Double] {
        try check(p, "MeanFieldGridEnergy.firstVariation")
        return gradient(residuals: residuals(p))
    }

    /// Network outputs `h(x_j) = (Φp)_j`.
    /// - Throws: as `energy`.
    public func outputs(_ p: [Double]) throws -> [Double] {
        try check(p, "MeanFieldGridEnergy.outputs")
        return zip(residuals(p), model.targets).map { $0 + $1 }
    }

    func check(_ p: [Double], _ op: String) throws {
        guard p.count == grid.count else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(grid.count) weights (one per grid point)", got: "\(p.count)")
        }
        try requireFinite(p, op, "p")
    }

    /// `Φp − y`.
    func residuals(_ p: [Double]) -> [Double] {
        let (n, count) = (model.samples, grid.count)
        var r = model.targets.map { -$0 }
        for k in 0..<count where p[k] != 0 {
            for j in 0..<n { r[j] += features.elements[j + k * n] * p[k] }
        }
        return r
    }

    /// `Φᵀ r / n`.
    func gradient(residuals r: [Double]) -> [Double] {
        let n = model.samples
        return (0..<grid.count).map { k in
            var s = 0.0
            for j in 0..<n { s += features.elements[j + k * n] * r[j] }
            return s / Double(n)
        }
    }
}
