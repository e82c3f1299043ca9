/// `C_ij = |x_i − y_j|² = Σ_t (X_it − Y_jt)²` for `X` (`m×d`) and `Y` (`n×d`), one point per row, by direct
/// differences (never `|x|² + |y|² − 2⟨x, y⟩`, which cancels for close points): the second opinion of
/// `ck_pairwise_sqdist`, summing in the same order. The caller validates shapes and finiteness.
func swiftPairwiseSquaredDistances(_ x: Matrix, _ y: Matrix) -> Matrix {
    let m = x.rows, n = y.rows, d = x.cols
    var c = Matrix(zerosRows: m, cols: n)
    x.elements.withUnsafeBufferPointer { px in
        y.elements.withUnsafeBufferPointer { py in
            c.elements.withUnsafeMutableBufferPointer { pc in
                for j in 0..<n {
                    for i in 0..<m {
                        var s = 0.0
                        for t in 0..<d {
                            let diff = px[i + t * m] - py[j + t * n]
                            s += diff * diff
                        }
                        pc[i + j * m] = s
                    }
                }
            }
        }
    }
    return c
}
