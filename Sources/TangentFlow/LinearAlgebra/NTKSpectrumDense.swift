import Foundation

/// The dense route of `ntkSpectrum` and `distributedNTKSpectrum` at the smallest end (`QN ≤ denseLimit`): rows of
/// `G` from products with the identity's columns, then LAPACK's eigenpairs of the symmetrised whole.
package enum NTKSpectrumDense {
    /// Peak doubles of the dense route at order `n` on the process that decomposes `G`: `G`, the symmetrised copy,
    /// the copies `symmetricEigen` makes and `dsyevd`'s `2n²` workspace, about `6n²` (measured: 4.1 GiB peak at
    /// `QN = 10,000`, 16-256-256-10 on 1,000 samples, where `5n²` would be 3.7 GiB); `nil` on overflow.
    package static func peakDoubles(order n: Int) -> Int? { MemoryBudget.product(n, n, 6) }

    /// Rows `firstRow ..< firstRow + rows` of the order-`n` operator `apply` as a column-major `rows × n` array:
    /// `apply(x, b, y)` takes this caller's rows of `b` column-major directions and writes the same rows of their
    /// images (one process: all `n` rows; a rank: its own). Blocks of 256 identity columns, `n` products in all.
    package static func rows(
        order n: Int, rows m: Int, firstRow: Int,
        apply: (UnsafeBufferPointer<Double>, Int, UnsafeMutableBufferPointer<Double>) throws -> Void
    ) throws -> [Double] {
        var g = [Double](repeating: 0, count: m * n)
        let block = 256
        var e = [Double](repeating: 0, count: m * Swift.min(block, n))
        var j0 = 0
        while j0 < n {
            let b = Swift.min(block, n - j0)
            for i in 0..<(m * b) { e[i] = 0 }
            for c in 0..<b where (firstRow..<(firstRow + m)).contains(j0 + c) { e[c * m + (j0 + c - firstRow)] = 1 }
            try e.withUnsafeBufferPointer { x in
                try g.withUnsafeMutableBufferPointer { y in
                    try apply(UnsafeBufferPointer(rebasing: x[0..<(m * b)]), b, UnsafeMutableBufferPointer(rebasing: y[(j0 * m)..<((j0 + b) * m)]))
                }
            }
            j0 += b
        }
        return g
    }

    /// The `count` smallest eigenpairs of the symmetric part `(G + Gᵀ)/2` of the column-major `n × n` array `g`
    /// (LAPACK through `CBackend.symmetricEigen`): values ascending, their orthonormal vectors as columns, and
    /// `λ_max` (at least 0).
    /// - Throws: `.invalidArgument` naming `operation` when `G` has a NaN or ±∞ entry; eigensolver errors.
    package static func smallestPairs(
        of g: [Double], order n: Int, count k: Int, operation: String
    ) throws -> (values: [Double], vectors: Matrix, lmax: Double) {
        var g = g
        for j in 0..<n {
            for i in (j + 1)..<Swift.max(j + 1, n) {
                let m = 0.5 * (g[j * n + i] + g[i * n + j])
                g[j * n + i] = m
                g[i * n + j] = m
            }
        }
        guard g.allSatisfy(\.isFinite) else {
            throw TangentFlowError.invalidArgument(operation: operation, reason: "the NTK has non-finite entries (overflow in the forward pass)")
        }
        let eig = try CBackend().symmetricEigen(Matrix(uncheckedRows: n, cols: n, elements: g))
        let vectors = Matrix(uncheckedRows: n, cols: k, elements: Array(eig.vectors.elements.prefix(n * k)))
        return (Array(eig.values.prefix(k)), vectors, Swift.max(eig.values.last ?? 0, 0))
    }
}
