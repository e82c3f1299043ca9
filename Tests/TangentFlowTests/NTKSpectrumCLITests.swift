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
