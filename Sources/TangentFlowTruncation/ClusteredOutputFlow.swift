import Foundation
import TangentFlow

/// The standard cost with clustered initial data in the positive sector of every truncation map (§9 of file 003):
/// the network acts as the identity on the data, only the output weight `W = W_{Q+1}` moves, and the flow is
/// linear with a closed-form solution (Thm 9.1).
///
/// Two normalisations (MATH.md §5), with `X ∈ R^{Q×N}` the inputs as columns (9.4) and `Y_ext` the labels repeated
/// per sample (9.5):
/// - `.uniform`, the `1/(2N)` cost of (9.3): `W' = −(1/N)(WX − Y_ext)Xᵀ` (9.7), `A = XXᵀ/N`,
///   `W* = Y_ext Xᵀ(XXᵀ)⁻¹` (9.11–9.12; the paper's `Y` there is `Y_ext` and `𝒫⁽⁰⁾ = X⁺`).
/// - `.perCluster`, (2.22)'s `½Σ_j (1/N_j)Σ_i`: with `D = diag(1/N_{j(i)})`, `W' = −(WX − Y_ext)DXᵀ`, `A = XDXᵀ`,
///   `W* = Y_ext D Xᵀ(XDXᵀ)⁻¹`.
///
/// In both, `W(s) = W* + (W(0) − W*)e^{−sA}` (9.10), through the symmetric eigendecomposition of `A`.
public struct ClusteredOutputFlow: VectorField {
    /// Which cost.
    public enum Normalization: String, Sendable, CaseIterable {
        /// `(1/(2N))Σ_i|Wx_i − y_{j(i)}|²` (9.3).
        case uniform
        /// `½Σ_j (1/N_j)Σ_i|Wx_{j,i} − y_j|²` (2.22).
        case perCluster
    }

    /// The data.
    public let data: ClusteredTrainingData
    /// The cost's normalisation.
    public let normalization: Normalization
    /// `A` (`XXᵀ/N` or `XDXᵀ`), symmetric positive definite.
    public let rate: Matrix
    /// `W* = lim_{s→∞} W(s)` (9.12).
    public let limit: Matrix
    /// Kernels for the symmetric eigendecompositions of `A` (the limit and the closed form).
    public let backend: KernelBackend
    /// `Y_ext D Xᵀ` (or `Y_ext Xᵀ/N`), so that `W' = B − WA`.
    let drive: Matrix

    /// The flow for `data`; `backend` decomposes `A` (`.c` by default).
    /// - Throws: `.invalidArgument` if `XXᵀ` is not invertible (9.9) (`λ_min ≤ Q·ε·λ_max`).
    public init(data: ClusteredTrainingData, normalization: Normalization, backend: KernelBackend = .c) throws {
        let q = data.width
        var a = Matrix(zerosRows: q, cols: q), bm = Matrix(zerosRows: q, cols: q)
        for (j, cluster) in data.clusters.enumerated() {
            let w = normalization == .uniform ? 1 / Double(data.totalCount) : 1 / Double(cluster.rows)
            for i in 0..<cluster.rows {
                let x = cluster.row(i)
                for c in 0..<q {
                    for r in 0..<q {
                        a.elements[r + c * q] += w * x[r] * x[c]
                        bm.elements[r + c * q] += w * data.labels[j][r] * x[c]
                    }
                }
            }
        }
        let e = try backend.kernels.symmetricEigen(a)
        let lmax = e.values.last ?? 0, lmin = e.values.first ?? 0
        guard lmax > 0, lmin > Double(q) * Double.ulpOfOne * lmax else {
            throw TangentFlowError.invalidArgument(
                operation: "ClusteredOutputFlow",
                reason: "XXᵀ is not invertible (eigenvalues \(lmin) … \(lmax)); Thm 9.1 needs inputs spanning R^\(q) (9.9)")
        }
        let ainv = try TruncationAlgebra.symmetricFunction(a, backend: backend) { 1 / $0 }
        self.data = data
        self.normalization = normalization
        self.backend = backend
        self.rate = a
        self.drive = bm
        self.limit = TruncationAlgebra.multiply(bm, ainv)
    }

    /// `W(s) = W* + (W(0) − W*)e^{−sA}` (9.10).
    /// - Throws: `.shapeMismatch` unless `W(0)` is `Q×Q`; `.nonFinite`; `.invalidArgument` for `s < 0` or non-finite.
    public func closedForm(start w0: Matrix, at s: Double) throws -> Matrix {
        let op = "ClusteredOutputFlow.closedForm"
        try w0.requireShape(data.width, data.width, op, "W(0)")
        try w0.requireFinite(op, "W(0)")
        guard s.isFinite, s >= 0 else { throw TangentFlowError.invalidArgument(operation: op, reason: "need finite s ≥ 0, got \(s)") }
        let decay = try TruncationAlgebra.symmetricFunction(rate, backend: backend) { exp(-s * $0) }
        return TruncationAlgebra.add(limit, TruncationAlgebra.multiply(TruncationAlgebra.add(w0, limit, scale: -1), decay))
    }

    /// The cost at `W` in this normalisation.
    /// - Throws: `.shapeMismatch` unless `W` is `Q×Q`.
    public func cost(_ w: Matrix) throws -> Double {
        try w.requireShape(data.width, data.width, "ClusteredOutputFlow.cost", "W")
        var c = 0.0
        for (j, cluster) in data.clusters.enumerated() {
            let weight = normalization == .uniform ? 1 / Double(data.totalCount) : 1 / Double(cluster.rows)
            for i in 0..<cluster.rows {
                let out = TruncationAlgebra.apply(w, cluster.row(i))
                for r in 0..<data.width { c += 0.5 * weight * (out[r] - data.labels[j][r]) * (out[r] - data.labels[j][r]) }
            }
        }
        return c
    }

    /// `W' = Y_ext D Xᵀ − W A` (9.7), on `W` packed column-major.
    public func velocity(at s: Double, _ y: [Double]) throws -> [Double] {
        let q = data.width
        guard y.count == q * q else {
            throw TangentFlowError.shapeMismatch(operation: "ClusteredOutputFlow.velocity", expected: "\(q * q) entries (W column-major)", got: "\(y.count)")
        }
        let w = Matrix(uncheckedRows: q, cols: q, elements: y)
        return TruncationAlgebra.add(drive, TruncationAlgebra.multiply(w, rate), scale: -1).elements
    }
}
