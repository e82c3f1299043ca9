import Foundation

/// The geometry of the softmax cross-entropy of 2408.01517 (summary, Mechanism 3; MATH.md §3), per sample
/// `ℓ(z) = −y·log σ(z)`, `σ` the softmax, `m = Σ_j y_j` (1 on the simplex):
/// ```
/// ∇ℓ(z)  = mσ(z) − y
/// D²ℓ(z) = m(diag σ − σσᵀ),   D²ℓ u_Q = 0,  u_Q = (1, …, 1)      rank Q − 1 for m > 0
/// ```
/// so `ℓ` is constant along `u_Q` and strictly convex on every hyperplane `H_c = {z : u_Q·z = c}`. Under the
/// full-rank adapted flow `u_Q·f(x_i)` is invariant (`logitSums`); for labels with all `y_j > 0` the flow tends to
/// `f*_j = log y_j + (1/Q)Σ_k(f₀_k − log y_k)` (`explicitMinimiser`), where `ℓ = H(y) = −Σ_j y_j log y_j`, the
/// infimum of `ℓ` (Gibbs) — `labelEntropy`. With `n₊ < Q` positive label components the zero-label logits
/// diverge like `−(n₊/Q) ln s` (`zeroLabelLogitRate`) and the positive ones like `+((Q − n₊)/Q) ln s`.
public enum CrossEntropyGeometry {
    /// `σ(z)`, computed with the shift by `max z`.
    public static func softmax(_ z: [Double]) -> [Double] {
        let lse = logSumExp(z)
        return z.map { exp($0 - lse) }
    }

    /// `D²ℓ(z) = m(diag σ − σσᵀ)` for one sample's logits and labels (`Q×Q`).
    /// - Throws: `.shapeMismatch` unless `z` and `y` have the same length `Q ≥ 1`; `.nonFinite`.
    public static func hessian(logits z: [Double], labels y: [Double]) throws -> Matrix {
        let op = "CrossEntropyGeometry.hessian"
        guard !z.isEmpty, z.count == y.count else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "logits and labels of the same length Q ≥ 1", got: "\(z.count) and \(y.count)")
        }
        try requireFinite(z, op, "logits")
        try requireFinite(y, op, "labels")
        let q = z.count, s = softmax(z), m = y.reduce(0, +)
        var h = Matrix(zerosRows: q, cols: q)
        for j in 0..<q { for i in 0..<q { h.elements[i + j * q] = m * ((i == j ? s[i] : 0) - s[i] * s[j]) } }
        return h
    }

    /// The Hessian of the mean cost `C = (1/N)Σ_i ℓ(x_i)` in sample-major outputs: block diagonal, blocks
    /// `D²ℓ(x_i)/N` (`QN×QN`).
    /// - Throws: `.shapeMismatch` unless both have `N·Q` entries; `.nonFinite`.
    public static func lossHessian(outputs x: [Double], targets y: [Double], outputDimension q: Int) throws -> Matrix {
        let n = try samples(x, y, q, "CrossEntropyGeometry.lossHessian")
        var h = Matrix(zerosRows: n * q, cols: n * q)
        for i in 0..<n {
            let b = try hessian(logits: Array(x[(i * q)..<((i + 1) * q)]), labels: Array(y[(i * q)..<((i + 1) * q)]))
            for c in 0..<q { for r in 0..<q { h.elements[(i * q + r) + (i * q + c) * (n * q)] = b.elements[r + c * q] / Double(n) } }
        }
        return h
    }

    /// `u_Q·f(x_i)` for each sample: the coordinate `c` of the hyperplane `H_c` the sample's logits lie on.
    public static func logitSums(outputs x: [Double], outputDimension q: Int) -> [Double] {
        (0..<(x.count / q)).map { i in (0..<q).reduce(0) { $0 + x[i * q + $1] } }
    }

    /// `(1/N)Σ_i H(y_i)`, `H(y) = −Σ_j y_j log y_j` (`0 log 0 = 0`): the infimum of the mean cross-entropy over
    /// all logits, attained exactly when every label has `y_j > 0` (at `σ(f*) = y`).
    /// - Throws: `.invalidArgument` for a negative label entry or `Q < 1`; `.nonFinite`.
    public static func labelEntropy(targets y: [Double], outputDimension q: Int) throws -> Double {
        let op = "CrossEntropyGeometry.labelEntropy"
        guard q >= 1, y.count % q == 0, !y.isEmpty else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "need N·Q label entries with Q = \(q) ≥ 1, got \(y.count)")
        }
        try requireFinite(y, op, "labels")
        guard y.allSatisfy({ $0 >= 0 }) else { throw TangentFlowError.invalidArgument(operation: op, reason: "labels must be ≥ 0") }
        return y.reduce(0) { $0 - ($1 > 0 ? $1 * log($1) : 0) } / Double(y.count / q)
    }

    /// `f*` for logits starting at `x₀` (sample-major) when every label component is `> 0`; `nil` otherwise.
    public static func explicitMinimiser(start x0: [Double], targets y: [Double], outputDimension q: Int) -> [Double]? {
        guard x0.count == y.count, q >= 1, x0.count % q == 0 else { return nil }
        return TrajectoryDiagnostics.explicitMinimiser(x0, y, q: q, n: x0.count / q)
    }

    /// `−n₊/Q`: the slope in `ln s` of a zero-label logit under `x' = −∇ₓC` (the full-rank adapted flow), for
    /// `n₊` positive label components out of `Q` (MATH.md §3, from the margin's `m' ≈ (Q/(n₊²N))e^{−m}`).
    /// - Throws: `.invalidArgument` unless `1 ≤ n₊ < Q`.
    public static func zeroLabelLogitRate(positiveLabels nPlus: Int, classes q: Int) throws -> Double {
        guard nPlus >= 1, nPlus < q else {
            throw TangentFlowError.invalidArgument(
                operation: "CrossEntropyGeometry.zeroLabelLogitRate", reason: "need 1 ≤ n₊ < Q, got n₊ = \(nPlus), Q = \(q)")
        }
        return -Double(nPlus) / Double(q)
    }

    private static func samples(_ x: [Double], _ y: [Double], _ q: Int, _ op: String) throws -> Int {
        guard q >= 1, x.count == y.count, !x.isEmpty, x.count % q == 0 else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "outputs and targets with the same N·Q entries (Q = \(q))", got: "\(x.count) and \(y.count)")
        }
        return x.count / q
    }
}
