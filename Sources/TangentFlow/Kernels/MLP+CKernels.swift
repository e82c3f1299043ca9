package import CKernels

// The one place where an `MLP` becomes the C layer's `ck_mlp` (widths, activation code, forward scales): used by
// `CBackend`, the recorded pass, and — through `package` access — by `TangentFlowDistributed`, so the distributed
// NTK hands ScaLAPACK's ranks exactly the description the single-machine kernels see.

extension MLP {
    /// Calls `body` with the C description of this network (MATH.md §1: `z^ℓ = a_ℓ W^ℓ h^{ℓ−1} + c_ℓ b^ℓ`, widths
    /// `M_0…M_L`, the activation's `CK_ACT_*` code from `Activation.cCode`, scales `a_ℓ`, `c_ℓ`). The pointer and
    /// the arrays it refers to are valid only inside `body`.
    package func withCDescription<R>(_ body: (UnsafePointer<ck_mlp>) throws -> R) rethrows -> R {
        let widths = self.widths.map { Int($0) }
        let ws = weightScales, bs = biasScales
        return try widths.withUnsafeBufferPointer { pw in
            try ws.withUnsafeBufferPointer { pws in
                try bs.withUnsafeBufferPointer { pbs in
                    var net = ck_mlp(
                        widths: pw.baseAddress, nlayers: depth, activation: activation.cCode,
                        wscale: pws.baseAddress, bscale: pbs.baseAddress)
                    return try withUnsafePointer(to: &net) { try body($0) }
                }
            }
        }
    }
}
