import Foundation

/// Deflated restarts of `ntkSpectrum`: a Krylov space holds one vector per distinct eigenvalue, so single-vector
/// Lanczos returns one copy of a repeated eigenvalue and the next eigenvalues in place of the others, with small
/// residuals — at the smallest end (duplicate or zero inputs add `Q` copies of 0 each) and at the largest (a
/// linear model's NTK `(XXᵀ + 1) ⊗ I_Q` repeats every eigenvalue `Q` times; rounding noise recovers some copies,
/// not all). A missed copy is an eigenvalue of the operator deflated by `P = I − VVᵀ` off the pairs `V` found
/// (`PGP` at the largest end, `P(σI − G)P` at the smallest) beyond the last one returned: a one-pair Lanczos
/// solve on that operator from a new random start finds it.
package enum NTKDeflatedRestarts {
    /// What `run` did.
    package struct Outcome: Sendable {
        /// One-pair solves run.
        package var probes: Int
        /// Missed eigenvalues found (each replaced the last pair).
        package var missed: Int
        /// Operator applications in all probes.
        package var products: Int
        /// Whether the last probe found nothing beyond the last pair (or could not tell: it did not converge);
        /// false when `count + 4` probes kept finding more, or a probe's vector was not a new direction.
        package var complete: Bool
    }

    /// Probes until one finds no eigenvalue beyond the last pair by more than `2·tolerance·scale`, each found
    /// pair replacing the last of the `count = values.count` pairs (`values` descending for `.largest`, ascending
    /// for `.smallest`; `vectors` this process's rows of the orthonormal eigenvectors, column-major), at most
    /// `count + 4` times. `sigma` is the shift of the smallest end (the probe runs on `P(σI − G)P` and finds
    /// `λ = σ − μ`), `nil` at the largest (`PGP`); `scale` is the reference eigenvalue residuals are judged
    /// against (`σ`, or `λ₁`). COLLECTIVE over `space` (one process: `DeflationSpace.single`).
    ///
    /// Smallest end: each probe is Lanczos (ARPACK) for 1 pair, basis `min(QN, 20)`, at `tolerance`, at most
    /// `maxRestarts` restarts. Largest end: each probe is `largestProbeSteps` plain Lanczos steps (`lanczosTop`);
    /// its top Ritz value is a Rayleigh quotient of `PGP`, never above that operator's largest eigenvalue, so a
    /// value beyond the last pair proves a missed one, whose pair is then converged to `tolerance` by Lanczos
    /// (it is the top of `PGP`); with `probe == .converged` that pair is converged and judged in every probe. At
    /// the top of an NTK's spectrum, which decays fast, a missed copy of `λ_j` well above `λ_K` shows within a few
    /// steps; a converged probe (to the next eigenvalue `λ_{K+1}`) adds 71–81 products to the 131 of the top 8 of
    /// 16-512-512-10 on N = 5,000 (measured), these steps add 12.
    package static func run(
        _ space: DeflationSpace, end: SpectrumEnd, sigma: Double?, scale: Double, values: inout [Double],
        vectors vec: inout [Double], tolerance: Double, maxRestarts: Int, probe: LargestEndProbe = .steps
    ) throws -> Outcome {
        let n = space.order, m = space.localRows, k = values.count
        let largest = end == .largest
        func isBeyond(_ lambda: Double) -> Bool {
            largest ? lambda > values[k - 1] + 2 * tolerance * scale : lambda < values[k - 1] - 2 * tolerance * scale
        }
        var out = Outcome(probes: 0, missed: 0, products: 0, complete: false)
        var rng = SeededGenerator(seed: 0x0DEF_1A7E)
        while out.probes < k + 4 {
            out.probes += 1
            let global = (0..<n).map { _ in rng.nextGaussian() }  // the same vector on every process: its rows here
            var start = Array(global[space.firstRow..<(space.firstRow + m)])
            try space.orthogonalise(&start, against: vec, columns: k)
            var refineFrom = start
            if largest {
                let top = try lanczosTop(space, deflating: vec, steps: Swift.min(largestProbeSteps, n - k), start: start)
                out.products += top.products
                guard let theta = top.value else { out.complete = true; break }
                if !isBeyond(theta) && probe == .steps { out.complete = true; break }
                refineFrom = top.vector  // beyond λ_K, or `.converged`: converge the top pair of PGP and judge it
            }
            let pair = try deflatedSolve(space, sigma: sigma, deflating: vec, tolerance: tolerance, maxRestarts: maxRestarts,
                                         start: refineFrom)
            out.products += pair.products
            guard let mu = pair.values.last else {
                if !largest { out.complete = true }  // no evidence either way; largest: a missed pair unconverged
                break
            }
            let lambda = sigma.map { $0 - mu } ?? mu
            guard isBeyond(lambda) else { out.complete = true; break }
            var v = pair.vectors
            try space.orthogonalise(&v, against: vec, columns: k)
            let size = try space.sum([v.reduce(0) { $0 + $1 * $1 }])[0].squareRoot()
            guard size > 0.5 else { break }  // not a new direction: report unconverged rather than guess
            for i in 0..<m { v[i] /= size }
            out.missed += 1
            let at = values.firstIndex { largest ? $0 < lambda : $0 > lambda } ?? k
            values.insert(lambda, at: at)
            vec.insert(contentsOf: v, at: at * m)
            values.removeLast()
            vec.removeLast(m)
        }
        return out
    }

    /// The restarts as both spectrum solvers run them after Lanczos: only when it `converged` with room left
    /// (`QN − K ≥ 2`), and at the smallest end only when the last pair is not already at 0 within the tolerance
    /// (nothing is below it); restart cap `min(--max-iter, max(20, 2·restarts + 10))` per probe, `restarts` those
    /// of the first solve. `nil` when they do not run. COLLECTIVE over `space`.
    package static func afterLanczos(
        _ space: DeflationSpace, options: NTKSpectrumOptions, shift: Double?, converged: Bool, restarts: Int,
        values: inout [Double], vectors: inout [Double]
    ) throws -> Outcome? {
        let scale = shift ?? (values.first.map { abs($0) } ?? 0)
        guard converged, space.order - options.count >= 2, let last = values.last,
              shift == nil || last > 2 * options.tolerance * scale else { return nil }
        return try run(space, end: options.which, sigma: shift, scale: scale, values: &values, vectors: &vectors,
                       tolerance: options.tolerance, maxRestarts: Swift.min(options.maxRestarts, Swift.max(20, 2 * restarts + 10)),
                       probe: options.probe)
    }

    /// Lanczos steps of one largest-end probe.
    static let largestProbeSteps = 12

    /// One pair of `P(σI − G)P` (`sigma` given) or `PGP`, `P = I − ZZᵀ`, by `space.lanczos` (basis `min(QN, 20)`).
    private static func deflatedSolve(
        _ space: DeflationSpace, sigma: Double?, deflating z: [Double], tolerance: Double, maxRestarts: Int, start: [Double]
    ) throws -> (values: [Double], vectors: [Double], products: Int) {
        try space.lanczos(1, Swift.min(space.order, 20), tolerance, maxRestarts, start, space.deflated(sigma: sigma, deflating: z))
    }

    /// The largest Ritz value of `PGP` (`P = I − ZZᵀ`, `Z` the orthonormal columns of `deflating`) and this
    /// process's rows of its Ritz vector after `steps` Lanczos steps from `start` (orthogonal to `Z`), with full
    /// reorthogonalisation; `nil` value when the start is 0. Stops early when the Krylov space becomes invariant.
    static func lanczosTop(_ space: DeflationSpace, deflating z: [Double], steps: Int, start: [Double]) throws
        -> (value: Double?, vector: [Double], products: Int)
    {
        let m = space.localRows, zc = z.count / Swift.max(m, 1)
        var basis = [Double]()  // column-major m × j
        var alpha = [Double](), beta = [Double]()
        var q = start
        var norm = try space.sum([q.reduce(0) { $0 + $1 * $1 }])[0].squareRoot()
        guard norm > 0, steps >= 1 else { return (nil, start, 0) }
        var w = [Double](repeating: 0, count: m)
        var products = 0
        for _ in 0..<steps {
            for i in 0..<m { q[i] /= norm }
            basis += q
            try q.withUnsafeBufferPointer { x in try w.withUnsafeMutableBufferPointer { try space.apply(x, $0) } }
            products += 1
            try space.orthogonalise(&w, against: z, columns: zc)
            var a = 0.0
            for i in 0..<m { a += q[i] * w[i] }
            a = try space.sum([a])[0]
            alpha.append(a)
            try space.orthogonalise(&w, against: basis, columns: alpha.count)
            norm = try space.sum([w.reduce(0) { $0 + $1 * $1 }])[0].squareRoot()
            if norm <= 1e-12 * (alpha.map(abs).max() ?? 0) { break }
            beta.append(norm)
            q = w
        }
        let j = alpha.count
        var t = Matrix(zerosRows: j, cols: j)
        for i in 0..<j {
            t[i, i] = alpha[i]
            if i + 1 < j { t[i + 1, i] = beta[i]; t[i, i + 1] = beta[i] }
        }
        let eig = try swiftSymmetricEigen(t)
        guard let theta = eig.values.last else { return (nil, start, products) }
        var y = [Double](repeating: 0, count: m)
        for c in 0..<j {
            let coef = eig.vectors[c, j - 1]
            for i in 0..<m { y[i] += coef * basis[c * m + i] }
        }
        return (theta, y, products)
    }
}

/// The rows of an NTK operator's vectors one process holds, and the collective operations the deflated restarts
/// need: all of them on one process (`DeflationSpace.single`), a slice per MPI rank in `tangentflow-mpi`.
package struct DeflationSpace {
    /// `y = A x` on this process's rows (collective where the rows are spread).
    package typealias Map = (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) throws -> Void
    /// Order `QN` of the operator.
    package let order: Int
    /// Rows held by this process, from global row `firstRow` on.
    package let localRows: Int, firstRow: Int
    /// COLLECTIVE. Elementwise global sums of every process's partial sums (the identity on one process).
    package let sum: ([Double]) throws -> [Double]
    /// COLLECTIVE. This process's rows of `G x` from its rows of `x`.
    package let apply: Map
    /// COLLECTIVE. The `count` largest eigenpairs of a symmetric operator (this process's rows) by implicitly
    /// restarted Lanczos, from `(count, subspace, tolerance, maxRestarts, start, operator)`: converged values
    /// ascending, this process's rows of their vectors, and the products made.
    package let lanczos: (Int, Int, Double, Int, [Double]?, Map) throws -> (values: [Double], vectors: [Double], products: Int)

    /// A space from its parts (`tangentflow-mpi` builds one over its ranks).
    package init(
        order: Int, localRows: Int, firstRow: Int, sum: @escaping ([Double]) throws -> [Double], apply: @escaping Map,
        lanczos: @escaping (Int, Int, Double, Int, [Double]?, Map) throws -> (values: [Double], vectors: [Double], products: Int)
    ) {
        (self.order, self.localRows, self.firstRow, self.sum, self.apply, self.lanczos) = (order, localRows, firstRow, sum, apply, lanczos)
    }

    /// One process holds every row: sums are the identity, Lanczos is ARPACK's.
    static func single(_ op: any NTKOperator) -> DeflationSpace {
        DeflationSpace(
            order: op.order, localRows: op.order, firstRow: 0, sum: { $0 }, apply: { x, y in try op.apply(x, columns: 1, into: y) },
            lanczos: { count, subspace, tolerance, restarts, start, f in
                let r = try MatrixFreeEigensolver.lanczos(
                    order: op.order, count: count, subspace: subspace, largest: true, tolerance: tolerance, maxRestarts: restarts,
                    start: start, apply: f)
                return (r.values, r.vectors.elements, r.products)
            })
    }
}

/// `v ← v − V Vᵀ v`, twice (classical Gram–Schmidt with reorthogonalisation, one `sum` of the `columns` inner
/// products per pass), for the first `columns` orthonormal columns of the column-major `V` (`v.count` rows, this
/// process's; `sum` adds every process's partial inner products, the identity on one process). The one
/// Gram–Schmidt of the spectrum code: the deflated operators, the restart probes and `NTKNullSpace`.
func orthogonalise(
    _ v: UnsafeMutableBufferPointer<Double>, against basis: [Double], columns: Int, sum: ([Double]) throws -> [Double]
) rethrows {
    let m = v.count
    guard columns > 0, m > 0 else { return }
    for _ in 0..<2 {
        var d = [Double](repeating: 0, count: columns)
        for j in 0..<columns {
            var s = 0.0
            for i in 0..<m { s += basis[j * m + i] * v[i] }
            d[j] = s
        }
        d = try sum(d)
        for j in 0..<columns {
            let c = d[j]
            for i in 0..<m { v[i] -= c * basis[j * m + i] }
        }
    }
}

extension DeflationSpace {
    /// `orthogonalise` of this process's rows `v` with this space's global sum. COLLECTIVE.
    func orthogonalise(_ v: inout [Double], against basis: [Double], columns: Int) throws {
        try v.withUnsafeMutableBufferPointer { try TangentFlow.orthogonalise($0, against: basis, columns: columns, sum: sum) }
    }

    /// The deflated operator `y = P(σI − G)P x` (`sigma` given) or `y = PGPx` (`nil`), `P = I − Z Zᵀ` with `Z` the
    /// orthonormal columns of `deflating` (this process's rows, column-major; none: `P = I`), on this process's
    /// rows. The one operator behind the smallest end's main solve (`ntkSpectrum`, after the null vectors) and
    /// every restart probe. COLLECTIVE.
    func deflated(sigma: Double?, deflating z: [Double]) -> Map {
        let m = localRows, zc = z.count / Swift.max(m, 1)
        var px = [Double](repeating: 0, count: m)
        return { [self] x, y in
            for i in 0..<m { px[i] = x[i] }
            try px.withUnsafeMutableBufferPointer { try TangentFlow.orthogonalise($0, against: z, columns: zc, sum: sum) }
            try px.withUnsafeBufferPointer { try apply($0, y) }
            if let sigma { for i in 0..<m { y[i] = sigma * px[i] - y[i] } }
            try TangentFlow.orthogonalise(y, against: z, columns: zc, sum: sum)
        }
    }
}
