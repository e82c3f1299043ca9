import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowIO

/// `ntkSpectrum` (ARPACK on the matrix-free operator) against the dense route: `ntkGram` and the library's own
/// symmetric eigensolver (LAPACK dsyevd; the pure-Swift Jacobi in the Swift backend), and against NumPy's
/// `eigvalsh` on committed reference data (`scripts/make_ntk_spectrum_reference.py`).
@Suite struct NTKSpectrumTests {
    /// Networks and sample counts with QN below K (G of full rank, its smallest eigenvalues separated): widths,
    /// activation, N, eigenpairs.
    static let cases: [([Int], Activation, Int, Int)] = [
        ([3, 7, 5, 2], .tanh, 30, 4), ([4, 6, 5, 6, 3], .gelu, 20, 6), ([2, 9, 3], .softplus, 12, 3),
    ]

    @Test(arguments: cases.indices, SpectrumEnd.allCases)
    func eigenvaluesMatchDenseEigensolver(_ c: Int, _ which: SpectrumEnd) throws {
        let (widths, act, n, k) = Self.cases[c]
        let (net, theta, x) = Fixtures.smallMLP(widths: widths, activation: act, samples: n, seed: 31 + UInt64(c))
        let g = try ntkGram(net, theta: theta, inputs: x)
        for backend in KernelBackend.allCases {
            let dense = try backend.kernels.symmetricEigen(g).values  // ascending
            let lmax = dense.last!
            let want = which == .largest ? Array(dense.reversed().prefix(k)) : Array(dense.prefix(k))
            let op = try CBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: true)
            var options = NTKSpectrumOptions(count: k, which: which)
            options.maxRestarts = 2000
            let s = try ntkSpectrum(op, options: options)
            #expect(s.converged && s.values.count == k, "\(widths) \(which)")
            for j in 0..<min(k, s.values.count) {
                #expect(abs(s.values[j] - want[j]) <= 1e-9 * lmax, "\(backend) \(widths) \(which) λ\(j): \(s.values[j]) vs \(want[j])")
                #expect(s.residuals[j] <= 1e-8 * lmax, "residual \(s.residuals[j])")
            }
            // Eigenvectors: orthonormal, and G v = λ v against the dense G.
            let gv = try CBackend().multiply(g, transposeA: false, s.vectors, transposeB: false)
            let vtv = try CBackend().multiply(s.vectors, transposeA: true, s.vectors, transposeB: false)
            for a in 0..<s.values.count {
                var r = 0.0
                for i in 0..<g.rows { r += pow(gv[i, a] - s.values[a] * s.vectors[i, a], 2) }
                #expect(r.squareRoot() <= 1e-8 * lmax)
                for b in 0..<s.values.count { #expect(abs(vtv[a, b] - (a == b ? 1 : 0)) <= 1e-10) }
            }
        }
    }

    @Test func swiftOperatorGivesTheSameSpectrum() throws {
        let (net, theta, x) = Fixtures.smallMLP(widths: [3, 7, 5, 2], samples: 20, seed: 5)
        let options = NTKSpectrumOptions(count: 3, which: .largest)
        let c = try ntkSpectrum(try CBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: false), options: options)
        let s = try ntkSpectrum(try SwiftBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: false), options: options)
        #expect(relativeError(c.values, s.values) <= 1e-12)
    }

    /// NumPy reference: θ, X and `numpy.linalg.eigvalsh` of `J Jᵀ` with `J` from an independent NumPy MLP.
    @Test(arguments: SpectrumEnd.allCases)
    func matchesNumPyEigvalsh(_ which: SpectrumEnd) throws {
        func load(_ name: String) throws -> Matrix {
            let url = try #require(Bundle.module.url(forResource: name, withExtension: "npy", subdirectory: "Resources/ntk_spectrum"))
            return try NpyFile.readMatrix(from: url.path)
        }
        let net = try MLP(widths: [5, 16, 12, 3], activation: .tanh)
        let theta = try load("theta").elements, x = try load("x"), eig = try load("eigvalsh").elements  // ascending
        let op = try CBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: true)
        var options = NTKSpectrumOptions(count: 5, which: which)
        options.maxRestarts = 2000
        let s = try ntkSpectrum(op, options: options)
        let want = which == .largest ? Array(eig.reversed().prefix(5)) : Array(eig.prefix(5))
        #expect(s.converged)
        for j in 0..<s.values.count { #expect(abs(s.values[j] - want[j]) <= 1e-9 * eig.last!, "λ\(j) \(s.values[j]) vs \(want[j])") }
    }

    @Test func notConvergingIsReportedNotThrown() throws {
        let (net, theta, x) = Fixtures.smallMLP(widths: [3, 7, 5, 2], samples: 60, seed: 8)
        var options = NTKSpectrumOptions(count: 6, which: .smallest)
        options.maxRestarts = 1
        options.subspace = 8
        options.denseLimit = 0  // QN = 120 would take the dense route
        let s = try ntkSpectrum(try CBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: true), options: options)
        #expect(!s.converged)
        #expect(s.values.count < 6)
    }

    @Test func badCountsAreTypedErrors() throws {
        let (net, theta, x) = Fixtures.smallMLP(samples: 3)
        let op = try CBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: true)
        #expect(throws: TangentFlowError.self) { try ntkSpectrum(op, options: NTKSpectrumOptions(count: op.order, which: .largest)) }
        #expect(throws: TangentFlowError.self) { try ntkSpectrum(op, options: NTKSpectrumOptions(count: 0, which: .largest)) }
        var o = NTKSpectrumOptions(count: 2, which: .largest)
        o.subspace = 2
        #expect(throws: TangentFlowError.self) { try ntkSpectrum(op, options: o) }
    }

    /// The lanczos wrapper on a diagonal operator with known spectrum, and an operator error stopping the solve.
    @Test func lanczosOnDiagonalAndOperatorErrors() throws {
        let n = 200
        let d = (0..<n).map { Double($0 + 1) }
        let r = try MatrixFreeEigensolver.lanczos(order: n, count: 3, subspace: 20, largest: true, tolerance: 1e-12, maxRestarts: 500) { x, y in
            for i in 0..<n { y[i] = d[i] * x[i] }
        }
        #expect(r.converged && r.values == r.values.sorted())
        for (a, b) in zip(r.values, [198.0, 199, 200]) { #expect(abs(a - b) <= 1e-9) }
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try MatrixFreeEigensolver.lanczos(order: n, count: 3, subspace: 20, largest: true, tolerance: 0, maxRestarts: 5) { _, _ in throw Boom() }
        }
    }
}

/// The dense drivers' size rule (a pure function: no 40k² matrix is allocated).
@Suite struct DenseLAPACKDriverTests {
    @Test func symmetricEigenSwitchesToSyevrWhereSyevdWorkspaceOverflows() {
        // 1 + 6n + 2n² ≤ 2³¹ − 1 holds for n = 32,766 (2,147,418,109) and fails for n = 32,767 (2,147,549,181).
        #expect(DenseLAPACKDriver.symmetricEigen(order: 1) == .syevd)
        #expect(DenseLAPACKDriver.symmetricEigen(order: 32_766) == .syevd)
        #expect(DenseLAPACKDriver.symmetricEigen(order: 32_767) == .syevr)
        #expect(DenseLAPACKDriver.symmetricEigen(order: 200_000) == .syevr)
        #expect(DenseLAPACKDriver.symmetricEigen(order: Int(Int32.max)) == .refused)
    }

    @Test func svdRefusesWhereGesddWorkspaceOverflows() {
        #expect(DenseLAPACKDriver.svd(rows: 1000, cols: 20_000) == .gesdd)
        #expect(DenseLAPACKDriver.svd(rows: 20_000, cols: 20_000) == .gesdd)
        // 4r² alone exceeds 2³¹ − 1 from r = 23,171.
        #expect(DenseLAPACKDriver.svd(rows: 23_171, cols: 23_171) == .refused)
        #expect(DenseLAPACKDriver.svd(rows: 40_000, cols: 300_000) == .refused)
    }

    @Test func refusalNamesTheMatrixFreeRoute() {
        #expect(DenseLAPACKDriver.refusal("an eigendecomposition of order 3000000000").contains("ntk-spectrum"))
    }
}
