import TangentFlow

/// The Euclidean cost in input space (1.8/2.26 in file 003), at fixed output weight `W^{(L+1)}`:
///
/// ```
/// C = ½ Σ_j (1/N_j) Σ_i |𝒯^{(L)}(x_{j,i}) − ỹ_j|²,   ỹ_j = (W^{(L+1)})⁻¹ y_j   (1.13/3.16)
/// ```
///
/// with `𝒯^{(L)} = τ^{(L)}∘⋯∘τ^{(1)}` (2.16). Gradients are the true ones of this function (checked against
/// central finite differences in the tests): with respect to general cumulative parameters `(W^{(ℓ)}, β^{(ℓ)})`
/// (`gradient(_:)`), and on adapted parameters `(β^{(ℓ)}, R_ℓ)` as `(∂_βC, Ω̃_ℓ)` (Thm 5.1, `adaptedGradient(_:)`).
public struct EuclideanInputCost: Sendable {
    /// The training data.
    public let data: ClusteredTrainingData
    /// `W^{(L+1)}`, held fixed (§2.2).
    public let outputWeight: Matrix
    /// `ỹ_j = (W^{(L+1)})⁻¹ y_j`.
    public let pulledBackLabels: [[Double]]

    /// The cost of `data` with output weight `W^{(L+1)}` (default `1`, so `ỹ_j = y_j`).
    /// - Throws: `.shapeMismatch` unless `outputWeight` is `Q×Q`; `.invalidArgument` if it is not invertible.
    public init(data: ClusteredTrainingData, outputWeight: Matrix? = nil) throws {
        let w = try outputWeight ?? Matrix.identity(data.width)
        try w.requireShape(data.width, data.width, "EuclideanInputCost", "W^{(L+1)}")
        let inv = try TruncationAlgebra.inverse(w, operation: "EuclideanInputCost", argument: "W^{(L+1)}")
        self.data = data
        self.outputWeight = w
        self.pulledBackLabels = data.labels.map { TruncationAlgebra.apply(inv, $0) }
    }

    /// `C` (2.26) for a network with cumulative parameters `net`.
    /// - Throws: `.shapeMismatch` if the network's width is not the data's.
    public func value(_ net: TruncationNetwork) throws -> Double {
        try requireWidth(net.width, "EuclideanInputCost.value")
        var c = 0.0
        for (j, cluster) in data.clusters.enumerated() {
            var s = 0.0
            for i in 0..<cluster.rows {
                var z = cluster.row(i)
                for k in 0..<net.layerCount { z = net.truncateUnchecked(z, k) }
                for r in 0..<data.width { s += (z[r] - pulledBackLabels[j][r]) * (z[r] - pulledBackLabels[j][r]) }
            }
            c += 0.5 * s / Double(cluster.rows)
        }
        return c
    }

    /// `C` at adapted parameters (`W^{(ℓ)} = R_ℓ`).
    /// - Throws: as `value(_:)`; `.invalidArgument` if a rotation is not invertible.
    public func value(_ p: AdaptedParameters) throws -> Double { try value(p.networkUnchecked()) }

    /// `(∂C/∂W^{(ℓ)}, ∂C/∂β^{(ℓ)})` for general invertible cumulative weights, by the chain rule through
    /// `τ(z) = W⁻¹σ(W(z + β)) − β` with cotangent `g` on its output, `u = W(z + β)`, `H = H(u)`:
    ///
    /// ```
    /// ∂C/∂β = −WᵀH^⊥W⁻ᵀ g   (3.13/6.4),   ∂C/∂z = WᵀHW⁻ᵀ g,   ∂C/∂W = −W⁻ᵀg (W⁻¹σ(u))ᵀ + H W⁻ᵀ g (z + β)ᵀ
    /// ```
    /// (the last from `d(W⁻¹) = −W⁻¹ dW W⁻¹`).
    /// - Throws: as `value(_:)`.
    public func gradient(_ net: TruncationNetwork) throws -> (weights: [Matrix], shifts: [[Double]]) {
        try requireWidth(net.width, "EuclideanInputCost.gradient")
        let acc = accumulate(net) { $0.backpropagate($1, cotangent: $2, weight: $3) }
        return (acc.weights, acc.shifts)
    }

    /// The gradient on adapted parameters (Thm 5.1, Lemmas 7.2–7.3), as the pair the flow uses:
    ///
    /// ```
    /// ∂C/∂β^{(ℓ)} = −Σ_j (1/N_j) Σ_i (P⁻_{ℓ,L}(x_{j,i}))ᵀ (𝒯^{(L)}(x_{j,i}) − ỹ_j)        (7.14–7.15)
    /// Ω̃_ℓ = −π₋((∂_{R_ℓ}C)R_ℓᵀ) = −Σ_j (1/N_j) Σ_i [H^{(ℓ)}, M_{ℓ,j}(x_{j,i})]            (5.6/7.23)
    /// M_{ℓ,j}(x) = ½ R_ℓ(g (z + β^{(ℓ)})ᵀ + (z + β^{(ℓ)}) gᵀ)R_ℓᵀ,  g = (P⁺_{ℓ+1,L})ᵀ(𝒯^{(L)}(x) − ỹ_j)   (7.24)
    /// ```
    ///
    /// where `z = τ^{(ℓ−1,1)}(x)` is the input of layer `ℓ`. Sign: (7.14) is the true derivative; the printed
    /// (5.4) has the opposite overall sign. The flow is `∂_sβ = −∂C/∂β`, `∂_sR_ℓ = Ω̃_ℓR_ℓ` (5.5), and
    /// `dC/ds = −Σ_ℓ(|∂C/∂β^{(ℓ)}|² + ‖Ω̃_ℓ‖²_F)`.
    /// - Throws: as `value(_:)`.
    public func adaptedGradient(_ p: AdaptedParameters) throws -> (shifts: [[Double]], omegas: [Matrix]) {
        let net = try p.networkUnchecked()
        try requireWidth(net.width, "EuclideanInputCost.adaptedGradient")
        let acc = accumulate(net) { $0.backpropagateAdapted($1, cotangent: $2, weight: $3) }
        return (acc.shifts, acc.omegas)
    }

    /// Runs `backpropagate(accumulator, tape, cotangent, weight)` for every sample: the tape of `x_{j,i}`, the
    /// residual `𝒯^{(L)}(x_{j,i}) − ỹ_j` and the weight `1/N_j` of (2.26).
    private func accumulate(
        _ net: TruncationNetwork,
        _ backpropagate: (inout TruncationGradientAccumulator, TruncationTape, [Double], Double) -> Void
    ) -> TruncationGradientAccumulator {
        var acc = TruncationGradientAccumulator(net)
        for (j, cluster) in data.clusters.enumerated() {
            let w = 1 / Double(cluster.rows)
            for i in 0..<cluster.rows {
                let tape = TruncationTape(net, cluster.row(i))
                let e = (0..<data.width).map { tape.output[$0] - pulledBackLabels[j][$0] }
                backpropagate(&acc, tape, e, w)
            }
        }
        return acc
    }

    func requireWidth(_ q: Int, _ op: String) throws {
        guard q == data.width else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "a network of width \(data.width)", got: "width \(q)")
        }
    }
}

/// One point's forward pass through the truncation chain: layer inputs `z_{ℓ−1}`, pre-activations `u_ℓ`.
struct TruncationTape {
    let inputs: [[Double]]
    let preactivations: [[Double]]
    let output: [Double]

    init(_ net: TruncationNetwork, _ x: [Double]) {
        var z = x
        var ins: [[Double]] = [], us: [[Double]] = []
        for k in 0..<net.layerCount {
            ins.append(z)
            us.append(net.affineUnchecked(z, k))
            z = net.truncateUnchecked(z, k)
        }
        inputs = ins
        preactivations = us
        output = z
    }
}

/// Accumulates weighted per-point gradients of `½|𝒯(x) − target|²`-type costs through the truncation chain.
struct TruncationGradientAccumulator {
    let net: TruncationNetwork
    var weights: [Matrix]
    var shifts: [[Double]]
    var omegas: [Matrix]

    init(_ net: TruncationNetwork) {
        self.net = net
        let q = net.width
        weights = Array(repeating: Matrix(zerosRows: q, cols: q), count: net.layerCount)
        shifts = Array(repeating: [Double](repeating: 0, count: q), count: net.layerCount)
        omegas = weights
    }

    /// General weights; returns the cotangent on the chain's input `x`.
    @discardableResult
    mutating func backpropagate(_ tape: TruncationTape, cotangent e: [Double], weight w: Double) -> [Double] {
        let q = net.width
        var g = e
        for k in stride(from: net.layerCount - 1, through: 0, by: -1) {
            let u = tape.preactivations[k]
            let p = TruncationAlgebra.applyTransposed(net.inverses[k], g)  // W⁻ᵀg
            let hp = (0..<q).map { u[$0] > 0 ? p[$0] : 0 }
            let hperpP = (0..<q).map { u[$0] > 0 ? 0 : p[$0] }
            let db = TruncationAlgebra.applyTransposed(net.weights[k], hperpP)
            for r in 0..<q { shifts[k][r] -= w * db[r] }
            let back = TruncationAlgebra.apply(net.inverses[k], u.map { Swift.max($0, 0) })  // W⁻¹σ(u)
            let zb = (0..<q).map { tape.inputs[k][$0] + net.shifts[k][$0] }
            for c in 0..<q {
                for r in 0..<q { weights[k].elements[r + c * q] += w * (hp[r] * zb[c] - p[r] * back[c]) }
            }
            g = TruncationAlgebra.applyTransposed(net.weights[k], hp)
        }
        return g
    }

    /// Adapted weights `W^{(ℓ)} = R_ℓ` (so `W⁻ᵀ = R`): `∂C/∂β` and `Ω̃_ℓ = −Σ w[H, M]` of Thm 5.1.
    mutating func backpropagateAdapted(_ tape: TruncationTape, cotangent e: [Double], weight w: Double) {
        let q = net.width
        var g = e  // (P⁺_{ℓ+1,L})ᵀ e at layer ℓ
        for k in stride(from: net.layerCount - 1, through: 0, by: -1) {
            let r = net.weights[k]
            let u = tape.preactivations[k]
            let rg = TruncationAlgebra.apply(r, g)
            let hperp = (0..<q).map { u[$0] > 0 ? 0 : rg[$0] }
            let db = TruncationAlgebra.applyTransposed(r, hperp)  // (P⁻_{ℓ,ℓ})ᵀ g = Rᵀ H^⊥ R g
            for i in 0..<q { shifts[k][i] -= w * db[i] }
            // u = R(z + β); M = ½(u (Rg)ᵀ + (Rg) uᵀ); [H, M]_ab = (ν_a − ν_b) M_ab.
            for b in 0..<q {
                for a in 0..<q {
                    let dn = (u[a] > 0 ? 1.0 : 0.0) - (u[b] > 0 ? 1.0 : 0.0)
                    if dn == 0 { continue }
                    omegas[k].elements[a + b * q] -= w * dn * 0.5 * (u[a] * rg[b] + rg[a] * u[b])
                }
            }
            g = TruncationAlgebra.applyTransposed(r, (0..<q).map { u[$0] > 0 ? rg[$0] : 0 })
        }
    }
}
