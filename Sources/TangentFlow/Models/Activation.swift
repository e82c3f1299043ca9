import Foundation

/// Pointwise activation `σ` of the hidden layers of an `MLP` (the last layer has none, MATH.md §1).
///
/// ```
/// identity  σ(z) = z                               σ'(z) = 1
/// tanh      σ(z) = tanh z                          σ'(z) = 1 − tanh² z
/// softplus  σ(z) = log(1 + eᶻ)                     σ'(z) = 1/(1 + e⁻ᶻ)
/// sigmoid   σ(z) = 1/(1 + e⁻ᶻ)                     σ'(z) = σ(z)(1 − σ(z))
/// gelu      σ(z) = ½z(1 + tanh(√(2/π)(z + 0.044715 z³)))   (tanh form)
/// relu      σ(z) = max(0, z)                       σ'(z) = 1[z > 0]   (σ'(0) = 0, as (3.28) of the truncation paper)
/// ```
/// ReLU is not differentiable at 0 and its derivative is not Lipschitz, so the theorems of 2408.01517 that
/// assume Lipschitz derivatives do not cover it (MATH.md §3, Remark 2.1).
public enum Activation: String, CaseIterable, Sendable {
    case identity, tanh, softplus, sigmoid, gelu, relu
}
// The C code of each case (`CK_ACT_*`) is a table in `Kernels/Activation+CKernels.swift`, not a case position.
// A new activation: a case here and its formula below, a row in that table, a CK_ACT_* constant (and the count)
// in CKernels/include/ckernels.h, its formula in CKernels/activation.c (docs/architecture.md).

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
