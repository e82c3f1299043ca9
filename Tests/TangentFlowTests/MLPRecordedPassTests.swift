import Testing

@testable import TangentFlow

/// `Kernels.mlpRecordPass` on both backends against the pure-Swift one-shot kernels on the same inputs: the
/// outputs (`mlpForward`), the NTK (`mlpNTK`), the pullback (`mlpVJP`) and the NTK's Cholesky solve
/// (`choleskySolve`), for every activation; its argument checks; and the not-positive-definite signal.
@Suite struct MLPRecordedPassTests {
    @Test(arguments: KernelBackend.allCases, Activation.allCases)
    func passAgreesWithTheSwiftKernels(_ backend: KernelBackend, _ act: Activation) throws {
        // K = 3·7+7 + 7·5+5 + 5·2+2 = 80 ≫ QN = 8: a positive definite NTK.
        let (net, theta, x) = Fixtures.smallMLP(activation: act, parametrization: .ntk(weightStd: 1.1, biasStd: 0.6))
        let swift = SwiftBackend()
        let pass = try backend.kernels.mlpRecordPass(net, theta: theta, inputs: x)
        let qn = x.rows * net.outputDimension
        #expect(pass.samples == x.rows && pass.outputDimension == net.outputDimension && pass.parameterCount == net.parameterCount)

        let outputs = try swift.mlpForward(net, theta: theta, inputs: x).rowMajorElements
        #expect(relativeError(try pass.outputs(), outputs) <= Tolerance.backendAgreement, "\(backend)/\(act) outputs")

        let gram = try swift.mlpNTK(net, theta: theta, inputs: x, nil)
        #expect(relativeError(try pass.ntk(), gram) <= Tolerance.gram, "\(backend)/\(act) NTK")

        var rng = SeededGenerator(seed: 5)
        let u = (0..<qn).map { _ in rng.nextGaussian() }
        let vjp = try swift.mlpVJP(net, theta: theta, inputs: x, cotangents: Matrix.column(u)).elements
        #expect(relativeError(try pass.pullback(u), vjp) <= Tolerance.backendAgreement, "\(backend)/\(act) pullback")

        for estimate in [false, true] {
            let ref = try swift.choleskySolve(gram, Matrix.column(u), estimateCondition: estimate)
            let got = try #require(try pass.ntkCholeskySolve(u, estimateCondition: estimate), "\(backend)/\(act): NTK not PD")
            // ψ = G⁻¹u: κ(G) amplifies the two backends' rounding differences in G.
            #expect(relativeError(got.solution, ref.solution.elements) <= 1e-8, "\(backend)/\(act) ψ")
            #expect((got.reciprocalCondition == nil) == !estimate)
            if let r = got.reciprocalCondition, let s = ref.reciprocalCondition {
                // dpocon estimates 1/κ₁ within a small factor (Higham's estimator); the Swift path is exact.
                #expect(r > 0 && r <= 10 * s && r >= s / 10, "\(backend)/\(act): 1/κ₁ \(r) vs exact \(s)")
            }
        }
    }

    @Test(arguments: KernelBackend.allCases)
    func passRejectsBadArguments(_ backend: KernelBackend) throws {
        let (net, theta, x) = Fixtures.smallMLP()
        let k = backend.kernels
        #expect(throws: TangentFlowError.self) { try k.mlpRecordPass(net, theta: Array(theta.dropLast()), inputs: x) }
        var bad = theta
        bad[3] = .nan
        #expect(throws: TangentFlowError.self) { try k.mlpRecordPass(net, theta: bad, inputs: x) }
        #expect(throws: TangentFlowError.self) { try k.mlpRecordPass(net, theta: theta, inputs: Fixtures.gaussian(4, 2, seed: 1)) }
        let pass = try k.mlpRecordPass(net, theta: theta, inputs: x)
        let qn = x.rows * net.outputDimension
        #expect(throws: TangentFlowError.self) { try pass.pullback([Double](repeating: 1, count: qn - 1)) }
        #expect(throws: TangentFlowError.self) { try pass.pullback([Double](repeating: .infinity, count: qn)) }
        #expect(throws: TangentFlowError.self) { try pass.ntkCholeskySolve([Double](repeating: 1, count: qn + 1), estimateCondition: true) }
        #expect(throws: TangentFlowError.self) { try pass.ntkCholeskySolve([Double](repeating: .nan, count: qn), estimateCondition: false) }
    }

    /// `f(x) = w·x + b` on five copies of `x = 0`: every row of `D` is `(0, 1)`, so `G` is the all-ones 5×5 matrix
    /// exactly and its second pivot is exactly 0 — both backends report "not positive definite" as `nil`.
    @Test(arguments: KernelBackend.allCases)
    func singularNTKGivesNil(_ backend: KernelBackend) throws {
        let net = try MLP(widths: [1, 1], activation: .identity)
        let x = Matrix(zerosRows: 5, cols: 1)
        let pass = try backend.kernels.mlpRecordPass(net, theta: [0.7, -0.2], inputs: x)
        #expect(try pass.ntk() == (try Matrix(rows: 5, cols: 5, columnMajor: [Double](repeating: 1, count: 25))))
        #expect(try pass.ntkCholeskySolve([1, 2, 3, 4, 5], estimateCondition: true) == nil, "\(backend)")
    }
}
