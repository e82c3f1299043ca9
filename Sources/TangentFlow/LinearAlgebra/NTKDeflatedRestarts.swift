import Foundation

/// Deflated restarts at the smallest end of `ntkSpectrum`: a Krylov space holds one vector per distinct
/// eigenvalue, so single-vector Lanczos on `σI − G` returns one copy of a repeated small eigenvalue (duplicate or
/// zero inputs add `Q` copies of 0 each) and the next eigenvalues in place of the others, with small residuals.
/// A missed copy is an eigenvalue of `P(σI − G)P`, `P = I − VVᵀ` off the pairs `V` found, below the largest one
/// returned: a one-pair Lanczos solve on that operator from a new random start finds it.
enum NTKDeflatedRestarts {
    /// What `run` did.
    struct Outcome {
        /// One-pair solves run.
        var probes: Int
        /// Missed eigenvalues found (each replaced the largest pair).
        var missed: Int
        /// Operator applications in all probes.
        var products: Int
        /// Whether the last probe found nothing below the largest pair (or could not tell: it did not converge);
        /// false when `count + 4` probes kept finding more, or a probe's vector was not a new direction.
        var complete: Bool
    }

    /// Probes until one finds no eigenvalue below `values.last − 2·tolerance·σ`, each found pair `(σ − μ, v)`
    /// replacing the largest of the `count = values.count` ascending pairs (`values`, column-major `vectors`,
    /// orthonormal), at most `count + 4` times. Each probe is Lanczos for 1 pair, basis `min(QN, 20)`, at
    /// `tolerance`, at most `maxRestarts` restarts.
    static func run(
        _ op: any NTKOperator, sigma: Double, values: inout [Double], vectors vec: inout [Double], tolerance: Double, maxRestarts: Int
    ) throws -> Outcome {
        let n = op.order, k = values.count
        var out = Outcome(probes: 0, missed: 0, products: 0, complete: false)
        var rng = SeededGenerator(seed: 0x0DEF_1A7E)
        while out.probes < k + 4 {
            out.probes += 1
            var start = (0..<n).map { _ in rng.nextGaussian() }
            start.withUnsafeMutableBufferPointer { orthogonalise($0, against: vec, columns: k) }
            let probe = try shiftedLanczos(op, sigma: sigma, deflating: vec, count: 1, subspace: Swift.min(n, 20),
                                           tolerance: tolerance, maxRestarts: maxRestarts, start: start)
            out.products += probe.products
            guard let mu = probe.values.last else { out.complete = true; break }  // no evidence either way
            let lambda = sigma - mu
            guard lambda < values[k - 1] - 2 * tolerance * sigma else { out.complete = true; break }
            var v = probe.vectors.elements
            v.withUnsafeMutableBufferPointer { orthogonalise($0, against: vec, columns: k) }
            let size = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard size > 0.5 else { break }  // not a new direction: report unconverged rather than guess
            for i in 0..<n { v[i] /= size }
            out.missed += 1
            let at = values.firstIndex { $0 > lambda } ?? k
            values.insert(lambda, at: at)
            vec.insert(contentsOf: v, at: at * n)
            values.removeLast()
            vec.removeLast(n)
        }
        return out
    }
}

/// `v ← v − V Vᵀ v`, twice (classical Gram–Schmidt with reorthogonalisation), for the first `columns` orthonormal
/// columns of the column-major `V` (`v.count` rows). Shared by the restarts, `shiftedLanczos` and `NTKNullSpace`.
func orthogonalise(_ v: UnsafeMutableBufferPointer<Double>, against basis: [Double], columns: Int) {
    let n = v.count
    for _ in 0..<2 {
        for j in 0..<columns {
            var d = 0.0
            for i in 0..<n { d += basis[j * n + i] * v[i] }
            for i in 0..<n { v[i] -= d * basis[j * n + i] }
        }
    }
}

/// Lanczos for the `count` largest eigenpairs of `y = P(σI − G)P x`, `P = I − Z Zᵀ` with `Z` the orthonormal
/// columns of `deflating` (column-major, `QN` rows; none: `P = I`).
func shiftedLanczos(
    _ op: any NTKOperator, sigma: Double, deflating z: [Double], count: Int, subspace: Int, tolerance: Double, maxRestarts: Int,
    start: [Double]?
) throws -> LanczosResult {
    let n = op.order, zc = z.count / n
    var px = [Double](repeating: 0, count: n)
    return try MatrixFreeEigensolver.lanczos(
        order: n, count: count, subspace: subspace, largest: true, tolerance: tolerance, maxRestarts: maxRestarts, start: start
    ) { x, y in
        for i in 0..<n { px[i] = x[i] }
        px.withUnsafeMutableBufferPointer { orthogonalise($0, against: z, columns: zc) }
        try px.withUnsafeBufferPointer { try op.apply($0, columns: 1, into: y) }
        for i in 0..<n { y[i] = sigma * px[i] - y[i] }
        orthogonalise(y, against: z, columns: zc)
    }
}

