import Foundation

/// Orthonormal vectors of the null space of an NTK `G = D Dᵀ` when `QN > K` (rank loss is certain:
/// `rank G ≤ K`, so `0` is an eigenvalue of multiplicity `≥ QN − K`), for the smallest end of `ntkSpectrum`.
///
/// Lanczos on `σI − G` cannot resolve an eigenvalue of multiplicity `QN − K`: it converges slowly or not at all,
/// or returns nonzero eigenvalues with small residuals in their place (a Krylov space holds one vector per
/// distinct eigenvalue). Here each vector is the least-squares residual of a random `z`:
/// `r = z − D D⁺z`, the projection of `z` onto `null(Dᵀ) = null(G)`, with `D⁺z` by LSMR on the operator's
/// pushforward and pullback (Fong & Saunders 2011; `LSMR.solve`). LSMR's test `‖Dᵀr‖ ≤ atol·‖D‖‖r‖` bounds the
/// eigen-residual: `‖G r‖ = ‖D Dᵀ r‖ ≤ ‖D‖·atol·‖D‖‖r‖`, so `atol = tol` gives `‖Gr̂‖ ≤ tol·λ_max` for `r̂ = r/‖r‖`
/// (with `‖D‖` LSMR's estimate, which may exceed `σ_max(D)`; the residual is then measured and the solve repeated
/// with a smaller `atol` where it is not met).
enum NTKNullSpace {
    /// What `vectors` returns.
    struct Result {
        /// Rayleigh quotients `vᵀGv` of the vectors, ascending (0 up to the tolerance).
        var values: [Double]
        /// Orthonormal columns (`QN × values.count`), each with `‖Gv‖ ≤ tolerance·scale/2`.
        var vectors: Matrix
        /// Operator applications: LSMR iterations (a pushforward and a pullback each) plus the checks.
        var products: Int
        /// Vectors asked for but not delivered (an LSMR cap reached, the target missed, or the null space exhausted).
        var unconverged: Int
    }

    /// `count` orthonormal vectors of `null(G)` with `‖Gv‖ ≤ tolerance·scale/2` (`scale` an upper estimate of
    /// `λ_max`), built one at a time: a random start orthogonalised against the vectors already found, projected
    /// by LSMR, orthogonalised again, normalised, and accepted once its measured `‖Gv‖` meets the target (else
    /// LSMR is rerun from it with a smaller `atol`, at most twice). Orthogonalising after the projection, not
    /// orthonormalising a finished block, keeps each vector's residual the one measured.
    static func vectors(
        _ op: any NTKOperator, count k: Int, tolerance: Double, scale: Double, maxIterations: Int
    ) throws -> Result {
        let n = op.order, kParams = op.parameterCount
        var products = 0
        var rng = SeededGenerator(seed: 0x0B11_5EED)
        var found = [Double]()  // orthonormal columns, column-major n × values.count
        var values = [Double]()
        var unconverged = 0
        func offFound(_ v: inout [Double]) {
            v.withUnsafeMutableBufferPointer { orthogonalise($0, against: found, columns: values.count, sum: { $0 }) }
        }
        func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        search: for _ in 0..<k {
            var z = (0..<n).map { _ in rng.nextGaussian() }
            offFound(&z)
            var atol = tolerance
            var accepted = false
            for _ in 0..<3 {
                let res = try LSMR.solve(
                    rows: n, cols: kParams, z, options: LSMROptions(atol: atol, btol: 0, conlim: .infinity, maxIterations: maxIterations),
                    apply: { try op.pushforward(Matrix(uncheckedRows: kParams, cols: 1, elements: $0)).elements },
                    adjoint: { try op.pullback(Matrix(uncheckedRows: n, cols: 1, elements: $0)).elements })
                products += res.iterations + 1
                guard res.stop != .iterationLimit else { break }
                let dx = try op.pushforward(Matrix(uncheckedRows: kParams, cols: 1, elements: res.solution)).elements
                var r = zip(z, dx).map { $0 - $1 }
                offFound(&r)
                let size = norm(r)
                // Nothing of z left outside range(D) and the vectors found: the null space is exhausted.
                guard size > 1e-8 * norm(z) else { break search }
                for i in 0..<n { r[i] /= size }
                let gr = try op.apply(Matrix(uncheckedRows: n, cols: 1, elements: r)).elements
                products += 1
                let rho = norm(gr)
                if rho <= tolerance * scale / 2 {
                    found += r
                    values.append(zip(r, gr).reduce(0) { $0 + $1.0 * $1.1 })
                    accepted = true
                    break
                }
                atol *= Swift.max(tolerance * scale / rho, 1e-3) / 4
                z = r
            }
            if !accepted { unconverged += 1 }
        }
        let order = values.indices.sorted { values[$0] < values[$1] }
        return Result(values: order.map { values[$0] },
                      vectors: Matrix(uncheckedRows: n, cols: values.count, elements: order.flatMap { found[($0 * n)..<(($0 + 1) * n)] }),
                      products: products, unconverged: unconverged + (k - values.count - unconverged))
    }
}
