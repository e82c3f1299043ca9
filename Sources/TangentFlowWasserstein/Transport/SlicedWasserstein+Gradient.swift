// The sliced W₂² with explicit directions, its gradient in the atoms of the first measure, and a deterministic
// quadrature of the exact sliced distance in d = 2 — what a descent driven by the sliced distance and the study of
// its gap to W₂ need (§8 of file 004 lists the sliced distance as one way to take the Wasserstein step).

import Foundation
import TangentFlow

extension SlicedWasserstein {
    /// `L` unit directions in `R^d`, one per row (`L×d`): normalised Gaussians from `SeededGenerator(seed:)`,
    /// drawn in the same order as `squaredDistance(_:_:directions:seed:)` draws them.
    /// - Throws: `.invalidArgument` for `L < 1` or `d < 1`.
    public static func directions(count: Int, dimension d: Int, seed: UInt64) throws -> Matrix {
        let op = "SlicedWasserstein.directions"
        try requireAtLeast(count, 1, op, "count")
        try requireAtLeast(d, 1, op, "dimension")
        var rng = SeededGenerator(seed: seed)
        var out = Matrix(zerosRows: count, cols: d)
        for l in 0..<count {
            var theta = [Double](repeating: 0, count: d)
            var norm = 0.0
            while norm == 0 {
                for k in 0..<d { theta[k] = rng.nextGaussian() }
                norm = scaledNorm(theta)
            }
            for k in 0..<d { out.elements[l + k * count] = theta[k] / norm }
        }
        return out
    }

    /// `SW₂²` for the given directions (rows of `theta`, `L×d`) and its gradient in the atoms of `a`:
    ///
    /// ```
    /// SW² = (1/L) Σ_l (1/m) Σ_i (⟨θ_l, a_i⟩ − ⟨θ_l, b_{σ_l(i)}⟩)²,   σ_l: the sorted (monotone) matching along θ_l
    /// ∂SW²/∂a_i = (2/(mL)) Σ_l (⟨θ_l, a_i⟩ − ⟨θ_l, b_{σ_l(i)}⟩) θ_l
    /// ```
    /// (the gradient where all projections are distinct; at ties it is one element of the subdifferential).
    /// - Throws: `.emptyInput`, `.shapeMismatch` (`a`, `b` or `theta` of different dimensions), `.nonFinite`.
    public static func squaredDistanceAndGradient(_ a: Matrix, _ b: Matrix, directions theta: Matrix) throws -> (value: Double, gradient: Matrix) {
        let op = "SlicedWasserstein.squaredDistanceAndGradient"
        try EmpiricalWasserstein.checkPair(a, b, op)
        try theta.requireNonEmpty(op, "directions")
        try theta.requireShape(theta.rows, a.cols, op, "directions (one unit vector of dimension \(a.cols) per row)")
        try theta.requireFinite(op, "directions")
        return valueAndGradient(a.elements, b.elements, atoms: a.rows, theta)
    }

    /// Unchecked core of `squaredDistanceAndGradient` on column-major storage (`m×d` each).
    static func valueAndGradient(_ a: [Double], _ b: [Double], atoms m: Int, _ theta: Matrix) -> (value: Double, gradient: Matrix) {
        let (count, d) = (theta.rows, theta.cols)
        var g = Matrix(zerosRows: m, cols: d)
        var total = 0.0
        var pa = [Double](repeating: 0, count: m), pb = pa
        for l in 0..<count {
            for i in 0..<m {
                var sa = 0.0, sb = 0.0
                for k in 0..<d {
                    let t = theta.elements[l + k * count]
                    sa += a[i + k * m] * t
                    sb += b[i + k * m] * t
                }
                pa[i] = sa
                pb[i] = sb
            }
            let oa = (0..<m).sorted { pa[$0] < pa[$1] }, ob = (0..<m).sorted { pb[$0] < pb[$1] }
            for r in 0..<m {
                let diff = pa[oa[r]] - pb[ob[r]]
                total += diff * diff
                let c = 2 * diff / Double(m * count)
                for k in 0..<d { g.elements[oa[r] + k * m] += c * theta.elements[l + k * count] }
            }
        }
        return (total / Double(m * count), g)
    }

    /// The exact sliced distance in `d = 2`, `SW₂² = (1/π) ∫_0^π W₂²(θ_φ#μ, θ_φ#ν) dφ`, `θ_φ = (cos φ, sin φ)`,
    /// by the midpoint rule with `angles` nodes (the integrand is continuous and piecewise smooth: the error falls
    /// as `angles⁻²`). The reference the Monte-Carlo estimate converges to.
    /// - Throws: `.emptyInput`, `.shapeMismatch` (not `m×2`), `.nonFinite`, `.invalidArgument` (`angles < 1`).
    public static func squaredDistanceOnCircle(_ a: Matrix, _ b: Matrix, angles: Int) throws -> Double {
        let op = "SlicedWasserstein.squaredDistanceOnCircle"
        try EmpiricalWasserstein.checkPair(a, b, op)
        try a.requireShape(a.rows, 2, op, "a (points in R², one per row)")
        try requireAtLeast(angles, 1, op, "angles")
        let m = a.rows
        var total = 0.0
        var pa = [Double](repeating: 0, count: m), pb = pa
        for q in 0..<angles {
            let phi = Double.pi * (Double(q) + 0.5) / Double(angles)
            let (c, s) = (cos(phi), sin(phi))
            for i in 0..<m {
                pa[i] = c * a.elements[i] + s * a.elements[i + m]
                pb[i] = c * b.elements[i] + s * b.elements[i + m]
            }
            total += EmpiricalWasserstein.sortedSquaredDistance(pa, pb)
        }
        return total / Double(angles)
    }
}
