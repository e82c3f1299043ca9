import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowIO

/// `tangentflow ntk --kernel adapted | alpha-metric`: the adapted kernel (3.17) with the positivity test (3.16),
/// and the α-metric tensor (2.45)/(2.46) of arXiv 2408.01517, against references formed another way — the SVD
/// route's `P_ran(D)` of the materialised Jacobian, and `(α1 + (1−α)Θ)⁻¹` by a dense pseudoinverse.
@Suite(.serialized) struct NTKKernelCLITests {
    static func setUp(widths: [Int], samples: Int, seed: UInt64) throws -> (dir: String, args: [String], jacobian: Matrix) {
        let dir = try CLIRunner.temporaryDirectory()
        let net = try MLP(widths: widths, activation: .tanh)
        let theta = net.initialParameters(seed: seed)
        let x = Fixtures.gaussian(samples, widths[0], seed: seed + 1)
        try NpyFile.write(vector: theta, to: dir + "/theta.npy")
        try NpyFile.write(x, to: dir + "/X.npy")
        let args = ["ntk", "--widths", widths.map(String.init).joined(separator: ","), "--theta", dir + "/theta.npy", "--x", dir + "/X.npy"]
        return (dir, args, try CBackend().mlpJacobian(net, theta: theta, inputs: x))
    }

    static func results(_ stdout: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]
        return try #require(object?["results"] as? [String: Any])
    }

    static func identity(_ n: Int) -> Matrix {
        var m = Matrix(zerosRows: n, cols: n)
        for i in 0..<n { m.elements[i + i * n] = 1 }
        return m
    }

    /// Full rank (K = 50 ≥ QN = 8): (3.16) holds and K = δ_ij 1_Q. Rank loss (K = 8 < QN = 12): (3.16) fails, K is
    /// the SVD route's projector P_ran(D) (trace = rank ≤ 8), not the identity.
    @Test func adaptedKernelAndPositivity() throws {
        for (widths, samples, positive) in [([3, 8, 2], 4, true), ([3, 1, 2], 6, false)] {
            let (dir, args, d) = try Self.setUp(widths: widths, samples: samples, seed: 601)
            let r = try CLIRunner.run(args + ["--kernel", "adapted", "-o", dir + "/K.npy", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let res = try Self.results(r.stdout)
            #expect(res["positive_definite"] as? Bool == positive)
            let k = try NpyFile.readMatrix(from: dir + "/K.npy")
            let svd = try Pseudoinverse(of: d)
            #expect(res["rank"] as? Int == svd.rank)
            let reference = try svd.projectOntoRange(Self.identity(d.rows))
            #expect(relativeError(k, reference) <= 1e-9, "widths \(widths)")
            let toIdentity = relativeError(k, Self.identity(d.rows))
            if positive { #expect(toIdentity <= 1e-10) } else { #expect(toIdentity > 0.1, "rank loss: K is not the identity") }
        }
    }

    /// The tensor times (α1 + (1−α)Θ) is P_ran(Θ) (= 1 at full rank), for α = 0, 0.3, 1; at full rank it equals the
    /// dense inverse of α1 + (1−α)Θ.
    @Test func alphaMetricTensor() throws {
        let (dir, args, d) = try Self.setUp(widths: [3, 8, 2], samples: 4, seed: 611)
        let g = try CBackend().multiply(d, transposeA: false, d, transposeB: true)
        let n = g.rows
        for alpha in [0.0, 0.3, 1.0] {
            let r = try CLIRunner.run(args + ["--kernel", "alpha-metric", "--alpha", "\(alpha)", "-o", dir + "/H.npy"])
            #expect(r.status == 0, "\(r.stderr)")
            let h = try NpyFile.readMatrix(from: dir + "/H.npy")
            var m = g
            for i in 0..<m.elements.count { m.elements[i] *= (1 - alpha) }
            for i in 0..<n { m.elements[i + i * n] += alpha }
            let inverse = try Pseudoinverse(of: m).matrix
            #expect(relativeError(h, inverse) <= 1e-8, "α = \(alpha)")
        }
    }

    @Test func usageErrors() throws {
        let (dir, args, _) = try Self.setUp(widths: [3, 4, 2], samples: 3, seed: 621)
        let cases: [([String], String)] = [
            (["--kernel", "alpha-metric"], "--alpha"),
            (["--alpha", "0.5"], "--alpha"),
            (["--kernel", "adapted", "--x2", dir + "/X.npy"], "--x2"),
            (["--kernel", "alpha-metric", "--alpha", "1.5"], "--alpha"),
            (["--kernel", "bogus"], "--kernel"),
        ]
        for (extra, mention) in cases {
            let r = try CLIRunner.run(args + extra + ["-o", dir + "/out.npy"])
            #expect(r.status == 64 && r.stderr.contains(mention), "\(extra): \(r.status) \(r.stderr)")
        }
    }
}
