import Foundation
import Testing

@testable import TangentFlow

/// The matrix-free NTK operator (`CKernels/ntk_operator.c` and its Swift twin) against the dense layer-factored
/// `ntkGram` and the backends' own JVP/VJP kernels, on networks of 1–3 hidden layers, with and without the kept
/// sensitivities, and with more samples than one chunk of the C operator (256): the last shape keeps δ of two
/// layers over two full chunks and a short one (kept δ is stored chunk by chunk).
@Suite struct NTKOperatorTests {
    static let shapes: [([Int], Activation, Int)] = [
        ([3, 6, 2], .tanh, 5), ([3, 7, 5, 2], .gelu, 9), ([4, 6, 5, 7, 3], .softplus, 11), ([2, 5, 4, 3], .relu, 300),
        ([3, 6, 5, 4, 2], .tanh, 600),
    ]

    @Test(arguments: shapes.indices, [false, true])
    func applyEqualsDenseGramTimesBlock(_ s: Int, _ keep: Bool) throws {
        let (widths, act, n) = Self.shapes[s]
        let (net, theta, x) = Fixtures.smallMLP(widths: widths, activation: act, samples: n, seed: 11 + UInt64(s))
        let g = try ntkGram(net, theta: theta, inputs: x)
        let v = Fixtures.gaussian(g.rows, 3, seed: 5)
        let expected = try CBackend().multiply(g, transposeA: false, v, transposeB: false)
        for backend in KernelBackend.allCases {
            let op = try backend.kernels.mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: keep)
            #expect(op.order == g.rows)
            let got = try op.apply(v)
            #expect(relativeError(got, expected) <= 1e-12, "\(backend) widths \(widths) keep \(keep)")
        }
    }

    @Test(arguments: shapes.indices, [false, true])
    func halvesEqualSwiftJVPAndVJP(_ s: Int, _ keep: Bool) throws {
        let (widths, act, n) = Self.shapes[s]
        let (net, theta, x) = Fixtures.smallMLP(widths: widths, activation: act, samples: n, seed: 21 + UInt64(s))
        let op = try CBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: keep)
        let v = Fixtures.gaussian(net.parameterCount, 2, seed: 3), u = Fixtures.gaussian(op.order, 2, seed: 4)
        let sw = SwiftBackend()
        #expect(relativeError(try op.pushforward(v), try sw.mlpJVP(net, theta: theta, inputs: x, directions: v)) <= 1e-12)
        #expect(relativeError(try op.pullback(u), try sw.mlpVJP(net, theta: theta, inputs: x, cotangents: u)) <= 1e-12)
        // Adjointness ⟨Dv, u⟩ = ⟨v, Dᵀu⟩ within the operator itself.
        let dv = try op.pushforward(v), dtu = try op.pullback(u)
        let lhs = zip(dv.elements, u.elements).reduce(0) { $0 + $1.0 * $1.1 }
        let rhs = zip(v.elements, dtu.elements).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(lhs - rhs) <= 1e-12 * max(abs(lhs), 1))
    }

    @Test func crossOperatorEqualsDenseCrossKernel() throws {
        let (net, theta, x1) = Fixtures.smallMLP(widths: [3, 7, 5, 2], samples: 6, seed: 3)
        let x2 = Fixtures.gaussian(4, 3, seed: 9)
        let g12 = try ntkGram(net, theta: theta, inputs: x1, x2)
        for backend in KernelBackend.allCases {
            let k = backend.kernels
            let cross = try NTKCrossOperator(
                left: try k.mlpNTKOperator(net, theta: theta, inputs: x1, keepSensitivities: true),
                right: try k.mlpNTKOperator(net, theta: theta, inputs: x2, keepSensitivities: true))
            let v = Fixtures.gaussian(g12.cols, 2, seed: 1), u = Fixtures.gaussian(g12.rows, 2, seed: 2)
            let c = CBackend()
            #expect(relativeError(try cross.apply(v), try c.multiply(g12, transposeA: false, v, transposeB: false)) <= 1e-12)
            #expect(relativeError(try cross.applyTransposed(u), try c.multiply(g12, transposeA: true, u, transposeB: false)) <= 1e-12)
        }
    }

    @Test func badBlocksAreTypedErrors() throws {
        let (net, theta, x) = Fixtures.smallMLP(samples: 3)
        let op = try CBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: true)
        #expect(throws: TangentFlowError.self) { try op.apply(Matrix(zerosRows: op.order + 1, cols: 1)) }
        #expect(throws: TangentFlowError.self) { try op.pullback(Matrix(zerosRows: op.order, cols: 0)) }
        var bad = Matrix(zerosRows: net.parameterCount, cols: 1)
        bad.elements[2] = .nan
        #expect(throws: TangentFlowError.self) { try op.pushforward(bad) }
        #expect(throws: TangentFlowError.self) {
            try NTKCrossOperator(left: op, right: try CBackend().mlpNTKOperator(
                try MLP(widths: [3, 7, 5, 3], activation: .tanh), theta: [Double](repeating: 0.1, count: 3 * 7 + 7 + 7 * 5 + 5 + 5 * 3 + 3),
                inputs: x, keepSensitivities: false))
        }
    }
}
