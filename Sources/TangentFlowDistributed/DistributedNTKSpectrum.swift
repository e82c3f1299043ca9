internal import CDistributed
import TangentFlow

/// Eigenpairs of the distributed NTK operator (`distributedNTKSpectrum`): what `ntkSpectrum` returns for one
/// process, with each rank holding its own rows of the eigenvectors.
public struct DistributedNTKSpectrum: Sendable {
    /// Eigenvalues: descending for `.largest`, ascending for `.smallest` (only the converged ones), the same on
    /// every rank.
    public let values: [Double]
    /// This rank's rows of the orthonormal eigenvectors (`localOrder × values.count`); `gather` assembles them.
    public let localVectors: Matrix
    /// `‖G v_k − λ_k v_k‖₂` of each returned pair, recomputed with the operator after the solve.
    public let residuals: [Double]
    /// Whether all requested pairs converged.
    public let converged: Bool
    /// Pairs requested.
    public let requested: Int
    /// Products `G v` in the eigensolve (the residual check and the `λ_max` estimate not included).
    public let products: Int
    /// Products spent estimating `λ_max` for the shift (0 for `.largest`).
    public let shiftProducts: Int
    /// Lanczos restarts.
    public let restarts: Int
    /// The shift `σ` of `σI − G` for `.smallest`, `nil` for `.largest`.
    public let shift: Double?
    /// The scale residuals are judged against: `λ₁` (largest end), `σ` (smallest end by Lanczos) or `λ_max`
    /// (smallest end, dense).
    public let referenceEigenvalue: Double
    /// PARPACK's Lanczos or the dense route (as `ntkSpectrum`).
    public let method: NTKSpectrumMethod
    /// Deflated restarts run after Lanczos converged, as `NTKSpectrum.probes` (their products are in `products`).
    public let probes: Int
    /// Missed eigenvalues (further copies of repeated ones) the probes found, as `NTKSpectrum.missedFound`.
    public let missedFound: Int
    /// The dense route's eigensolver on rank 0 (`NTKSpectrum.denseSolver`); `nil` for Lanczos.
    public var denseSolver: NTKSpectrumDenseSolver? = nil
}

/// COLLECTIVE. The `count` largest or smallest eigenpairs of the distributed NTK `G = D Dᵀ` by PARPACK's
/// implicitly restarted Lanczos method (ARPACK-ng's MPI build, `pdsaupd`/`pdseupd`), never forming `G`: the same
/// algorithm, options, start vector and stopping rule as `ntkSpectrum` on one process, so the two agree to
/// rounding. Largest end: Lanczos on `G` (`'LA'`), test `‖Gv − λv‖ ≤ tol·λ`. Smallest end: Lanczos on `σI − G`
/// with `σ` an estimate of `λ_max` from a short run (tolerance 1e-6), `λ = σ − μ`, test `‖Gv − λv‖ ≤ tol·σ`.
/// At the smallest end with `QN ≤ options.denseLimit`, `G` is formed instead, as `ntkSpectrum` does: each rank
/// computes its rows from `QN` products with the identity's columns, rank 0 gathers and decomposes `G` (LAPACK)
/// and broadcasts the `count` pairs (near 0 an NTK's spectrum is clustered or repeated, where Lanczos stalls or
/// returns one copy of a repeated eigenvalue). After Lanczos, the deflated restarts of `ntkSpectrum` run here too
/// (`NTKDeflatedRestarts` over `distributedSpace`: orthogonalisations and inner products summed over the ranks).
/// Residuals are recomputed with the operator afterwards, whatever PARPACK reported.
///
/// - Throws: `.invalidArgument` for a count or basis size out of range (the same on every rank);
///   `DistributedError` for operator, memory and PARPACK failures, on every rank. Not converging is not an error:
///   `converged` is false and the pairs that met the tolerance are returned.
public func distributedNTKSpectrum(_ op: DistributedNTKOperator, options: NTKSpectrumOptions) throws -> DistributedNTKSpectrum {
    let n = op.order, k = options.count
    guard k >= 1, k < n else {
        throw TangentFlowError.invalidArgument(operation: "distributedNTKSpectrum", reason: "count must be in 1…\(n - 1) for QN = \(n) (got \(k))")
    }
    if options.which == .smallest, n <= options.denseLimit {
        return try distributedDenseSpectrum(op, count: k)
    }
    let ncv = options.subspaceSize(order: n)
    guard ncv > k else {
        throw TangentFlowError.invalidArgument(operation: "distributedNTKSpectrum", reason: "subspace \(ncv) must exceed count \(k) (and be ≤ QN = \(n))")
    }
    let m = op.localOrder
    let plain: (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) throws -> Void = { x, y in
        try op.apply(x, columns: 1, into: y)
    }
    var shift: Double? = nil
    var shiftProducts = 0
    let result: DistributedLanczosResult
    switch options.which {
    case .largest:
        result = try DistributedLanczosResult.solve(op, count: k, subspace: ncv, largest: true, tolerance: options.tolerance,
                                                    maxRestarts: options.maxRestarts, apply: plain)
    case .smallest:
        let top = try DistributedLanczosResult.solve(op, count: 1, subspace: Swift.min(n, 20), largest: true, tolerance: 1e-6,
                                                     maxRestarts: options.maxRestarts, apply: plain)
        shiftProducts = top.products
        guard let lmax = top.values.last else {
            throw TangentFlowError.didNotConverge(operation: "distributedNTKSpectrum: estimate of λ_max for the shift", iterations: top.restarts,
                                                  residual: .nan, tolerance: 1e-6)
        }
        let sigma = lmax * (1 + 1e-5)  // as ntkSpectrum: σI − G is then positive semidefinite
        shift = sigma
        result = try DistributedLanczosResult.solve(op, count: k, subspace: ncv, largest: true, tolerance: options.tolerance,
                                                    maxRestarts: options.maxRestarts) { x, y in
            try op.apply(x, columns: 1, into: y)
            for i in 0..<m { y[i] = sigma * x[i] - y[i] }
        }
    }
    // PARPACK returns ascending Ritz values of the operator it saw: largest μ first (largest λ, or smallest σ − μ).
    let c = result.values.count
    let order: [Int] = Array((0..<c).reversed())
    var values = order.map { j in shift.map { s in s - result.values[j] } ?? result.values[j] }
    var vec = [Double](repeating: 0, count: m * c)
    for (j, src) in order.enumerated() {
        for i in 0..<m { vec[j * m + i] = result.vectors[src * m + i] }
    }
    var converged = c >= k
    var products = result.products
    var probes = 0, missed = 0
    if let r = try NTKDeflatedRestarts.afterLanczos(
        distributedSpace(op), options: options, shift: shift, converged: converged, restarts: result.restarts, values: &values,
        vectors: &vec)
    {
        (probes, missed, converged) = (r.probes, r.missed, r.complete)
        products += r.products
    }
    let vectors = Matrix(uncheckedRows: m, cols: values.count, elements: vec)
    let residuals = try distributedResiduals(op, values: values, localVectors: vectors)
    let reference = shift ?? (values.first.map { abs($0) } ?? 0)
    return DistributedNTKSpectrum(
        values: values, localVectors: vectors, residuals: residuals, converged: converged, requested: k,
        products: products, shiftProducts: shiftProducts, restarts: result.restarts, shift: shift,
        referenceEigenvalue: reference, method: .lanczos, probes: probes, missedFound: missed)
}

/// COLLECTIVE. `‖G v_j − λ_j v_j‖₂` of each pair from this rank's rows (`localOrder × values.count`), the same on
/// every rank.
private func distributedResiduals(_ op: DistributedNTKOperator, values: [Double], localVectors v: Matrix) throws -> [Double] {
    guard !values.isEmpty else { return [] }
    let local = ntkSquaredResiduals(try op.apply(v), values: values, vectors: v)
    return try Distributed.sum(local).map { $0.squareRoot() }
}

/// COLLECTIVE. The dense route of `distributedNTKSpectrum` (smallest end, `QN ≤ denseLimit`): this rank's rows of
/// `G` by the layer-factored cross-kernel (`DistributedNTKOperator.formedRows`), gathered on rank 0, symmetrised and
/// its lowest pairs taken there (`NTKSpectrumDense.smallestPairs`), the `count` smallest pairs broadcast;
/// residuals judged against `λ_max`.
private func distributedDenseSpectrum(_ op: DistributedNTKOperator, count k: Int) throws -> DistributedNTKSpectrum {
    let n = op.order, m = op.localOrder, first = op.firstRow
    let root = Distributed.rank == 0
    try Distributed.agree("distributedNTKSpectrum") {
        let need = root ? NTKSpectrumDense.peakDoubles(order: n, count: k) : MemoryBudget.product(m, n, 2)
        try MemoryBudget.require(doubles: need ?? Int.max, operation: "distributedNTKSpectrum: the \(n)×\(n) NTK of the dense route")
    }
    let rows = try op.formedRows()
    let g = try op.gather(Matrix(uncheckedRows: m, cols: n, elements: rows))
    let picked: (values: [Double], vectors: Matrix, lmax: Double, solver: NTKSpectrumDenseSolver)? = try Distributed.agree(
        "distributedNTKSpectrum (dense eigensolve on rank 0)"
    ) {
        guard var g = g?.elements else { return nil }
        return try NTKSpectrumDense.smallestPairs(destroying: &g, order: n, count: k, operation: "distributedNTKSpectrum")
    }
    let solverCode = picked.flatMap { p in NTKSpectrumDenseSolver.allCases.firstIndex(of: p.solver) } ?? 0
    var head = (picked?.values ?? [Double](repeating: 0, count: k)) + [picked?.lmax ?? 0, Double(solverCode)]
    try Distributed.broadcast(&head)
    let vectors = try Distributed.broadcast(picked?.vectors)
    let values = Array(head.prefix(k)), lmax = head[k], solver = NTKSpectrumDenseSolver.allCases[Int(head[k + 1])]
    var local = [Double](repeating: 0, count: m * k)
    for j in 0..<k { for i in 0..<m { local[j * m + i] = vectors.elements[j * n + first + i] } }
    let localVectors = Matrix(uncheckedRows: m, cols: k, elements: local)
    let residuals = try distributedResiduals(op, values: values, localVectors: localVectors)
    return DistributedNTKSpectrum(
        values: values, localVectors: localVectors, residuals: residuals, converged: true, requested: k, products: 0, shiftProducts: 0,
        restarts: 0, shift: nil, referenceEigenvalue: lmax, method: .dense, probes: 0, missedFound: 0, denseSolver: solver)
}

/// One PARPACK solve (`cd_eigs_symmetric`): ascending converged Ritz values, this rank's rows of their vectors.
struct DistributedLanczosResult {
    let values: [Double]
    let vectors: [Double]
    let products: Int
    let restarts: Int

    /// COLLECTIVE. `count` eigenpairs of the operator `apply` (this rank's rows of `y = A x`; collective and
    /// agreed) over the operator's row distribution.
    static func solve(
        _ op: DistributedNTKOperator, count: Int, subspace: Int, largest: Bool, tolerance: Double, maxRestarts: Int,
        apply: (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) throws -> Void
    ) throws -> DistributedLanczosResult {
        let m = op.localOrder
        guard tolerance.isFinite, tolerance >= 0, maxRestarts >= 1 else {
            throw TangentFlowError.invalidArgument(operation: "distributedNTKSpectrum", reason: "tolerance must be finite and ≥ 0 and maxRestarts ≥ 1")
        }
        try Distributed.agree("distributedNTKSpectrum: memory") {
            let basis = MemoryBudget.sum(MemoryBudget.product(m, subspace + count + 4), subspace * (subspace + 9))
            try MemoryBudget.require(bytes: MemoryBudget.product(basis, 8), operation: "Lanczos basis of \(subspace) vectors of \(m) local rows")
        }
        var values = [Double](repeating: 0, count: count)
        var vectors = [Double](repeating: 0, count: m * count)
        var report = cd_eigs_report()
        let status: Int32 = try withoutActuallyEscaping(apply) { f in
            let box = DistributedCallbackBox(f, rows: m)
            let callback: ck_linear_map = { x, y, ctx in
                let box = Unmanaged<DistributedCallbackBox>.fromOpaque(ctx!).takeUnretainedValue()
                do {
                    try box.apply(UnsafeBufferPointer(start: x, count: box.rows), UnsafeMutableBufferPointer(start: y, count: box.rows))
                    return 0
                } catch {
                    box.error = error
                    return 1
                }
            }
            let st = values.withUnsafeMutableBufferPointer { pv in
                vectors.withUnsafeMutableBufferPointer { pz in
                    cd_eigs_symmetric(m, op.firstRow, count, subspace, largest ? 1 : 0, tolerance, maxRestarts, callback,
                                      Unmanaged.passUnretained(box).toOpaque(), pv.baseAddress, pz.baseAddress, m, &report)
                }
            }
            if let e = box.error { throw e }
            return st
        }
        try Distributed.check(status, "distributedNTKSpectrum (PARPACK)")
        let c = report.converged
        return DistributedLanczosResult(values: Array(values.prefix(c)), vectors: Array(vectors.prefix(m * c)),
                                        products: report.products, restarts: report.restarts)
    }
}

/// The caller's collective operator and the first error it threw, reached from the C callback.
private final class DistributedCallbackBox {
    let apply: (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) throws -> Void
    let rows: Int
    var error: (any Error)?

    init(_ apply: @escaping (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) throws -> Void, rows: Int) {
        self.apply = apply
        self.rows = rows
    }
}

/// The operator's rows on this rank as a `DeflationSpace`: sums are allreduces, Lanczos is PARPACK's (which draws
/// its own start vector, as one process does without `start`).
private func distributedSpace(_ op: DistributedNTKOperator) -> DeflationSpace {
    DeflationSpace(
        order: op.order, localRows: op.localOrder, firstRow: op.firstRow, sum: { try Distributed.sum($0) },
        apply: { x, y in try op.apply(x, columns: 1, into: y) },
        lanczos: { count, subspace, tolerance, restarts, _, f in
            let r = try DistributedLanczosResult.solve(op, count: count, subspace: subspace, largest: true, tolerance: tolerance,
                                                       maxRestarts: restarts, apply: f)
            return (r.values, r.vectors, r.products)
        })
}
