import Foundation
import Testing

@testable import TangentFlow

/// The smallest end of `ntkSpectrum` when `QN > K`: `G = D Dᵀ` has rank `≤ K`, so `0` is an eigenvalue of
/// multiplicity `≥ QN − K`, which single-vector Lanczos on `σI − G` cannot resolve (before the null vectors were
/// found by LSMR it stopped unconverged, or returned nonzero eigenvalues in place of zeros with exit 0).
@Suite struct NTKSpectrumRankLossTests {
    /// MLPs with more outputs than parameters (QN > K): against the dense eigenvalues of `ntkGram`, with residuals
    /// and orthonormality measured with the dense `G`.
    static let cases: [([Int], Int, Int)] = [([3, 7, 5, 2], 60, 6), ([3, 10, 2], 100, 8), ([8, 32, 4], 300, 10)]

    @Test(arguments: cases.indices)
    func nullVectorsOfSingularNTKs(_ c: Int) throws {
        let (widths, n, k) = Self.cases[c]
        let (net, theta, x) = Fixtures.smallMLP(widths: widths, activation: .tanh, samples: n, seed: 41 + UInt64(c))
        #expect(n * widths.last! > net.parameterCount)
        let g = try ntkGram(net, theta: theta, inputs: x)
        let dense = try CBackend().symmetricEigen(g).values
        let lmax = dense.last!
        let op = try CBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: true)
        var options = NTKSpectrumOptions(count: k, which: .smallest)
        options.denseLimit = 0  // these orders are small enough for the dense route: test the Krylov one
        let s = try ntkSpectrum(op, options: options)
        #expect(s.converged && s.values.count == k && s.method == .lanczos, "\(widths) N = \(n)")
        try expectNTKEigenpairs(s, of: g, dense: dense, scale: lmax)
    }

    /// A Jacobian with a designed spectrum: `D = U diag(s) Wᵀ` (60×50, orthonormal U, W), so `G` has the eigenvalue
    /// 0 ten times and then s² = 1, 2, …, 50. The 13 smallest are ten zeros (null vectors) and 1, 2, 3 (Lanczos on
    /// `σI − G` with the null vectors deflated).
    @Test func zerosThenDeflatedLanczos() throws {
        let qn = 60, kp = 50
        let u = try Fixtures.orthonormalColumns(qn, kp, seed: 1), w = try Fixtures.orthonormalColumns(kp, kp, seed: 2)
        var us = u
        for j in 0..<kp { for i in 0..<qn { us[i, j] *= Double(j + 1).squareRoot() } }
        let d = try CBackend().multiply(us, transposeA: false, w, transposeB: true)
        let op = DenseJacobianOperator(d)
        var options = NTKSpectrumOptions(count: 13, which: .smallest)
        options.denseLimit = 0
        let s = try ntkSpectrum(op, options: options)
        #expect(s.converged && s.values.count == 13)
        let want = [Double](repeating: 0, count: 10) + [1, 2, 3]
        for (a, b) in zip(s.values, want) { #expect(abs(a - b) <= 1e-9 * 50, "\(a) vs \(b)") }
        let g = try CBackend().multiply(d, transposeA: false, d, transposeB: true)
        try expectNTKEigenpairs(s, of: g, dense: [Double](repeating: 0, count: 10) + (1...50).map(Double.init), scale: 50)
    }

    /// A repeated small eigenvalue with `QN ≤ K`: `D = U diag(s) Wᵀ` (60×60) with s² = 0.5 three times, then
    /// 1, 2, …, 57. A Krylov space holds one vector of the eigenvalue 0.5, so Lanczos alone returns 0.5, 1, 2, 3, 4
    /// as the five smallest; the deflated restarts must find the two other copies and return 0.5, 0.5, 0.5, 1, 2.
    @Test func deflatedRestartsFindRepeatedEigenvalues() throws {
        let qn = 60
        let spectrum = [0.5, 0.5, 0.5] + (1...57).map(Double.init)
        let u = try Fixtures.orthonormalColumns(qn, qn, seed: 3), w = try Fixtures.orthonormalColumns(qn, qn, seed: 4)
        var us = u
        for j in 0..<qn { for i in 0..<qn { us[i, j] *= spectrum[j].squareRoot() } }
        let d = try CBackend().multiply(us, transposeA: false, w, transposeB: true)
        var options = NTKSpectrumOptions(count: 5, which: .smallest)
        options.denseLimit = 0
        let s = try ntkSpectrum(DenseJacobianOperator(d), options: options)
        #expect(s.converged && s.values.count == 5 && s.method == .lanczos && s.probes >= 1)
        let g = try CBackend().multiply(d, transposeA: false, d, transposeB: true)
        try expectNTKEigenpairs(s, of: g, dense: spectrum, scale: 57)
    }

    /// The dense route (default at `QN ≤ 8192`) on NTKs whose smallest eigenvalues repeat: duplicated and zero
    /// inputs (each duplicate adds Q copies of 0), ReLU and tanh; against `ntkGram`'s layer-factored kernel.
    @Test(arguments: [Activation.relu, .tanh])
    func denseRouteOnRepeatedInputs(_ activation: Activation) throws {
        let (net, theta, x0) = Fixtures.smallMLP(widths: [3, 16, 2], activation: activation, samples: 30, seed: 7)
        var x = x0
        for j in 0..<x.cols {
            for i in 1..<4 { x[i, j] = x[0, j] }  // samples 0–3 equal
            for i in 10..<14 { x[i, j] = 0 }  // samples 10–13 zero
        }
        let g = try ntkGram(net, theta: theta, inputs: x)
        let dense = try CBackend().symmetricEigen(g).values
        let op = try CBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: true)
        let s = try ntkSpectrum(op, options: NTKSpectrumOptions(count: 8, which: .smallest))
        #expect(s.converged && s.method == .dense && s.values.count == 8)
        #expect(dense[5] <= 1e-12 * dense.last!, "six zeros expected at least (2 × 3 duplicates)")
        try expectNTKEigenpairs(s, of: g, dense: dense, scale: dense.last!)
    }
}
