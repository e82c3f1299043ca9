import Foundation
import Testing

@testable import TangentFlow

/// The adapted kernel (3.17) and the positivity test (3.16) of 2408.01517, against the literal formula
/// `D(DᵀD)⁺Dᵀ` from the materialised Jacobian (SVD pseudoinverse of `DᵀD`, a route that never forms `G`).
@Suite struct AdaptedKernelTests {
    /// `D(DᵀD)⁺Dᵀ` as printed.
    static func literalKernel(_ d: Matrix) throws -> Matrix {
        let k = SwiftBackend()
        let dtd = try k.multiply(d, transposeA: true, d, transposeB: false)
        let inv = try pseudoinverse(of: dtd)
        return try k.multiply(k.multiply(d, transposeA: false, inv, transposeB: false), transposeA: false, d, transposeB: true)
    }

    @Test func fullRankKernelIsTheIdentityKernelOnTheData() throws {
        let (problem, theta) = try FlowTheoremTests.fullRankProblem()
        let kernel = try AdaptedKernel(problem: problem, theta: theta)
        #expect(kernel.rank == problem.outputCount)
        #expect(kernel.distanceFromIdentityKernel <= 1e-12)
        for i in 0..<problem.samples {
            for j in 0..<problem.samples {
                let b = kernel.block(i, j)
                for r in 0..<2 { for c in 0..<2 { #expect(abs(b[r, c] - (i == j && r == c ? 1 : 0)) <= 1e-12) } }
            }
        }
        #expect(relativeError(kernel.matrix, try Self.literalKernel(problem.jacobian(theta))) <= 1e-8)
        let positivity = try NTKPositivity(problem: problem, theta: theta)
        #expect(positivity.isPositiveDefinite)
        #expect(positivity.smallestEigenvalue > positivity.threshold)
        // (3.16) itself, on random u: Σ_{ij} u_iᵀΘ(x_i, x_j)u_j = |Dᵀu|² > 0, with Dᵀu by the VJP (no G).
        var r = SeededGenerator(seed: 81)
        for _ in 0..<5 {
            let u = (0..<problem.outputCount).map { _ in r.nextGaussian() }
            let dtu = try problem.pullback(theta, u)
            #expect(norm2(dtu) * norm2(dtu) >= positivity.smallestEigenvalue * norm2(u) * norm2(u) * (1 - 1e-9))
        }
    }

    @Test func underRankLossTheKernelIsTheProjectorNotTheIdentity() throws {
        let (problem, theta) = try AlphaMetricTests.rankDeficientProblem()
        let kernel = try AdaptedKernel(problem: problem, theta: theta)
        #expect(kernel.rank == 8)
        #expect(kernel.distanceFromIdentityKernel > 0.1)
        let literal = try Self.literalKernel(problem.jacobian(theta))
        #expect(relativeError(kernel.matrix, literal) <= 1e-8)
        // Symmetric, idempotent, trace = rank.
        let k = SwiftBackend()
        let sq = try k.multiply(kernel.matrix, transposeA: false, kernel.matrix, transposeB: false)
        #expect(relativeError(sq, kernel.matrix) <= 1e-12)
        let trace = (0..<10).reduce(0.0) { $0 + kernel.matrix[$1, $1] }
        #expect(abs(trace - 8) <= 1e-12)
        let positivity = try NTKPositivity(problem: problem, theta: theta)
        #expect(!positivity.isPositiveDefinite && positivity.rank == 8)
        // The witness u violates (3.16): Dᵀu = 0 by the VJP, though |u| = 1.
        #expect(abs(norm2(positivity.nullDirection) - 1) <= 1e-12)
        #expect(norm2(try problem.pullback(theta, positivity.nullDirection)) <= 1e-7 * positivity.largestEigenvalue.squareRoot())
    }

    @Test func adaptedFlowMovesOutputsByTheAdaptedKernel() throws {
        // x' = −Θ g for the standard flow (2.18) becomes x' = −K g for the adapted one (2.28): §3.3's reading.
        for (problem, theta) in [try FlowTheoremTests.fullRankProblem(), try AlphaMetricTests.rankDeficientProblem()] {
            let g = problem.outputGradient(try problem.outputs(theta))
            let kg = try SwiftBackend().multiply(AdaptedKernel(problem: problem, theta: theta).matrix, transposeA: false, Matrix.column(g), transposeB: false)
            let v = try AdaptedFlow(problem: problem, route: .svd).velocity(at: 0, theta)
            #expect(relativeError(try problem.pushforward(theta, v), kg.elements.map { -$0 }) <= 1e-9)
        }
    }

    @Test func positivityAgreesWithTheRankOfTheJacobian() throws {
        // Duplicated inputs make D lose rank whatever θ: (3.16) must fail; distinct inputs, K ≫ QN: it holds.
        let net = try MLP(widths: [3, 10, 2], activation: .tanh)
        var r = SeededGenerator(seed: 82)
        var x = try Matrix.gaussian(rows: 4, cols: 3, using: &r)
        let theta = net.initialParameters(seed: 83)
        let y = try Matrix.gaussian(rows: 4, cols: 2, using: &r)
        let distinct = try NTKPositivity(problem: TrainingProblem(model: net, inputs: x, targets: y), theta: theta)
        for j in 0..<3 { x[3, j] = x[0, j] }
        let problem = try TrainingProblem(model: net, inputs: x, targets: y)
        let duplicated = try NTKPositivity(problem: problem, theta: theta)
        let svdRank = try Pseudoinverse(of: problem.jacobian(theta)).rank
        #expect(distinct.isPositiveDefinite && distinct.rank == 8)
        #expect(!duplicated.isPositiveDefinite && duplicated.rank == svdRank && svdRank == 6)
    }

    @Test func badArgumentsThrow() throws {
        #expect(throws: TangentFlowError.self) { try AdaptedKernel(gram: Matrix(zerosRows: 5, cols: 5), outputDimension: 2, parameterCount: 3) }
        var asym = Matrix(zerosRows: 2, cols: 2)
        asym[0, 1] = 1
        #expect(throws: TangentFlowError.self) { try NTKPositivity(gram: asym, parameterCount: 3) }
    }
}
