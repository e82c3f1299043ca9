import Foundation
import TangentFlow

/// The standard cost with fully collapsed initial data (§8 of file 003): each cluster `ℓ` is mapped to one point,
/// and the cost reduces to
///
/// ```
/// C̃ = ½‖W B + Y‖²_F,   B = [β^{(1)} ⋯ β^{(Q)}],  Y = [y_1 ⋯ y_Q],  W = W_{Q+1},  b_{Q+1} = 0     (8.2–8.3)
/// B' = −Wᵀ(WB + Y),   W' = −(WB + Y)Bᵀ                                                     (8.6–8.7)
/// ```
///
/// Conserved: `I = BBᵀ − WᵀW` (8.21). If `±I(0) ≥ λ₀ > 0` then `C̃(s) ≤ e^{−2λ₀s}C̃(0)` (8.27). The printed
/// propagators (8.9) are transposed; the correct ones are `∂_sU_W = −WWᵀU_W`, `∂_sU_B = −U_B BᵀB`, with
/// `WB + Y = U_W(s)(W(0)B(0) + Y)U_B(s)` (8.11), and (8.16) needs a minus sign (MATH.md §5).
///
/// State: `B` then `W`, each `Q×Q` column-major (`pack`/`unpack`).
public struct CollapsedDataFlow: VectorField {
    /// `Y = [y_1 ⋯ y_Q]`, `Q×Q`.
    public let labels: Matrix
    /// Kernels for the symmetric eigendecomposition of `I` (`spectralGap`).
    public let backend: KernelBackend

    /// The flow for labels `Y` (`Q×Q`, column `ℓ` is `y_ℓ`); `backend` computes the spectrum of `I` (`.c` by default).
    /// - Throws: `.shapeMismatch` unless `Y` is square; `.emptyInput`; `.nonFinite`.
    public init(labels: Matrix, backend: KernelBackend = .c) throws {
        let op = "CollapsedDataFlow"
        try labels.requireNonEmpty(op, "Y")
        try labels.requireSquare(op, "Y")
        try labels.requireFinite(op, "Y")
        self.labels = labels
        self.backend = backend
    }

    /// `Q`.
    public var width: Int { labels.rows }

    /// `[B; W]` as one vector.
    /// - Throws: `.shapeMismatch` unless both are `Q×Q`; `.nonFinite`.
    public func pack(shifts b: Matrix, weight w: Matrix) throws -> [Double] {
        let op = "CollapsedDataFlow.pack"
        try b.requireShape(width, width, op, "B")
        try w.requireShape(width, width, op, "W_{Q+1}")
        try b.requireFinite(op, "B")
        try w.requireFinite(op, "W_{Q+1}")
        return b.elements + w.elements
    }

    /// `(B, W)` from a packed state.
    /// - Throws: `.shapeMismatch` for a state not of length `2Q²`.
    public func unpack(_ y: [Double]) throws -> (shifts: Matrix, weight: Matrix) {
        let q = width
        guard y.count == 2 * q * q else {
            throw TangentFlowError.shapeMismatch(operation: "CollapsedDataFlow.unpack", expected: "\(2 * q * q) entries", got: "\(y.count)")
        }
        return (Matrix(uncheckedRows: q, cols: q, elements: Array(y[0..<(q * q)])),
                Matrix(uncheckedRows: q, cols: q, elements: Array(y[(q * q)...])))
    }

    /// `E = WB + Y`.
    func residual(_ b: Matrix, _ w: Matrix) -> Matrix { TruncationAlgebra.add(TruncationAlgebra.multiply(w, b), labels) }

    /// `C̃ = ½‖WB + Y‖²_F` (8.2).
    /// - Throws: as `unpack`.
    public func cost(_ y: [Double]) throws -> Double {
        let (b, w) = try unpack(y)
        let e = residual(b, w).frobeniusNorm
        return 0.5 * e * e
    }

    /// `I = BBᵀ − WᵀW` (8.21).
    /// - Throws: as `unpack`.
    public func conservedMatrix(_ y: [Double]) throws -> Matrix {
        let (b, w) = try unpack(y)
        return TruncationAlgebra.add(TruncationAlgebra.multiply(b, b, transposeB: true), TruncationAlgebra.multiply(w, w, transposeA: true), scale: -1)
    }

    /// `λ₀ = max(λ_min(I), λ_min(−I))` — the spectral gap of Thm 8.4 when positive (`I(0)` definite), else `nil`.
    /// - Throws: as `unpack`; `.eigenDidNotConverge`.
    public func spectralGap(_ y: [Double]) throws -> Double? {
        let e = try backend.kernels.symmetricEigen(symmetrized(try conservedMatrix(y)))
        let lo = e.values.first ?? 0, hi = e.values.last ?? 0
        let gap = Swift.max(lo, -hi)
        return gap > 0 ? gap : nil
    }

    /// The bound (8.27): `e^{−2λ₀s}C̃(0)`, or `nil` without a gap.
    /// - Throws: as `spectralGap`.
    public func decayBound(start y0: [Double], at s: Double) throws -> Double? {
        guard let gap = try spectralGap(y0) else { return nil }
        return try cost(y0) * exp(-2 * gap * s)
    }

    /// `(B', W')` of (8.6–8.7), packed.
    public func velocity(at s: Double, _ y: [Double]) throws -> [Double] {
        let (b, w) = try unpack(y)
        let e = residual(b, w)
        let db = TruncationAlgebra.scale(TruncationAlgebra.multiply(w, e, transposeA: true), -1)
        let dw = TruncationAlgebra.scale(TruncationAlgebra.multiply(e, b, transposeB: true), -1)
        return db.elements + dw.elements
    }

    func symmetrized(_ a: Matrix) -> Matrix {
        TruncationAlgebra.scale(TruncationAlgebra.add(a, a.transposed), 0.5)
    }
}
