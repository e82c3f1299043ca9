// §10.3.1 of file 004 ("grid problems"): a probability measure on a fixed parameter grid cannot change its
// neurons' scale, so the grid dictates it. The notes' remedy: duplicate each grid neuron, one copy at a small scale
// and one at a very big one. Because σ is 1-homogeneous, σ(⟨sθ, x⟩) = s σ(⟨θ, x⟩) for s > 0, so a measure on the
// duplicated grid is, as a network, exactly a measure on the original grid with reweighted (no longer
// normalised) masses — the reduction this file implements and the tests pin.

import TangentFlow

/// The grid of §10.3.1 of file 004: every point `θ_k` of a `ParameterGrid` copied at scales `s_1 < … < s_C`
/// (point `k + c·K` is `s_c θ_k`, `K` = grid points). For `MeanFieldReLUModel` (1-homogeneous neurons):
///
/// ```
/// h_p(x) = Σ_c Σ_k p_{k+cK} α σ(⟨s_c θ_k, x̃⟩) = Σ_k q_k α σ(⟨θ_k, x̃⟩),   q_k = Σ_c s_c p_{k+cK}   (reduction)
/// F'(p)(s_c θ_k) = s_c F'(p)(θ_k)                                                    (first variation)
/// ```
/// So a probability vector `p` on the duplicated grid reaches total weights `Σ_k q_k ∈ [s_1, s_C]` on the
/// original grid: the scales set the range of output sizes the flow can reach, which one grid (`Σq = 1`) fixes.
public struct DuplicatedScaleGrid: Sendable {
    /// The original grid.
    public let grid: ParameterGrid
    /// The scales `s_c > 0`, increasing.
    public let scales: [Double]

    /// Number of points `C·K`.
    public var count: Int { grid.count * scales.count }

    /// `grid` copied at `scales` (at least one, each finite and `> 0`, strictly increasing).
    /// - Throws: `.invalidArgument` naming the offending scale.
    public init(grid: ParameterGrid, scales: [Double]) throws {
        let op = "DuplicatedScaleGrid"
        guard !scales.isEmpty else { throw TangentFlowError.emptyInput(operation: op, argument: "scales") }
        for (c, s) in scales.enumerated() {
            try requirePositive(s, op, "scales[\(c)]")
            if c > 0 && s <= scales[c - 1] {
                throw TangentFlowError.invalidArgument(operation: op, reason: "scales must increase strictly, got \(scales[c - 1]) then \(s)")
            }
        }
        self.grid = grid
        self.scales = scales
    }

    /// The points `s_c θ_k` as a `CK×2` matrix, one per row (copy `c` of point `k` at row `k + cK`).
    public var points: Matrix {
        let base = grid.points
        let (k, total) = (grid.count, count)
        var out = Matrix(zerosRows: total, cols: 2)
        for (c, s) in scales.enumerated() {
            for i in 0..<k {
                out.elements[i + c * k] = s * base.elements[i]
                out.elements[i + c * k + total] = s * base.elements[i + k]
            }
        }
        return out
    }

    /// The reduced weights `q_k = Σ_c s_c p_{k+cK}` on the original grid.
    /// - Throws: `.shapeMismatch` (length ≠ CK), `.nonFinite`.
    public func reducedWeights(_ p: [Double]) throws -> [Double] {
        try check(p, "DuplicatedScaleGrid.reducedWeights")
        let k = grid.count
        return (0..<k).map { i in
            var q = 0.0
            for (c, s) in scales.enumerated() { q += s * p[i + c * k] }
            return q
        }
    }

    /// Network outputs `h_p(x_j) = Σ_l p_l α σ(⟨θ_l, (x_j, 1)⟩)` over the duplicated points themselves (no
    /// reduction used: the test compares the two).
    /// - Throws: `.shapeMismatch`, `.nonFinite`.
    public func outputs(model: MeanFieldReLUModel, weights p: [Double]) throws -> [Double] {
        try check(p, "DuplicatedScaleGrid.outputs")
        let phi = model.features(points)
        let n = model.samples
        return (0..<n).map { j in
            var h = 0.0
            for l in 0..<count where p[l] != 0 { h += phi.elements[j + l * n] * p[l] }
            return h
        }
    }

    /// The first variation `F'(p)(θ_l) = (1/n) Σ_j e_j α σ(⟨θ_l, (x_j, 1)⟩)` at every duplicated point.
    /// - Throws: `.shapeMismatch`, `.nonFinite`.
    public func firstVariation(model: MeanFieldReLUModel, weights p: [Double]) throws -> [Double] {
        let h = try outputs(model: model, weights: p)
        let n = model.samples
        let e = (0..<n).map { (h[$0] - model.targets[$0]) / Double(n) }
        let phi = model.features(points)
        return (0..<count).map { l in
            var s = 0.0
            for j in 0..<n { s += phi.elements[j + l * n] * e[j] }
            return s
        }
    }

    func check(_ p: [Double], _ op: String) throws {
        guard p.count == count else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(count) weights (\(scales.count) scales × \(grid.count) grid points)", got: "\(p.count)")
        }
        try requireFinite(p, op, "p")
    }
}
