import Foundation
import TangentFlow

/// A straight line between two networks upstairs, `X(t) = (1−t)X + tY` factor by factor, with the tests of
/// Lemma 2.2 (is it balanced?) and of Thm 3.10 (is it horizontal, so that `φ(X(t))` is a geodesic downstairs?) of
/// *Geodesics in the Deep Linear Network* (file 002).
///
/// Lemma 2.2 / (3.50)–(3.56): for balanced endpoints the balancedness defects of the line are
/// ```
/// X_{p+1}(t)ᵀX_{p+1}(t) − X_p(t)X_p(t)ᵀ = 2t(1−t)·S_p,   S_p = sym(X_{p+1}ᵀY_{p+1} − X_pY_pᵀ)   (3.51)
/// ```
/// so the line is balanced for all `t` iff every `M_p = X_{p+1}ᵀY_{p+1} − X_pY_pᵀ` is skew symmetric ((2.7),
/// (3.56)). With `X_p = Q_pΣ^{1/N}Q_{p−1}ᵀ`, `Y_p = R_pΛ^{1/N}R_{p−1}ᵀ` and one `O = Q_pᵀR_p` for all `p`
/// (Lemma 2.2(2)) every `M_p` vanishes and the factors `Q_p((1−t)Σ^{1/N} + tOΛ^{1/N}Oᵀ)Q_{p−1}ᵀ` stay invertible.
///
/// Thm 3.10 (horizontal geodesics map to geodesics): the line is a geodesic of the balanced manifold; if its
/// velocity `Y − X` is horizontal, `φ(X(t))` is a geodesic downstairs of the same length `‖Y − X‖_F`. On the
/// balanced manifold `lift ∘ dφ` (Thm 1.1, Lemma 3.11) is the orthogonal projection onto the horizontal space, so
/// `horizontalDefect` measures the vertical part `‖V − lift(dφ V)‖ / ‖V‖` directly.
public struct UpstairsLine: Sendable {
    /// `X = X(0)`.
    public let start: DeepLinearNetwork
    /// `Y = X(1)`.
    public let end: DeepLinearNetwork

    /// The line from `x` to `y`.
    /// - Throws: `.invalidArgument` unless both networks have the same depth and width.
    public init(from x: DeepLinearNetwork, to y: DeepLinearNetwork) throws {
        guard x.depth == y.depth, x.width == y.width else {
            throw TangentFlowError.invalidArgument(
                operation: "UpstairsLine",
                reason: "the endpoints must have the same depth and width, got N = \(x.depth), d = \(x.width) and N = \(y.depth), d = \(y.width)")
        }
        start = x
        end = y
    }

    /// Depth `N`.
    public var depth: Int { start.depth }

    /// The constant velocity `Y_p − X_p`.
    public var velocity: [Matrix] { zip(end.factors, start.factors).map { DenseOps.sub($0, $1) } }

    /// Length (Frobenius metric upstairs) `‖Y − X‖_F = (Σ_p ‖Y_p − X_p‖²_F)^{1/2}`.
    public var length: Double { scaledNorm(velocity.flatMap(\.elements)) }

    /// `X(t)`.
    public func network(at t: Double) throws -> DeepLinearNetwork {
        try DeepLinearNetwork(factors: zip(start.factors, end.factors).map { DenseOps.combine(1 - t, $0, t, $1) }, backend: start.backend)
    }

    /// `φ(X(t)) = X_N(t)⋯X_1(t)`.
    public func endToEnd(at t: Double) throws -> Matrix { try network(at: t).endToEnd() }

    /// `S_p = sym(X_{p+1}ᵀY_{p+1} − X_pY_pᵀ)`, `p = 1..N−1` ((3.51), Lemma 2.2): for balanced endpoints the line's
    /// balancedness defects are `2t(1−t)·S_p`, and it is balanced for all `t` iff all vanish ((2.7) skew).
    public func balancednessDefects() throws -> [Matrix] {
        guard depth >= 2 else { return [] }
        let k = start.backend.kernels, x = start.factors, y = end.factors
        return try (1..<depth).map { p in
            DenseOps.symmetrized(DenseOps.sub(try DenseOps.mul(k, x[p], y[p], ta: true), try DenseOps.mul(k, x[p - 1], y[p - 1], tb: true)))
        }
    }

    /// `max_p ‖S_p‖_F / max(‖X‖², ‖Y‖²)`: zero (to rounding) iff the line is balanced (Lemma 2.2(1)).
    public func relativeBalancednessDefect() throws -> Double {
        let scale = Swift.max(Self.squaredNorm(start), Self.squaredNorm(end), Double.leastNormalMagnitude)
        return try balancednessDefects().map(\.frobeniusNorm).max().map { $0 / scale } ?? 0
    }

    /// The vertical part of the velocity at `X(t)`: `‖V − lift(dφ V)‖_F / ‖V‖_F` with `V = Y − X` (Thm 3.10,
    /// Lemma 3.11). Meaningful where `X(t)` is balanced and `φ(X(t))` invertible.
    /// - Throws: `.invalidArgument` if `φ(X(t))` is singular or the line has zero length.
    public func horizontalDefect(at t: Double) throws -> Double {
        let v = velocity, norm = length
        guard norm > 0 else { throw TangentFlowError.invalidArgument(operation: "UpstairsLine.horizontalDefect", reason: "the line has zero length") }
        let x = try network(at: t)
        let lifted = try x.horizontalLift(x.differential(v))
        return scaledNorm(zip(v, lifted).flatMap { DenseOps.sub($0, $1).elements }) / norm
    }

    /// The construction in the proof of Thm 2.3 ((3.64)–(3.73)) for endpoints with shared singular vectors
    /// `W_0 = U Σ_0 Vᵀ`, `W_1 = U Σ_1 Vᵀ`: `X_p = Q_pΣ_0^{1/N}Q_{p−1}ᵀ` (3.66) and `Y_p = Q_pΣ_1^{1/N}Q_{p−1}ᵀ`
    /// (3.70) with the same frames (`Q_0 = V`, `Q_N = U`, so `O = I`). Its image `φ(X(t))` is (2.9) and its length
    /// `‖Y − X‖_F = √N‖Σ_1^{1/N} − Σ_0^{1/N}‖_F`.
    /// - Parameters:
    ///   - orthogonals: `Q_1..Q_{N−1}` (`nil`: all `U`); each must be orthogonal.
    /// - Throws: as `SharedSingularVectorGeodesic` (endpoints not sharing singular vectors, singular endpoints) and
    ///   `.invalidArgument` for a wrong count or a non-orthogonal `Q_p`.
    public static func theorem23(from w0: Matrix, to w1: Matrix, depth: Int, orthogonals: [Matrix]? = nil, backend: KernelBackend = .c) throws -> UpstairsLine {
        let op = "UpstairsLine.theorem23"
        let shared = try SharedSingularVectorGeodesic(from: w0, to: w1, depth: .finite(depth), backend: backend)
        let qs = orthogonals ?? Array(repeating: shared.u, count: depth - 1)
        let k = backend.kernels, d = w0.rows
        try DeepLinearNetwork.requireInteriorFrames(qs, depth: depth, order: d, op, k)
        let frames = [shared.v] + qs + [shared.u]
        func network(_ sigma: [Double]) throws -> DeepLinearNetwork {
            let root = sigma.map { Foundation.pow($0, 1 / Double(depth)) }
            return try DeepLinearNetwork(factors: (1...depth).map { p in try DenseOps.synthesize(k, frames[p], root, frames[p - 1]) }, backend: backend)
        }
        return try UpstairsLine(from: network(shared.sigma0), to: network(shared.sigma1))
    }

    private static func squaredNorm(_ n: DeepLinearNetwork) -> Double {
        let s = scaledNorm(n.factors.flatMap(\.elements))
        return s * s
    }
}
