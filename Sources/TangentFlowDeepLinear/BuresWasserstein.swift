import Foundation
import TangentFlow

/// The Bures–Wasserstein geometry of symmetric positive definite matrices (§3.2 of file 002; Bhatia–Jain–Lim
/// 2019): the Riemannian submersion `GL(d) → SPD(d)`, `M ↦ MMᵀ`, with the Frobenius metric upstairs.
///
/// ```
/// L_A(X) = Y  solves  AY + YA = X                                       (3.8)
/// g_A(X, X) = ½ tr(L_A(X) X)                                            (3.7)
/// A # B = A^{1/2} (A^{−1/2} B A^{−1/2})^{1/2} A^{1/2},  the SPD solution of X A⁻¹ X = B   (3.9–3.10)
/// γ(t) = ((1−t)I + tT) A ((1−t)I + tT),  T = A⁻¹ # B                      (3.12)
/// d(A, B)² = tr A + tr B − 2 tr (A^{1/2} B A^{1/2})^{1/2} = min_R ‖A^{1/2} − B^{1/2}R‖²_F
/// ```
/// Every SPD input is checked: symmetric to `1e-10` relative, and `λ_min > d·ε·λ_max` (else `.invalidArgument`
/// naming `λ_min`), since `A^{−1/2}` is meaningless for a numerically singular `A`.
public enum BuresWasserstein {
    /// The spectrum of an SPD matrix, after the checks above.
    static func spdSpectrum(_ a: Matrix, _ op: String, _ name: String, _ backend: KernelBackend) throws -> SymmetricSpectrum {
        try a.requireSquareFinite(op, name)
        let s = try SymmetricSpectrum(of: a, backend: backend)
        let lmin = s.values.first ?? 0, lmax = s.values.last ?? 0
        guard lmin > Double(a.rows) * Double.ulpOfOne * Swift.max(lmax, 0), lmin > 0 else {
            throw TangentFlowError.invalidArgument(
                operation: op,
                reason: "\(name) must be symmetric positive definite, but its smallest eigenvalue is λ_min = \(lmin) "
                    + "(λ_max = \(lmax))" + (lmin > 0 ? ", numerically singular" : ""))
        }
        return s
    }

    /// The Lyapunov operator `L_A(X)`: the solution `Y` of `AY + YA = X` ((3.8) in file 002), by the eigenbasis of `A`:
    /// `Y = U [(UᵀXU)_ij / (λ_i + λ_j)] Uᵀ`.
    /// - Throws: `.invalidArgument` if `A` is not SPD; shape/finiteness errors for `X`.
    public static func lyapunov(_ a: Matrix, _ x: Matrix, backend: KernelBackend = .c) throws -> Matrix {
        let op = "BuresWasserstein.lyapunov"
        let s = try spdSpectrum(a, op, "A", backend)
        try x.requireShape(a.rows, a.cols, op, "X")
        try x.requireFinite(op, "X")
        return try lyapunov(s, x)
    }

    static func lyapunov(_ s: SymmetricSpectrum, _ x: Matrix) throws -> Matrix {
        let k = s.backend.kernels, n = s.order
        var inner = try DenseOps.project(k, s.vectors, x, s.vectors)
        for j in 0..<n { for i in 0..<n { inner.elements[i + j * n] /= s.values[i] + s.values[j] } }
        return try DenseOps.sandwich(k, s.vectors, inner, s.vectors)
    }

    /// The metric `g_A(X, Y) = ½ tr(L_A(X) Y)` on symmetric tangents ((3.7) in file 002).
    /// - Throws: as `lyapunov`.
    public static func metric(at a: Matrix, _ x: Matrix, _ y: Matrix, backend: KernelBackend = .c) throws -> Double {
        try y.requireShape(a.rows, a.cols, "BuresWasserstein.metric", "Y")
        try y.requireFinite("BuresWasserstein.metric", "Y")
        return 0.5 * DenseOps.inner(try lyapunov(a, x, backend: backend), y)
    }

    /// The geometric mean `A # B = A^{1/2}(A^{−1/2} B A^{−1/2})^{1/2} A^{1/2}` ((3.9) in file 002), the unique SPD
    /// solution of the Riccati equation `X A⁻¹ X = B` (Lemma 3.4). Two dsyevd.
    /// - Throws: `.invalidArgument` if `A` or `B` is not SPD; shape/finiteness errors.
    public static func geometricMean(_ a: Matrix, _ b: Matrix, backend: KernelBackend = .c) throws -> Matrix {
        let op = "BuresWasserstein.geometricMean"
        let sa = try spdSpectrum(a, op, "A", backend)
        let symB = try requireSymmetricPartner(b, a, op, "B")
        let k = backend.kernels
        let root = try sa.applying(sa.values.map { $0.squareRoot() })
        let invRoot = try sa.applying(sa.values.map { 1 / $0.squareRoot() })
        let inner = DenseOps.symmetrized(try DenseOps.mul(k, DenseOps.mul(k, invRoot, symB), invRoot))
        let mid = try congruentSpectrum(inner, partner: symB, op, "B", backend)
        let midRoot = try mid.applying(mid.values.map { Swift.max($0, 0).squareRoot() })
        return DenseOps.symmetrized(try DenseOps.mul(k, DenseOps.mul(k, root, midRoot), root))
    }

    /// `B` must be symmetric and the size of `A`; positive definiteness is checked later, on `A^{±1/2} B A^{±1/2}`
    /// (congruent to `B`, so positive definite exactly when `B` is), which saves an eigendecomposition of `B`.
    static func requireSymmetricPartner(_ b: Matrix, _ a: Matrix, _ op: String, _ name: String) throws -> Matrix {
        try b.requireShape(a.rows, a.cols, op, name)
        try b.requireFinite(op, name)
        return try SymmetricMatrix(b, tolerance: 1e-10).matrix
    }

    /// The spectrum of `C`, congruent to `B`: throws the SPD error about `B` when `C` is not numerically positive
    /// definite (re-deriving `λ_min(B)` for the message on this failure path only).
    static func congruentSpectrum(_ c: Matrix, partner b: Matrix, _ op: String, _ name: String, _ backend: KernelBackend) throws -> SymmetricSpectrum {
        let s = try SymmetricSpectrum(of: c, backend: backend)
        let lmin = s.values.first ?? 0, lmax = s.values.last ?? 0
        if lmin > Double(c.rows) * Double.ulpOfOne * Swift.max(lmax, 0), lmin > 0 { return s }
        _ = try spdSpectrum(b, op, name, backend)
        throw TangentFlowError.invalidArgument(
            operation: op, reason: "\(name) is numerically singular relative to A: λ_min(A^{1/2} \(name) A^{1/2}) = \(lmin) (λ_max = \(lmax))")
    }

    /// The squared distance `d(A, B)² = tr A + tr B − 2 tr (A^{1/2} B A^{1/2})^{1/2} = min_R ‖A^{1/2} − B^{1/2}R‖²_F`,
    /// evaluated in the second form at the polar factor `R` (no cancellation when `A ≈ B`).
    /// - Throws: `.invalidArgument` if `A` or `B` is not SPD.
    public static func squaredDistance(_ a: Matrix, _ b: Matrix, backend: KernelBackend = .c) throws -> Double {
        try BuresWassersteinGeodesic(from: a, to: b, backend: backend).squaredDistance
    }

    /// `d(A, B)`, the length of the geodesic (3.12).
    /// - Throws: as `squaredDistance`.
    public static func distance(_ a: Matrix, _ b: Matrix, backend: KernelBackend = .c) throws -> Double {
        try squaredDistance(a, b, backend: backend).squareRoot()
    }

    /// The differential of the submersion `φ(M) = MMᵀ`: `dφ_M(Y) = YMᵀ + MYᵀ`.
    /// - Throws: shape/finiteness errors.
    public static func differential(at m: Matrix, _ y: Matrix, backend: KernelBackend = .c) throws -> Matrix {
        let op = "BuresWasserstein.differential"
        try m.requireSquareFinite(op, "M")
        try y.requireShape(m.rows, m.cols, op, "Y")
        try y.requireFinite(op, "Y")
        let ymt = try DenseOps.mul(backend.kernels, y, m, tb: true)
        return DenseOps.add(ymt, ymt.transposed)
    }

    /// The horizontal lift of a symmetric tangent `X` at `M ∈ GL(d)` (horizontal space `{HM : H symmetric}`,
    /// Lemma 3.11 of file 002 in the case `N = 2`, `W_2 = W_1ᵀ`): `Y = L_{MMᵀ}(X) M`. Then `dφ_M(Y) = X` and
    /// `‖Y‖²_F = g_{MMᵀ}(X, X)` (the submersion is an isometry on horizontal vectors).
    /// - Throws: `.invalidArgument` if `M` is singular (`MMᵀ` not SPD); shape/finiteness errors.
    public static func horizontalLift(at m: Matrix, _ x: Matrix, backend: KernelBackend = .c) throws -> Matrix {
        let op = "BuresWasserstein.horizontalLift"
        try m.requireSquareFinite(op, "M")
        let a = DenseOps.symmetrized(try DenseOps.mul(backend.kernels, m, m, tb: true))
        return try DenseOps.mul(backend.kernels, lyapunov(a, x, backend: backend), m)
    }
}
