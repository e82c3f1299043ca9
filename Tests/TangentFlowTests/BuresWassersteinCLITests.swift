import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowDeepLinear
@testable import TangentFlowIO

/// `tangentflow bw lyapunov` and `bw mean` against SciPy (`scripts/make_bw_reference.py`:
/// `solve_continuous_lyapunov`, and the geometric mean through `sqrtm`'s Schur method).
@Suite(.serialized) struct BuresWassersteinCLITests {
    static func reference(_ name: String) throws -> (path: String, matrix: Matrix) {
        let url = try #require(Bundle.module.url(forResource: "bw_" + name, withExtension: "npy", subdirectory: "Resources/reference"))
        return (url.path, try NpyFile.readMatrix(from: url.path))
    }

    static func maxAbs(_ a: Matrix, _ b: Matrix) -> Double { zip(a.elements, b.elements).map { Swift.abs($0 - $1) }.max() ?? 0 }

    @Test func lyapunovMatchesSciPy() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let a = try Self.reference("A"), x = try Self.reference("X"), y = try Self.reference("lyapunov")
        let r = try CLIRunner.run(["bw", "lyapunov", "--a", a.path, "--x", x.path, "-o", dir + "/Y.npy", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let out = try NpyFile.readMatrix(from: dir + "/Y.npy")
        #expect(out.rows == 6 && out.cols == 6)
        let scale = y.matrix.elements.map(Swift.abs).max()!
        // κ(A) = 1e3: the solution is determined to ~κ·ε relative.
        #expect(Self.maxAbs(out, y.matrix) <= 1e-12 * scale, "\(Self.maxAbs(out, y.matrix))")
        #expect(r.stdout.contains("\"relative_residual\""))
        // The C and Swift backends of the library agree with the command.
        let lib = try BuresWasserstein.lyapunov(a.matrix, x.matrix, backend: .swift)
        #expect(Self.maxAbs(lib, y.matrix) <= 1e-12 * scale)
    }

    @Test func geometricMeanMatchesSciPyAndSolvesTheRiccatiEquation() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let a = try Self.reference("A"), b = try Self.reference("B"), m = try Self.reference("mean")
        let r = try CLIRunner.run(["bw", "mean", "--a", a.path, "--b", b.path, "-o", dir + "/M.npy"])
        #expect(r.status == 0, "\(r.stderr)")
        let out = try NpyFile.readMatrix(from: dir + "/M.npy")
        let scale = m.matrix.elements.map(Swift.abs).max()!
        #expect(Self.maxAbs(out, m.matrix) <= 1e-11 * scale, "\(Self.maxAbs(out, m.matrix))")
        #expect(try BuresWasserstein.riccatiResidual(out, a.matrix, b.matrix) <= 1e-12)
        // A # B = B # A (symmetry of the geometric mean), an identity SciPy's data does not use.
        let swapped = try BuresWasserstein.geometricMean(b.matrix, a.matrix)
        #expect(Self.maxAbs(swapped, out) <= 1e-11 * scale)
    }

    @Test func badInputsAreDataErrorsNamingTheOption() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let a = try Self.reference("A"), x = try Self.reference("X")
        try NpyFile.write(DenseOps.diagonal([1, -2, 3, 1, 1, 1]), to: dir + "/indefinite.npy")
        try NpyFile.write(DenseOps.diagonal([1, 2]), to: dir + "/small.npy")
        let cases: [([String], String)] = [
            (["bw", "lyapunov", "--a", x.path, "--x", a.path, "-o", dir + "/o.npy"], "--a"),
            (["bw", "lyapunov", "--a", dir + "/indefinite.npy", "--x", a.path, "-o", dir + "/o.npy"], "smallest eigenvalue"),
            (["bw", "lyapunov", "--a", a.path, "--x", dir + "/small.npy", "-o", dir + "/o.npy"], "same size"),
            (["bw", "mean", "--a", a.path, "--b", dir + "/indefinite.npy", "-o", dir + "/o.npy"], "--b"),
        ]
        for (argv, needle) in cases {
            let r = try CLIRunner.run(argv)
            #expect(r.status == 65, "\(argv): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(argv): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/o.npy"))
        }
    }
}
