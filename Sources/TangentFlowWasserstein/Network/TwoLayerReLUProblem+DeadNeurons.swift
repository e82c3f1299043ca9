// Dead neurons (§1.1 of file 004): "the triangle of neurons that do not move are simply neurons that do not
// activate any data". A neuron i with ⟨w_i, x_j⟩ ≤ 0 for every sample gets no gradient (s_ij = 0 for all j,
// σ'(0) = 0), so gradient descent and both proximal steps leave it where it is while it stays dead.

import TangentFlow

extension TwoLayerReLUProblem {
    /// The dead neurons of `w`: the indices `i` with `⟨w_i, x_j⟩ ≤ 0` for every sample `j` (§1.1 of Mercklé, file
    /// 004; MATH.md §6), in increasing order.
    ///
    /// ```
    /// dead(W) = { i : s_ij = 1[⟨w_i, x_j⟩ > 0] = 0 for all j }   ⇒   ∂F/∂w_i = λ w_i  (0 without weight decay)
    /// ```
    /// For scalar data `x ∈ [x_min, x_max]` augmented with a 1 and a neuron `(a, b)`, this is the region
    /// `a x + b ≤ 0` at both ends: the wedge `b ≤ −max(a x_min, a x_max)`, a triangle on a grid (the notes' picture).
    /// - Throws: `.shapeMismatch` unless `w` is `m×d`; `.nonFinite` for NaN/±∞.
    public func deadNeurons(_ w: Matrix) throws -> [Int] {
        try validate(w, "TwoLayerReLUProblem.deadNeurons")
        let (m, n, d) = (neurons, samples, inputDimension)
        return (0..<m).filter { i in
            (0..<n).allSatisfy { j in
                var z = 0.0
                for k in 0..<d { z += w.elements[i + k * m] * inputs.elements[j + k * n] }
                return z <= 0
            }
        }
    }
}
