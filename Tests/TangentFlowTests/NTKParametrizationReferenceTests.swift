import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowIO

/// The NTK parametrisation against neural-tangents, which uses it natively (`stax.Dense(parameterization='ntk')`,
/// σ_w = 1.3, σ_b = 0.4; `scripts/make_reference_ntk_param.py`): outputs and the empirical NTK, both backends,
/// both NTK methods.
@Suite struct NTKParametrizationReferenceTests {
    static func load(_ name: String) throws -> Matrix {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "npy", subdirectory: "Resources/reference"))
        return try NpyFile.readMatrix(from: url.path)
    }

    @Test(arguments: KernelBackend.allCases, [Activation.tanh, .relu, .softplus])
    func outputsAndNTKMatchNeuralTangents(_ backend: KernelBackend, _ act: Activation) throws {
        let prefix = "ntkparam_\(act.rawValue)_"
        let net = try MLP(widths: [3, 5, 4, 2], activation: act, parametrization: .ntk(weightStd: 1.3, biasStd: 0.4))
        let theta = try Self.load(prefix + "theta").elements
        let x = try Self.load(prefix + "x"), out = try Self.load(prefix + "out"), ntk = try Self.load(prefix + "ntk")
        #expect(theta.count == net.parameterCount)
        let f = try backend.kernels.mlpForward(net, theta: theta, inputs: x).rowMajorElements
        #expect(relativeError(f, out.elements) <= 1e-13, "\(backend)/\(act) outputs")
        for method in NTKMethod.allCases {
            let g = try ntkGram(net, theta: theta, inputs: x, method: method, backend: backend)
            #expect(relativeError(g, ntk) <= 1e-12, "\(backend)/\(act)/\(method) NTK")
        }
        // The standard parametrisation gives a different kernel on the same θ (a test of the test).
        let standard = try ntkGram(MLP(widths: [3, 5, 4, 2], activation: act), theta: theta, inputs: x, backend: backend)
        #expect(relativeError(standard, ntk) > 1e-2)
    }
}
