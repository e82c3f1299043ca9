// Affine maps, truncation maps, sectors and hidden vectors of a `TruncationNetwork` (file 003, §2 and Lemma 7.1).

import TangentFlow

extension TruncationNetwork {
    /// The affine map `a^{(ℓ)}(x) = W^{(ℓ)}x + b^{(ℓ)} = W^{(ℓ)}(x + β^{(ℓ)})` (1.5/2.8), `ℓ` 1-based.
    /// - Throws: `.invalidArgument` for `ℓ ∉ 1…L`; `.shapeMismatch`/`.nonFinite` for a bad `x`.
    public func affine(_ x: [Double], layer l: Int) throws -> [Double] {
        try requireLayer(l, "affine")
        try requirePoint(x, "affine")
        return affineUnchecked(x, l - 1)
    }

    /// The truncation map (1.6) `τ^{(ℓ)}(x) = (W^{(ℓ)})⁻¹σ(W^{(ℓ)}(x + β^{(ℓ)})) − β^{(ℓ)}`, `σ` = ReLU.
    ///
    /// Postconditions: `τ^{(ℓ)}(x) = x` on `S^+_ℓ` (2.14) and `= −β^{(ℓ)}` on `S^−_ℓ` (2.15).
    /// - Throws: as `affine(_:layer:)`.
    public func truncate(_ x: [Double], layer l: Int) throws -> [Double] {
        try requireLayer(l, "truncate")
        try requirePoint(x, "truncate")
        return truncateUnchecked(x, l - 1)
    }

    /// The composite `τ^{(ℓ2)} ∘ ⋯ ∘ τ^{(ℓ1)}(x)` of Lemma 7.1 (7.1), which the paper writes `τ^{(ℓ1,ℓ2)}` there and
    /// `τ^{(ℓ2,ℓ1)}` elsewhere (e.g. `τ^{(Q,1)}`); `𝒯^{(ℓ)} = τ^{(ℓ)}∘⋯∘τ^{(1)}` (2.16) is `layers: 1...ℓ`.
    /// - Throws: `.invalidArgument` for layers outside `1…L`; as `affine(_:layer:)` for a bad `x`.
    public func truncate(_ x: [Double], layers: ClosedRange<Int>) throws -> [Double] {
        try requireLayer(layers.lowerBound, "truncate(layers:)")
        try requireLayer(layers.upperBound, "truncate(layers:)")
        try requirePoint(x, "truncate(layers:)")
        var z = x
        for l in layers { z = truncateUnchecked(z, l - 1) }
        return z
    }

    /// The activation pattern `ν` of `a^{(ℓ)}(x)` (3.28): `ν_r = true` iff `(a^{(ℓ)}(x))_r > 0` (`σ'(0) = 0`).
    /// - Throws: as `affine(_:layer:)`.
    public func activation(_ x: [Double], layer l: Int) throws -> [Bool] {
        try affine(x, layer: l).map { $0 > 0 }
    }

    /// Def. 2.1: untruncated, partially or fully truncated by `τ^{(ℓ)}` (see `TruncationClass`).
    /// - Throws: as `affine(_:layer:)`.
    public func classify(_ x: [Double], layer l: Int) throws -> TruncationClass {
        TruncationClass(activation: try activation(x, layer: l))
    }

    /// The hidden vectors `x^{(ℓ)}`, `ℓ = 1…L`, of `x^{(ℓ)} = σ(W_ℓ x^{(ℓ−1)} + b_ℓ)` (1.1), through the truncation
    /// maps: `x^{(ℓ)} = W^{(ℓ)}(𝒯^{(ℓ)}(x) + β^{(ℓ)}) = W^{(ℓ)}𝒯^{(ℓ)}(x) + b^{(ℓ)}`.
    /// **The printed (2.17) drops the offset `b^{(ℓ)}`** (MATH.md §5); this is the corrected identity.
    /// - Throws: as `affine(_:layer:)`.
    public func hiddenVectors(_ x: [Double]) throws -> [[Double]] {
        try requirePoint(x, "hiddenVectors")
        var z = x
        var out: [[Double]] = []
        for k in 0..<layerCount {
            z = truncateUnchecked(z, k)
            out.append(TruncationAlgebra.apply(weights[k], (0..<width).map { z[$0] + shifts[k][$0] }))
        }
        return out
    }

    /// The products of Lemma 7.1 for the chain `τ^{(ℓ2)}∘⋯∘τ^{(ℓ1)}` applied to `x`:
    ///
    /// ```
    /// P⁺_{ℓ1,ℓ2}(x) = A_{ℓ2} ⋯ A_{ℓ1},  A_ℓ = (W^{(ℓ)})⁻¹ H^{(ℓ)} W^{(ℓ)}                      (7.3)
    /// P⁻_{ℓ,ℓ2}(x) = A_{ℓ2} ⋯ A_{ℓ+1} (W^{(ℓ)})⁻¹ H^{(ℓ)⊥} W^{(ℓ)}                           (7.4)
    /// τ^{(ℓ2)}∘⋯∘τ^{(ℓ1)}(x) = P⁺_{ℓ1,ℓ2}(x) x − Σ_{ℓ=ℓ1}^{ℓ2} P⁻_{ℓ,ℓ2}(x) β^{(ℓ)}        (7.2)
    /// ```
    ///
    /// with `H^{(ℓ)} = H(W^{(ℓ)}(z_{ℓ−1} + β^{(ℓ)}))` at the chain's input `z_{ℓ−1}` to layer `ℓ` (7.5). For adapted
    /// weights `(W^{(ℓ)})⁻¹HW^{(ℓ)} = R_ℓᵀHR_ℓ`, the paper's form. `minus[k]` is `P⁻_{ℓ1+k,ℓ2}`.
    /// - Throws: as `truncate(_:layers:)`.
    public func truncationProducts(_ x: [Double], layers: ClosedRange<Int>) throws -> (plus: Matrix, minus: [Matrix]) {
        try requireLayer(layers.lowerBound, "truncationProducts")
        try requireLayer(layers.upperBound, "truncationProducts")
        try requirePoint(x, "truncationProducts")
        let q = width
        var z = x
        var plus = try Matrix.identity(q)
        var minus: [Matrix] = []
        for l in layers {
            let k = l - 1
            let nu = affineUnchecked(z, k).map { $0 > 0 ? 1.0 : 0.0 }
            let a = similarDiagonal(k, nu)
            let aPerp = similarDiagonal(k, nu.map { 1 - $0 })
            minus = minus.map { TruncationAlgebra.multiply(a, $0) }
            minus.append(aPerp)
            plus = TruncationAlgebra.multiply(a, plus)
            z = truncateUnchecked(z, k)
        }
        return (plus, minus)
    }

    // MARK: unchecked kernels (0-based layer index)

    /// `W(x + β)` for layer index `k`.
    func affineUnchecked(_ x: [Double], _ k: Int) -> [Double] {
        TruncationAlgebra.apply(weights[k], (0..<width).map { x[$0] + shifts[k][$0] })
    }

    /// `W⁻¹σ(W(x + β)) − β` for layer index `k`.
    func truncateUnchecked(_ x: [Double], _ k: Int) -> [Double] {
        let u = affineUnchecked(x, k).map { Swift.max($0, 0) }
        let back = TruncationAlgebra.apply(inverses[k], u)
        return (0..<width).map { back[$0] - shifts[k][$0] }
    }

    /// `W⁻¹ diag(d) W` for layer index `k`.
    func similarDiagonal(_ k: Int, _ d: [Double]) -> Matrix {
        var dw = weights[k]
        for j in 0..<width { for i in 0..<width { dw.elements[i + j * width] *= d[i] } }
        return TruncationAlgebra.multiply(inverses[k], dw)
    }
}
