import Foundation
import TangentFlow

/// Explicit DLN geodesics from commuting normal factors — the rotation case (MATH.md §4; *Geodesics in the Deep
/// Linear Network*, Thm 2.3 and Lemma 2.2 extended):
///
/// ```
/// W_0 = U M_0^N Vᵀ,  W_1 = U M_1^N Vᵀ,   M_0, M_1 real normal, M_0M_1 = M_1M_0,   M(t) = (1−t)M_0 + tM_1
/// W(t) = U M(t)^N Vᵀ,   Ẇ(t) = N U M(t)^{N−1}(M_1 − M_0) Vᵀ,   length = √N ‖M_1 − M_0‖_F
/// ```
/// Upstairs it is the line between `X = (M_0Vᵀ, M_0, …, M_0, UM_0)` and `Y` (the same with `M_1`): every factor
/// combination `M(t)` is normal, so `M(t)ᵀM(t) = M(t)M(t)ᵀ` and the line is balanced (Lemma 2.2), and `Y − X` is the
/// horizontal lift of `dφ(Y − X)` with `Λ = U(M_1 − M_0)(M_0ᵀ)^{1−N}Vᵀ` ((3.62) in a joint eigenbasis), so by
/// Thm 3.10 the image is a geodesic. Diagonal `M_i = Σ_i^{1/N}` give (2.9); `M_0 = I`, `M_1 = Q^{1/N}` give the
/// geodesic from `I` to a rotation `Q` (`rotation(_:depth:)`), which passes through non-orthogonal matrices
/// (`σ_min(W(½)) = cos(θ/2N)^N < 1` for a plane turned by θ). Checked against the Hamiltonian (`geodesicEquationResidual`) and shooting.
///
/// Several geodesics join the same endpoints (the `N`-th root `M_1` picks one; a rotation by θ and by θ − 2π
/// differ); `rotation(_:depth:)` takes the principal root.
///
/// The path stays in GL(d) iff `C = M_0⁻¹M_1` (normal) has no eigenvalue in `(−∞, 0]`, i.e. iff
/// `(CᵀC)^{1/2} + sym(C)` (eigenvalues `|λ_k| + Re λ_k`) is positive definite; the initializer checks this.
public struct CommutingNormalGeodesic: Sendable {
    /// `U` (orthogonal).
    public let u: Matrix
    /// `V` (orthogonal).
    public let v: Matrix
    /// `M_0` (normal, invertible).
    public let m0: Matrix
    /// `M_1` (normal, commuting with `M_0`).
    public let m1: Matrix
    /// Depth `N ≥ 1`.
    public let depth: Int
    /// The backend.
    public let backend: KernelBackend

    /// The geodesic `U M(t)^N Vᵀ`.
    /// - Parameters:
    ///   - tolerance: relative tolerance of the orthogonality, normality and commutation checks (default `1e-10`).
    /// - Throws: `.invalidArgument` if `U` or `V` is not orthogonal, `M_0` or `M_1` is not normal, they do not
    ///   commute, `M_0` is singular, or `(1−t)M_0 + tM_1` is singular for some `t ∈ [0, 1]`; shape/finiteness errors.
    public init(u: Matrix, m0: Matrix, m1: Matrix, v: Matrix, depth: Int, tolerance: Double = 1e-10, backend: KernelBackend = .c) throws {
        let op = "CommutingNormalGeodesic"
        try m0.requireSquareFinite(op, "M₀")
        let d = m0.rows
        for (name, m) in [("M₁", m1), ("U", u), ("V", v)] {
            try m.requireShape(d, d, op, name)
            try m.requireFinite(op, name)
        }
        guard depth >= 1 else { throw TangentFlowError.invalidArgument(operation: op, reason: "depth N must be ≥ 1, got \(depth)") }
        try requireNonNegative(tolerance, op, "tolerance")
        let k = backend.kernels
        for (name, q) in [("U", u), ("V", v)] {
            let defect = DenseOps.sub(try DenseOps.mul(k, q, q, ta: true), DenseOps.identity(d)).maxAbs
            guard defect <= tolerance * 100 else {
                throw TangentFlowError.invalidArgument(operation: op, reason: "\(name) is not orthogonal: max |\(name)ᵀ\(name) − I| = \(defect)")
            }
        }
        for (name, m) in [("M₀", m0), ("M₁", m1)] {
            let commutator = DenseOps.sub(try DenseOps.mul(k, m, m, tb: true), try DenseOps.mul(k, m, m, ta: true)).maxAbs
            guard commutator <= tolerance * Swift.max(m.maxAbs * m.maxAbs, Double.leastNormalMagnitude) else {
                throw TangentFlowError.invalidArgument(operation: op, reason: "\(name) is not normal: max |\(name)\(name)ᵀ − \(name)ᵀ\(name)| = \(commutator)")
            }
        }
        let commutator = DenseOps.sub(try DenseOps.mul(k, m0, m1), try DenseOps.mul(k, m1, m0)).maxAbs
        guard commutator <= tolerance * Swift.max(m0.maxAbs * m1.maxAbs, Double.leastNormalMagnitude) else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "M₀ and M₁ do not commute: max |M₀M₁ − M₁M₀| = \(commutator)")
        }
        let metric0 = try DeepLinearMetric(at: m0, depth: 1, backend: backend)
        try metric0.requireFullRank(op + " (M₀)")
        // C = M₀⁻¹M₁ = V₀Σ₀⁻¹U₀ᵀM₁ (normal); the segment is invertible iff (CᵀC)^{1/2} + sym(C) is positive definite.
        let c = try DenseOps.mul(k, DenseOps.scaleColumns(metric0.v, metric0.svd.singularValues.map { 1 / $0 }), DenseOps.mul(k, metric0.svd.u, m1, ta: true))
        let modulus = try SymmetricSpectrum(of: DenseOps.symmetrized(try DenseOps.mul(k, c, c, ta: true)), backend: backend).apply(.power(0.5))
        let test = try SymmetricSpectrum(of: DenseOps.symmetrized(DenseOps.add(modulus, DenseOps.symmetrized(c))), backend: backend)
        let smallest = test.values.min() ?? 0
        guard smallest > 1e-12 * Swift.max(c.maxAbs, 1) else {
            throw TangentFlowError.invalidArgument(
                operation: op,
                reason: "(1−t)M₀ + tM₁ becomes singular on [0, 1]: M₀⁻¹M₁ has an eigenvalue on the negative real axis "
                    + "(min eigenvalue of |C| + sym C is \(smallest)); no geodesic of this form joins the endpoints")
        }
        self.u = u
        self.v = v
        self.m0 = m0
        self.m1 = m1
        self.depth = depth
        self.backend = backend
    }

    /// The geodesic from `I` to a rotation `Q` (`QᵀQ = I`, `det Q = 1`, no rotation angle equal to π):
    /// `M_0 = I`, `M_1 = Q^{1/N} = exp(log(Q)/N)` (principal), so `W(t) = ((1−t)I + tQ^{1/N})^N` and
    /// length `√N ‖Q^{1/N} − I‖_F = √N (Σ_k 8 sin²(θ_k/2N))^{1/2}` over the rotation planes with angles `θ_k`.
    /// - Throws: `.invalidArgument` if `Q` is not a rotation or turns some plane by π (the logarithm is not
    ///   unique there).
    public static func rotation(_ q: Matrix, depth: Int, backend: KernelBackend = .c) throws -> CommutingNormalGeodesic {
        let op = "CommutingNormalGeodesic.rotation"
        try q.requireSquareFinite(op, "Q")
        guard depth >= 1 else { throw TangentFlowError.invalidArgument(operation: op, reason: "depth N must be ≥ 1, got \(depth)") }
        let k = backend.kernels, d = q.rows
        let defect = DenseOps.sub(try DenseOps.mul(k, q, q, ta: true), DenseOps.identity(d)).maxAbs
        guard defect <= 1e-10, DenseOps.determinantSign(q) > 0 else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "Q must be a rotation (QᵀQ = I to 1e-10, det Q = +1); max |QᵀQ − I| = \(defect)")
        }
        let log = try Rotations.logarithm(q, backend: backend)
        let back = DenseOps.sub(try Rotations.exponential(log, scale: 1, backend: backend), q).maxAbs
        guard back <= 1e-8 else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "Q turns a plane by π: its logarithm is not unique (exp(log Q) misses Q by \(back))")
        }
        let root = try Rotations.exponential(log, scale: 1 / Double(depth), backend: backend)
        let id = DenseOps.identity(d)
        return try CommutingNormalGeodesic(u: id, m0: id, m1: root, v: id, depth: depth, backend: backend)
    }

    /// `M(t) = (1−t)M_0 + tM_1`.
    public func factor(at t: Double) -> Matrix { DenseOps.combine(1 - t, m0, t, m1) }

    /// `W(t) = U M(t)^N Vᵀ`.
    public func point(at t: Double) throws -> Matrix {
        try DenseOps.sandwich(backend.kernels, u, power(factor(at: t), depth), v)
    }

    /// `Ẇ(t) = N U M(t)^{N−1}(M_1 − M_0) Vᵀ` (the factors commute).
    public func velocity(at t: Double) throws -> Matrix {
        let k = backend.kernels
        let inner = try DenseOps.mul(k, power(factor(at: t), depth - 1), DenseOps.sub(m1, m0))
        return DenseOps.scale(Double(depth), try DenseOps.sandwich(k, u, inner, v))
    }

    /// `count ≥ 2` points at `t = k/(count − 1)`.
    /// - Throws: `.invalidArgument` for `count < 2`.
    public func points(count: Int) throws -> [Matrix] {
        guard count >= 2 else {
            throw TangentFlowError.invalidArgument(operation: "CommutingNormalGeodesic.points", reason: "need at least 2 points, got \(count)")
        }
        return try (0..<count).map { try point(at: Double($0) / Double(count - 1)) }
    }

    /// Length `√N ‖M_1 − M_0‖_F` (the upstairs line's length; Thm 3.10).
    public var length: Double { Double(depth).squareRoot() * DenseOps.sub(m1, m0).frobeniusNorm }

    /// `Mⁿ` by repeated squaring (`M⁰ = I`).
    private func power(_ m: Matrix, _ n: Int) throws -> Matrix {
        let k = backend.kernels
        var result = DenseOps.identity(m.rows), base = m, e = n
        while e > 0 {
            if e & 1 == 1 { result = try DenseOps.mul(k, result, base) }
            e >>= 1
            if e > 0 { base = try DenseOps.mul(k, base, base) }
        }
        return result
    }
}
