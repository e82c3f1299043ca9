import Foundation
import TangentFlow

/// The sliced 2-Wasserstein distance between uniform empirical measures of equal size (one of the three ways of
/// §8 of file 004 to compute the Wasserstein step; MATH.md §6):
///
/// ```
/// SW₂²(μ, ν) = ∫_{S^{d−1}} W₂²(θ#μ, θ#ν) dθ  ≈  (1/L) Σ_{l=1}^{L} W₂²(⟨θ_l, ·⟩#μ, ⟨θ_l, ·⟩#ν)
/// ```
/// with `L` directions `θ_l` uniform on the sphere (normalised Gaussians from `SeededGenerator(seed:)`), each
/// 1-D distance exact by sorting. Postconditions: `SW₂² ≤ W₂²` for each direction set (a projection is
/// 1-Lipschitz); in `d = 1` every direction is ±1 and `SW₂² = W₂²` exactly.
public enum SlicedWasserstein {
    /// Monte-Carlo sliced `W₂²` between the rows of `a` and `b` (`m×d` each), `O(L·m(d + log m))`.
    ///
    /// - Parameters:
    ///   - a: atoms of μ, one per row.
    ///   - b: atoms of ν, same shape.
    ///   - directions: `L ≥ 1` random directions.
    ///   - seed: seed of the directions (the same seed gives the same value).
    /// - Throws: `.emptyInput`, `.shapeMismatch`, `.nonFinite`; `.invalidArgument` for `L < 1`.
    public static func squaredDistance(_ a: Matrix, _ b: Matrix, directions: Int, seed: UInt64) throws -> Double {
        let op = "SlicedWasserstein.squaredDistance"
        try EmpiricalWasserstein.checkPair(a, b, op)
        try requireAtLeast(directions, 1, op, "directions")
        let (m, d) = (a.rows, a.cols)
        var rng = SeededGenerator(seed: seed)
        var total = 0.0
        var pa = [Double](repeating: 0, count: m), pb = pa
        for _ in 0..<directions {
            var theta = [Double](repeating: 0, count: d)
            var norm = 0.0
            while norm == 0 {
                for k in 0..<d { theta[k] = rng.nextGaussian() }
                norm = scaledNorm(theta)
            }
            for i in 0..<m {
                var sa = 0.0, sb = 0.0
                for k in 0..<d {
                    sa += a.elements[i + k * m] * theta[k]
                    sb += b.elements[i + k * m] * theta[k]
                }
                pa[i] = sa / norm
                pb[i] = sb / norm
            }
            total += EmpiricalWasserstein.sortedSquaredDistance(pa, pb)
        }
        return total / Double(directions)
    }
}
