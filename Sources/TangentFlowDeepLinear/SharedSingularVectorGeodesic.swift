import Foundation
import TangentFlow

/// The explicit DLN geodesic between endpoints with shared singular vectors (Thm 2.3, Rem. 2.4–2.5 in file 002):
///
/// ```
/// W_0 = U Σ_0 Vᵀ,  W_1 = U Σ_1 Vᵀ  (Σ_0, Σ_1 positive diagonal)
/// W(t) = U ((1−t) Σ_0^{1/N} + t Σ_1^{1/N})^N Vᵀ                  (2.9)
/// N → ∞:  W(t) = U Σ_0^{1−t} Σ_1^t Vᵀ                              (2.10)
/// length = √N · ‖Σ_1^{1/N} − Σ_0^{1/N}‖_F,   energy ∫₀¹ g(Ẇ, Ẇ) dt = length²
/// ```
/// It is the image of a horizontal straight line upstairs. `Σ_1 = Uᵀ W_1 V` is computed from `W_0`'s SVD and must
/// be positive diagonal (an independent SVD of `W_1` may reorder or flip columns); when `W_0` has repeated
/// singular values the roles are swapped and `W_1`'s SVD is tried as well.
/// Not for general endpoints: `((1−t)A^{1/N} + tB^{1/N})^N` is not a geodesic then; use `shootGeodesic`.
public struct SharedSingularVectorGeodesic: Sendable {
    /// Shared left singular vectors `U`.
    public let u: Matrix
    /// Shared right singular vectors `V`.
    public let v: Matrix
    /// Singular values of `W_0` (positive), in the order of `U`'s columns.
    public let sigma0: [Double]
    /// Singular values of `W_1` (positive), in the same order.
    public let sigma1: [Double]
    /// The depth.
    public let depth: DeepLinearDepth
    /// The backend.
    public let backend: KernelBackend

    /// The geodesic from `W_0` to `W_1`.
    /// - Parameters:
    ///   - w0: start, square, full rank.
    ///   - w1: end, same shape, sharing `W_0`'s singular vectors.
    ///   - depth: `.finite(N)` with `N ≥ 1`, or `.infinite`.
    ///   - tolerance: largest off-diagonal `|(UᵀW_1V)_ij|` accepted, relative to `max |W_1|` (default `1e-10`).
    /// - Throws: `.invalidArgument` if an endpoint is singular, the endpoints do not share singular vectors (naming
    ///   the off-diagonal size), or a shared singular value of `W_1` is not positive; shape/finiteness errors.
    public init(from w0: Matrix, to w1: Matrix, depth: DeepLinearDepth, tolerance: Double = 1e-10, backend: KernelBackend = .c) throws {
        let op = "SharedSingularVectorGeodesic"
        try w0.requireSquareFinite(op, "W₀")
        try w1.requireShape(w0.rows, w0.cols, op, "W₁")
        try w1.requireFinite(op, "W₁")
        try requireNonNegative(tolerance, op, "tolerance")
        if case let .finite(n) = depth, n < 1 {
            throw TangentFlowError.invalidArgument(operation: op, reason: "depth N must be ≥ 1, got \(n)")
        }
        let k = backend.kernels
        // Try W₀'s frame, then W₁'s (repeated singular values make a frame non-unique).
        var best: (off: Double, u: Matrix, v: Matrix, s0: [Double], s1: [Double])? = nil
        for (a, b, swapped) in [(w0, w1, false), (w1, w0, true)] {
            let metric = try DeepLinearMetric(at: a, depth: 1, backend: backend)
            try metric.requireFullRank(op + (swapped ? " (W₁)" : " (W₀)"))
            let m = try DenseOps.project(k, metric.svd.u, b, metric.v)
            let off = DenseOps.maxOffDiagonal(m) / Swift.max(b.maxAbs, Double.leastNormalMagnitude)
            let sa = metric.svd.singularValues, sb = DenseOps.diagonalEntries(m)
            let candidate = (off, metric.svd.u, metric.v, swapped ? sb : sa, swapped ? sa : sb)
            if best == nil || off < best!.off { best = candidate }
            if off <= tolerance { break }
        }
        let chosen = best!
        guard chosen.off <= tolerance else {
            throw TangentFlowError.invalidArgument(
                operation: op,
                reason: "the endpoints do not share singular vectors: UᵀW₁V has off-diagonal entries up to \(chosen.off) "
                    + "(relative to max |W₁|), above the tolerance \(tolerance); use shootGeodesic for general endpoints")
        }
        let smin = Swift.min(chosen.s0.min() ?? 0, chosen.s1.min() ?? 0)
        guard smin > 0 else {
            throw TangentFlowError.invalidArgument(
                operation: op,
                reason: "in the shared frame the singular values must be positive, but Σ₀ = \(chosen.s0), Σ₁ = \(chosen.s1) "
                    + "(a negative entry means W₁ = U Σ₁ Vᵀ needs a sign flip: the endpoints lie in different components)")
        }
        u = chosen.u
        v = chosen.v
        sigma0 = chosen.s0
        sigma1 = chosen.s1
        self.depth = depth
        self.backend = backend
    }

    /// The singular values of `W(t)` in the shared frame: `((1−t)σ_0^{1/N} + tσ_1^{1/N})^N`, or `σ_0^{1−t}σ_1^t`.
    public func singularValues(at t: Double) -> [Double] {
        zip(sigma0, sigma1).map { s0, s1 in
            switch depth {
            case let .finite(n):
                let r = 1 / Double(n)
                return Foundation.pow((1 - t) * Foundation.pow(s0, r) + t * Foundation.pow(s1, r), Double(n))
            case .infinite:
                return Foundation.exp((1 - t) * Foundation.log(s0) + t * Foundation.log(s1))
            }
        }
    }

    /// `W(t)` ((2.9)/(2.10) in file 002); `t` in `[0, 1]` (other `t` extend the curve while it stays positive).
    public func point(at t: Double) throws -> Matrix {
        try DenseOps.synthesize(backend.kernels, u, singularValues(at: t), v)
    }

    /// `Ẇ(t) = U diag(N ((1−t)σ_0^{1/N} + tσ_1^{1/N})^{N−1} (σ_1^{1/N} − σ_0^{1/N})) Vᵀ`
    /// (`N → ∞`: `U diag(σ(t) log(σ_1/σ_0)) Vᵀ`).
    public func velocity(at t: Double) throws -> Matrix {
        let rates: [Double] = zip(sigma0, sigma1).map { s0, s1 in
            switch depth {
            case let .finite(n):
                let r = 1 / Double(n), a = Foundation.pow(s0, r), b = Foundation.pow(s1, r)
                return Double(n) * Foundation.pow((1 - t) * a + t * b, Double(n - 1)) * (b - a)
            case .infinite:
                return Foundation.exp((1 - t) * Foundation.log(s0) + t * Foundation.log(s1)) * Foundation.log(s1 / s0)
            }
        }
        return try DenseOps.synthesize(backend.kernels, u, rates, v)
    }

    /// `count ≥ 2` points at `t = 0, 1/(count−1), …, 1`.
    /// - Throws: `.invalidArgument` for `count < 2`.
    public func points(count: Int) throws -> [Matrix] {
        guard count >= 2 else {
            throw TangentFlowError.invalidArgument(operation: "SharedSingularVectorGeodesic.points", reason: "need at least 2 points, got \(count)")
        }
        return try (0..<count).map { try point(at: Double($0) / Double(count - 1)) }
    }

    /// Length `√N ‖Σ_1^{1/N} − Σ_0^{1/N}‖_F` (Thm 2.3 in file 002); `nil` for `N = ∞`, where the metric degenerates
    /// (`√N·length → ‖log Σ_1 − log Σ_0‖_F`, see `infiniteDepthScaledLength`).
    public var length: Double? {
        guard case let .finite(n) = depth else { return nil }
        let r = 1 / Double(n)
        let diff = zip(sigma0, sigma1).map { Foundation.pow($1, r) - Foundation.pow($0, r) }
        return Double(n).squareRoot() * scaledNorm(diff)
    }

    /// `‖log Σ_1 − log Σ_0‖_F`, the limit of `√N · length` as `N → ∞`.
    public var infiniteDepthScaledLength: Double { scaledNorm(zip(sigma0, sigma1).map { Foundation.log($1 / $0) }) }

    /// Energy `∫₀¹ g_W(Ẇ, Ẇ) dt = length²` (constant speed); `nil` for `N = ∞`.
    public var energy: Double? { length.map { $0 * $0 } }
}
