import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowIO

/// Both backends against independent reference data from JAX autodiff and neural-tangents 0.6.5
/// (`scripts/make_reference_ntk.py`; `Resources/reference/manifest.json` records the versions and checks).
@Suite struct ReferenceDataTests {
    static let activations: [Activation] = [.tanh, .gelu, .softplus, .relu, .sigmoid, .identity]

    static func load(_ name: String) throws -> Matrix {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "npy", subdirectory: "Resources/reference"))
        return try NpyFile.readMatrix(from: url.path)
    }

    @Test(arguments: KernelBackend.allCases, activations)
    func outputsJacobianAndNTKMatchJAXAndNeuralTangents(_ backend: KernelBackend, _ act: Activation) throws {
        let prefix = "mlp_\(act.rawValue)"
        let net = try MLP(widths: [3, 5, 4, 2], activation: act)
        let theta = try Self.load(prefix + "_theta").elements
        let x = try Self.load(prefix + "_x")
        let out = try Self.load(prefix + "_out"), jac = try Self.load(prefix + "_jac"), ntk = try Self.load(prefix + "_ntk")
        let k = backend.kernels
        let f = try k.mlpForward(net, theta: theta, inputs: x).rowMajorElements
        #expect(relativeError(f, out.elements) <= 1e-13, "\(backend)/\(act) outputs")
        let d = try k.mlpJacobian(net, theta: theta, inputs: x)
        #expect(relativeError(d, jac) <= 1e-12, "\(backend)/\(act) Jacobian")
        for method in NTKMethod.allCases {
            let g = try ntkGram(net, theta: theta, inputs: x, method: method, backend: backend)
            #expect(relativeError(g, ntk) <= 1e-12, "\(backend)/\(act)/\(method) NTK vs neural-tangents")
        }
    }
}
