// The initialisation of a Chizat–Bach study (§4.1, §10 of file 004): a mean-field network whose neurons' directions
// cover the whole circle, for each output sign — the "support that includes all directions" under which a
// converging Wasserstein gradient flow reaches a global minimiser (Chizat & Bach, NeurIPS 2018; the notes' §4.2
// Theorem 2).

import Foundation
import TangentFlow

/// `m` neurons in the plane (slope, bias) spread evenly over all directions, both output signs, in the mean-field
/// scaling (Chizat & Bach 2018, as summarised in §4.1 and §10 of Mercklé, file 004):
///
/// ```
/// mean field:  f(x) = (1/m) Σ_i α_i max(0, ⟨w_i, x⟩),   w_i = r (cos φ_i, sin φ_i),   trained by w' = −m ∇_w F
/// directions:  φ_i = 2π (⌊i/2⌋ + φ₀) / ⌈m/2⌉   (neurons 2k, 2k+1 share φ; α = +1, −1 alternately)
/// storage:     u_i = w_i / m   (positive homogeneity: (1/m) max(0, ⟨w, x⟩) = max(0, ⟨w/m, x⟩))
/// ```
/// On `u` the network is a plain `TwoLayerReLUProblem`, and the mean-field flow `w' = −m∇_w F` is
/// `u' = −(1/m)∇_u F`: mean-field time `t` is flow time `t/m` of `W' = −∇F` on the stored neurons. `φ₀ ∈ [0, 1)` is
/// a random rotation drawn from the seed.
public struct SpreadOutNeurons: Sendable {
    /// The stored neurons `u_i = w_i/m`, `m×2`.
    public let neurons: Matrix
    /// Output signs `α_i`, alternating `+1, −1`.
    public let signs: [Double]
    /// The rotation `φ₀` (in units of one angular spacing).
    public let rotation: Double

    /// `m` neurons of norm `r` (before the `1/m` scaling) spread over the circle for each sign.
    /// - Throws: `.invalidArgument` for `m < 2` or `r ≤ 0` / non-finite.
    public init(count m: Int, radius r: Double, seed: UInt64) throws {
        let op = "SpreadOutNeurons"
        try requireAtLeast(m, 2, op, "count m")
        try requirePositive(r, op, "radius r")
        var rng = SeededGenerator(seed: seed)
        let phase = rng.nextUniform()
        let perSign = (m + 1) / 2
        var u = [Double](repeating: 0, count: 2 * m)
        for i in 0..<m {
            let phi = 2 * Double.pi * (Double(i / 2) + phase) / Double(perSign)
            u[i] = r * cos(phi) / Double(m)
            u[i + m] = r * sin(phi) / Double(m)
        }
        self.neurons = Matrix(uncheckedRows: m, cols: 2, elements: u)
        self.signs = (0..<m).map { $0 % 2 == 0 ? 1 : -1 }
        self.rotation = phase
    }
}
