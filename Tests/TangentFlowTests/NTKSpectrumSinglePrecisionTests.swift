import Foundation
import Testing

@testable import TangentFlow

/// Single-precision products of the matrix-free NTK (`ck_ntk_op_apply_single`) and `ntkSpectrum` with
/// `NTKProductPrecision.single`: the products against the double ones (error of single rounding, not zero and not
/// more), the double operator left exact after the copies replace its kept `δ^ℓ`, the eigenpairs against LAPACK's
/// of the formed `ntkGram`, the refusals, and the double check rejecting pairs that are not eigenpairs.
@Suite struct NTKSpectrumSinglePrecisionTests {
    /// Depths 1 to 4 (no, one and two layers of kept `δ^ℓ`) and three activations.
    static let nets: [([Int], Activation)] = [
        ([5, 3], .tanh), ([4, 9, 3], .gelu), ([3, 8, 7, 2], .tanh), ([4, 6, 5, 6, 3], .softplus),
    ]

    /// ‖A − B‖_F / ‖B‖_F.
    private func frobeniusError(_ a: Matrix, _ b: Matrix) -> Double {
        var num = 0.0, den = 0.0
        for (x, y) in zip(a.elements, b.elements) {
            num += (x - y) * (x - y)
            den += y * y
        }
        return (num / den).squareRoot()
    }

    @Test(arguments: nets.indices)
    func singleProductsAreRoundedDoubleProducts(_ c: Int) throws {
        let (widths, act) = Self.nets[c]
        let (net, theta, x) = Fixtures.smallMLP(widths: widths, activation: act, samples: 300, seed: 70 + UInt64(c))
        let n = 300 * widths.last!
        var rng = SeededGenerator(seed: 9)
        let v = Matrix(uncheckedRows: n, cols: 3, elements: (0..<(3 * n)).map { _ in Double.random(in: -1...1, using: &rng) })
        let exact = try ntkGram(net, theta: theta, inputs: x)
        let reference = try CBackend().multiply(exact, transposeA: false, v, transposeB: false)
        // Every way to the single-precision copies: from kept double δ (converted, then freed), from the chain
        // (no δ), and δ computed straight into floats.
        let kept = try CBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: true)
        let chain = try CBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: false)
        let direct = try CBackend().mlpNTKOperatorForSinglePrecision(net, theta: theta, inputs: x, keepSensitivities: true)
        for (name, op) in [("kept", kept), ("chain", chain), ("direct", direct)] {
            let single = try #require(try op.singlePrecision())
            let e = frobeniusError(try single.apply(v), reference)
            #expect(e <= 2e-6 && e >= 1e-12, "\(widths) \(name): relative error \(e)")
            // The double operator still gives double products (by the chain rule once its δ were freed).
            let d = frobeniusError(try op.apply(v), reference)
            #expect(d <= 1e-13, "\(widths) \(name): double product after the copies, error \(d)")
        }
    }

    @Test(arguments: nets.indices)
    func largestPairsMatchLAPACK(_ c: Int) throws {
        let (widths, act) = Self.nets[c]
        let samples = 60
        let (net, theta, x) = Fixtures.smallMLP(widths: widths, activation: act, samples: samples, seed: 80 + UInt64(c))
        let g = try ntkGram(net, theta: theta, inputs: x)
        let dense = try CBackend().symmetricEigen(g).values.reversed().map { $0 }
        let lmax = dense[0], k = 4
        let op = try CBackend().mlpNTKOperatorForSinglePrecision(net, theta: theta, inputs: x, keepSensitivities: true)
        var options = NTKSpectrumOptions(count: k, which: .largest)
        options.precision = .single
        options.tolerance = 1e-6
        options.maxRestarts = 2000
        let s = try ntkSpectrum(op, options: options)
        #expect(s.converged && s.values.count == k && s.precision == .single, "\(widths)")
        // Rayleigh–Ritz in double makes the eigenvalue error second order in the residual (≤ 1e-6·λ): far below it.
        for j in 0..<min(k, s.values.count) {
            #expect(abs(s.values[j] - dense[j]) <= 1e-9 * lmax, "\(widths) λ\(j): \(s.values[j]) vs \(dense[j])")
            #expect(s.residuals[j] <= 1e-6 * abs(s.values[j]), "\(widths) residual \(s.residuals[j])")
        }
        // Residuals and orthonormality against the formed G, independently of the operator.
        let gv = try CBackend().multiply(g, transposeA: false, s.vectors, transposeB: false)
        let vtv = try CBackend().multiply(s.vectors, transposeA: true, s.vectors, transposeB: false)
        for a in 0..<s.values.count {
            var r = 0.0
            for i in 0..<g.rows { r += pow(gv[i, a] - s.values[a] * s.vectors[i, a], 2) }
            #expect(abs(r.squareRoot() - s.residuals[a]) <= 1e-9 * lmax, "reported residual \(s.residuals[a]) vs \(r.squareRoot())")
            for b in 0..<s.values.count { #expect(abs(vtv[a, b] - (a == b ? 1 : 0)) <= 1e-10) }
        }
    }

    @Test func refusesWhereSinglePrecisionDoesNotApply() throws {
        let (net, theta, x) = Fixtures.smallMLP(widths: [3, 8, 7, 2], samples: 40, seed: 3)
        let op = try CBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: true)
        var smallest = NTKSpectrumOptions(count: 2, which: .smallest)
        smallest.precision = .single
        smallest.tolerance = 1e-6
        #expect(throws: TangentFlowError.self) { try ntkSpectrum(op, options: smallest) }
        var tight = NTKSpectrumOptions(count: 2, which: .largest)
        tight.precision = .single
        tight.tolerance = 1e-8
        #expect(throws: TangentFlowError.self) { try ntkSpectrum(op, options: tight) }
        var swift = NTKSpectrumOptions(count: 2, which: .largest)
        swift.precision = .single
        swift.tolerance = 1e-6
        let sop = try SwiftBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: false)
        #expect(throws: TangentFlowError.self) { try ntkSpectrum(sop, options: swift) }
    }

    /// The double check accepts exact eigenpairs and rejects a basis that is not an invariant subspace: the leading
    /// pairs that pass are kept, the rest dropped.
    @Test func doubleCheckRejectsNonEigenvectors() throws {
        let (net, theta, x) = Fixtures.smallMLP(widths: [3, 8, 7, 2], samples: 40, seed: 4)
        let g = try ntkGram(net, theta: theta, inputs: x)
        let eig = try CBackend().symmetricEigen(g)
        let n = g.rows, k = 3
        let op = try CBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: true)
        var top = [Double](), values = [Double]()
        for j in (n - k..<n).reversed() {
            top += Array(eig.vectors.elements[(j * n)..<(j * n + n)])
            values.append(eig.values[j])
        }
        let good = try NTKSinglePrecisionCheck.refine(op, values: values, vectors: top, tolerance: 1e-10)
        #expect(good.allAccepted && good.values.count == k)
        // Replace the third vector by one orthogonal to the top three but not an eigenvector (a mix of the 4th and
        // 5th): the first two still pass, the third fails.
        var bad = top
        for i in 0..<n {
            bad[2 * n + i] = (eig.vectors.elements[(n - 4) * n + i] + eig.vectors.elements[(n - 5) * n + i]) / 2.0.squareRoot()
        }
        let checked = try NTKSinglePrecisionCheck.refine(op, values: values, vectors: bad, tolerance: 1e-6)
        #expect(!checked.allAccepted && checked.values.count == 2)
    }
}
