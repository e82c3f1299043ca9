import Foundation

/// The training cost `C(x)` as a function of the sample-major output vector `x ∈ R^{QN}` (MATH.md §1, §3).
///
/// ```
/// squared        C = |x − y|²/(2N)      ∇ₓC = (x − y)/N          (2.48; clock t = 1 − e^{−s/N})
/// squaredMean    C = |x − y|²/N         ∇ₓC = 2(x − y)/N         (2.7/2.11; clock t = 1 − e^{−2s/N})
/// crossEntropy   C = (1/N)Σ_i −y_i·log σ(z_i)   ∇ = (1/N)((Σ_q y_iq) σ(z_i) − y_i)   (softmax σ, file 000)
/// ```
/// Under `squared`, Prop. 2.4 reads exactly as printed; under `squaredMean` the clock doubles.
/// Raw values are the command-line spellings (`--loss squared-mean`).
public enum Loss: String, CaseIterable, Sendable {
    /// `|x − y|²/(2N)`, (2.48): the default.
    case squared
    /// `|x − y|²/N`, (2.7).
    case squaredMean = "squared-mean"
    /// Softmax cross-entropy, labels on (or off) the simplex, mean over samples.
    case crossEntropy = "cross-entropy"

    /// `C(x)` for outputs and targets in sample-major order (`N·Q` entries each).
    public func value(outputs x: [Double], targets y: [Double], outputDimension q: Int) -> Double {
        let n = Double(x.count / q)
        switch self {
        case .squared, .squaredMean:
            var s = 0.0
            for k in 0..<x.count { s += (x[k] - y[k]) * (x[k] - y[k]) }
            return self == .squared ? s / (2 * n) : s / n
        case .crossEntropy:
            var s = 0.0
            for i in 0..<(x.count / q) {
                let z = x[(i * q)..<((i + 1) * q)]
                let lse = logSumExp(z)
                for k in 0..<q where y[i * q + k] != 0 { s -= y[i * q + k] * (x[i * q + k] - lse) }
            }
            return s / n
        }
    }

    /// `g = ∇ₓC ∈ R^{QN}`.
    public func gradient(outputs x: [Double], targets y: [Double], outputDimension q: Int) -> [Double] {
        let n = Double(x.count / q)
        switch self {
        case .squared: return (0..<x.count).map { (x[$0] - y[$0]) / n }
        case .squaredMean: return (0..<x.count).map { 2 * (x[$0] - y[$0]) / n }
        case .crossEntropy:
            var g = [Double](repeating: 0, count: x.count)
            for i in 0..<(x.count / q) {
                let z = x[(i * q)..<((i + 1) * q)]
                let lse = logSumExp(z)
                var mass = 0.0
                for k in 0..<q { mass += y[i * q + k] }
                for k in 0..<q { g[i * q + k] = (mass * exp(x[i * q + k] - lse) - y[i * q + k]) / n }
            }
            return g
        }
    }

    /// Reparametrised time `t(s)` under which the full-rank adapted flow is linear interpolation (Prop. 2.4):
    /// `1 − e^{−s/N}` (squared), `1 − e^{−2s/N}` (squaredMean); `nil` for cross-entropy.
    public func reparametrizedTime(_ s: Double, samples n: Int) -> Double? {
        switch self {
        case .squared: return -expm1(-s / Double(n))
        case .squaredMean: return -expm1(-2 * s / Double(n))
        case .crossEntropy: return nil
        }
    }

    /// Inverse clock: the flow time `s` at which `t` is reached (`nil` for cross-entropy or `t ∉ [0, 1)`).
    public func flowTime(reaching t: Double, samples n: Int) -> Double? {
        guard t >= 0, t < 1 else { return nil }
        switch self {
        case .squared: return -Double(n) * log1p(-t)
        case .squaredMean: return -Double(n) * log1p(-t) / 2
        case .crossEntropy: return nil
        }
    }
}

/// `log Σ exp(z_k)`, shifted by the maximum so it neither overflows nor underflows.
func logSumExp<C: Collection>(_ z: C) -> Double where C.Element == Double {
    let m = z.max() ?? 0
    if !m.isFinite { return m }
    var s = 0.0
    for v in z { s += exp(v - m) }
    return m + log(s)
}
