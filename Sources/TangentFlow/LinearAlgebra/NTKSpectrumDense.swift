import Foundation

/// The dense route of `ntkSpectrum` and `distributedNTKSpectrum` at the smallest end (`QN ≤ denseLimit`): `G`
/// formed (by the operator's own formula when it has one, `NTKOperator.formedGram`, else from products with the
/// identity's columns), then LAPACK's `count` lowest eigenpairs of its symmetric part and its `λ_max`.
package enum NTKSpectrumDense {
    /// Peak doubles of the dense route at order `n` for `k` pairs on the process that decomposes `G`: `G` itself
    /// (symmetrised and tridiagonalised in place), the `k` vectors (or the `256` identity columns of a block of
    /// products, whichever is more) and `O(n)` workspace: `n² + n·max(k, 256) + 32n`; `nil` on overflow.
    package static func peakDoubles(order n: Int, count k: Int) -> Int? {
        MemoryBudget.sum(MemoryBudget.product(n, n), MemoryBudget.product(n, Swift.max(k, 256) + 32))
    }

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
    /// (symmetrised in place, then destroyed by `CBackend.lowestEigenpairs`: tridiagonalisation, bisection and
    /// inverse iteration for the `count` wanted pairs only): values ascending, their orthonormal vectors as
    /// columns, and `λ_max` (at least 0).
    /// - Throws: `.invalidArgument` naming `operation` when `G` has a NaN or ±∞ entry; eigensolver errors.
    package static func smallestPairs(
        destroying g: inout [Double], order n: Int, count k: Int, operation: String
    ) throws -> (values: [Double], vectors: Matrix, lmax: Double) {
        try g.withUnsafeMutableBufferPointer { p in
            for j in 0..<n {
                for i in (j + 1)..<Swift.max(j + 1, n) {
                    let m = 0.5 * (p[j * n + i] + p[i * n + j])
                    p[j * n + i] = m
                    p[i * n + j] = m
                }
            }
            guard p.allSatisfy(\.isFinite) else {
                throw TangentFlowError.invalidArgument(operation: operation, reason: "the NTK has non-finite entries (overflow in the forward pass)")
            }
        }
        let eig = try CBackend().lowestEigenpairs(destroying: &g, order: n, count: k)
        return (eig.values, Matrix(uncheckedRows: n, cols: k, elements: eig.vectors), Swift.max(eig.largest, 0))
    }
}
