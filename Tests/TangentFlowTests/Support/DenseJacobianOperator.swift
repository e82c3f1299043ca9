import Foundation
import Testing

@testable import TangentFlow

/// `G = D Dᵀ` of an explicit `D` (QN×K, one output per sample), as an `NTKOperator`: spectra designed through
/// `D = U diag(s) Wᵀ` for the eigensolver tests.
final class DenseJacobianOperator: NTKOperator {
    let d: Matrix
    init(_ d: Matrix) { self.d = d }
    var samples: Int { d.rows }
    var outputDimension: Int { 1 }
    var parameterCount: Int { d.cols }
    func pushforward(_ v: Matrix) throws -> Matrix { try CBackend().multiply(d, transposeA: false, v, transposeB: false) }
    func pullback(_ u: Matrix) throws -> Matrix { try CBackend().multiply(d, transposeA: true, u, transposeB: false) }
    func apply(_ x: UnsafeBufferPointer<Double>, columns: Int, into y: UnsafeMutableBufferPointer<Double>) throws {
        let v = Matrix(uncheckedRows: d.rows, cols: columns, elements: Array(x))
        let r = try pushforward(pullback(v))
        for i in 0..<r.elements.count { y[i] = r.elements[i] }
    }
}

extension Fixtures {
    /// `rows × cols` orthonormal columns (the left singular vectors of a seeded Gaussian matrix).
    static func orthonormalColumns(_ rows: Int, _ cols: Int, seed: UInt64) throws -> Matrix {
        let a = Fixtures.gaussian(rows, cols, seed: seed)
        return try CBackend().svd(a).u
    }

    /// `D = U diag(√spectrum) Wᵀ` (`rows × spectrum.count`, `rows ≥ spectrum.count`), so `D Dᵀ` has the
    /// eigenvalues `spectrum` and `rows − spectrum.count` zeros.
    static func designedJacobian(rows: Int, spectrum: [Double], seed: UInt64) throws -> Matrix {
        let kp = spectrum.count
        var us = try orthonormalColumns(rows, kp, seed: seed)
        let w = try orthonormalColumns(kp, kp, seed: seed &+ 1)
        for j in 0..<kp { for i in 0..<rows { us[i, j] *= spectrum[j].squareRoot() } }
        return try CBackend().multiply(us, transposeA: false, w, transposeB: true)
    }
}

/// Checks a computed spectrum against the dense one: eigenvalues within `1e-9·scale` of `dense` (in the order of
/// `s.values`), residuals `‖Gv − λv‖` measured with the dense `G` within `1e-9·scale`, `‖VᵀV − I‖_max ≤ 1e-10`.
func expectNTKEigenpairs(_ s: NTKSpectrum, of g: Matrix, dense: [Double], scale: Double) throws {
    for j in 0..<s.values.count {
        #expect(abs(s.values[j] - dense[j]) <= 1e-9 * scale, "λ\(j): \(s.values[j]) vs \(dense[j])")
    }
    let gv = try CBackend().multiply(g, transposeA: false, s.vectors, transposeB: false)
    let vtv = try CBackend().multiply(s.vectors, transposeA: true, s.vectors, transposeB: false)
    for a in 0..<s.values.count {
        var r = 0.0
        for i in 0..<g.rows { r += pow(gv[i, a] - s.values[a] * s.vectors[i, a], 2) }
        #expect(r.squareRoot() <= 1e-9 * scale, "residual of pair \(a): \(r.squareRoot()), reported \(s.residuals)")
        for b in 0..<s.values.count { #expect(abs(vtv[a, b] - (a == b ? 1 : 0)) <= 1e-10) }
    }
}
