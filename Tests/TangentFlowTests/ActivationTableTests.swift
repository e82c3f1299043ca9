import CKernels
import Testing

@testable import TangentFlow

/// The one table from `Activation` to the C ABI (`Kernels/Activation+CKernels.swift`) against the header's count
/// `CK_ACTIVATION_COUNT`, the C range check that uses it (`ck_mlp_check`), and the C forward pass of every case
/// against the pure-Swift one (so a wrong code shows as a wrong σ, not only as a wrong number in a table).
@Suite struct ActivationTableTests {
    @Test func codesAreDistinctAndCoverTheCRange() {
        let codes = Activation.allCases.map(\.cCode)
        #expect(Set(codes).count == Activation.allCases.count, "two activations share a C code: \(codes)")
        #expect(Int(Activation.cCodeCount) == Activation.allCases.count, "CK_ACTIVATION_COUNT \(Activation.cCodeCount) vs \(Activation.allCases.count) cases")
        #expect(Set(codes) == Set(0..<Activation.cCodeCount), "codes \(codes) are not 0..<CK_ACTIVATION_COUNT")
    }

    /// `ck_mlp_parameter_count` is 0 exactly for a description `ck_mlp_check` rejects: every code in
    /// `0..<CK_ACTIVATION_COUNT` is accepted, `-1` and the count itself are not.
    @Test func theCRangeCheckUsesTheCount() {
        let widths = [3, 4, 2]
        func parameterCount(_ code: Int32) -> Int {
            widths.withUnsafeBufferPointer { pw in
                var net = ck_mlp(widths: pw.baseAddress, nlayers: 2, activation: code, wscale: nil, bscale: nil)
                return ck_mlp_parameter_count(&net)
            }
        }
        for a in Activation.allCases { #expect(parameterCount(a.cCode) == 4 * 4 + 2 * 5, "\(a)") }
        #expect(parameterCount(-1) == 0)
        #expect(parameterCount(Int32(CK_ACTIVATION_COUNT)) == 0)
    }

    @Test(arguments: Activation.allCases)
    func cForwardMatchesSwiftForEveryActivation(_ act: Activation) throws {
        let (net, theta, x) = Fixtures.smallMLP(activation: act, parametrization: .ntk(weightStd: 1.2, biasStd: 0.5))
        let c = try CBackend().mlpForward(net, theta: theta, inputs: x)
        let s = try SwiftBackend().mlpForward(net, theta: theta, inputs: x)
        #expect(relativeError(c, s) <= Tolerance.backendAgreement, "\(act): C \(c.elements) vs Swift \(s.elements)")
    }
}
