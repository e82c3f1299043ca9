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
    /// The scale residuals are judged against: `λ₁` (largest end) or `σ` (smallest end).
    public let referenceEigenvalue: Double
}

/// COLLECTIVE. The `count` largest or smallest eigenpairs of the distributed NTK `G = D Dᵀ` by PARPACK's
/// implicitly restarted Lanczos method (ARPACK-ng's MPI build, `pdsaupd`/`pdseupd`), never forming `G`: the same
/// algorithm, options, start vector and stopping rule as `ntkSpectrum` on one process, so the two agree to
/// rounding. Largest end: Lanczos on `G` (`'LA'`), test `‖Gv − λv‖ ≤ tol·λ`. Smallest end: Lanczos on `σI − G`
/// with `σ` an estimate of `λ_max` from a short run (tolerance 1e-6), `λ = σ − μ`, test `‖Gv − λv‖ ≤ tol·σ`.
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
    let values = order.map { j in shift.map { s in s - result.values[j] } ?? result.values[j] }
    var vec = [Double](repeating: 0, count: m * c)
    for (j, src) in order.enumerated() {
        for i in 0..<m { vec[j * m + i] = result.vectors[src * m + i] }
    }
    let vectors = Matrix(uncheckedRows: m, cols: c, elements: vec)
    var residuals = [Double]()
    if c > 0 {
        let gv = try op.apply(vectors)
        let local = (0..<c).map { j in
            var s = 0.0
            for i in 0..<m {
                let r = gv.elements[j * m + i] - values[j] * vec[j * m + i]
                s += r * r
            }
            return s
        }
        residuals = try Distributed.sum(local).map { $0.squareRoot() }
    }
    let reference = shift ?? (values.first.map { abs($0) } ?? 0)
    return DistributedNTKSpectrum(
        values: values, localVectors: vectors, residuals: residuals, converged: result.values.count >= k, requested: k,
        products: result.products, shiftProducts: shiftProducts, restarts: result.restarts, shift: shift,
        referenceEigenvalue: reference)
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
