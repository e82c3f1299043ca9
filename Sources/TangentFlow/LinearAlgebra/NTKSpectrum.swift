import Foundation

/// Which end of a spectrum to compute. Raw values are the command-line spellings (`--which smallest`).
public enum SpectrumEnd: String, CaseIterable, Sendable {
    /// The largest eigenvalues (the directions training moves fastest).
    case largest
    /// The smallest eigenvalues (rank loss of `D`: the directions training cannot move).
    case smallest
}

/// Settings of `ntkSpectrum`.
public struct NTKSpectrumOptions: Sendable {
    /// Eigenpairs wanted, `1 ≤ count < QN`.
    public var count: Int
    /// Which end.
    public var which: SpectrumEnd
    /// Relative tolerance: a Ritz pair `(λ, v)` is accepted when `‖Gv − λv‖ ≤ tolerance·λ_ref`, with
    /// `λ_ref = |λ|` for the largest end and the estimate of `λ_max` for the smallest (see `ntkSpectrum`).
    public var tolerance: Double = 1e-10
    /// Cap on Lanczos restarts (each costs `subspace − count` products).
    public var maxRestarts: Int = 300
    /// Lanczos basis size; `nil`: `max(2·count + 1, 20)` for the largest end and `max(3·count, 40)` for the
    /// smallest, at most `QN`.
    public var subspace: Int? = nil
    /// Largest order `QN` at which the smallest end forms `G` (`NTKOperator.formedGram`, else from `QN` products
    /// with the columns of `I`, in blocks) and takes its lowest eigenpairs from LAPACK instead of Lanczos; `0`:
    /// never. Near 0 the spectrum of an NTK is clustered or repeated (duplicate or zero inputs, `QN > K`, a
    /// smooth kernel's geometric decay), where a Krylov method converges slowly, not at all, or to one copy of a
    /// repeated eigenvalue. At this order (512 MiB for `G`) the dense answer is exact and takes seconds on 2
    /// cores (measured: 8.9 s at `QN = 8,000` on 16-256-256-10, where Lanczos stopped unconverged after 70 s;
    /// `NTKSpectrumDense.smallestPairs`). When `QN > K` the dense route decomposes the `QN × K` Jacobian instead.
    public var denseLimit: Int = 8192
    /// How the deflated restarts at the largest end decide that no eigenvalue was missed (see
    /// `LargestEndProbe`).
    public var probe: LargestEndProbe = .steps
    /// The arithmetic of the Lanczos products (`.single`: largest end only, `tolerance ≥
    /// NTKProductPrecision.minimumTolerance`, the pairs then refined and checked in double).
    public var precision: NTKProductPrecision = .double

    /// Options for `count` eigenpairs at end `which`, other settings at their defaults.
    public init(count: Int, which: SpectrumEnd) {
        self.count = count
        self.which = which
    }

    /// The basis size used for an operator of order `n`.
    public func subspaceSize(order n: Int) -> Int {
        let d = subspace ?? (which == .largest ? Swift.max(2 * count + 1, 20) : Swift.max(3 * count, 40))
        return Swift.min(d, n)
    }
}

/// How the largest end's deflated restarts test `PGP` (`G` deflated off the `K` pairs found) for an eigenvalue
/// above `λ_K`, which is a copy of a repeated eigenvalue that single-vector Lanczos missed.
public enum LargestEndProbe: String, CaseIterable, Sendable {
    /// 12 Lanczos steps from a random start: a Ritz value above `λ_K` proves a missed eigenvalue, which is then
    /// converged; otherwise the restarts end. +12 products. Finds a missed copy well above `λ_K` (every repeated
    /// top eigenvalue of the linear models checked), not one only just above `λ_K` with a cluster right below it.
    case steps
    /// The same steps, then, when they found nothing, the top eigenpair of `PGP` converged to the tolerance and
    /// compared with `λ_K`: finds a missed copy however close it is to `λ_K`, at the cost of that solve (51–90
    /// products on 16-512-512-10, N = 5,000, top 8, where `steps` costs 12).
    case converged
}

/// How `ntkSpectrum` found the eigenpairs.
public enum NTKSpectrumMethod: String, Sendable {
    /// Implicitly restarted Lanczos (ARPACK-ng) on the operator, with LSMR null vectors when `QN > K` at the
    /// smallest end; `G` is never formed.
    case lanczos
    /// `G` formed (by the layer-factored formula, or from `QN` products) and its lowest pairs taken from LAPACK
    /// (the smallest end, `QN ≤ denseLimit`).
    case dense
}

/// Which dense eigensolver answered on the dense route (`NTKSpectrum.denseSolver`).
public enum NTKSpectrumDenseSolver: String, CaseIterable, Sendable {
    /// Restarted block Krylov on the Cholesky factor of `G + 1e-10·λ_max·I`, Rayleigh–Ritz with `G`
    /// (`QN ≥ 512`, `count ≤ 32`; residuals to `max(1e-13, QN·ε/10)·λ_max`).
    case choleskyBlockKrylov = "cholesky-block-krylov"
    /// LAPACK's tridiagonalisation, bisection and inverse iteration for the wanted pairs (residuals `≈ ε·λ_max`).
    case tridiagonal
    /// The thin SVD of the `QN × K` Jacobian (`QN > K`, one process).
    case jacobianSVD = "jacobian-svd"
}

/// Eigenpairs of an NTK computed without forming it (`ntkSpectrum`).
public struct NTKSpectrum: Sendable {
    /// Eigenvalues: descending for `.largest`, ascending for `.smallest` (only the converged ones).
    public let values: [Double]
    /// Orthonormal eigenvectors as columns (`QN × values.count`), rows sample-major (`i·Q + q`).
    public let vectors: Matrix
    /// `‖G v_k − λ_k v_k‖₂` of each returned pair, recomputed with the operator after the solve.
    public let residuals: [Double]
    /// Whether all requested pairs converged.
    public let converged: Bool
    /// Pairs requested.
    public let requested: Int
    /// Products `G v` in the eigensolve (the residual check and the `λ_max` estimate not included; on the dense
    /// route `QN` when `G` was formed from products, 0 when by the operator's formula).
    public let products: Int
    /// Products spent estimating `λ_max` for the shift (0 for `.largest`).
    public let shiftProducts: Int
    /// Lanczos restarts.
    public let restarts: Int
    /// The shift `σ` of `σI − G` for `.smallest` (an estimate of `λ_max`), `nil` for `.largest`.
    public let shift: Double?
    /// The scale residuals are judged against: `λ₁` (largest end), `σ` (smallest end by Lanczos) or `λ_max`
    /// (smallest end, dense).
    public let referenceEigenvalue: Double
    /// Lanczos or the dense route.
    public let method: NTKSpectrumMethod
    /// Deflated restarts run at the smallest end after Lanczos converged (each a one-pair Lanczos solve on
    /// `P(σI − G)P` from a new random start, `P` the projector off the pairs found), and how many of them found
    /// an eigenvalue the first solve had missed (a further copy of a repeated one), which then replaced the
    /// largest pair returned. Their products are included in `products`.
    public let probes: Int
    /// Missed eigenvalues the probes found (see `probes`).
    public let missedFound: Int
    /// The dense route's eigensolver; `nil` for Lanczos.
    public var denseSolver: NTKSpectrumDenseSolver? = nil
    /// The arithmetic of the Lanczos products (the residuals are always recomputed in double).
    public var precision: NTKProductPrecision = .double
}

/// The `count` largest or smallest eigenpairs of the NTK operator `G = D Dᵀ` (symmetric positive semidefinite)
/// by implicitly restarted Lanczos (ARPACK-ng), never forming `G`.
///
/// Largest end: Lanczos on `G` (`'LA'`), ARPACK's test `‖Gv − λv‖ ≤ tol·λ`. Smallest end: Krylov spaces do not
/// change under a shift, but ARPACK's test is relative to the Ritz value, which for eigenvalues near 0 asks for
/// residuals below rounding; so Lanczos runs on `B = σI − G` (`'LA'`) with `σ` an estimate of `λ_max(G)` from a
/// short Lanczos run (tolerance 1e-6), `λ = σ − μ`, and the test becomes `‖Gv − λv‖ ≤ tol·(σ − λ) ≤ tol·σ`:
/// residuals relative to the top of the spectrum, the scale at which the eigenvalues are determined by the data.
/// When `QN > K`, `G` has rank `≤ K` and `0` is an eigenvalue of multiplicity `≥ QN − K`, which a Krylov space
/// cannot resolve (it holds one vector per distinct eigenvalue, and Lanczos then returns nonzero eigenvalues
/// with small residuals in place of the missing copies of 0): the first `min(count, QN − K)` pairs are then
/// null vectors from `NTKNullSpace` (least-squares residuals `z − DD⁺z` of random `z`, by LSMR), and Lanczos
/// runs on `P(σI − G)P` with `P` the projector off them for the rest. Other repeated eigenvalues
/// (duplicate or zero inputs at the smallest end; a linear model's `Q`-fold ones at either) are caught by
/// deflated restarts (`NTKSpectrum.probes`): a one-pair Lanczos solve off the pairs found, from a new start; an
/// eigenvalue it finds beyond the last one returned replaces it, and the probe is repeated (at most `count + 4`
/// times, else the run is reported unconverged). At the smallest end
/// with `QN ≤ options.denseLimit`, `G` is formed from `QN` products and decomposed by LAPACK instead.
/// Residuals are recomputed afterwards with the operator and returned, whatever ARPACK reported.
/// With `options.precision == .single` (largest end) the Lanczos products, the deflated restarts' included, run in
/// single precision (`NTKOperator.singlePrecision`), and the pairs are refined by one Rayleigh–Ritz step with
/// double products and accepted only when their double residuals pass the tolerance (`NTKSinglePrecisionCheck`).
///
/// - Throws: `.invalidArgument` for a count out of range, and for single precision at the smallest end, below
///   `NTKProductPrecision.minimumTolerance` or on an operator without it; operator and ARPACK errors. Not
///   converging is not an error: `converged` is false and the pairs that met the tolerance are returned.
public func ntkSpectrum(_ op: any NTKOperator, options: NTKSpectrumOptions) throws -> NTKSpectrum {
    let n = op.order, k = options.count
    guard k >= 1, k < n else {
        throw TangentFlowError.invalidArgument(operation: "ntkSpectrum", reason: "count must be in 1…\(n - 1) for QN = \(n) (got \(k))")
    }
    // The operator the Lanczos iterations apply: `op` itself, or its single-precision form.
    let lop: any NTKOperator
    switch options.precision {
    case .double:
        lop = op
    case .single:
        guard options.which == .largest else {
            throw TangentFlowError.invalidArgument(
                operation: "ntkSpectrum", reason: "single-precision products serve the largest end only: the smallest eigenvalues lie "
                    + "below their resolution (about 1e-7·λ_max)")
        }
        guard options.tolerance >= NTKProductPrecision.minimumTolerance else {
            throw TangentFlowError.invalidArgument(
                operation: "ntkSpectrum", reason: "tolerance \(options.tolerance) is below what single-precision products resolve "
                    + "(≥ \(NTKProductPrecision.minimumTolerance))")
        }
        guard let single = try op.singlePrecision() else {
            throw TangentFlowError.invalidArgument(operation: "ntkSpectrum", reason: "this operator has no single-precision products")
        }
        lop = single
    }
    if options.which == .smallest, n <= options.denseLimit {
        return try denseNTKSpectrum(op, count: k)
    }
    let ncv = options.subspaceSize(order: n)
    guard ncv > k else {
        throw TangentFlowError.invalidArgument(operation: "ntkSpectrum", reason: "subspace \(ncv) must exceed count \(k) (and be ≤ QN = \(n))")
    }
    let plain: (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) throws -> Void = { x, y in
        try lop.apply(x, columns: 1, into: y)
    }
    var shift: Double? = nil
    var shiftProducts = 0
    let result: LanczosResult
    var nullPart: NTKNullSpace.Result? = nil
    switch options.which {
    case .largest:
        result = try MatrixFreeEigensolver.lanczos(
            order: n, count: k, subspace: ncv, largest: true, tolerance: options.tolerance, maxRestarts: options.maxRestarts,
            apply: plain)
    case .smallest:
        let top = try MatrixFreeEigensolver.lanczos(
            order: n, count: 1, subspace: Swift.min(n, 20), largest: true, tolerance: 1e-6, maxRestarts: options.maxRestarts,
            apply: plain)
        shiftProducts = top.products
        guard let lmax = top.values.last else {
            throw TangentFlowError.didNotConverge(operation: "ntkSpectrum: estimate of λ_max for the shift", iterations: top.restarts,
                                                  residual: .nan, tolerance: 1e-6)
        }
        // σ slightly above the estimate (whose error is ≤ 1e-6·λ_max): B = σI − G is then positive semidefinite.
        let sigma = lmax * (1 + 1e-5)
        shift = sigma
        var z = [Double]()  // null vectors found, column-major QN × zc
        var zc = 0
        if n > op.parameterCount {
            let ns = try NTKNullSpace.vectors(
                op, count: Swift.min(k, n - op.parameterCount), tolerance: options.tolerance, scale: sigma,
                maxIterations: options.maxRestarts * Swift.max(ncv - k, 1))
            nullPart = ns
            z = ns.vectors.elements
            zc = ns.vectors.cols
        }
        let rest = k - zc
        if rest == 0 || (nullPart?.unconverged ?? 0) > 0 || rest >= ncv {
            result = LanczosResult(values: [], vectors: Matrix(uncheckedRows: n, cols: 0, elements: []), requested: rest,
                                   products: 0, restarts: 0, arpackInfo: 0)
        } else {
            result = try MatrixFreeEigensolver.lanczos(
                order: n, count: rest, subspace: ncv, largest: true, tolerance: options.tolerance, maxRestarts: options.maxRestarts,
                apply: DeflationSpace.single(op).deflated(sigma: sigma, deflating: z))
        }
    }
    // ARPACK returns ascending Ritz values of the operator it saw: reorder to the requested end first.
    let lanczosCount = result.values.count
    let order: [Int] = Array((0..<lanczosCount).reversed())  // largest μ first: largest λ (plain) or smallest λ = σ − μ (shifted)
    var values = order.map { j in shift.map { s in s - result.values[j] } ?? result.values[j] }
    var vec = [Double](repeating: 0, count: n * lanczosCount)
    for (j, src) in order.enumerated() {
        for i in 0..<n { vec[j * n + i] = result.vectors.elements[src * n + i] }
    }
    if let np = nullPart {  // the null vectors come first (ascending)
        values = np.values + values
        vec = np.vectors.elements + vec
    }
    var converged = values.count >= k && result.converged
    var products = result.products + (nullPart?.products ?? 0)
    var probes = 0, missed = 0
    if let r = try NTKDeflatedRestarts.afterLanczos(
        .single(lop), options: options, shift: shift, converged: converged, restarts: result.restarts, values: &values, vectors: &vec)
    {
        (probes, missed, converged) = (r.probes, r.missed, r.complete)
        products += r.products
    }
    let residuals: [Double]
    if options.precision == .single {
        let checked = try NTKSinglePrecisionCheck.refine(op, values: values, vectors: vec, tolerance: options.tolerance)
        (values, vec, residuals) = (checked.values, checked.vectors, checked.residuals)
        converged = converged && checked.allAccepted
    } else {
        residuals = try ntkResiduals(op, values: values, vectors: Matrix(uncheckedRows: n, cols: values.count, elements: vec))
    }
    let vectors = Matrix(uncheckedRows: n, cols: values.count, elements: vec)
    let reference = shift ?? (values.first.map { abs($0) } ?? 0)  // the first value may have changed in the probes
    var spectrum = NTKSpectrum(
        values: values, vectors: vectors, residuals: residuals, converged: converged, requested: k,
        products: products, shiftProducts: shiftProducts, restarts: result.restarts, shift: shift,
        referenceEigenvalue: reference, method: .lanczos, probes: probes, missedFound: missed)
    spectrum.precision = options.precision
    return spectrum
}

/// `‖G v_j − λ_j v_j‖₂` of each pair, from one block product.
private func ntkResiduals(_ op: any NTKOperator, values: [Double], vectors: Matrix) throws -> [Double] {
    guard !values.isEmpty else { return [] }
    return ntkSquaredResiduals(try op.apply(vectors), values: values, vectors: vectors).map { $0.squareRoot() }
}

/// `Σ_i (G v_j − λ_j v_j)_i²` of each pair over the rows held (`gv` and `vectors` with the same rows, one column
/// per value): the squared residuals on one process, a rank's share of them in `tangentflow-mpi`.
package func ntkSquaredResiduals(_ gv: Matrix, values: [Double], vectors: Matrix) -> [Double] {
    let m = vectors.rows
    return values.indices.map { j in
        var s = 0.0
        for i in 0..<m {
            let r = gv.elements[j * m + i] - values[j] * vectors.elements[j * m + i]
            s += r * r
        }
        return s
    }
}

/// The dense route of `ntkSpectrum` (smallest end, `QN ≤ denseLimit`). With `QN > K`: the thin SVD of the Jacobian
/// `D` (`NTKSpectrumDense.jacobianPairs`, `O(QN·K²)`). Otherwise `G` by the operator's own formula (`formedGram`:
/// the layer-factored NTK (3.15) of 2408.01517 for an MLP) or else from `QN` products with blocks of the
/// identity's columns, symmetrised, and its lowest pairs from LAPACK (`NTKSpectrumDense.smallestPairs`).
/// Residuals recomputed with the operator, judged against `λ_max`.
private func denseNTKSpectrum(_ op: any NTKOperator, count k: Int) throws -> NTKSpectrum {
    let n = op.order
    let values: [Double], vectors: Matrix, lmax: Double, solver: NTKSpectrumDenseSolver
    var products = 0
    if n > op.parameterCount {
        try MemoryBudget.require(doubles: NTKSpectrumDense.jacobianPeakDoubles(order: n, count: k, parameters: op.parameterCount) ?? Int.max,
                                 operation: "ntkSpectrum: the \(n)×\(op.parameterCount) Jacobian of the dense route")
        (values, vectors, lmax) = try NTKSpectrumDense.jacobianPairs(op, count: k, operation: "ntkSpectrum")
        solver = .jacobianSVD
    } else {
        try MemoryBudget.require(doubles: NTKSpectrumDense.peakDoubles(order: n, count: k) ?? Int.max,
                                 operation: "ntkSpectrum: the \(n)×\(n) NTK of the dense route")
        var g: [Double]
        if let formed = try op.formedGram() {
            g = formed.elements
        } else {
            g = try NTKSpectrumDense.rows(order: n, rows: n, firstRow: 0) { x, b, y in try op.apply(x, columns: b, into: y) }
            products = n
        }
        (values, vectors, lmax, solver) = try NTKSpectrumDense.smallestPairs(destroying: &g, order: n, count: k, operation: "ntkSpectrum")
    }
    let residuals = try ntkResiduals(op, values: values, vectors: vectors)
    return NTKSpectrum(
        values: values, vectors: vectors, residuals: residuals, converged: true, requested: k, products: products, shiftProducts: 0,
        restarts: 0, shift: nil, referenceEigenvalue: lmax, method: .dense, probes: 0, missedFound: 0, denseSolver: solver)
}
