// The products of `DenseOps` through the chosen backend (dgemm on the C path). They live here, above `Kernels/`,
// so that `Matrix/` stays below the kernel door (docs/architecture.md).

import TangentFlow

extension DenseOps {
    /// `op(A)·op(B)` through the backend.
    static func mul(_ k: any Kernels, _ a: Matrix, _ b: Matrix, ta: Bool = false, tb: Bool = false) throws -> Matrix {
        try k.multiply(a, transposeA: ta, b, transposeB: tb)
    }
    /// `U diag(s) Vᵀ` for square `U`, `V`: one gemm.
    static func synthesize(_ k: any Kernels, _ u: Matrix, _ s: [Double], _ v: Matrix) throws -> Matrix {
        try mul(k, scaleColumns(u, s), v, tb: true)
    }
    /// `U X Vᵀ`: two gemms.
    static func sandwich(_ k: any Kernels, _ u: Matrix, _ x: Matrix, _ v: Matrix) throws -> Matrix {
        try mul(k, mul(k, u, x), v, tb: true)
    }
    /// `Uᵀ X V`: two gemms.
    static func project(_ k: any Kernels, _ u: Matrix, _ x: Matrix, _ v: Matrix) throws -> Matrix {
        try mul(k, mul(k, u, x, ta: true), v)
    }
}
