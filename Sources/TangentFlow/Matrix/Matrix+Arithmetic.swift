import Foundation

// Small dense helpers: element-wise arithmetic in Swift (O(d²), cheap). The products through a backend (dgemm on
// the C path) are in the TangentFlowDeepLinear target (DenseOps+Products.swift), above the core. Package access
// (for the papers' modules), in a namespace, so they never collide with operators another module may add to `Matrix`.
package enum DenseOps {

    /// `αA + βB` (same shape, checked by the caller).
    package static func combine(_ alpha: Double, _ a: Matrix, _ beta: Double, _ b: Matrix) -> Matrix {
        var out = a
        out.elements.withUnsafeMutableBufferPointer { o in
            b.elements.withUnsafeBufferPointer { pb in
                for k in 0..<o.count { o[k] = alpha * o[k] + beta * pb[k] }
            }
        }
        return out
    }

    /// `A − B`.
    package static func sub(_ a: Matrix, _ b: Matrix) -> Matrix { combine(1, a, -1, b) }

    /// `A + B`.
    package static func add(_ a: Matrix, _ b: Matrix) -> Matrix { combine(1, a, 1, b) }

    /// `αA`.
    package static func scale(_ alpha: Double, _ a: Matrix) -> Matrix {
        Matrix(uncheckedRows: a.rows, cols: a.cols, elements: a.elements.map { alpha * $0 })
    }

    /// `A ∘ B` (Hadamard product).
    package static func hadamard(_ a: Matrix, _ b: Matrix) -> Matrix {
        var out = a
        for k in 0..<out.elements.count { out.elements[k] *= b.elements[k] }
        return out
    }

    /// `A diag(s)`: column `j` scaled by `s[j]`.
    package static func scaleColumns(_ a: Matrix, _ s: [Double]) -> Matrix {
        var out = a
        for j in 0..<a.cols { for i in 0..<a.rows { out.elements[i + j * a.rows] *= s[j] } }
        return out
    }

    /// `diag(s) A`: row `i` scaled by `s[i]`.
    package static func scaleRows(_ a: Matrix, _ s: [Double]) -> Matrix {
        var out = a
        for j in 0..<a.cols { for i in 0..<a.rows { out.elements[i + j * a.rows] *= s[i] } }
        return out
    }



    /// `(A + Aᵀ)/2`.
    package static func symmetrized(_ a: Matrix) -> Matrix {
        let n = a.rows
        var out = a
        for j in 0..<n {
            for i in 0..<j {
                let m = 0.5 * (a.elements[i + j * n] + a.elements[j + i * n])
                out.elements[i + j * n] = m
                out.elements[j + i * n] = m
            }
        }
        return out
    }

    /// `tr A`.
    package static func trace(_ a: Matrix) -> Double { (0..<Swift.min(a.rows, a.cols)).reduce(0) { $0 + a.elements[$1 + $1 * a.rows] } }

    /// `⟨A, B⟩_F = tr(AᵀB)`.
    package static func inner(_ a: Matrix, _ b: Matrix) -> Double {
        var s = 0.0
        for k in 0..<a.elements.count { s += a.elements[k] * b.elements[k] }
        return s
    }

    /// The `n×n` identity (n ≥ 0 known).
    package static func identity(_ n: Int) -> Matrix {
        var m = Matrix(zerosRows: n, cols: n)
        for i in 0..<n { m.elements[i + i * n] = 1 }
        return m
    }

    /// A diagonal matrix.
    static func diagonal(_ s: [Double]) -> Matrix {
        var m = Matrix(zerosRows: s.count, cols: s.count)
        for i in 0..<s.count { m.elements[i + i * s.count] = s[i] }
        return m
    }

    /// The diagonal entries.
    package static func diagonalEntries(_ a: Matrix) -> [Double] { (0..<Swift.min(a.rows, a.cols)).map { a.elements[$0 + $0 * a.rows] } }

    /// Largest absolute off-diagonal entry.
    package static func maxOffDiagonal(_ a: Matrix) -> Double {
        var m = 0.0
        for j in 0..<a.cols { for i in 0..<a.rows where i != j { m = Swift.max(m, Swift.abs(a.elements[i + j * a.rows])) } }
        return m
    }

    /// Sign of `det A` (−1, 0 or +1) by Gaussian elimination with partial pivoting (O(d³) in Swift; `d` is small
    /// where it is used). A pivot that is exactly zero gives 0.
    package static func determinantSign(_ a: Matrix) -> Int {
        let n = a.rows
        var m = a.elements
        var sign = 1
        for c in 0..<n {
            var p = c
            for r in (c + 1)..<Swift.max(c + 1, n) where Swift.abs(m[r + c * n]) > Swift.abs(m[p + c * n]) { p = r }
            let pivot = m[p + c * n]
            if pivot == 0 { return 0 }
            if p != c {
                sign = -sign
                for j in 0..<n { m.swapAt(p + j * n, c + j * n) }
            }
            if pivot < 0 { sign = -sign }
            for r in (c + 1)..<Swift.max(c + 1, n) {
                let f = m[r + c * n] / pivot
                if f == 0 { continue }
                for j in c..<n { m[r + j * n] -= f * m[c + j * n] }
            }
        }
        return sign
    }

    /// Flattens matrices into one column-major vector (state of an ODE).
    package static func flatten(_ ms: [Matrix]) -> [Double] { ms.flatMap(\.elements) }

    /// Splits a flat vector into `count` `d×d` matrices.
    package static func unflatten(_ y: [Double], count: Int, order d: Int) -> [Matrix] {
        (0..<count).map { p in Matrix(uncheckedRows: d, cols: d, elements: Array(y[(p * d * d)..<((p + 1) * d * d)])) }
    }
}

extension Matrix {
    /// Throws `.invalidArgument` unless the matrix is square, non-empty and finite (the DeepLinear module's
    /// common precondition; package access for that target).
    package func requireSquareFinite(_ op: String, _ name: String) throws {
        try requireNonEmpty(op, name)
        try requireSquare(op, name)
        try requireFinite(op, name)
    }
}
