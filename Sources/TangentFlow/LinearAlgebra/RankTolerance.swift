/// Which singular values of `A` count as zero when forming `A⁺`, deciding the numerical rank
/// (Appendix A of 2408.01517; MATH.md §2).
///
/// ```
/// .default          keep σ_i > max(m, n) · ε · σ_max     (numpy.linalg.matrix_rank's convention)
/// .relative(r)      keep σ_i > r · σ_max
/// .absolute(t)      keep σ_i > t
/// ```
/// Note `numpy.linalg.pinv` defaults to `rcond = 1e-15`, which keeps noise singular values of a
/// rank-deficient matrix; `.default` here does not.
public enum RankTolerance: Sendable, Equatable {
    /// `max(m, n) · ε · σ_max`.
    case `default`
    /// `r · σ_max`, `r ≥ 0`.
    case relative(Double)
    /// An absolute threshold `t ≥ 0`.
    case absolute(Double)

    /// The threshold for an `m×n` matrix with largest singular value `sigmaMax`.
    public func threshold(rows m: Int, cols n: Int, sigmaMax: Double) -> Double {
        switch self {
        case .default: return Double(Swift.max(m, n)) * Double.ulpOfOne * sigmaMax
        case let .relative(r): return r * sigmaMax
        case let .absolute(t): return t
        }
    }

    /// Throws `.invalidArgument` for a negative or non-finite tolerance.
    func validate(_ operation: String) throws {
        switch self {
        case .default: return
        case let .relative(r): try requireNonNegative(r, operation, "relative tolerance")
        case let .absolute(t): try requireNonNegative(t, operation, "absolute tolerance")
        }
    }
}
