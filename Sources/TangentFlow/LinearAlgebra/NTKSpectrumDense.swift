import Foundation

/// The dense route of `ntkSpectrum` and `distributedNTKSpectrum` at the smallest end (`QN ≤ denseLimit`): `G`
/// formed (by the operator's own formula when it has one, `NTKOperator.formedGram`, else from products with the
/// identity's columns), then LAPACK's `count` lowest eigenpairs of its symmetric part and its `λ_max`; on one
/// process with `QN > K`, the thin SVD of the Jacobian `D` instead (`jacobianPairs`).
package enum NTKSpectrumDense {
    /// Peak doubles of the dense route at order `n` for `k` pairs on the process that decomposes `G`: `G` itself
    /// (symmetrised, factored or tridiagonalised in place), the `k` vectors (or the `256` identity columns of a
    /// block of products, whichever is more), the inverse iteration's basis and images (`≤ 666n`) and `O(n)`
    /// workspace: `n² + n·(max(k, 256) + 700)`; `nil` on overflow.
    package static func peakDoubles(order n: Int, count k: Int) -> Int? {
        MemoryBudget.sum(MemoryBudget.product(n, n), MemoryBudget.product(n, Swift.max(k, 256) + 700))
    }

    /// Peak doubles of the dense route's Jacobian form (`jacobianPairs`, one process, `QN = n > K = p`): `D`
    /// (`n × p`), the SVD's working copy, the copy `CBackend.svd` keeps for its retry and `U`, then `k` random
    /// vectors and their projections: `4np + 3nk + 256p`; `nil` on overflow.
    package static func jacobianPeakDoubles(order n: Int, count k: Int, parameters p: Int) -> Int? {
        MemoryBudget.sum(MemoryBudget.product(n, p, 4), MemoryBudget.product(n, k, 3), MemoryBudget.product(256, p))
    }

    /// Peak doubles of the single-process dense route: the Jacobian form when `QN > K`, else `G`'s.
    package static func routePeakDoubles(order n: Int, count k: Int, parameters p: Int) -> Int? {
        n > p ? jacobianPeakDoubles(order: n, count: k, parameters: p) : peakDoubles(order: n, count: k)
    }

    /// The dense route when `QN > K`: `G = D Dᵀ` has the eigenvalue 0 at least `QN − K` times, its other
    /// eigenvalues are the squares `s_i²` of `D`'s singular values and their eigenvectors `D`'s left singular
    /// vectors `u_i`. `D` is formed from `K` pushforwards of the identity's columns (blocks of 256) and decomposed
    /// by LAPACK's thin SVD: `O(QN·K²)` flops and `≈ 4·QN·K` doubles, against `O(QN³)` and `QN²` for `G`. The
    /// eigenvectors of 0 are Gaussian vectors projected off the `u_i` (by GEMMs) and orthonormalised by their own
    /// SVD, twice. Returns the `count` smallest pairs ascending (zeros first), their orthonormal vectors and
    /// `λ_max = s_1²`.
    /// - Throws: `.invalidArgument` naming `operation` for `QN ≤ K`, a count outside `1…QN`, a non-finite `D`
    ///   or an SVD beyond LAPACK's 32-bit workspace; memory and LAPACK errors.
    package static func jacobianPairs(
        _ op: any NTKOperator, count k: Int, operation: String
    ) throws -> (values: [Double], vectors: Matrix, lmax: Double) {
        let n = op.order, p = op.parameterCount
        guard n > p, (1...n).contains(k) else {
            throw TangentFlowError.invalidArgument(operation: operation, reason: "the Jacobian form needs QN > K and 1 ≤ count ≤ QN (QN = \(n), K = \(p), count \(k))")
        }
        guard DenseLAPACKDriver.svd(rows: n, cols: p) != .refused else {
            throw TangentFlowError.invalidArgument(
                operation: operation, reason: "the \(n)×\(p) Jacobian of the dense route needs an SVD workspace beyond LAPACK's 32-bit integers; "
                    + "lower the dense limit below QN = \(n) to take the matrix-free route")
        }
        var d = [Double](repeating: 0, count: n * p)
        let block = 256
        var j0 = 0
        while j0 < p {
            let b = Swift.min(block, p - j0)
            var e = [Double](repeating: 0, count: p * b)
            for c in 0..<b { e[c * p + j0 + c] = 1 }
            let image = try op.pushforward(Matrix(uncheckedRows: p, cols: b, elements: e))
            d.withUnsafeMutableBufferPointer { pd in
                for i in 0..<(n * b) { pd[j0 * n + i] = image.elements[i] }
            }
            j0 += b
        }
        guard d.allSatisfy(\.isFinite) else {
            throw TangentFlowError.invalidArgument(operation: operation, reason: "the Jacobian has non-finite entries (overflow in the forward pass)")
        }
        let svd = try CBackend().svd(Matrix(uncheckedRows: n, cols: p, elements: d))
        d = []
        let zeros = Swift.min(k, n - p), fromSVD = k - zeros
        var values = [Double](repeating: 0, count: zeros)
        var vectors = [Double]()
        vectors.reserveCapacity(n * k)
        if zeros > 0 {
            var rng = SeededGenerator(seed: 0x0D15_EA5E)
            var z = try Matrix.gaussian(rows: n, cols: zeros, using: &rng)
            // z ← z − U(Uᵀz) twice, orthonormalise; then once more of both: when the complement has exactly
            // `zeros` dimensions, the projected Gaussian block's condition (up to ~10²) amplifies the rounding
            // left in range(U) to ~1e-14, which a second round on the orthonormal block removes.
            for pass in 0..<3 {
                let c = try CBackend().multiply(svd.u, transposeA: true, z, transposeB: false)
                let uc = try CBackend().multiply(svd.u, transposeA: false, c, transposeB: false)
                for i in 0..<z.elements.count { z.elements[i] -= uc.elements[i] }
                if pass >= 1 { z = try CBackend().svd(z).u }
            }
            vectors += z.elements
        }
        for j in 0..<fromSVD {  // s descending: the smallest singular values last
            let col = p - 1 - j
            values.append(svd.singularValues[col] * svd.singularValues[col])
            vectors += svd.u.elements[(col * n)..<((col + 1) * n)]
        }
        let lmax = svd.singularValues.first.map { $0 * $0 } ?? 0
        return (values, Matrix(uncheckedRows: n, cols: k, elements: vectors), lmax)
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

    /// Order from which `smallestPairs` tries block inverse iteration before the tridiagonal route (below it the
    /// tridiagonalisation takes under 0.1 s).
    package static let inverseIterationMinimumOrder = 512

    /// Pairs up to which `smallestPairs` tries block inverse iteration: its basis of 4 blocks of `2k + 10` vectors
    /// and their images by `G` then take at most `666n` doubles.
    package static let inverseIterationMaximumCount = 32

    /// The residual target of the inverse iteration relative to `λ_max`: `max(1e-13, n·ε/10)`. Measured on the
    /// NTK of 16-256-256-10 at `n = 8,000`: 1e-12, 1e-13 and 1e-14 reached in 12, 13 and 14 cycles; the
    /// tridiagonal route reaches `≈ ε·λ_max`. A matrix whose rounding floor lies above the target stalls, and the
    /// stall sends it to the tridiagonal route.
    package static func inverseIterationTolerance(order n: Int) -> Double {
        Swift.max(1e-13, Double(n) * Double.ulpOfOne / 10)
    }

    /// The `count` smallest eigenpairs of the symmetric part `(G + Gᵀ)/2` of the column-major `n × n` array `g`
    /// (symmetrised in place, then destroyed): from `n = 512` and for `count ≤ 32` first by restarted block
    /// Krylov on blocks of `2·count + 10` vectors with the Cholesky factor of `G + 1e-10·λ_max·I`
    /// (`CBackend.lowestEigenpairsByInverseIteration`, `O(n³/3)` at the BLAS-3 rate; 8.9 s against 33 s at
    /// `n = 8,000`), and when that does not converge in 100 cycles or `G` is not positive semidefinite, by
    /// `CBackend.lowestEigenpairs` (tridiagonalisation, bisection and inverse iteration for the `count` wanted
    /// pairs only, `O(4n³/3)` memory-bound). Values ascending, their orthonormal vectors as columns, `λ_max`
    /// (at least 0; exact from the tridiagonal route, ARPACK's estimate to 1e-10 from the block Krylov one), and
    /// which of the two answered.
    /// - Throws: `.invalidArgument` naming `operation` when `G` has a NaN or ±∞ entry; eigensolver errors.
    package static func smallestPairs(
        destroying g: inout [Double], order n: Int, count k: Int, operation: String
    ) throws -> (values: [Double], vectors: Matrix, lmax: Double, solver: NTKSpectrumDenseSolver) {
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
        if n >= inverseIterationMinimumOrder, (1...inverseIterationMaximumCount).contains(k),
           let fast = try CBackend().lowestEigenpairsByInverseIteration(
               &g, order: n, count: k, block: Swift.min(n, 2 * k + 10), tolerance: inverseIterationTolerance(order: n),
               maxIterations: 100)
        {
            return (fast.values, Matrix(uncheckedRows: n, cols: k, elements: fast.vectors), fast.largest, .choleskyBlockKrylov)
        }
        let eig = try CBackend().lowestEigenpairs(destroying: &g, order: n, count: k)
        return (eig.values, Matrix(uncheckedRows: n, cols: k, elements: eig.vectors), Swift.max(eig.largest, 0), .tridiagonal)
    }
}
