/// Pointwise activation `σ` of the hidden layers of an `MLP` (the last layer has none, MATH.md §1).
///
/// ```
/// identity  σ(z) = z                               σ'(z) = 1
/// tanh      σ(z) = tanh z                          σ'(z) = 1 − tanh² z
/// softplus  σ(z) = log(1 + eᶻ)                     σ'(z) = 1/(1 + e⁻ᶻ)
/// sigmoid   σ(z) = 1/(1 + e⁻ᶻ)                     σ'(z) = σ(z)(1 − σ(z))
/// gelu      σ(z) = ½z(1 + tanh(√(2/π)(z + 0.044715 z³)))   (tanh form)
/// relu      σ(z) = max(0, z)                       σ'(z) = 1[z > 0]   (σ'(0) = 0, file 003 (3.28))
/// ```
/// ReLU is not differentiable at 0 and its derivative is not Lipschitz, so the theorems of 2408.01517 that
/// assume Lipschitz derivatives do not cover it (MATH.md §3, Remark 2.1).
public enum Activation: String, CaseIterable, Sendable {
    case identity, tanh, softplus, sigmoid, gelu, relu
}
// The C code of each case (`CK_ACT_*`) is a table in `Kernels/Activation+CKernels.swift`, not a case position.

