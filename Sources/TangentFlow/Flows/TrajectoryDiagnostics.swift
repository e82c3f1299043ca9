import Foundation

/// Quantities recorded along a gradient flow of a `TrainingProblem` (issue #12; MATH.md §3), one row per saved
/// state. Computed after the solve from the saved parameters, so they never perturb the integration.
public struct TrajectoryPoint: Sendable {
    /// Flow time `s`.
    public var s: Double
    /// Reparametrised time `t(s)` (squared losses; `nil` for cross-entropy). For the prescribed path (3.5) the
    /// flow time is already the path parameter, so `t = s` whatever the loss.
    public var t: Double?
    /// `C(x(θ(s)))`.
    public var loss: Double
    /// `|x(θ(s)) − ((1−t)x₀ + t y)| / |x₀ − y|`: deviation from linear interpolation (Prop. 2.4); for the
    /// prescribed path, the deviation from `x(s) = x₀ + s(y − x₀)` (3.5).
    public var deviation: Double?
    /// Deviation predicted by Prop. 2.5 (corrected, MATH.md §3) from the projectors along the run, relative to `|x₀ − y|`.
    public var predictedDeviation: Double?
    /// `|δ_simulated − δ_predicted| / |x₀ − y|`.
    public var predictionError: Double?
    /// Prop. 2.5 deviation integrated with `θ` (`IntegratedRankLossPrediction`, `P_t` at every stage), relative
    /// to `|x₀ − y|`; `nil` unless that augmented solve produced the run.
    public var integratedPredictedDeviation: Double? = nil
    /// `|δ_simulated − δ_integrated| / |x₀ − y|`.
    public var integratedPredictionError: Double? = nil
    /// Smallest kept and largest singular value of `D`: square roots of the NTK's eigenvalues on the Gram route,
    /// the singular values of the materialised `D` on the SVD route; NaN when the spectrum was skipped
    /// (matrix-free runs, see `TrajectoryDiagnostics.compute`).
    public var sigmaMin: Double, sigmaMax: Double
    /// Numerical rank of `D` (MATH.md §2): NTK eigenvalues above `max((max(QN,K)·ε·σ_max)², QN·ε·λ_max)` on the
    /// Gram route, which cannot resolve singular values below `√(QN·ε)·σ_max`; singular values of `D` above
    /// `max(QN,K)·ε·σ_max` on the SVD route; `nil` when the spectrum was skipped.
    public var rank: Int?
    /// Cost split of (3.11): within-class deviations and class means (squared losses; classes = equal targets).
    public var collapseWithin: Double?, collapseMeans: Double?
    /// Cross-entropy: `max_i |u_Q·f(x_i)(s) − u_Q·f(x_i)(0)|` (invariant under the full-rank adapted flow).
    public var logitSumDrift: Double?
    /// Cross-entropy with all label components > 0: `|x − f*| / |f*|`, `f*` the explicit minimiser.
    public var distanceToMinimiser: Double?
    /// Prescribed path: `|P_ran(D)^⊥(y − x₀)|` (3.7).
    public var feasibilityResidual: Double?
    /// All NTK eigenvalues, descending (for spectrum plots).
    public var spectrum: [Double]
}

/// Computes `TrajectoryPoint`s for a solution of a flow on `problem`.
public enum TrajectoryDiagnostics {
    /// - Parameters:
    ///   - problem: the training problem the flow ran on.
    ///   - solution: saved states (`θ`) and times (`s`); the first saved state is taken as the start `x₀`.
    ///   - field: the field that produced the solution: an `AdaptedFlow` adds the Prop. 2.5 prediction (which
    ///     holds for the adapted flow only), a `PrescribedPathFlow` its feasibility residual and the clock
    ///     `t = s`. A field on the `.svd` route has its rank, `σ_min` and projectors taken from the SVD of `D`.
    ///   - spectrum: whether to form the NTK `G` (`8(QN)²` bytes) at each saved point for the rank, `σ_min`,
    ///     `σ_max`, the spectrum and the Prop. 2.5 prediction (which needs `G`'s eigenvectors). `nil`: unless
    ///     the field runs on `PseudoinverseRoute.matrixFree`. Skipped, those are NaN / `nil` / empty.
    /// - Throws: what the kernels throw.
    public static func compute(_ problem: TrainingProblem, _ solution: FlowSolution, field: (any ParameterFlow)? = nil,
                               spectrum: Bool? = nil) throws -> [TrajectoryPoint]
    {
        let prescribed = field as? PrescribedPathFlow
        let route = routeOf(field)
        var withSpectrum = true, useSVD = false
        if case .matrixFree = route { withSpectrum = false }
        if case .svd = route { useSVD = true }
        withSpectrum = spectrum ?? withSpectrum
        let predict = field is AdaptedFlow && withSpectrum
        guard let theta0 = solution.states.first else { return [] }
        let q = problem.model.outputDimension, n = problem.samples, qn = problem.outputCount
        let y = problem.targetVector
        let x0 = try problem.outputs(theta0)
        let c = (0..<qn).map { x0[$0] - y[$0] }  // x₀ − y
        let cNorm = norm2(c)
        let classes = classIndices(y, q: q, n: n)
        var sums0: [Double] = []
        if problem.loss == .crossEntropy { sums0 = (0..<n).map { i in (0..<q).reduce(0) { $0 + x0[i * q + $1] } } }
        let minimiser = problem.loss == .crossEntropy ? explicitMinimiser(x0, y, q: q, n: n) : nil
        var delta = [Double](repeating: 0, count: qn)  // predicted δ(t)
        var previous: (t: Double, vr: Matrix)? = nil
        var points: [TrajectoryPoint] = []
        for (s, theta) in zip(solution.times, solution.states) {
            let x = try problem.outputs(theta)
            let clock = prescribed != nil ? s : problem.loss.reparametrizedTime(s, samples: n)
            var p = TrajectoryPoint(
                s: s, t: clock, loss: problem.loss.value(outputs: x, targets: y, outputDimension: q),
                sigmaMin: .nan, sigmaMax: .nan, rank: nil, spectrum: [])
            // Orthonormal basis of ran(D): kept eigenvectors of G, or on the SVD route the leading left singular
            // vectors of D, whose rank is decided from σ(D) itself.
            var vr = Matrix(zerosRows: qn, cols: 0)
            if withSpectrum {
                let eig = try problem.backend.kernels.symmetricEigen(problem.ntk(theta))
                let lmax = Swift.max(eig.values.last ?? 0, 0)
                let k = problem.model.parameterCount
                let tolD = RankTolerance.default.threshold(rows: qn, cols: k, sigmaMax: lmax.squareRoot())
                let cut = Swift.max(tolD * tolD, Double(qn) * Double.ulpOfOne * lmax)
                let kept = eig.values.filter { $0 > cut }
                p.sigmaMin = (kept.first ?? 0).squareRoot()
                p.sigmaMax = lmax.squareRoot()
                p.rank = kept.count
                p.spectrum = eig.values.reversed().map { Swift.max($0, 0) }
                if useSVD {
                    let pinv = try Pseudoinverse(of: problem.jacobian(theta), backend: problem.backend)
                    let sv = pinv.svd.singularValues
                    p.rank = pinv.rank
                    p.sigmaMax = sv.first ?? 0
                    p.sigmaMin = pinv.rank > 0 ? sv[pinv.rank - 1] : 0
                    vr = Matrix(zerosRows: qn, cols: pinv.rank)
                    for j in 0..<pinv.rank { for i in 0..<qn { vr.elements[i + j * qn] = pinv.svd.u.elements[i + j * qn] } }
                } else {
                    let keptIdx = (0..<qn).filter { eig.values[$0] > cut }
                    vr = Matrix(zerosRows: qn, cols: keptIdx.count)
                    for (col, j) in keptIdx.enumerated() { for i in 0..<qn { vr.elements[i + col * qn] = eig.vectors.elements[i + j * qn] } }
                }
            }
            if let t = p.t, cNorm > 0 {
                let sim = (0..<qn).map { x[$0] - ((1 - t) * x0[$0] + t * y[$0]) }
                p.deviation = norm2(sim) / cNorm
                // Prop. 2.5 (corrected): δ' = −P_t δ/(1−t) + P_t^⊥(x₀ − y), propagated exactly with P held at the
                // left end of each interval between saved points.
                if !predict {
                    // no prediction for other fields
                } else if let prev = previous {
                    let pd = project(prev.vr, delta), pc = project(prev.vr, c)
                    let shrink = (1 - t) / (1 - prev.t)
                    delta = (0..<qn).map { pd[$0] * shrink + (delta[$0] - pd[$0]) + (t - prev.t) * (c[$0] - pc[$0]) }
                }
                if predict {
                    p.predictedDeviation = norm2(delta) / cNorm
                    p.predictionError = norm2((0..<qn).map { sim[$0] - delta[$0] }) / cNorm
                }
                if predict { previous = (t, vr) }
            }
            if problem.loss != .crossEntropy, let classes {
                let (within, means) = collapseSplit(x, y, classes: classes, q: q, n: n)
                let scale = problem.loss == .squared ? 1 / (2 * Double(n)) : 1 / Double(n)
                p.collapseWithin = within * scale
                p.collapseMeans = means * scale
            }
            if problem.loss == .crossEntropy {
                p.logitSumDrift = (0..<n).map { i in Swift.abs((0..<q).reduce(0) { $0 + x[i * q + $1] } - sums0[i]) }.max()
                if let f = minimiser { p.distanceToMinimiser = norm2((0..<qn).map { x[$0] - f[$0] }) / Swift.max(norm2(f), 1e-300) }
            }
            if let prescribed { p.feasibilityResidual = try prescribed.feasibilityResidual(theta) }
            points.append(p)
        }
        return points
    }

    /// The pseudoinverse route of a field, if it has one.
    static func routeOf(_ field: (any ParameterFlow)?) -> PseudoinverseRoute? {
        switch field {
        case let f as AdaptedFlow: return f.route
        case let f as PrescribedPathFlow: return f.route
        case let f as InterpolatedFlow: return f.route
        default: return nil
        }
    }

    /// `V_r V_rᵀ v`.
    static func project(_ vr: Matrix, _ v: [Double]) -> [Double] {
        if vr.cols == 0 { return [Double](repeating: 0, count: v.count) }
        var coef = [Double](repeating: 0, count: vr.cols)
        for j in 0..<vr.cols { var s = 0.0; for i in 0..<vr.rows { s += vr.elements[i + j * vr.rows] * v[i] }; coef[j] = s }
        var out = [Double](repeating: 0, count: v.count)
        for j in 0..<vr.cols { let cj = coef[j]; for i in 0..<vr.rows { out[i] += vr.elements[i + j * vr.rows] * cj } }
        return out
    }

    /// Groups samples with identical target rows (classes of (3.8)); `nil` if every sample is its own class.
    static func classIndices(_ y: [Double], q: Int, n: Int) -> [[Int]]? {
        var groups: [[Double]: [Int]] = [:]
        var order: [[Double]] = []
        for i in 0..<n {
            let key = Array(y[(i * q)..<((i + 1) * q)])
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(i)
        }
        return order.count < n ? order.map { groups[$0]! } : nil
    }

    /// `(Σ_j Σ_i |x_i − x̄_j|², Σ_j N_j |x̄_j − y_j|²)` — the two sums of the exact identity (3.11) (MATH.md §3).
    static func collapseSplit(_ x: [Double], _ y: [Double], classes: [[Int]], q: Int, n: Int) -> (Double, Double) {
        var within = 0.0, means = 0.0
        for members in classes {
            var mean = [Double](repeating: 0, count: q)
            for i in members { for k in 0..<q { mean[k] += x[i * q + k] / Double(members.count) } }
            for i in members { for k in 0..<q { within += (x[i * q + k] - mean[k]) * (x[i * q + k] - mean[k]) } }
            let yj = members[0]
            for k in 0..<q { means += Double(members.count) * (mean[k] - y[yj * q + k]) * (mean[k] - y[yj * q + k]) }
        }
        return (within, means)
    }

    /// `f*_{i,j} = log y_{ij} + (1/Q)Σ_k (f₀(x_i)_k − log y_{ik})` when every label component is > 0 (file 000,
    /// Mechanism 3, as checked in MATH.md §3), else `nil`.
    static func explicitMinimiser(_ x0: [Double], _ y: [Double], q: Int, n: Int) -> [Double]? {
        guard y.allSatisfy({ $0 > 0 }) else { return nil }
        var f = [Double](repeating: 0, count: x0.count)
        for i in 0..<n {
            var shift = 0.0
            for k in 0..<q { shift += (x0[i * q + k] - log(y[i * q + k])) / Double(q) }
            for k in 0..<q { f[i * q + k] = log(y[i * q + k]) + shift }
        }
        return f
    }
}
