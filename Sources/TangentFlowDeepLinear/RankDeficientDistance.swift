import Foundation
import TangentFlow

/// The DLN distance between endpoints of rank `< d` (open problem 2 of file 002), by regularising to rank `d`
/// and shooting, with a certified error bar:
///
/// ```
/// W = U_r Σ_r V_rᵀ  (numerical rank r, null bases U_⊥, V_⊥ of dimension k = d − r)
/// W_ε = W + ε·s·U_⊥ R V_⊥ᵀ        s = max(σ_max(W_0), σ_max(W_1)),  R ∈ O(k) (below)
/// L(ε) = length of the geodesic W_0,ε → W_1,ε   (shootGeodesic, Thm 2.1; closed form (2.9) if the frames are shared)
/// |L(ε) − d(W_0, W_1)| ≤ δ(ε) = √N (√k_0 + √k_1) (εs)^{1/N}
/// d(W_0, W_1) ≥ √N ‖σ↓(W_1)^{1/N} − σ↓(W_0)^{1/N}‖                 (lower bound, any endpoints)
/// ```
/// Why the bar holds: `W` and `W_ε` share the frame `U = [U_r, U_⊥]`, `V = [V_r, V_⊥Rᵀ]` with singular values
/// `(Σ_r, 0)` and `(Σ_r, εs)`, so the curve `U diag(Σ_r, (t(εs)^{1/N})^N) Vᵀ` (invertible for `t > 0`) joins them
/// with length `√N·√k·(εs)^{1/N}` ((2.9) and its length); the triangle inequality then bounds `|L(ε) − d|` by the two
/// such lengths. Here `d(W_0, W_1)` between singular endpoints means the distance of the metric completion of
/// GL(d) under (1.7), i.e. the limit of `L(ε)` (the same bar shows `L(ε)` is Cauchy). The lower bound: a geodesic
/// lifts horizontally to the balanced manifold with the same length (Thm 1.1), the lift is at least as long as the
/// chord, and Mirsky's inequality bounds the chord below by the singular values of the balanced factors, `σ^{1/N}`.
///
/// Choice of `R` (it only moves `L(ε)` within the bar): `R_0` is the polar factor of `U_⊥ᵀ W_1 V_⊥` (so endpoints
/// with shared singular vectors stay in one frame and the closed form applies at every `ε`), `R_1` the polar
/// factor of `U_⊥ᵀ W_0,ε V_⊥` (so a null space common to both endpoints is filled the same way at both ends); if
/// `det W_0,ε` and `det W_1,ε` then differ in sign, one column of `R` of a singular endpoint is negated (else no
/// path of invertible matrices would join them).
///
/// Limits (measured in `RankDeficientDistanceTests`): the rate is only `ε^{1/N}` when a null direction of one
/// endpoint is not null at the other (exact at every `ε` when the null spaces coincide in a shared frame), so the
/// bar shrinks slowly for deep networks; shooting near a singular endpoint is stiff (`∂H/∂W` carries
/// `σ^{2a−2}`-type derivatives of `x^a`), so the RK4 steps grow like `ε^{−1/N}` and small `ε` costs time or fails
/// to converge — the failure is reported, never a wrong length. `L(ε)` is the length of the geodesic found; when
/// shooting finds a non-minimizing geodesic it is only an upper bound of the distance between the regularised
/// endpoints. The extrapolated value assumes `L(ε) = L + cε^{1/N} + o(ε^{1/N})` and carries no guarantee.
public struct RankDeficientDistance: Sendable {
    /// One regularisation level.
    public struct Level: Sendable {
        /// `ε` (relative to `s = max σ_max`).
        public let epsilon: Double
        /// `W_0,ε`.
        public let start: Matrix
        /// `W_1,ε`.
        public let end: Matrix
        /// `L(ε)`, the length of the geodesic between `W_0,ε` and `W_1,ε`.
        public let length: Double
        /// `δ(ε) = √N (√k_0 + √k_1) (εs)^{1/N}`: `|L(ε) − d(W_0, W_1)| ≤ δ(ε)` when `L(ε)` is minimizing.
        public let bound: Double
        /// How `L(ε)` was found.
        public let method: DeepLinearDistance.Method
        /// The shooting result (`nil` for the closed form).
        public let shooting: DeepLinearGeodesic?
    }

    /// Depth `N`.
    public let depth: Int
    /// Numerical ranks of `W_0` and `W_1` (cut-off `d·ε_mach·s`).
    public let ranks: (start: Int, end: Int)
    /// The levels, in the order of the `epsilons` given.
    public let levels: [Level]
    /// `√N ‖σ↓(W_1)^{1/N} − σ↓(W_0)^{1/N}‖`, a lower bound of the distance.
    public let lowerBound: Double
    /// `√N ‖Σ_1^{1/N} − Σ_0^{1/N}‖_F` when the endpoints share singular vectors (the exact distance), else `nil`.
    public let closedForm: Double?

    /// The interval every level allows, intersected: `[max(lowerBound, max_ε(L − δ)), min_ε(L + δ)]`. Empty
    /// (lower > upper) would mean a level's `L(ε)` is not minimizing.
    public var interval: (lower: Double, upper: Double) {
        let lower = levels.map { $0.length - $0.bound }.reduce(lowerBound, Swift.max)
        let upper = levels.map { $0.length + $0.bound }.reduce(Double.infinity, Swift.min)
        return (lower, upper)
    }

    /// Richardson extrapolation of the last two levels with the rate `ε^{1/N}` (no guarantee; `nil` with one level).
    public var extrapolated: Double? {
        guard levels.count >= 2 else { return nil }
        let a = levels[levels.count - 2], b = levels[levels.count - 1]
        let ra = Foundation.pow(a.epsilon, 1 / Double(depth)), rb = Foundation.pow(b.epsilon, 1 / Double(depth))
        guard ra != rb else { return b.length }
        return (b.length * ra - a.length * rb) / (ra - rb)
    }

    /// Regularises, then measures `L(ε)` at each `ε`.
    /// - Parameters:
    ///   - w0, w1: square `d×d`, finite, not both zero; any rank.
    ///   - depth: `N ≥ 1`.
    ///   - epsilons: relative regularisations, each in `(0, 1]` (e.g. `[1e-1, 1e-2, 1e-3]`).
    ///   - method: how each `L(ε)` is found: `nil` (closed form where the regularised endpoints share singular
    ///     vectors, else shooting) or forced, as in `DeepLinearDistance`.
    ///   - options: shooting options.
    /// - Throws: `.invalidArgument` for bad arguments, endpoints that are both invertible (use `DeepLinearDistance`),
    ///   or a level whose shooting does not converge (naming `ε`); shape/finiteness errors.
    public init(from w0: Matrix, to w1: Matrix, depth: Int, epsilons: [Double], method: DeepLinearDistance.Method? = nil,
                options: GeodesicShootingOptions = .init(), backend: KernelBackend = .c) throws {
        let op = "RankDeficientDistance"
        try w0.requireSquareFinite(op, "W₀")
        try w1.requireShape(w0.rows, w0.cols, op, "W₁")
        try w1.requireFinite(op, "W₁")
        guard depth >= 1 else { throw TangentFlowError.invalidArgument(operation: op, reason: "depth N must be ≥ 1, got \(depth)") }
        guard !epsilons.isEmpty, epsilons.allSatisfy({ $0.isFinite && $0 > 0 && $0 <= 1 }) else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "need at least one ε, each in (0, 1], got \(epsilons)")
        }
        let k = backend.kernels
        let svd0 = try k.svd(w0), svd1 = try k.svd(w1)
        let s0 = svd0.singularValues, s1 = svd1.singularValues
        let scale = Swift.max(s0.first ?? 0, s1.first ?? 0)
        guard scale > 0 else { throw TangentFlowError.invalidArgument(operation: op, reason: "W₀ and W₁ are both zero: the distance is 0") }
        let d = w0.rows, cut = Double(d) * Double.ulpOfOne * scale
        let r0 = s0.filter { $0 > cut }.count, r1 = s1.filter { $0 > cut }.count
        guard r0 < d || r1 < d else {
            throw TangentFlowError.invalidArgument(
                operation: op, reason: "both endpoints are invertible (rank d = \(d)): there is nothing to regularise; use DeepLinearDistance (`dln distance` with --method auto, explicit or shooting)")
        }
        self.depth = depth
        ranks = (r0, r1)
        let n = Double(depth)
        lowerBound = Self.lowerBound(singularValues: s0, s1, depth: depth)
        closedForm = Self.sharedFrameDistance(w0, w1, depth: depth, backend: backend)

        var levels: [Level] = []
        for eps in epsilons {
            let (a, b) = try Self.regularise(w0, svd0, r0, w1, svd1, r1, amount: eps * scale, backend: backend)
            let bound = n.squareRoot() * (Double(d - r0).squareRoot() + Double(d - r1).squareRoot()) * Foundation.pow(eps * scale, 1 / n)
            let distance: DeepLinearDistance
            do {
                distance = try DeepLinearDistance(from: a, to: b, depth: depth, method: method, options: options, backend: backend)
            } catch let e as TangentFlowError {
                throw TangentFlowError.invalidArgument(
                    operation: op, reason: "at ε = \(eps) (regularised endpoints, σ_min ≈ \(eps * scale)): \(e.description)")
            }
            levels.append(Level(epsilon: eps, start: a, end: b, length: distance.length, bound: bound, method: distance.method,
                                shooting: distance.shooting))
        }
        self.levels = levels
    }

    /// `W_0,ε`, `W_1,ε` as described in the type's documentation.
    static func regularise(_ w0: Matrix, _ svd0: SVD, _ r0: Int, _ w1: Matrix, _ svd1: SVD, _ r1: Int, amount: Double,
                           backend: KernelBackend) throws -> (Matrix, Matrix) {
        let k = backend.kernels
        let fill0 = try Self.nullFill(svd0, rank: r0, toward: w1, backend: backend)
        var a = fill0.map { DenseOps.combine(1, w0, amount, $0.fill) } ?? w0
        let fill1 = try Self.nullFill(svd1, rank: r1, toward: a, backend: backend)
        var b = fill1.map { DenseOps.combine(1, w1, amount, $0.fill) } ?? w1
        if DenseOps.determinantSign(a) != DenseOps.determinantSign(b) {
            // Negate one column of R at a singular endpoint: det changes sign, the bar is unchanged.
            if var f = fill1 {
                f.r = Self.negatingLastColumn(f.r)
                f.fill = try DenseOps.sandwich(k, f.uPerp, f.r, f.vPerp)
                b = DenseOps.combine(1, w1, amount, f.fill)
            } else if var f = fill0 {
                f.r = Self.negatingLastColumn(f.r)
                f.fill = try DenseOps.sandwich(k, f.uPerp, f.r, f.vPerp)
                a = DenseOps.combine(1, w0, amount, f.fill)
            }
        }
        return (a, b)
    }

    /// The null bases of a rank-`r` matrix and `U_⊥ R V_⊥ᵀ`, `R` the polar factor of `U_⊥ᵀ X V_⊥` (`nil` at full rank).
    static func nullFill(_ svd: SVD, rank: Int, toward x: Matrix, backend: KernelBackend) throws
        -> (uPerp: Matrix, vPerp: Matrix, r: Matrix, fill: Matrix)?
    {
        let d = svd.u.rows
        guard rank < d else { return nil }
        let k = backend.kernels
        let uPerp = Self.columns(svd.u, rank..<d), vPerp = Self.columns(svd.vt.transposed, rank..<d)
        let block = try DenseOps.project(k, uPerp, x, vPerp)
        let polar = try k.svd(block)
        let r = try DenseOps.mul(k, polar.u, polar.vt)
        return (uPerp, vPerp, r, try DenseOps.sandwich(k, uPerp, r, vPerp))
    }

    static func columns(_ m: Matrix, _ range: Range<Int>) -> Matrix {
        var out = Matrix(zerosRows: m.rows, cols: range.count)
        for (j, c) in range.enumerated() { for i in 0..<m.rows { out.elements[i + j * m.rows] = m.elements[i + c * m.rows] } }
        return out
    }

    static func negatingLastColumn(_ m: Matrix) -> Matrix {
        var out = m
        let j = m.cols - 1
        for i in 0..<m.rows { out.elements[i + j * m.rows] = -out.elements[i + j * m.rows] }
        return out
    }

    /// `√N ‖σ↓(W_1)^{1/N} − σ↓(W_0)^{1/N}‖`: no path from `W_0` to `W_1` is shorter, at any rank (horizontal lift
    /// to the balanced manifold, Thm 1.1, then Mirsky's inequality on each factor).
    /// - Throws: shape/finiteness errors, `.invalidArgument` for `N < 1`.
    public static func lowerBound(_ w0: Matrix, _ w1: Matrix, depth: Int, backend: KernelBackend = .c) throws -> Double {
        let op = "RankDeficientDistance.lowerBound"
        try w0.requireSquareFinite(op, "W₀")
        try w1.requireShape(w0.rows, w0.cols, op, "W₁")
        try w1.requireFinite(op, "W₁")
        guard depth >= 1 else { throw TangentFlowError.invalidArgument(operation: op, reason: "depth N must be ≥ 1, got \(depth)") }
        let k = backend.kernels
        return lowerBound(singularValues: try k.svd(w0).singularValues, try k.svd(w1).singularValues, depth: depth)
    }

    static func lowerBound(singularValues s0: [Double], _ s1: [Double], depth: Int) -> Double {
        let cut = Double(s0.count) * Double.ulpOfOne * Swift.max(s0.first ?? 0, s1.first ?? 0)
        return flatDistance(s0, s1, depth: depth, cut: cut)
    }

    /// `√N ‖b^{1/N} − a^{1/N}‖` with entries below `cut` taken as exactly zero: `x^{1/N}` would otherwise turn the
    /// rounding `~ε_mach·s` of a zero singular value into `~(ε_mach·s)^{1/N}` (1e-8 at N = 2).
    static func flatDistance(_ a: [Double], _ b: [Double], depth: Int, cut: Double) -> Double {
        let n = Double(depth)
        func root(_ x: Double) -> Double { Swift.abs(x) <= cut ? 0 : Foundation.pow(Swift.abs(x), 1 / n) }
        return n.squareRoot() * scaledNorm(zip(a, b).map { root($1) - root($0) })
    }

    /// The closed form `√N ‖Σ_1^{1/N} − Σ_0^{1/N}‖_F` for endpoints with shared singular vectors, by continuity down
    /// to rank `< d` (the (2.9) curve is invertible for `t ∈ (0, 1)` unless a singular value is zero at both ends,
    /// where it stays zero); `nil` when `U_jᵀ W_1 V_j`, in a frame of `W_0` (or of `W_1`), is not diagonal with
    /// non-negative entries.
    public static func sharedFrameDistance(_ w0: Matrix, _ w1: Matrix, depth: Int, tolerance: Double = 1e-10,
                                           backend: KernelBackend = .c) -> Double? {
        let k = backend.kernels
        guard w0.rows == w1.rows, w0.cols == w1.cols, w0.rows == w0.cols, depth >= 1 else { return nil }
        for (a, b) in [(w0, w1), (w1, w0)] {
            guard let svd = try? k.svd(a), let m = try? DenseOps.project(k, svd.u, b, svd.vt.transposed) else { continue }
            let size = Swift.max(a.maxAbs, b.maxAbs, Double.leastNormalMagnitude)
            let diag = DenseOps.diagonalEntries(m)
            // A null column of `a` pairs u and v with either sign: a negative entry of `b` there is a sign, not a
            // reflection (|·| below); anywhere else it means the frames are not shared.
            let cut = Double(a.rows) * Double.ulpOfOne * size
            var ok = DenseOps.maxOffDiagonal(m) <= tolerance * size
            for (i, value) in diag.enumerated() where value < -tolerance * size && svd.singularValues[i] > cut { ok = false }
            if ok { return flatDistance(svd.singularValues, diag, depth: depth, cut: cut) }
        }
        return nil
    }
}
