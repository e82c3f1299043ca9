import Foundation
import Testing

@testable import TangentFlow

/// `CBackend.lowestEigenpairs` (dsytrd, dstebz, dstein, dormtr), the eigensolver of `ntkSpectrum`'s dense route,
/// against spectra designed in closed form, and the dense route's two ways of forming `G` against each other.
@Suite struct LowestEigenpairsTests {
    /// `A = W diag(λ) Wᵀ` with `W` orthonormal (the left singular vectors of a Gaussian matrix), `λ` as given,
    /// symmetrised exactly (as `smallestPairs` does before its eigensolvers).
    static func designed(_ spectrum: [Double], seed: UInt64) throws -> Matrix {
        let n = spectrum.count
        var ws = try Fixtures.orthonormalColumns(n, n, seed: seed)
        let w = ws
        for j in 0..<n { for i in 0..<n { ws[i, j] *= spectrum[j] } }
        var a = try CBackend().multiply(ws, transposeA: false, w, transposeB: true)
        for j in 0..<n {
            for i in (j + 1)..<Swift.max(j + 1, n) {
                let m = 0.5 * (a[i, j] + a[j, i])
                a[i, j] = m
                a[j, i] = m
            }
        }
        return a
    }

    /// Spectra with negative values, a 4-fold repeated lowest eigenvalue, an exact zero cluster and distinct values;
    /// orders on both sides of the one-BLAS-thread threshold (320). The `k` lowest values equal the designed ones
    /// to `1e-12·max|λ|`, the vectors have residuals `‖Av − λv‖ ≤ 1e-12·max|λ|` and are orthonormal, and the
    /// reported largest eigenvalue is the designed maximum.
    @Test(arguments: [(60, 0), (60, 1), (60, 9), (60, 60), (401, 12)])
    func designedSpectra(_ n: Int, _ k: Int) throws {
        let repeated = [Double](repeating: -3.5, count: 4)
        let zeros = [Double](repeating: 0, count: 5)
        let rest = (0..<(n - 9)).map { 0.25 + Double($0) * 1.7 }
        let spectrum = repeated + zeros + rest
        let a = try Self.designed(spectrum.shuffledDeterministically(seed: UInt64(n + k)), seed: UInt64(7 + n))
        let scale = spectrum.map(abs).max()!
        var g = a.elements
        let eig = try CBackend().lowestEigenpairs(destroying: &g, order: n, count: k)
        let want = spectrum.sorted()
        #expect(eig.values.count == k && eig.vectors.count == n * k)
        #expect(abs(eig.largest - want.last!) <= 1e-12 * scale, "λ_max \(eig.largest) vs \(want.last!)")
        for j in 0..<k { #expect(abs(eig.values[j] - want[j]) <= 1e-12 * scale, "λ\(j): \(eig.values[j]) vs \(want[j])") }
        guard k > 0 else { return }
        try Self.expectPairs(of: a, values: eig.values, vectors: eig.vectors, residual: 1e-12 * scale * Double(n).squareRoot())
    }

    /// Residuals `‖Av − θv‖ ≤ residual` of the column-major vectors (`n × values.count`), measured with `a`, and
    /// `|VᵀV − I| ≤ 1e-12` entrywise.
    static func expectPairs(of a: Matrix, values: [Double], vectors: [Double], residual: Double) throws {
        let n = a.rows, k = values.count
        let v = Matrix(uncheckedRows: n, cols: k, elements: vectors)
        let av = try CBackend().multiply(a, transposeA: false, v, transposeB: false)
        let vtv = try CBackend().multiply(v, transposeA: true, v, transposeB: false)
        for j in 0..<k {
            var r = 0.0
            for i in 0..<n { r += pow(av[i, j] - values[j] * v[i, j], 2) }
            #expect(r.squareRoot() <= residual, "residual of pair \(j): \(r.squareRoot())")
            for l in 0..<k { #expect(abs(vtv[j, l] - (j == l ? 1 : 0)) <= 1e-12, "VᵀV[\(j), \(l)] = \(vtv[j, l])") }
        }
    }

    /// Block inverse iteration (`lowestEigenpairsByInverseIteration`) on positive semidefinite designed spectra of
    /// order 600: five exact zeros (repeated below the block), then 0.5 four times, then distinct values; and
    /// thirty zeros (more copies than the block holds). Values equal to the designed ones to `1e-12·λ_max`,
    /// residuals `≤ 1e-11·λ_max` (the target is 1e-13), orthonormal vectors, `λ_max` to `1e-9`.
    @Test(arguments: [5, 30])
    func inverseIterationOnDesignedSpectra(_ zeros: Int) throws {
        let n = 600, k = 8
        let low = [Double](repeating: 0, count: zeros) + [Double](repeating: 0.5, count: 4)
        let spectrum = low + (0..<(n - low.count)).map { 0.75 + Double($0) * 0.9 }
        let a = try Self.designed(spectrum.shuffledDeterministically(seed: UInt64(zeros)), seed: 11)
        let lmax = spectrum.max()!
        var g = a.elements
        let eig = try #require(try CBackend().lowestEigenpairsByInverseIteration(
            &g, order: n, count: k, block: 2 * k + 10, tolerance: 1e-13, maxIterations: 100))
        let want = spectrum.sorted()
        #expect(abs(eig.largest - lmax) <= 1e-9 * lmax)
        for j in 0..<k { #expect(abs(eig.values[j] - want[j]) <= 1e-12 * lmax, "λ\(j): \(eig.values[j]) vs \(want[j])") }
        try Self.expectPairs(of: a, values: eig.values, vectors: eig.vectors, residual: 1e-11 * lmax)
    }

    /// A block too large for a second one in the basis (`2·block > n`): plain subspace iteration on the factor.
    @Test func inverseIterationWithOneBlock() throws {
        let n = 60
        let spectrum = [1.0, 2, 3] + (0..<(n - 3)).map { 40 + Double($0) }
        let a = try Self.designed(spectrum.shuffledDeterministically(seed: 9), seed: 13)
        var g = a.elements
        let eig = try #require(try CBackend().lowestEigenpairsByInverseIteration(
            &g, order: n, count: 3, block: 31, tolerance: 1e-13, maxIterations: 100))
        for j in 0..<3 { #expect(abs(eig.values[j] - spectrum[j]) <= 1e-12 * 96, "λ\(j): \(eig.values[j])") }
        #expect(abs(eig.largest - 96) <= 1e-9 * 96)
    }

    /// Where block inverse iteration cannot answer it returns `nil` and leaves the matrix as it was (the caller
    /// then tridiagonalises it): an indefinite matrix (no Cholesky factor after the shift), and a cap of one cycle
    /// with a tolerance no cycle reaches.
    @Test func inverseIterationDeclinesAndRestores() throws {
        let n = 520
        let indefinite = try Self.designed([-2.0, -1.0] + (0..<(n - 2)).map { 1 + Double($0) }, seed: 3)
        var g = indefinite.elements
        #expect(try CBackend().lowestEigenpairsByInverseIteration(&g, order: n, count: 3, block: 16, tolerance: 1e-13, maxIterations: 100) == nil)
        let restoredIndefinite = g == indefinite.elements  // a Bool: Swift Testing would diff 270,400 entries
        #expect(restoredIndefinite)
        let definite = try Self.designed((0..<n).map { 1 + Double($0) * 0.001 }, seed: 4)
        g = definite.elements
        #expect(try CBackend().lowestEigenpairsByInverseIteration(&g, order: n, count: 3, block: 16, tolerance: 1e-300, maxIterations: 1) == nil)
        let restoredDefinite = g == definite.elements
        #expect(restoredDefinite)
    }

    /// The dense route past the inverse-iteration order (QN = 600 ≥ 512, QN < K): `ntkSpectrum`'s 6 smallest
    /// equal the full `dsyevd` of `ntkGram`, residuals measured by the dense `G`.
    @Test func denseRouteByInverseIteration() throws {
        let (net, theta, x) = Fixtures.smallMLP(widths: [4, 64, 64, 2], activation: .tanh, samples: 300, seed: 23)
        #expect(600 >= NTKSpectrumDense.inverseIterationMinimumOrder && 600 < net.parameterCount)
        let g = try ntkGram(net, theta: theta, inputs: x)
        let dense = try CBackend().symmetricEigen(g).values
        let op = try CBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: true)
        let s = try ntkSpectrum(op, options: NTKSpectrumOptions(count: 6, which: .smallest))
        #expect(s.method == .dense && s.converged && s.denseSolver == .choleskyBlockKrylov)
        try expectNTKEigenpairs(s, of: g, dense: dense, scale: dense.last!)
        #expect(abs(s.referenceEigenvalue - dense.last!) <= 1e-9 * dense.last!)
    }

    /// A count beyond the order, an array of the wrong size and a NaN in the lower triangle are refused with a
    /// typed error (the NaN: LAPACKE's own argument check, mapped to `CK_EARG` rather than passed on raw).
    @Test func refusesACountOutOfRange() throws {
        var g = [Double](repeating: 1, count: 9)
        #expect(throws: TangentFlowError.self) { try CBackend().lowestEigenpairs(destroying: &g, order: 3, count: 4) }
        #expect(throws: TangentFlowError.self) { try CBackend().lowestEigenpairs(destroying: &g, order: 4, count: 1) }
        var bad: [Double] = [2, .nan, 0, 2]
        #expect(throws: TangentFlowError.self) { try CBackend().lowestEigenpairs(destroying: &bad, order: 2, count: 1) }
    }

    /// The dense route forms `G` by the MLP operator's layer-factored formula (no products) and, for an operator
    /// without one (`DenseJacobianOperator` of that MLP's own `D`), from `QN` products: the same eigenpairs, equal to
    /// the full `dsyevd` of `ntkGram` to `1e-9·λ_max`, with residuals measured by the dense `G`.
    @Test func formedAndProductRoutesAgree() throws {
        let (net, theta, x) = Fixtures.smallMLP(widths: [3, 12, 2], activation: .tanh, samples: 30, seed: 19)  // QN = 60 < K = 74
        let g = try ntkGram(net, theta: theta, inputs: x)
        let dense = try CBackend().symmetricEigen(g).values
        let op = try CBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: true)
        let formed = try ntkSpectrum(op, options: NTKSpectrumOptions(count: 6, which: .smallest))
        #expect(formed.method == .dense && formed.products == 0 && formed.converged && formed.denseSolver == .tridiagonal)
        try expectNTKEigenpairs(formed, of: g, dense: dense, scale: dense.last!)
        #expect(abs(formed.referenceEigenvalue - dense.last!) <= 1e-12 * dense.last!)
        // D column by column: the pushforward of the identity's columns.
        var eye = Matrix(uncheckedRows: net.parameterCount, cols: net.parameterCount,
                         elements: [Double](repeating: 0, count: net.parameterCount * net.parameterCount))
        for j in 0..<net.parameterCount { eye[j, j] = 1 }
        let d = try op.pushforward(eye)
        let products = try ntkSpectrum(DenseJacobianOperator(d), options: NTKSpectrumOptions(count: 6, which: .smallest))
        #expect(products.method == .dense && products.products == d.rows && products.converged)
        try expectNTKEigenpairs(products, of: g, dense: dense, scale: dense.last!)
    }

    /// `QN > K`: the dense route takes the thin SVD of the Jacobian (`NTKSpectrumDense.jacobianPairs`). On MLPs
    /// with more outputs than parameters, asking for only zeros and for 3 pairs past them: against the full
    /// `dsyevd` of `ntkGram` (values, residuals by the dense `G`, orthonormality), `λ_max` included.
    @Test(arguments: [([3, 7, 5, 2], 60), ([3, 10, 2], 100), ([4, 6, 3], 40)])
    func jacobianFormWhenOutputsOutnumberParameters(_ widths: [Int], _ n: Int) throws {
        let (net, theta, x) = Fixtures.smallMLP(widths: widths, activation: .tanh, samples: n, seed: 3 + UInt64(n))
        let qn = n * widths.last!, kp = net.parameterCount
        #expect(qn > kp)
        let g = try ntkGram(net, theta: theta, inputs: x)
        let dense = try CBackend().symmetricEigen(g).values
        let op = try CBackend().mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: true)
        for k in [Swift.min(4, qn - kp), qn - kp + 3] {
            let s = try ntkSpectrum(op, options: NTKSpectrumOptions(count: k, which: .smallest))
            #expect(s.method == .dense && s.products == 0 && s.converged && s.values.count == k && s.denseSolver == .jacobianSVD,
                    "\(widths) k = \(k)")
            try expectNTKEigenpairs(s, of: g, dense: dense, scale: dense.last!)
            #expect(abs(s.referenceEigenvalue - dense.last!) <= 1e-12 * dense.last!)
            for j in 0..<Swift.min(k, qn - kp) { #expect(s.values[j] == 0) }
        }
    }

    /// A designed Jacobian (`D = U diag(s) Wᵀ`, 60×50, s² = 1, …, 50): the 13 smallest eigenvalues of `G` are ten
    /// zeros and 1, 2, 3, found by the dense route's Jacobian form to `1e-12·λ_max`.
    @Test func jacobianFormOnADesignedSpectrum() throws {
        let d = try Fixtures.designedJacobian(rows: 60, spectrum: (1...50).map(Double.init), seed: 5)
        let s = try ntkSpectrum(DenseJacobianOperator(d), options: NTKSpectrumOptions(count: 13, which: .smallest))
        #expect(s.method == .dense && s.converged)
        let want = [Double](repeating: 0, count: 10) + [1, 2, 3]
        for (a, b) in zip(s.values, want) { #expect(abs(a - b) <= 1e-12 * 50, "\(a) vs \(b)") }
        #expect(abs(s.referenceEigenvalue - 50) <= 1e-12 * 50)
        let g = try CBackend().multiply(d, transposeA: false, d, transposeB: true)
        try expectNTKEigenpairs(s, of: g, dense: want, scale: 50)
    }
}

extension Array {
    /// A fixed permutation (Fisher–Yates on a 64-bit LCG), so a designed spectrum's order is not the sorted one.
    func shuffledDeterministically(seed: UInt64) -> [Element] {
        var out = self
        var s = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        for i in stride(from: count - 1, to: 0, by: -1) {
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let j = Int((s >> 33) % UInt64(i + 1))
            out.swapAt(i, j)
        }
        return out
    }
}
