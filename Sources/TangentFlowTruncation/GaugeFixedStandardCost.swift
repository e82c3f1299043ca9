import TangentFlow

/// The standard cost (1.7) of file 003 read as printed: the network's output is `x^{(L+1)} = W^{(L+1)}𝒯^{(L)}(x)`
/// with the cumulative output weight `W^{(L+1)}` an independent `Q×Q` parameter,
///
/// ```
/// C̃ = ½ Σ_j (1/N_j) Σ_i |W^{(L+1)}𝒯^{(L)}(x_{j,i}) − y_j|²                                    (1.7/2.22)
/// ```
///
/// This is the real network's cost (`StandardCost`) in the gauge where the cumulative output shift vanishes,
/// `β^{(L+1)} = 0` (`TruncationNetwork.outputShift`), i.e. `W_{L+1} = W^{(L+1)}(W^{(L)})⁻¹`,
/// `b_{L+1} = −W^{(L+1)}β^{(L)}` (tested). It is the form in which §8 and §9 are stated: with collapsed data (8.1)
/// it reduces to `½‖W^{(L+1)}B + Y‖²` (8.2), with data in every positive sector (9.1–9.2) to the linear
/// regression of (9.3) in the `1/N_j` weights of (2.22), and the cumulative parameters do not move ((8.4), (9.6)).
public struct GaugeFixedStandardCost: Sendable {
    /// The training data.
    public let data: ClusteredTrainingData

    /// The cost of `data`.
    public init(data: ClusteredTrainingData) { self.data = data }

    /// The gradient with respect to every parameter.
    public struct Gradient: Sendable {
        /// `∂C̃/∂W^{(ℓ)}` at index `ℓ − 1`.
        public var weights: [Matrix]
        /// `∂C̃/∂β^{(ℓ)}` at index `ℓ − 1`.
        public var shifts: [[Double]]
        /// `∂C̃/∂W^{(L+1)}`.
        public var outputWeight: Matrix
    }

    /// `C̃` (1.7).
    /// - Throws: `.shapeMismatch` for a network or output weight not of width `Q`; `.nonFinite` for NaN/∞.
    public func value(_ net: TruncationNetwork, outputWeight: Matrix) throws -> Double {
        try validate(net, outputWeight, "GaugeFixedStandardCost.value")
        var c = 0.0
        for (j, cluster) in data.clusters.enumerated() {
            var s = 0.0
            for i in 0..<cluster.rows {
                let z = try net.truncate(cluster.row(i), layers: 1...net.layerCount)
                let out = TruncationAlgebra.apply(outputWeight, z)
                for r in 0..<data.width { s += (out[r] - data.labels[j][r]) * (out[r] - data.labels[j][r]) }
            }
            c += 0.5 * s / Double(cluster.rows)
        }
        return c
    }

    /// The true gradient by the chain rule: `∂C̃/∂W^{(L+1)} = Σ_j (1/N_j) Σ_i r zᵀ` with `z = 𝒯^{(L)}(x)`,
    /// `r = W^{(L+1)}z − y_j`, then the cotangent `(W^{(L+1)})ᵀr` through the truncation chain (as in
    /// `EuclideanInputCost.gradient`, general invertible `W^{(ℓ)}`).
    /// - Throws: as `value`.
    public func gradient(_ net: TruncationNetwork, outputWeight: Matrix) throws -> Gradient {
        try validate(net, outputWeight, "GaugeFixedStandardCost.gradient")
        let q = data.width
        var acc = TruncationGradientAccumulator(net)
        var gw = Matrix(zerosRows: q, cols: q)
        for (j, cluster) in data.clusters.enumerated() {
            let w = 1 / Double(cluster.rows)
            for i in 0..<cluster.rows {
                let tape = TruncationTape(net, cluster.row(i))
                let out = TruncationAlgebra.apply(outputWeight, tape.output)
                let r = (0..<q).map { out[$0] - data.labels[j][$0] }
                for c in 0..<q { for a in 0..<q { gw.elements[a + c * q] += w * r[a] * tape.output[c] } }
                acc.backpropagate(tape, cotangent: TruncationAlgebra.applyTransposed(outputWeight, r), weight: w)
            }
        }
        return Gradient(weights: acc.weights, shifts: acc.shifts, outputWeight: gw)
    }

    func validate(_ net: TruncationNetwork, _ wOut: Matrix, _ op: String) throws {
        guard net.width == data.width else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "a network of width \(data.width)", got: "width \(net.width)")
        }
        try wOut.requireShape(data.width, data.width, op, "W^{(L+1)}")
        try wOut.requireFinite(op, "W^{(L+1)}")
    }
}

/// The gradient flow of `GaugeFixedStandardCost` in all its parameters — the "full network" of §8 and §9 of
/// file 003: `∂_sW^{(ℓ)} = −∂C̃/∂W^{(ℓ)}`, `∂_sβ^{(ℓ)} = −∂C̃/∂β^{(ℓ)}`, `∂_sW^{(L+1)} = −∂C̃/∂W^{(L+1)}`.
///
/// State (`pack`/`unpack`): per layer `W^{(ℓ)}` (column-major, `Q²`) then `β^{(ℓ)}` (`Q`), then `W^{(L+1)}`
/// (column-major). Every `W^{(ℓ)}` must stay invertible (the field throws otherwise).
public struct GaugeFixedStandardFlow: VectorField {
    /// The cost.
    public let cost: GaugeFixedStandardCost
    /// `L`.
    public let layerCount: Int

    /// The flow of `cost` for networks of `layers` layers.
    /// - Throws: `.invalidArgument` for `layers < 1`.
    public init(cost: GaugeFixedStandardCost, layers: Int) throws {
        guard layers >= 1 else { throw TangentFlowError.invalidArgument(operation: "GaugeFixedStandardFlow", reason: "need at least one layer, got \(layers)") }
        self.cost = cost
        self.layerCount = layers
    }

    /// `Q`.
    public var width: Int { cost.data.width }

    /// The packed state of a network and output weight.
    /// - Throws: `.shapeMismatch` unless the network has `L` layers of width `Q` and `W^{(L+1)}` is `Q×Q`.
    public func pack(_ net: TruncationNetwork, outputWeight: Matrix) throws -> [Double] {
        guard net.layerCount == layerCount else {
            throw TangentFlowError.shapeMismatch(operation: "GaugeFixedStandardFlow.pack", expected: "\(layerCount) layers", got: "\(net.layerCount)")
        }
        try cost.validate(net, outputWeight, "GaugeFixedStandardFlow.pack")
        var v: [Double] = []
        for l in 0..<layerCount { v += net.weights[l].elements + net.shifts[l] }
        return v + outputWeight.elements
    }

    /// The network and output weight of a packed state.
    /// - Throws: `.shapeMismatch` for a wrong length; as `TruncationNetwork.init(cumulativeWeights:shifts:)`.
    public func unpack(_ y: [Double]) throws -> (network: TruncationNetwork, outputWeight: Matrix) {
        let q = width, block = q * q + q
        guard y.count == layerCount * block + q * q else {
            throw TangentFlowError.shapeMismatch(operation: "GaugeFixedStandardFlow.unpack", expected: "\(layerCount * block + q * q) entries", got: "\(y.count)")
        }
        var ws: [Matrix] = [], bs: [[Double]] = []
        for l in 0..<layerCount {
            let o = l * block
            ws.append(Matrix(uncheckedRows: q, cols: q, elements: Array(y[o..<(o + q * q)])))
            bs.append(Array(y[(o + q * q)..<(o + block)]))
        }
        let net = try TruncationNetwork(cumulativeWeights: ws, shifts: bs)
        return (net, Matrix(uncheckedRows: q, cols: q, elements: Array(y[(layerCount * block)...])))
    }

    /// Minus the gradient, packed.
    public func velocity(at s: Double, _ y: [Double]) throws -> [Double] {
        let (net, w) = try unpack(y)
        let g = try cost.gradient(net, outputWeight: w)
        var out: [Double] = []
        for l in 0..<layerCount { out += g.weights[l].elements.map { -$0 } + g.shifts[l].map { -$0 } }
        return out + g.outputWeight.elements.map { -$0 }
    }
}
