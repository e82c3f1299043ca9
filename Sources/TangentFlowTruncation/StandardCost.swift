import TangentFlow

/// The standard cost (2.22 in file 003), the squared loss of the network's outputs
///
/// ```
/// C̃ = ½ Σ_j (1/N_j) Σ_i |x^{(L+1)}_{j,i} − y_j|²,   x^{(L+1)} = W_{L+1}x^{(L)} + b_{L+1},
/// x^{(L)} = W^{(L)}(𝒯^{(L)}(x) + β^{(L)})
/// ```
///
/// In input space this is the pullback metric of `W^{(L+1)} = W_{L+1}W^{(L)}` (2.21):
/// `C̃ = ½ Σ_j (1/N_j) Σ_i |𝒯^{(L)}(x_{j,i}) + β^{(L)} − (W^{(L+1)})⁻¹(y_j − b_{L+1})|²_{W^{(L+1)}}` —
/// **the printed (2.18)/(2.22) drop the offset `β^{(L)}`** (it comes from the slip in (2.17), MATH.md §5).
/// Parameters: the cumulative `(W^{(ℓ)}, β^{(ℓ)})` of a `TruncationNetwork` and the output layer `(W_{L+1}, b_{L+1})`.
public struct StandardCost: Sendable {
    /// The training data.
    public let data: ClusteredTrainingData

    /// The standard cost of `data`.
    public init(data: ClusteredTrainingData) { self.data = data }

    /// The gradient with respect to every parameter.
    public struct Gradient: Sendable {
        /// `∂C̃/∂W^{(ℓ)}` at index `ℓ − 1`.
        public var weights: [Matrix]
        /// `∂C̃/∂β^{(ℓ)}` at index `ℓ − 1`.
        public var shifts: [[Double]]
        /// `∂C̃/∂W_{L+1}`.
        public var outputWeight: Matrix
        /// `∂C̃/∂b_{L+1}`.
        public var outputBias: [Double]
    }

    /// `C̃` through the network's outputs (first line of (2.22)).
    /// - Throws: `.shapeMismatch` for a network, output weight or bias not of width `Q`; `.nonFinite` for NaN/∞.
    public func value(_ net: TruncationNetwork, outputWeight: Matrix, outputBias: [Double]) throws -> Double {
        try validate(net, outputWeight, outputBias, "StandardCost.value")
        var c = 0.0
        for (j, cluster) in data.clusters.enumerated() {
            var s = 0.0
            for i in 0..<cluster.rows {
                let out = output(net, outputWeight, outputBias, cluster.row(i))
                for r in 0..<data.width { s += (out[r] - data.labels[j][r]) * (out[r] - data.labels[j][r]) }
            }
            c += 0.5 * s / Double(cluster.rows)
        }
        return c
    }

    /// `C̃` in the pullback metric of `W^{(L+1)} = W_{L+1}W^{(L)}` on input space ((2.22), last line, with the
    /// offset `β^{(L)}` restored and `b_{L+1}` moved to the labels). Equal to `value` up to rounding: a second
    /// route that pins the corrected formula.
    /// - Throws: as `value`; `.invalidArgument` if `W_{L+1}` is not invertible.
    public func valueInPullbackMetric(_ net: TruncationNetwork, outputWeight: Matrix, outputBias: [Double]) throws -> Double {
        let op = "StandardCost.valueInPullbackMetric"
        try validate(net, outputWeight, outputBias, op)
        let wOut = TruncationAlgebra.multiply(outputWeight, net.weights[net.layerCount - 1])
        let inv = try TruncationAlgebra.inverse(wOut, operation: op, argument: "W^{(L+1)}")
        let beta = net.shifts[net.layerCount - 1]
        var c = 0.0
        for (j, cluster) in data.clusters.enumerated() {
            let target = TruncationAlgebra.apply(inv, (0..<data.width).map { data.labels[j][$0] - outputBias[$0] })
            var s = 0.0
            for i in 0..<cluster.rows {
                var z = cluster.row(i)
                for k in 0..<net.layerCount { z = net.truncateUnchecked(z, k) }
                let d = TruncationAlgebra.apply(wOut, (0..<data.width).map { z[$0] + beta[$0] - target[$0] })
                s += TruncationAlgebra.dot(d, d)
            }
            c += 0.5 * s / Double(cluster.rows)
        }
        return c
    }

    /// The true gradient of `C̃` by the chain rule (output layer, then `x^{(L)} = W^{(L)}(z + β^{(L)})`, then the
    /// truncation chain as in `EuclideanInputCost.gradient`).
    /// - Throws: as `value`.
    public func gradient(_ net: TruncationNetwork, outputWeight: Matrix, outputBias: [Double]) throws -> Gradient {
        try validate(net, outputWeight, outputBias, "StandardCost.gradient")
        let q = data.width, last = net.layerCount - 1
        var acc = TruncationGradientAccumulator(net)
        var gw = Matrix(zerosRows: q, cols: q)
        var gb = [Double](repeating: 0, count: q)
        for (j, cluster) in data.clusters.enumerated() {
            let w = 1 / Double(cluster.rows)
            for i in 0..<cluster.rows {
                let tape = TruncationTape(net, cluster.row(i))
                let zb = (0..<q).map { tape.output[$0] + net.shifts[last][$0] }
                let hidden = TruncationAlgebra.apply(net.weights[last], zb)
                let out = TruncationAlgebra.apply(outputWeight, hidden)
                let r = (0..<q).map { out[$0] + outputBias[$0] - data.labels[j][$0] }
                for c in 0..<q {
                    gb[c] += w * r[c]
                    for a in 0..<q { gw.elements[a + c * q] += w * r[a] * hidden[c] }
                }
                let ch = TruncationAlgebra.applyTransposed(outputWeight, r)  // ∂/∂x^{(L)}
                for c in 0..<q { for a in 0..<q { acc.weights[last].elements[a + c * q] += w * ch[a] * zb[c] } }
                let cz = TruncationAlgebra.applyTransposed(net.weights[last], ch)  // ∂/∂(z + β^{(L)})
                for a in 0..<q { acc.shifts[last][a] += w * cz[a] }
                acc.backpropagate(tape, cotangent: cz, weight: w)
            }
        }
        return Gradient(weights: acc.weights, shifts: acc.shifts, outputWeight: gw, outputBias: gb)
    }

    func output(_ net: TruncationNetwork, _ wOut: Matrix, _ bOut: [Double], _ x: [Double]) -> [Double] {
        let last = net.layerCount - 1
        var z = x
        for k in 0..<net.layerCount { z = net.truncateUnchecked(z, k) }
        let hidden = TruncationAlgebra.apply(net.weights[last], (0..<data.width).map { z[$0] + net.shifts[last][$0] })
        let out = TruncationAlgebra.apply(wOut, hidden)
        return (0..<data.width).map { out[$0] + bOut[$0] }
    }

    func validate(_ net: TruncationNetwork, _ wOut: Matrix, _ bOut: [Double], _ op: String) throws {
        let q = data.width
        guard net.width == q else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "a network of width \(q)", got: "width \(net.width)")
        }
        try wOut.requireShape(q, q, op, "W_{L+1}")
        try wOut.requireFinite(op, "W_{L+1}")
        try requireVector(bOut, length: q, op, "b_{L+1}")
    }
}
