import Foundation
import TangentFlow

extension BuresWasserstein {
    /// `‖AY + YA − X‖_F / ‖X‖_F` (absolute when `X = 0`): how well `Y` solves the Lyapunov equation (3.8) of
    /// *Geodesics in the Deep Linear Network*.
    /// - Throws: shape and finiteness errors of the products.
    public static func lyapunovResidual(_ a: Matrix, _ y: Matrix, _ x: Matrix, backend: KernelBackend = .c) throws -> Double {
        let k = backend.kernels
        let ay = try DenseOps.mul(k, a, y), ya = try DenseOps.mul(k, y, a)
        let r = DenseOps.sub(DenseOps.add(ay, ya), x)
        let scale = DenseOps.inner(x, x).squareRoot()
        let norm = DenseOps.inner(r, r).squareRoot()
        return scale > 0 ? norm / scale : norm
    }

    /// `‖M A⁻¹ M − B‖_F / ‖B‖_F`: how well `M` solves the Riccati equation `M A⁻¹ M = B` whose SPD solution is the
    /// geometric mean `A # B` (3.9)–(3.10). `A⁻¹ M` by the eigendecomposition of the SPD `A`.
    /// - Throws: `.invalidArgument` if `A` is not SPD; shape and finiteness errors.
    public static func riccatiResidual(_ m: Matrix, _ a: Matrix, _ b: Matrix, backend: KernelBackend = .c) throws -> Double {
        let sa = try spdSpectrum(a, "BuresWasserstein.riccatiResidual", "A", backend)
        let inverse = try sa.applying(sa.values.map { 1 / $0 })
        let k = backend.kernels
        let r = DenseOps.sub(try DenseOps.mul(k, DenseOps.mul(k, m, inverse), m), b)
        let scale = DenseOps.inner(b, b).squareRoot()
        let norm = DenseOps.inner(r, r).squareRoot()
        return scale > 0 ? norm / scale : norm
    }
}
