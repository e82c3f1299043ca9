import TangentFlow

/// Where a point sits relative to one truncation map `τ^{(ℓ)}` (Def. 2.1 in file 003), decided by the sign
/// pattern of `a^{(ℓ)}(x) = W^{(ℓ)}(x + β^{(ℓ)})` with `R^Q_+ = (0,∞)^Q` and `R^Q_− = (−∞,0]^Q` (2.12, 3.28).
///
/// Def. 2.1 calls every point of `S^⊥ = R^Q \ S^+` partially truncated, which includes `S^−`; here the three
/// cases are made exclusive: `.partiallyTruncated` means `S^⊥ \ S^−`.
public enum TruncationClass: String, Sendable, CaseIterable, Equatable {
    /// `x ∈ S^+`: `τ^{(ℓ)}(x) = x` (2.14).
    case untruncated
    /// `x ∈ S^⊥ \ S^−`: some but not all coordinates of `a^{(ℓ)}(x)` are `≤ 0`.
    case partiallyTruncated
    /// `x ∈ S^−`: `τ^{(ℓ)}(x) = −β^{(ℓ)}` (2.15).
    case fullyTruncated

    /// The class of a point whose image `a^{(ℓ)}(x)` has activation pattern `ν` (`ν_r = 1` iff the coordinate is `> 0`).
    public init(activation nu: [Bool]) {
        if nu.allSatisfy({ $0 }) {
            self = .untruncated
        } else if nu.allSatisfy({ !$0 }) {
            self = .fullyTruncated
        } else {
            self = .partiallyTruncated
        }
    }
}
