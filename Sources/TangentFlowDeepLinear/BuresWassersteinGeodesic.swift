import TangentFlow

/// The Bures–Wasserstein geodesic from `A` to `B` ((3.12) in file 002), with the transport map `T = A⁻¹ # B`:
///
/// ```
/// A = U diag(a) Uᵀ,  C = A^{1/2} B A^{1/2} = W diag(c) Wᵀ          (two dsyevd)
/// T = A^{−1/2} C^{1/2} A^{−1/2}
/// γ(t) = ((1−t)I + tT) A ((1−t)I + tT) = (1−t)² A + t(1−t)(TA + AT) + t² B   (TAT = B, Riccati)
/// d(A, B)² = tr A + tr B − 2 Σ √c_i
/// ```
/// The expanded form costs one gemm (`TA`) for any number of points and hits both endpoints exactly.
public struct BuresWassersteinGeodesic: Sendable {
    /// Start `A` (symmetrised).
    public let start: Matrix
    /// End `B` (symmetrised).
    public let end: Matrix
    /// `T = A⁻¹ # B`, SPD, with `T A T = B`.
    public let transport: Matrix
    /// `d(A, B)²`.
    public let squaredDistance: Double
    /// `TA` (for the expanded form of `γ`).
    let ta: Matrix

    /// The geodesic between SPD `A` and `B`.
    /// - Throws: `.invalidArgument` if `A` or `B` is not SPD (naming `λ_min`); shape/finiteness/symmetry errors.
    public init(from a: Matrix, to b: Matrix, backend: KernelBackend = .c) throws {
        let op = "BuresWassersteinGeodesic"
        let sa = try BuresWasserstein.spdSpectrum(a, op, "A", backend)
        let symB = try BuresWasserstein.requireSymmetricPartner(b, a, op, "B")
        let k = backend.kernels
        let sym = DenseOps.symmetrized(a)  // A passed the symmetry check in spdSpectrum
        let rootA = sa.values.map { $0.squareRoot() }
        let aHalf = try sa.applying(rootA)
        let aInvHalf = try sa.applying(rootA.map { 1 / $0 })
        let c = DenseOps.symmetrized(try DenseOps.mul(k, DenseOps.mul(k, aHalf, symB), aHalf))
        let sc = try BuresWasserstein.congruentSpectrum(c, partner: symB, op, "B", backend)
        let cRootValues = sc.values.map { Swift.max($0, 0).squareRoot() }
        let cHalf = try sc.applying(cRootValues)
        let t = DenseOps.symmetrized(try DenseOps.mul(k, DenseOps.mul(k, aInvHalf, cHalf), aInvHalf))
        start = sym
        end = symB
        transport = t
        ta = try DenseOps.mul(k, t, sym)
        // d(A, B) = min_R ‖A^{1/2} − B^{1/2}R‖_F, attained at the polar factor R = UVᵀ of B^{1/2}A^{1/2} = UΣVᵀ. Summing
        // the difference avoids tr A + tr B − 2 tr C^{1/2}, which cancels to √(ε·κ)·‖A‖ when A ≈ B (the square
        // roots of C = A^{1/2}BA^{1/2}'s eigenvalues carry an error ε·λ_max(C)/√λ_min(C)).
        let sb = try SymmetricSpectrum(of: symB, backend: backend)
        let bHalf = try sb.applying(sb.values.map { Swift.max($0, 0).squareRoot() })
        let polar = try k.svd(try DenseOps.mul(k, bHalf, aHalf))
        let r = try DenseOps.mul(k, polar.u, polar.vt)
        let gap = DenseOps.sub(aHalf, try DenseOps.mul(k, bHalf, r))
        squaredDistance = DenseOps.inner(gap, gap)
    }

    /// `d(A, B)`, the geodesic's length.
    public var distance: Double { squaredDistance.squareRoot() }

    /// `γ(t)` ((3.12) in file 002), exactly symmetric; `γ(0) = A`, `γ(1) = B`.
    public func point(at t: Double) -> Matrix {
        let n = start.rows, s = 1 - t
        var out = start
        for j in 0..<n {
            for i in 0..<n {
                let cross = ta.elements[i + j * n] + ta.elements[j + i * n]  // (TA + AT)_ij = (TA)_ij + (TA)_ji
                out.elements[i + j * n] = s * s * start.elements[i + j * n] + t * s * cross + t * t * end.elements[i + j * n]
            }
        }
        return out
    }

    /// `count ≥ 2` points at `t = k/(count − 1)`.
    /// - Throws: `.invalidArgument` for `count < 2`.
    public func points(count: Int) throws -> [Matrix] {
        guard count >= 2 else {
            throw TangentFlowError.invalidArgument(operation: "BuresWassersteinGeodesic.points", reason: "need at least 2 points, got \(count)")
        }
        return (0..<count).map { point(at: Double($0) / Double(count - 1)) }
    }

    /// `γ'(t) = −2(1−t)A + (1−2t)(TA + AT) + 2tB`, the derivative of the expanded form of (3.12).
    public func velocity(at t: Double) -> Matrix {
        let n = start.rows
        var out = start
        for j in 0..<n {
            for i in 0..<n {
                let cross = ta.elements[i + j * n] + ta.elements[j + i * n]
                out.elements[i + j * n] = -2 * (1 - t) * start.elements[i + j * n] + (1 - 2 * t) * cross + 2 * t * end.elements[i + j * n]
            }
        }
        return out
    }
}
