import TangentFlow

/// Where Newton's iteration on the initial covector `P(0)` starts.
public enum ShootingInitialGuess: Sendable {
    /// The "log-type" guess: with polar factors `W = R S` (`R = UVᵀ`, `S = (WᵀW)^{1/2}`), the initial velocity of
    /// `R_0 exp(tΩ) ((1−t)S_0^{1/N} + tS_1^{1/N})^N`, `Ω = log(R_0ᵀR_1)`, mapped to a covector by `A_{N,W_0}⁻¹`.
    /// Exact when the endpoints share singular vectors (Thm 2.3), so Newton then only corrects the integration
    /// error. The default.
    case logarithmic
    /// `P(0) = A_{N,W_0}⁻¹(W_1 − W_0)`: the velocity of the straight segment.
    case straightLine
    /// A given `d×d` covector.
    case covector(Matrix)
}
