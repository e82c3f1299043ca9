import Foundation

extension Activation {
    /// `(σ(z), σ'(z))` for one pre-activation (the formulas in `Activation`'s documentation).
    @inline(__always)
    func valueAndDerivative(_ z: Double) -> (Double, Double) {
        switch self {
        case .identity:
            return (z, 1)
        case .tanh:
            let t = Foundation.tanh(z)
            return (t, 1 - t * t)
        case .softplus:
            let e = exp(-Swift.abs(z))
            return (Swift.max(z, 0) + log1p(e), z >= 0 ? 1 / (1 + e) : e / (1 + e))
        case .sigmoid:
            let e = exp(-Swift.abs(z))
            let s = z >= 0 ? 1 / (1 + e) : e / (1 + e)
            return (s, s * (1 - s))
        case .gelu:
            let c = (2 / Double.pi).squareRoot()
            let t = Foundation.tanh(c * (z + 0.044715 * z * z * z))
            return (0.5 * z * (1 + t), 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * 0.044715 * z * z))
        case .relu:
            return z > 0 ? (z, 1) : (0, 0)
        }
    }
}
