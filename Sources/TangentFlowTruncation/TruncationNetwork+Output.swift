// The output layer in cumulative parameters (1.3)/(1.4) of file 003.

import TangentFlow

extension TruncationNetwork {
    /// The cumulative parameters of the output layer `x ↦ W_{L+1}x + b_{L+1}` (2.4), by (1.3) continued to
    /// `ℓ = L + 1`: `W^{(L+1)} = W_{L+1}W^{(L)}` and
    ///
    /// ```
    /// β^{(L+1)} = (W^{(L+1)})⁻¹b^{(L+1)} = β^{(L)} + (W^{(L+1)})⁻¹b_{L+1},
    /// x^{(L+1)} = W^{(L+1)}(𝒯^{(L)}(x) + β^{(L+1)})
    /// ```
    ///
    /// (the output-layer form of the corrected (2.17)). **The printed (1.4)/(2.7), `β^{(L+1)} = (W_{L+1})⁻¹β^{(L)}`,
    /// disagrees** with (1.3) unless `W_{L+1} = 1` and `b_{L+1} = 0` (it applies a map from the output space to
    /// a vector of the input space); tested. `β^{(L+1)} = 0` is the gauge of the printed standard cost (1.7)
    /// (`GaugeFixedStandardCost`).
    /// - Throws: `.shapeMismatch`/`.nonFinite` for a bad `W_{L+1}` or `b_{L+1}`; `.invalidArgument` if
    ///   `W_{L+1}` is not invertible.
    public func outputShift(outputWeight: Matrix, outputBias: [Double]) throws -> (weight: Matrix, shift: [Double]) {
        let op = "TruncationNetwork.outputShift"
        try outputWeight.requireShape(width, width, op, "W_{L+1}")
        try outputWeight.requireFinite(op, "W_{L+1}")
        try requireVector(outputBias, length: width, op, "b_{L+1}")
        let w = TruncationAlgebra.multiply(outputWeight, weights[layerCount - 1])
        let inv = try TruncationAlgebra.inverse(w, operation: op, argument: "W^{(L+1)} = W_{L+1}W^{(L)}")
        let extra = TruncationAlgebra.apply(inv, outputBias)
        return (w, (0..<width).map { shifts[layerCount - 1][$0] + extra[$0] })
    }

    /// The network's output `W_{L+1}x^{(L)} + b_{L+1}` by the plain forward pass through the hidden vectors.
    /// - Throws: as `outputShift` and `hiddenVectors`.
    public func output(_ x: [Double], outputWeight: Matrix, outputBias: [Double]) throws -> [Double] {
        _ = try outputShift(outputWeight: outputWeight, outputBias: outputBias)
        let h = try hiddenVectors(x)[layerCount - 1]
        let o = TruncationAlgebra.apply(outputWeight, h)
        return (0..<width).map { o[$0] + outputBias[$0] }
    }
}
