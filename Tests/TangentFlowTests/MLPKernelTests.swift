import Testing

@testable import TangentFlow

/// The MLP kernels cross-checked four ways (issue #11): C ⇄ Swift, Jacobian vs central finite differences,
/// JVP/VJP adjointness, structured NTK vs `DDᵀ`.
@Suite struct MLPKernelTests {
    static let activations = Activation.allCases
    static let parametrizations: [MLP.Parametrization] = [.standard, .ntk(weightStd: 1.3, biasStd: 0.4)]

    @Test(arguments: activations)
    func forwardAndJacobianAgreeAcrossBackends(_ act: Activation) throws {
        for p in Self.parametrizations {
            let (net, theta, x) = Fixtures.smallMLP(activation: act, parametrization: p)
            let fc = try CBackend().mlpForward(net, theta: theta, inputs: x)
            let fs = try SwiftBackend().mlpForward(net, theta: theta, inputs: x)
            #expect(relativeError(fc, fs) <= Tolerance.backendAgreement, "forward \(act) \(p)")
            let dc = try CBackend().mlpJacobian(net, theta: theta, inputs: x)
            let ds = try SwiftBackend().mlpJacobian(net, theta: theta, inputs: x)
            #expect(dc.rows == x.rows * net.outputDimension && dc.cols == net.parameterCount)
            #expect(relativeError(dc, ds) <= Tolerance.backendAgreement, "jacobian \(act) \(p)")
        }
    }

    @Test(arguments: KernelBackend.allCases, [Activation.tanh, .softplus, .sigmoid, .gelu, .identity])
    func jacobianMatchesCentralFiniteDifferences(_ backend: KernelBackend, _ act: Activation) throws {
        let (net, theta, x) = Fixtures.smallMLP(activation: act, parametrization: .ntk(weightStd: 1.1, biasStd: 0.7))
        let k = backend.kernels
        let d = try k.mlpJacobian(net, theta: theta, inputs: x)
        let h = 1e-5
        var fd = Matrix(zerosRows: d.rows, cols: d.cols)
        for p in 0..<net.parameterCount {
            var tp = theta, tm = theta
            tp[p] += h
            tm[p] -= h
            let fp = try k.mlpForward(net, theta: tp, inputs: x), fm = try k.mlpForward(net, theta: tm, inputs: x)
            for i in 0..<x.rows {
                for q in 0..<net.outputDimension {
                    fd[i * net.outputDimension + q, p] = (fp[i, q] - fm[i, q]) / (2 * h)
                }
            }
        }
        let err = relativeError(d, fd)
        #expect(err <= Tolerance.finiteDifference, "\(backend)/\(act): FD error \(err)")
    }

    @Test(arguments: KernelBackend.allCases)
    func reluJacobianMatchesFiniteDifferencesAwayFromKinks(_ backend: KernelBackend) throws {
        // ReLU is piecewise linear: FD is exact up to rounding when no pre-activation crosses 0 within ±h.
        let (net, theta, x) = Fixtures.smallMLP(activation: .relu)
        let k = backend.kernels
        let d = try k.mlpJacobian(net, theta: theta, inputs: x)
        let dref = try SwiftBackend().mlpJacobian(net, theta: theta, inputs: x)
        #expect(relativeError(d, dref) <= Tolerance.backendAgreement)
        let h = 1e-7
        for p in stride(from: 0, to: net.parameterCount, by: 3) {
            var tp = theta, tm = theta
            tp[p] += h
            tm[p] -= h
            let fp = try k.mlpForward(net, theta: tp, inputs: x), fm = try k.mlpForward(net, theta: tm, inputs: x)
            for i in 0..<x.rows {
                for q in 0..<net.outputDimension {
                    let fdv = (fp[i, q] - fm[i, q]) / (2 * h)
                    #expect(abs(fdv - d[i * net.outputDimension + q, p]) <= 1e-7 * max(1, abs(fdv)))
                }
            }
        }
    }

    @Test(arguments: KernelBackend.allCases, [Activation.tanh, .gelu, .relu])
    func jvpAndVjpAreAdjointAndMatchTheJacobian(_ backend: KernelBackend, _ act: Activation) throws {
        let (net, theta, x) = Fixtures.smallMLP(widths: [4, 9, 6, 3], activation: act, samples: 5)
        let k = backend.kernels
        let v = Fixtures.gaussian(net.parameterCount, 3, seed: 11)
        let u = Fixtures.gaussian(x.rows * net.outputDimension, 2, seed: 12)
        let dv = try k.mlpJVP(net, theta: theta, inputs: x, directions: v)
        let dtu = try k.mlpVJP(net, theta: theta, inputs: x, cotangents: u)
        // ⟨u_a, D v_b⟩ = ⟨Dᵀ u_a, v_b⟩ for every pair.
        for a in 0..<u.cols {
            for b in 0..<v.cols {
                var lhs = 0.0, rhs = 0.0
                for r in 0..<u.rows { lhs += u[r, a] * dv[r, b] }
                for r in 0..<v.rows { rhs += dtu[r, a] * v[r, b] }
                #expect(abs(lhs - rhs) <= 1e-12 * max(1, abs(lhs)), "\(backend)/\(act) pair (\(a),\(b))")
            }
        }
        // And both equal products with the explicit Jacobian of the *other* backend.
        let other: KernelBackend = backend == .c ? .swift : .c
        let d = try other.kernels.mlpJacobian(net, theta: theta, inputs: x)
        let ref = SwiftBackend()
        #expect(relativeError(dv, try ref.multiply(d, transposeA: false, v, transposeB: false)) <= Tolerance.backendAgreement)
        #expect(relativeError(dtu, try ref.multiply(d, transposeA: true, u, transposeB: false)) <= Tolerance.backendAgreement)
    }

    @Test(arguments: KernelBackend.allCases, NTKMethod.allCases)
    func ntkAgreesWithJacobianContractionReference(_ backend: KernelBackend, _ method: NTKMethod) throws {
        for p in Self.parametrizations {
            for widths in [[3, 7, 5, 2], [2, 4], [5, 6, 6, 6, 4]] {
                let (net, theta, x) = Fixtures.smallMLP(widths: widths, activation: .gelu, samples: 13, parametrization: p)
                let d = try SwiftBackend().mlpJacobian(net, theta: theta, inputs: x)
                let ref = try SwiftBackend().multiply(d, transposeA: false, d, transposeB: true)
                let got = try ntkGram(net, theta: theta, inputs: x, method: method, backend: backend)
                #expect(relativeError(got, ref) <= Tolerance.gram, "\(method)/\(backend) widths \(widths) \(p)")
                // Exactly symmetric.
                #expect(got == got.transposed, "\(method)/\(backend) not symmetric")
            }
        }
    }

    @Test(arguments: KernelBackend.allCases)
    func crossNTKMatchesJacobianProduct(_ backend: KernelBackend) throws {
        let (net, theta, x1) = Fixtures.smallMLP(widths: [3, 8, 4], activation: .softplus, samples: 12)
        let x2 = Fixtures.gaussian(5, 3, seed: 77)
        let d1 = try SwiftBackend().mlpJacobian(net, theta: theta, inputs: x1)
        let d2 = try SwiftBackend().mlpJacobian(net, theta: theta, inputs: x2)
        let ref = try SwiftBackend().multiply(d1, transposeA: false, d2, transposeB: true)
        let got = try ntkGram(net, theta: theta, inputs: x1, x2, backend: backend)
        #expect(got.rows == 12 * 4 && got.cols == 5 * 4)
        #expect(relativeError(got, ref) <= Tolerance.gram)
    }

    @Test func ntkPanelsCoverEverySampleCountAroundPanelBoundaries() throws {
        // Q = 10 gives row panels of 24 samples and column chunks of 48, a remainder of up to 72 kept whole
        // (CKernels/gram.c): exercise partial last panels and chunks, the diagonal chunk, and chunks that start
        // past the diagonal; and, for the pair kernel (CKernels/ntk_pairs.c), groups of 8 samples cut by the end.
        for n in [1, 7, 9, 23, 24, 25, 47, 48, 49, 73, 76] {
            let widths = n % 2 == 0 ? [3, 6, 10] : [3, 6, 5, 10]
            let (net, theta, x) = Fixtures.smallMLP(widths: widths, activation: .tanh, samples: n)
            let ref = try ntkGram(net, theta: theta, inputs: x, method: .jacobianContraction, backend: .swift)
            let got = try ntkGram(net, theta: theta, inputs: x, backend: .c)
            #expect(relativeError(got, ref) <= Tolerance.gram, "n = \(n)")
            let mirrored = (0..<got.rows).allSatisfy { i in (0..<i).allSatisfy { j in got[i, j] == got[j, i] } }
            #expect(mirrored, "n = \(n): the mirrored half differs from the computed one")
        }
    }

    @Test func ntkOutputPairsCoverEveryOutputCount() throws {
        // The last hidden layer's block is built from the Q(Q+1)/2 output pairs q <= q' (CKernels/gram.c). By
        // BLAS products: one output (a single pair); 37 (panels of 6 samples, a partial last one); 300 (QN > 1536:
        // one sample per panel). By the AVX-512 pair kernel where the CPU has it (CKernels/ntk_pairs.c: Q >= 4,
        // panels of whole groups of 8 samples): 4 (10 pairs: chunks of 8 and 2; one panel), 5 (15 pairs; panels
        // of 48, the last of 5), 12 (78 pairs, ten chunks; panels of 24, the last of 13), 17 (153 pairs; panels
        // of 16, the last of 8). Symmetric and cross, against the Jacobian product, for one and two hidden
        // layers. The reference is the C Jacobian times its transpose by BLAS (no NTK code; the C Jacobian is
        // checked against the Swift one above): with Q = 300 the pure-Swift product would take minutes in a debug
        // build.
        for (q, n) in [(1, 13), (37, 13), (300, 6), (4, 13), (5, 101), (12, 61), (17, 40)] {
            for widths in [[3, 7, q], [3, 5, 4, q]] {
                let (net, theta, x1) = Fixtures.smallMLP(widths: widths, activation: .tanh, samples: n)
                let x2 = Fixtures.smallMLP(widths: widths, activation: .tanh, samples: n + 2, seed: 5).2
                let ref = CBackend()
                let d1 = try ref.mlpJacobian(net, theta: theta, inputs: x1)
                let d2 = try ref.mlpJacobian(net, theta: theta, inputs: x2)
                let sym = try ref.mlpNTK(net, theta: theta, inputs: x1, nil)
                let cross = try ref.mlpNTK(net, theta: theta, inputs: x1, x2)
                #expect(relativeError(sym, try ref.multiply(d1, transposeA: false, d1, transposeB: true)) <= Tolerance.gram,
                        "Q = \(q), widths \(widths)")
                #expect(relativeError(cross, try ref.multiply(d1, transposeA: false, d2, transposeB: true)) <= Tolerance.gram,
                        "Q = \(q), widths \(widths), cross")
            }
        }
    }

    @Test func ntkPairKernelCoversLastHiddenWidthsPastItsRowBlock() throws {
        // The pair kernel (CKernels/ntk_pairs.c) runs over blocks of 128 units of the last hidden layer: widths
        // 131 and 300 leave a partial last block (3 and 44 units) after one and two full ones. Symmetric and
        // cross, both parametrizations, against the C Jacobian times its transpose.
        for p in Self.parametrizations {
            for widths in [[3, 9, 131, 10], [3, 300, 6]] {
                let (net, theta, x1) = Fixtures.smallMLP(widths: widths, activation: .tanh, samples: 27, parametrization: p)
                let x2 = Fixtures.smallMLP(widths: widths, activation: .tanh, samples: 11, seed: 9, parametrization: p).2
                let c = CBackend()
                let d1 = try c.mlpJacobian(net, theta: theta, inputs: x1)
                let d2 = try c.mlpJacobian(net, theta: theta, inputs: x2)
                #expect(relativeError(try c.mlpNTK(net, theta: theta, inputs: x1, nil),
                                      try c.multiply(d1, transposeA: false, d1, transposeB: true)) <= Tolerance.gram,
                        "widths \(widths) \(p)")
                #expect(relativeError(try c.mlpNTK(net, theta: theta, inputs: x1, x2),
                                      try c.multiply(d1, transposeA: false, d2, transposeB: true)) <= Tolerance.gram,
                        "widths \(widths) \(p), cross")
            }
        }
    }

    @Test func retainedWorkBlocksGiveTheSameNTK() throws {
        // N = 200 on widths 4-1024-1024-10: the tape and the NTK workspace are both above 32 MiB, so after
        // retainFreedMemory() the second call runs in the first call's blocks, which still hold its values (a
        // fresh block is zero). Any read of workspace not written first would change G. Then again after the
        // blocks are released, and against the cross path, which allocates differently.
        let (net, theta, x) = Fixtures.smallMLP(widths: [4, 1024, 1024, 10], activation: .tanh, samples: 200)
        RuntimeInfo.retainFreedMemory()
        let c = CBackend()
        let first = try c.mlpNTK(net, theta: theta, inputs: x, nil)
        let reused = try c.mlpNTK(net, theta: theta, inputs: x, nil)
        RuntimeInfo.releaseRetainedMemory()
        let fresh = try c.mlpNTK(net, theta: theta, inputs: x, nil)
        #expect(reused.elements == first.elements)
        #expect(fresh.elements == first.elements)
        #expect(relativeError(first, try c.mlpNTK(net, theta: theta, inputs: x, x)) <= Tolerance.gram)
    }

    @Test func symmetricNTKMatchesTheCrossPathOnManyChunks() throws {
        // n = 130: three column chunks in the first panels. The symmetric path (dsyrk diagonal blocks, mirrored
        // lower half) against the general path Θ(X, X) given X twice (full products, no mirror).
        let (net, theta, x) = Fixtures.smallMLP(widths: [3, 6, 5, 10], activation: .tanh, samples: 130)
        let sym = try CBackend().mlpNTK(net, theta: theta, inputs: x, nil)
        let cross = try CBackend().mlpNTK(net, theta: theta, inputs: x, x)
        #expect(relativeError(sym, cross) <= Tolerance.gram)
    }

    @Test func crossNTKPanelsCoverRectangularBlocks() throws {
        // Θ(X₁, X₂) with n₁ ≠ n₂ on both sides of the panel (24) and chunk (48) sizes: C against the Swift path.
        for (n1, n2) in [(26, 51), (51, 26), (1, 77), (77, 1)] {
            let (net, theta, x1) = Fixtures.smallMLP(widths: [3, 6, 5, 10], activation: .tanh, samples: n1)
            let x2 = Fixtures.smallMLP(widths: [3, 6, 5, 10], activation: .tanh, samples: n2, seed: 21).2
            let ref = try SwiftBackend().mlpNTK(net, theta: theta, inputs: x1, x2)
            let got = try CBackend().mlpNTK(net, theta: theta, inputs: x1, x2)
            #expect(got.rows == 10 * n1 && got.cols == 10 * n2)
            #expect(relativeError(got, ref) <= Tolerance.gram, "n1 = \(n1), n2 = \(n2)")
        }
    }
}
