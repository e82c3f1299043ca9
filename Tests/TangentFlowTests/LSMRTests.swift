import Foundation
import Testing

@testable import TangentFlow
import TangentFlowIO

/// `LSMR.solve` against SciPy's `lsmr` (same iterates and stopping iteration, committed reference data from
/// `scripts/make_lsmr_reference.py`) and against the dense pseudoinverse (thin SVD, MATH.md §2) on tall, wide,
/// full-rank and rank-deficient matrices.
@Suite struct LSMRTests {
    static func dense(_ a: Matrix) -> (([Double]) throws -> [Double], ([Double]) throws -> [Double]) {
        let c = CBackend()
        return ({ try c.multiply(a, transposeA: false, Matrix.column($0), transposeB: false).elements },
                { try c.multiply(a, transposeA: true, Matrix.column($0), transposeB: false).elements })
    }

    /// Short runs (a cap of 12 iterations; a three-cluster spectrum stopped by the least-squares test; a consistent
    /// rank-deficient system stopped by the consistent test): same stop, same iteration, same iterate.
    @Test(arguments: ["capped", "clustered", "wide"])
    func matchesSciPyIterationForIteration(_ name: String) throws {
        func load(_ part: String) throws -> Matrix {
            let url = try #require(Bundle.module.url(forResource: "\(name)_\(part)", withExtension: "npy", subdirectory: "Resources/lsmr"))
            return try NpyFile.readMatrix(from: url.path)
        }
        let a = try load("a"), b = try load("b").elements, x = try load("x").elements, info = try load("info").elements
        let (f, ft) = Self.dense(a)
        let options = LSMROptions(atol: info[7], btol: info[7], conlim: 1e8, maxIterations: Int(info[8]))
        let r = try LSMR.solve(rows: a.rows, cols: a.cols, b, options: options, apply: f, adjoint: ft)
        #expect(r.stop.rawValue == Int(info[0]), "\(name): stop \(r.stop) vs SciPy istop \(info[0])")
        #expect(r.iterations == Int(info[1]), "\(name): \(r.iterations) iterations vs SciPy \(info[1])")
        // SciPy itself moves x by up to 8e-9 (capped) when only the summation order of A v and Aᵀu changes, and the
        // residual estimates of a consistent system are rounding noise (‖r‖ ≈ 1e-7·‖b‖ in both): hence 1e-7 and 1e-6.
        #expect(relativeError(r.solution, x) <= 1e-7, "\(name): x differs from SciPy's by \(relativeError(r.solution, x))")
        let normb = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(r.residualNorm - info[2]) <= 1e-6 * normb)
        #expect(abs(r.normalResidualNorm - info[3]) <= 1e-6 * info[4] * normb)
        #expect(abs(r.operatorNormEstimate - info[4]) <= 1e-12 * info[4])
        #expect(abs(r.solutionNorm - info[6]) <= 1e-7 * info[6])
    }

    /// Tall and wide, full rank and rank r < min(m, n): LSMR with the default (dense cut-off) stopping rule equals
    /// `Pseudoinverse(of: A).apply(b)`, inconsistent `b` included.
    @Test(arguments: [(40, 15, 15), (15, 40, 15), (40, 15, 6), (15, 40, 6), (30, 30, 10)])
    func defaultStopEqualsDensePseudoinverse(_ m: Int, _ n: Int, _ rank: Int) throws {
        let c = CBackend()
        let a = try c.multiply(Fixtures.gaussian(m, rank, seed: UInt64(m * n + rank)), transposeA: false,
                               Fixtures.gaussian(rank, n, seed: UInt64(rank)), transposeB: false)
        let b = Fixtures.gaussian(m, 1, seed: 77).elements
        let (f, ft) = Self.dense(a)
        let r = try LSMR.solve(rows: m, cols: n, b, apply: f, adjoint: ft)
        let pinv = try Pseudoinverse(of: a)
        #expect(pinv.rank == rank)
        #expect(r.stop.converged)
        let expected = try pinv.apply(Matrix.column(b)).elements
        #expect(relativeError(r.solution, expected) <= 1e-8, "\(m)×\(n) rank \(rank): \(relativeError(r.solution, expected)) after \(r.iterations)")
    }

    @Test func edgeCasesAndBadInput() throws {
        let a = Fixtures.gaussian(5, 3, seed: 1)
        let (f, ft) = Self.dense(a)
        let zero = try LSMR.solve(rows: 5, cols: 3, [Double](repeating: 0, count: 5), apply: f, adjoint: ft)
        #expect(zero.stop == .zeroSolution && zero.iterations == 0 && zero.solution == [0, 0, 0])
        #expect(throws: TangentFlowError.self) { try LSMR.solve(rows: 5, cols: 3, [1, 2], apply: f, adjoint: ft) }
        #expect(throws: TangentFlowError.self) { try LSMR.solve(rows: 5, cols: 3, [1, 2, .nan, 0, 0], apply: f, adjoint: ft) }
        for bad in [LSMROptions(atol: -1), LSMROptions(btol: .infinity), LSMROptions(conlim: 0.5), LSMROptions(maxIterations: 0)] {
            #expect(throws: TangentFlowError.self) { try LSMR.solve(rows: 5, cols: 3, [1, 2, 3, 4, 5], options: bad, apply: f, adjoint: ft) }
        }
        // A product of the wrong length is a shape error, not a crash.
        #expect(throws: TangentFlowError.self) {
            try LSMR.solve(rows: 5, cols: 3, [1, 2, 3, 4, 5], apply: { _ in [1] }, adjoint: ft)
        }
        // The cap: an ill-conditioned least-squares problem does not finish in 2 iterations.
        var u = Fixtures.gaussian(30, 20, seed: 4)
        for j in 0..<20 { for i in 0..<30 { u.elements[i + j * 30] *= pow(10, -Double(j) / 4) } }
        let (g, gt) = Self.dense(u)
        let capped = try LSMR.solve(rows: 30, cols: 20, Fixtures.gaussian(30, 1, seed: 5).elements, options: LSMROptions(maxIterations: 2),
                                    apply: g, adjoint: gt)
        #expect(capped.stop == .iterationLimit && capped.iterations == 2 && !capped.stop.converged)
    }
}
