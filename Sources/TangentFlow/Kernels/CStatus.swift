internal import CKernels

// One function maps C status codes to errors (BLIS `frame/base/bli_error.c`: one table).
extension TangentFlowError {
    /// Throws the error for a non-zero `ck_*` status. `routine` names the LAPACK driver for `info > 0`.
    static func check(_ status: Int32, operation: String, routine: String? = nil, positive: ((Int) -> TangentFlowError)? = nil)
        throws
    {
        guard status != 0 else { return }
        if status > 0 {
            if let positive { throw positive(Int(status)) }
            throw TangentFlowError.lapackFailure(routine: routine ?? operation, info: Int(status))
        }
        let text = CKernelStatus.description(status)
        if status == CK_ENOMEM {
            throw TangentFlowError.insufficientMemory(operation: operation, bytesNeeded: -1, bytesAvailable: -1)
        }
        throw TangentFlowError.invalidArgument(operation: operation, reason: "C kernel rejected the call: \(text)")
    }
}

/// The C layer's status codes in words, for targets of this package that wrap their own C over `CKernels`
/// (`TangentFlowDistributed` reports a `CK_E*` status through it): `ck_status_string`, reached only from `Kernels/`.
package enum CKernelStatus {
    /// A static, human-readable description of a `ck_*` status code (never empty for a known code).
    package static func description(_ status: Int32) -> String { String(cString: ck_status_string(status)) }
}
