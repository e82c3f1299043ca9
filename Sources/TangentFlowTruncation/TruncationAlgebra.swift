import Foundation
import TangentFlow

/// Small dense `Q×Q` algebra for the truncation module: the width `Q` is a handful, so plain loops beat a BLAS call
/// per point. Inverses go through the package's SVD (one route, with a condition check), so a non-invertible
/// weight throws instead of producing garbage. Internal; a namespace so the names cannot collide with other modules.
enum TruncationAlgebra {
    /// `A·x`.
    static func apply(_ a: Matrix, _ x: [Double]) -> [Double] {
        var y = [Double](repeating: 0, count: a.rows)
        for j in 0..<a.cols {
            let xj = x[j]
            if xj == 0 { continue }
            for i in 0..<a.rows { y[i] += a.elements[i + j * a.rows] * xj }
        }
        return y
    }

    /// `Aᵀ·x`.
    static func applyTransposed(_ a: Matrix, _ x: [Double]) -> [Double] {
        (0..<a.cols).map { j in
            var s = 0.0
            for i in 0..<a.rows { s += a.elements[i + j * a.rows] * x[i] }
            return s
        }
    }

    /// `op(A)·op(B)`.
    static func multiply(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false) -> Matrix {
        CayleyStepper.multiply(a, b, transposeA: transposeA, transposeB: transposeB)
    }

    /// `u vᵀ`.
    static func outer(_ u: [Double], _ v: [Double]) -> Matrix {
        var c = [Double](repeating: 0, count: u.count * v.count)
        for j in 0..<v.count { for i in 0..<u.count { c[i + j * u.count] = u[i] * v[j] } }
        return Matrix(uncheckedRows: u.count, cols: v.count, elements: c)
    }

    /// `A + s·B` (same shape).
    static func add(_ a: Matrix, _ b: Matrix, scale s: Double = 1) -> Matrix {
        Matrix(uncheckedRows: a.rows, cols: a.cols, elements: (0..<a.elements.count).map { a.elements[$0] + s * b.elements[$0] })
    }

    /// `s·A`.
    static func scale(_ a: Matrix, _ s: Double) -> Matrix { CayleyStepper.scale(a, s) }

    /// `π₋(A) = (A − Aᵀ)/2` (3.20), the projection onto `o(Q)`.
    static func antisymmetricPart(_ a: Matrix) -> Matrix { CayleyStepper.antisymmetricPart(a) }

    /// `‖RᵀR − I‖_F`, the distance of `R` from `O(Q)` to first order.
    static func orthogonalityDefect(_ r: Matrix) -> Double {
        var g = multiply(r, r, transposeA: true)
        for i in 0..<g.rows { g.elements[i + i * g.rows] -= 1 }
        return g.frobeniusNorm
    }

    /// `A⁻¹` through the thin SVD `A = UΣVᵀ` (by `backend`): `A⁻¹ = VΣ⁻¹Uᵀ`.
    ///
    /// Throws `.invalidArgument` naming `argument` when `σ_min ≤ Q·ε·σ_max` (numerically singular, the rank
    /// convention of MATH.md §2), and `.nonFinite` for NaN/∞ entries.
    static func inverse(_ a: Matrix, operation: String, argument: String, backend: KernelBackend = .c) throws -> Matrix {
        try CayleyStepper.inverse(a, operation: operation, argument: argument, backend: backend)
    }

    /// The Cayley transform `cay(A) = (I − A/2)⁻¹(I + A/2)`: orthogonal for antisymmetric `A` (then `I − A/2` is
    /// always invertible), and `exp(A) + O(‖A‖³)`.
    static func cayley(_ a: Matrix) throws -> Matrix { try CayleyStepper.cayley(a) }

    /// `Rᵀ diag(d) R`.
    static func conjugateDiagonal(_ r: Matrix, _ d: [Double]) -> Matrix {
        let n = r.rows
        var c = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            for i in 0..<n {
                var s = 0.0
                for k in 0..<n { s += r.elements[k + i * n] * d[k] * r.elements[k + j * n] }
                c[i + j * n] = s
            }
        }
        return Matrix(uncheckedRows: n, cols: n, elements: c)
    }

    /// `f(S) = V diag(f(λ)) Vᵀ` for symmetric `S` (the symmetric eigensolver of `backend`).
    static func symmetricFunction(_ s: Matrix, backend: KernelBackend = .c, _ f: (Double) -> Double) throws -> Matrix {
        let e = try backend.kernels.symmetricEigen(s)
        let n = s.rows
        var c = [Double](repeating: 0, count: n * n)
        for k in 0..<n {
            let fk = f(e.values[k])
            for j in 0..<n {
                let vjk = e.vectors.elements[j + k * n] * fk
                for i in 0..<n { c[i + j * n] += e.vectors.elements[i + k * n] * vjk }
            }
        }
        return Matrix(uncheckedRows: n, cols: n, elements: c)
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in 0..<a.count { s += a[i] * b[i] }
        return s
    }
}
