import Foundation
import Testing

@testable import TangentFlow

/// Repeated eigenvalues at the largest end of `ntkSpectrum`. A Krylov space holds one vector per distinct
/// eigenvalue, so single-vector Lanczos returns one copy of a repeated top eigenvalue (or a few, recovered from
/// rounding) and the next eigenvalues in place of the rest, with small residuals and exit 0. Before the
/// largest-end deflated restarts, 4 of 40 random linear models (`tangentflow ntk-spectrum --activation identity`,
/// `Q`-fold eigenvalues) returned such a wrong top K.
@Suite struct NTKSpectrumRepeatedTopTests {
    /// `D = U diag(s) Wᵀ` with s² = 50 four times, then 40, 39, …: Lanczos alone returns one to three copies of
    /// 50; the restarts must return 50, 50, 50, 50, 40, 39.
    @Test func deflatedRestartsFindRepeatedTopEigenvalue() throws {
        let spectrum = [50.0, 50, 50, 50] + (1...40).reversed().map(Double.init)
        let d = try Fixtures.designedJacobian(rows: 60, spectrum: spectrum, seed: 5)
        let s = try ntkSpectrum(DenseJacobianOperator(d), options: NTKSpectrumOptions(count: 6, which: .largest))
        #expect(s.converged && s.values.count == 6 && s.method == .lanczos && s.probes >= 1)
        let g = try CBackend().multiply(d, transposeA: false, d, transposeB: true)
        try expectNTKEigenpairs(s, of: g, dense: spectrum, scale: 50)
    }

    /// A repeated eigenvalue only just above `λ_K`, with a cluster right below: s² = 50, 20, 20, then 120 values
    /// from 19.99 down by 0.01, top 3. Lanczos returns 50, 20, 19.99; the missed 20 is the top of `PGP`, 0.01
    /// above the last pair. The 12 steps of `.steps` reach θ ≈ 19.5 there and return 19.99 as λ₃ (8 of 8
    /// seeds, also with 30 steps); `.converged` converges the top pair of `PGP` and finds the copy.
    @Test(arguments: [1, 4, 7] as [UInt64]) func convergedProbeFindsACopyJustAboveTheLastPair(_ seed: UInt64) throws {
        let cluster: [Double] = (1...120).map { 20.0 - 0.01 * Double($0) }
        let tail: [Double] = (1...30).reversed().map { Double($0) * 0.5 }
        let spectrum: [Double] = [50.0, 20, 20] + cluster + tail
        let d = try Fixtures.designedJacobian(rows: 200, spectrum: spectrum, seed: seed)
        var options = NTKSpectrumOptions(count: 3, which: .largest)
        options.probe = .converged
        let s = try ntkSpectrum(DenseJacobianOperator(d), options: options)
        #expect(s.converged && s.values.count == 3 && s.method == .lanczos && s.missedFound == 1)
        let g = try CBackend().multiply(d, transposeA: false, d, transposeB: true)
        try expectNTKEigenpairs(s, of: g, dense: spectrum, scale: 50)
    }

    /// A generic spectrum (no repeats): the restarts run one probe, find nothing and leave the pairs alone.
    @Test func oneProbeOnDistinctEigenvalues() throws {
        let spectrum = (1...40).reversed().map { Double($0) * 1.5 }
        let d = try Fixtures.designedJacobian(rows: 50, spectrum: spectrum, seed: 9)
        let s = try ntkSpectrum(DenseJacobianOperator(d), options: NTKSpectrumOptions(count: 5, which: .largest))
        #expect(s.converged && s.probes == 1 && s.missedFound == 0)
        let g = try CBackend().multiply(d, transposeA: false, d, transposeB: true)
        try expectNTKEigenpairs(s, of: g, dense: spectrum, scale: 60)
    }

    /// Linear MLPs (identity activation): one layer gives `Θ = (XXᵀ + 1) ⊗ I_Q`, every eigenvalue `Q` times;
    /// against the dense eigenvalues of `ntkGram` (the layer-factored kernel, a separate code path).
    @Test(arguments: [([4, 5], 60, 9), ([6, 5], 50, 11), ([3, 6, 4], 40, 10)])
    func linearModelsKeepEveryCopy(_ widths: [Int], _ n: Int, _ k: Int) throws {
        let (net, theta, x) = Fixtures.smallMLP(widths: widths, activation: .identity, samples: n, seed: 17)
        let g = try ntkGram(net, theta: theta, inputs: x)
        let dense = Array(try CBackend().symmetricEigen(g).values.reversed())
        let op = try CBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: true)
        let s = try ntkSpectrum(op, options: NTKSpectrumOptions(count: k, which: .largest))
        #expect(s.converged && s.values.count == k, "\(widths) N = \(n)")
        try expectNTKEigenpairs(s, of: g, dense: dense, scale: dense[0])
    }
}
