internal import CKernels

// The one table from `Activation` to the C ABI's activation codes (`CK_ACT_*` in `CKernels/include/ckernels.h`).
// An explicit switch over the header's named constants, never a case position: reordering or inserting a case
// cannot shift a code, and a case without a C code does not compile. `ActivationTableTests` checks that the
// codes are distinct and lie in `0..<CK_ACTIVATION_COUNT`, the range the C layer accepts (`ck_mlp_check`).

extension Activation {
    /// The code of this activation in the C ABI (`ck_mlp.activation`).
    var cCode: Int32 {
        switch self {
        case .identity: Int32(CK_ACT_IDENTITY)
        case .tanh: Int32(CK_ACT_TANH)
        case .softplus: Int32(CK_ACT_SOFTPLUS)
        case .sigmoid: Int32(CK_ACT_SIGMOID)
        case .gelu: Int32(CK_ACT_GELU)
        case .relu: Int32(CK_ACT_RELU)
        }
    }

    /// Number of activation codes the C layer accepts (`CK_ACTIVATION_COUNT`): valid codes are `0..<count`.
    static var cCodeCount: Int32 { Int32(CK_ACTIVATION_COUNT) }
}
