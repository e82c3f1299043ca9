import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowIO

/// `tangentflow ntk-spectrum` end to end: the files it writes against the dense NTK's eigendecomposition, the
/// order and layout of eigenvalues and eigenvectors, the JSON summary, and status 75 when it does not converge.
@Suite struct NTKSpectrumCLITests {
    @Test(arguments: SpectrumEnd.allCases)
    func writesEigenpairsOfTheDenseNTK(_ which: SpectrumEnd) throws {
        let dir = try CLIRunner.temporaryDirectory()
        let (net, theta, x) = Fixtures.smallMLP(widths: [3, 8, 6, 2], activation: .tanh, samples: 15, seed: 4)
        try NpyFile.write(vector: theta, to: dir + "/theta.npy")
        try NpyFile.write(x, to: dir + "/X.npy")
        let r = try CLIRunner.run([
            "ntk-spectrum", "--widths", "3,8,6,2", "--theta", dir + "/theta.npy", "--x", dir + "/X.npy", "--k", "3",
            "--which", which.rawValue, "--max-iter", "3000", "--json", "-o", dir + "/s",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"residuals\"") && r.stdout.contains("\"converged\": true"))
        let values = try NpyFile.readVector(from: dir + "/s/eigenvalues.npy")
        let vectors = try NpyFile.readMatrix(from: dir + "/s/eigenvectors.npy")
        let g = try ntkGram(net, theta: theta, inputs: x)
        let dense = try CBackend().symmetricEigen(g).values
        let want = which == .largest ? Array(dense.reversed().prefix(3)) : Array(dense.prefix(3))
        #expect(vectors.rows == g.rows && vectors.cols == 3)
        for j in 0..<3 { #expect(abs(values[j] - want[j]) <= 1e-9 * dense.last!, "λ\(j)") }
        let gv = try CBackend().multiply(g, transposeA: false, vectors, transposeB: false)
        for j in 0..<3 {
            var res = 0.0
            for i in 0..<g.rows { res += pow(gv[i, j] - values[j] * vectors[i, j], 2) }
            #expect(res.squareRoot() <= 1e-8 * dense.last!)
        }
        #expect(FileManager.default.fileExists(atPath: dir + "/s/run.json"))
    }

    /// `--probe converged` on a linear model (every eigenvalue of `Θ = (XXᵀ + 1) ⊗ I_Q` repeated Q = 5 times):
    /// the top 9 against the dense eigenvalues of `ntkGram`, the mode in the summary; a misspelt mode is a usage
    /// error naming the option.
    @Test func convergedProbeOnALinearModel() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let (net, theta, x) = Fixtures.smallMLP(widths: [4, 5], activation: .identity, samples: 60, seed: 17)
        try NpyFile.write(vector: theta, to: dir + "/theta.npy")
        try NpyFile.write(x, to: dir + "/X.npy")
        let base = ["ntk-spectrum", "--widths", "4,5", "--activation", "identity", "--theta", dir + "/theta.npy", "--x", dir + "/X.npy",
                    "--k", "9", "--json", "-o", dir + "/s"]
        let r = try CLIRunner.run(base + ["--probe", "converged"])
        #expect(r.status == 0 && r.stdout.contains("\"probe\": \"converged\""), "\(r.stderr)")
        let values = try NpyFile.readVector(from: dir + "/s/eigenvalues.npy")
        let dense = Array(try CBackend().symmetricEigen(try ntkGram(net, theta: theta, inputs: x)).values.reversed())
        #expect(values.count == 9)
        for j in 0..<values.count { #expect(abs(values[j] - dense[j]) <= 1e-9 * dense[0], "λ\(j): \(values[j]) vs \(dense[j])") }
        let bad = try CLIRunner.run(base + ["--probe", "fast"])
        #expect(bad.status == 64 && bad.stderr.contains("--probe"), "\(bad.stderr)")
    }

    /// `--dense-limit`: the smallest end of a small NTK by the dense route (default) and by Lanczos
    /// (`--dense-limit 0`), both against `ntkGram`'s eigenvalues, with the route in the summary. On 40 samples
    /// (QN = 80 < K = 100, clustered small eigenvalues) Lanczos stalls even with 3,000 restarts; its hint names
    /// `--dense-limit 80`.
    @Test func denseLimitChoosesTheRouteOfTheSmallestEnd() throws {
        let dir = try CLIRunner.temporaryDirectory()
        func run(samples: Int, _ extra: [String]) throws -> (CLIRunner.Result, [Double]) {
            let (net, theta, x) = Fixtures.smallMLP(widths: [3, 8, 6, 2], activation: .tanh, samples: samples, seed: 6)
            try NpyFile.write(vector: theta, to: dir + "/theta.npy")
            try NpyFile.write(x, to: dir + "/X.npy")
            let r = try CLIRunner.run(["ntk-spectrum", "--widths", "3,8,6,2", "--theta", dir + "/theta.npy", "--x", dir + "/X.npy",
                                       "--k", "3", "--which", "smallest", "--json"] + extra)
            return (r, try CBackend().symmetricEigen(try ntkGram(net, theta: theta, inputs: x)).values)
        }
        for (limit, method) in [(nil, "dense"), ("0", "lanczos")] as [(String?, String)] {
            let out = dir + "/s-\(method)"
            let (r, dense) = try run(samples: 15, (limit.map { ["--dense-limit", $0] } ?? []) + ["--max-iter", "3000", "-o", out])
            #expect(r.status == 0 && r.stdout.contains("\"method\": \"\(method)\""), "\(method): \(r.status) \(r.stderr)")
            let values = try NpyFile.readVector(from: out + "/eigenvalues.npy")
            for j in 0..<3 { #expect(abs(values[j] - dense[j]) <= 1e-9 * dense.last!, "\(method) λ\(j): \(values[j]) vs \(dense[j])") }
        }
        let (stopped, _) = try run(samples: 40, ["--dense-limit", "0", "--max-iter", "3000", "-o", dir + "/stop"])
        #expect(stopped.status == 75 && stopped.stderr.contains("--dense-limit 80"), "\(stopped.stderr)")
        let (formed, dense40) = try run(samples: 40, ["-o", dir + "/formed"])
        #expect(formed.status == 0 && formed.stdout.contains("\"method\": \"dense\""), "\(formed.stderr)")
        let values = try NpyFile.readVector(from: dir + "/formed/eigenvalues.npy")
        for j in 0..<3 { #expect(abs(values[j] - dense40[j]) <= 1e-9 * dense40.last!, "N = 40 λ\(j): \(values[j]) vs \(dense40[j])") }
    }

    @Test func notConvergingExits75AndKeepsTheFolderClean() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let (_, theta, x) = Fixtures.smallMLP(widths: [3, 8, 6, 2], samples: 40, seed: 4)
        try NpyFile.write(vector: theta, to: dir + "/theta.npy")
        try NpyFile.write(x, to: dir + "/X.npy")
        let r = try CLIRunner.run([
            "ntk-spectrum", "--widths", "3,8,6,2", "--theta", dir + "/theta.npy", "--x", dir + "/X.npy", "--k", "6",
            "--which", "largest", "--ncv", "8", "--max-iter", "1", "-o", dir + "/s",
        ])
        #expect(r.status == 75 && r.stderr.contains("converged"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/s/eigenvalues.npy"))
    }
}
