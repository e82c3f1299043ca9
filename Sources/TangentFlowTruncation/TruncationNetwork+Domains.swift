// The integration domains of Thm 5.1 in file 003, (5.8)–(5.10).

import TangentFlow

extension TruncationNetwork {
    /// Whether `x` lies in the set (5.10) for the `ℓ'`-th term of (5.4): along the chain, the input of layer `ℓ'`
    /// has a truncated coordinate (`H^{(ℓ')⊥} ≠ 0`: it is in `S^⊥_{ℓ'}`) and the inputs of the later layers
    /// `ℓ'+1 … L` are not fully truncated (`H^{(k)} ≠ 0`: not in `S^−_k`). `P⁻_{ℓ',L}(x) ≠ 0` (5.8) implies it,
    /// since `P⁻_{ℓ',L} = R_LᵀH^{(L)}R_L ⋯ R_{ℓ'}ᵀH^{(ℓ')⊥}R_{ℓ'}` (7.4) vanishes as soon as one factor does.
    ///
    /// **The printed (5.9) is too small:** it asks for the later inputs to be in `S^+_k` (untruncated), but a point
    /// partially truncated by a later layer can still have `P⁻ ≠ 0` (tested; see `printedIntersectionDomainContains`).
    /// - Throws: `.invalidArgument` for `ℓ' ∉ 1…L`; `.shapeMismatch`/`.nonFinite` for a bad `x`.
    public func shiftGradientDomainContains(_ x: [Double], layer l: Int) throws -> Bool {
        let pattern = try chainPatterns(x, layer: l, "shiftGradientDomainContains")
        return pattern[l - 1].contains(false) && pattern[l...].allSatisfy { $0.contains(true) }
    }

    /// The printed (5.9): `𝒟⁻_{ℓ',L} = (τ^{(ℓ'−1,1)})⁻¹(S^⊥_{ℓ'}) ∩ (τ^{(ℓ',1)})⁻¹(S^+_{ℓ'+1}) ∩ ⋯ ∩ (τ^{(L−1,1)})⁻¹(S^+_L)`.
    /// Kept to pin that it does not contain (5.8) in general.
    /// - Throws: as `shiftGradientDomainContains`.
    public func printedIntersectionDomainContains(_ x: [Double], layer l: Int) throws -> Bool {
        let pattern = try chainPatterns(x, layer: l, "printedIntersectionDomainContains")
        return pattern[l - 1].contains(false) && pattern[l...].allSatisfy { $0.allSatisfy { $0 } }
    }

    /// The activation patterns `ν` of every layer's pre-activation along the chain `τ^{(L)}∘⋯∘τ^{(1)}` at `x`.
    func chainPatterns(_ x: [Double], layer l: Int, _ op: String) throws -> [[Bool]] {
        try requireLayer(l, op)
        try requirePoint(x, op)
        return TruncationTape(self, x).preactivations.map { $0.map { $0 > 0 } }
    }
}
