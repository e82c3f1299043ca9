import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowDeepLinear
@testable import TangentFlowIO

/// `tangentflow dln metric | distance | flow | geodesic-vs-flow` against SciPy (`scripts/make_dln_reference.py`:
/// the d²×d² Kronecker matrix of A_{N,W} with `fractional_matrix_power`, flows by `solve_ivp` DOP853) and against
/// the closed forms of the library.
@Suite(.serialized) struct DeepLinearCommandTests {
    static func reference(_ name: String) throws -> (path: String, matrix: Matrix) {
        let url = try #require(Bundle.module.url(forResource: "dln_" + name, withExtension: "npy", subdirectory: "Resources/reference"))
        return (url.path, (try? NpyFile.readMatrix(from: url.path)) ?? Matrix(zerosRows: 0, cols: 0))
    }

    static func stack(_ name: String) throws -> [Matrix] { try NpyFile.readStack(from: try reference(name).path) }

    static func json(_ stdout: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]
        return try #require(object?["results"] as? [String: Any])
    }

    /// g_W(X, X) and g_W(X, Z) at N = 3 equal SciPy's Kronecker route to 1e-12 relative (κ(A) ≈ 10²).
    @Test func metricMatchesSciPy() throws {
        let w = try Self.reference("W"), x = try Self.reference("X"), z = try Self.reference("Z"), g = try Self.reference("metric").matrix
        let r = try CLIRunner.run(["dln", "metric", "--w", w.path, "--x", x.path, "--depth", "3", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let res = try Self.json(r.stdout)
        let value = try #require(res["metric"] as? Double), norm = try #require(res["norm"] as? Double)
        #expect(Swift.abs(value - g.elements[0]) <= 1e-12 * g.elements[0], "\(value) vs \(g.elements[0])")
        #expect(Swift.abs(norm * norm - g.elements[0]) <= 1e-12 * g.elements[0])
        let cross = try CLIRunner.run(["dln", "metric", "--w", w.path, "--x", x.path, "--y", z.path, "--depth", "3", "--json"])
        let c = try #require(try Self.json(cross.stdout)["metric"] as? Double)
        #expect(Swift.abs(c - g.elements[1]) <= 1e-12 * Swift.abs(g.elements[0]), "\(c) vs \(g.elements[1])")
    }

    /// Distance: the closed form for shared singular vectors, and for the rotation I → Q (no shared singular
    /// vectors with a general frame: shooting) the independent closed form √N‖Q^{1/N} − I‖_F.
    @Test func distanceMatchesClosedForms() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let (w0, w1, _, _) = DeepLinearGeodesicTests.sharedPair()
        try NpyFile.write(w0, to: dir + "/W0.npy")
        try NpyFile.write(w1, to: dir + "/W1.npy")
        let r = try CLIRunner.run(["dln", "distance", "--a", dir + "/W0.npy", "--b", dir + "/W1.npy", "--depth", "4", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let res = try Self.json(r.stdout)
        let explicit = try SharedSingularVectorGeodesic(from: w0, to: w1, depth: .finite(4)).length!
        #expect(res["method"] as? String == "explicit")
        #expect(Swift.abs((res["distance"] as? Double ?? 0) - explicit) <= 1e-14 * explicit)

        let q = DeepLinearClosedFormTests.rotation(1.7)
        try NpyFile.write(DenseOps.identity(3), to: dir + "/I.npy")
        try NpyFile.write(q, to: dir + "/Q.npy")
        let s = try CLIRunner.run(["dln", "distance", "--a", dir + "/I.npy", "--b", dir + "/Q.npy", "--depth", "3", "--method", "shooting", "--json"])
        #expect(s.status == 0, "\(s.stderr)")
        let shot = try Self.json(s.stdout)
        let closed = try CommutingNormalGeodesic.rotation(q, depth: 3).length
        #expect(shot["method"] as? String == "shooting")
        #expect(Swift.abs((shot["distance"] as? Double ?? 0) - closed) <= 1e-7 * closed, "\(shot["distance"] ?? "nil") vs \(closed)")
    }

    /// The end-to-end flow matches SciPy's DOP853 to 1e-9; the upstairs flow from SciPy's unbalanced factors
    /// matches its products; from the balanced network of W₀ the upstairs products equal the end-to-end flow
    /// (Arora–Cohen–Hazan) and the balancedness defects are conserved.
    @Test func flowsMatchSciPy() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let w0 = try Self.reference("W0"), y = try Self.reference("Y")
        let e2e = try Self.stack("flow_e2e"), up = try Self.stack("flow_up")
        let r = try CLIRunner.run(["dln", "flow", "--end-to-end", "--w", w0.path, "--target", y.path, "--depth", "3", "--time", "1",
                                   "--points", "11", "-o", dir + "/e2e.npy"])
        #expect(r.status == 0, "\(r.stderr)")
        let ours = try NpyFile.readStack(from: dir + "/e2e.npy")
        #expect(ours.count == 11)
        for k in 0..<11 { #expect(DLN.close(ours[k], e2e[k]) <= 1e-9, "end-to-end point \(k): \(DLN.close(ours[k], e2e[k]))") }

        let factors = try Self.reference("factors0").path
        let u = try CLIRunner.run(["dln", "flow", "--upstairs", "--factors", factors, "--target", y.path, "--time", "1", "--points", "11",
                                   "-o", dir + "/up.npy", "--factors-output", dir + "/F.npy", "--json"])
        #expect(u.status == 0, "\(u.stderr)")
        let upOurs = try NpyFile.readStack(from: dir + "/up.npy")
        for k in 0..<11 { #expect(DLN.close(upOurs[k], up[k]) <= 1e-9, "upstairs point \(k): \(DLN.close(upOurs[k], up[k]))") }
        #expect(try NpyFile.readStack(from: dir + "/F.npy").count == 33)
        #expect((try Self.json(u.stdout)["balancedness_drift"] as? Double ?? 1) <= 1e-9)
        // Different from the balanced flow: the start is not balanced.
        #expect(DLN.close(up[10], e2e[10]) > 1e-3)

        let b = try CLIRunner.run(["dln", "flow", "--upstairs", "--w", w0.path, "--target", y.path, "--depth", "3", "--points", "11", "-o", dir + "/bal.npy"])
        #expect(b.status == 0, "\(b.stderr)")
        let balanced = try NpyFile.readStack(from: dir + "/bal.npy")
        for k in 0..<11 { #expect(DLN.close(balanced[k], e2e[k]) <= 1e-9, "balanced upstairs point \(k)") }
    }

    /// The experiment's headline at a small size: N = 1 the flow is the geodesic (ratio 1 to 1e-6, deviation
    /// ≤ 1e-6), N = 2 it is not (ratio > 1.01, deviation > 0.05); files and a complete run.json are written.
    @Test func geodesicVersusFlowHeadline() throws {
        let dir = try CLIRunner.temporaryDirectory() + "/gvf"
        let r = try CLIRunner.run(["dln", "geodesic-vs-flow", "--depths", "1,2", "--time", "3", "--fractions", "11", "-o", dir, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let res = try Self.json(r.stdout)
        let r1 = try #require(res["ratio_N1"] as? Double), r2 = try #require(res["ratio_N2"] as? Double)
        #expect(Swift.abs(r1 - 1) <= 1e-6, "N = 1 ratio \(r1)")
        #expect((res["deviation_N1"] as? Double ?? 1) <= 1e-6)
        #expect(r2 > 1.01, "N = 2 ratio \(r2)")
        #expect((res["deviation_N2"] as? Double ?? 0) > 0.05)
        for f in ["geodesic-vs-flow.csv", "geodesic-vs-flow-summary.csv", "geodesic-vs-flow.svg", "run.json"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/" + f), "\(f)")
        }
        let run = try String(contentsOfFile: dir + "/run.json", encoding: .utf8)
        #expect(run.contains("\"complete\"") && run.contains("ratio_N2"))
    }

    /// Bad input: a singular W (65, naming --w), contradicting flags (64), endpoints in different components (65).
    @Test func badInputs() throws {
        let dir = try CLIRunner.temporaryDirectory()
        try NpyFile.write(DenseOps.diagonal([1, 0, 2]), to: dir + "/S.npy")
        try NpyFile.write(DenseOps.identity(3), to: dir + "/I.npy")
        try NpyFile.write(DenseOps.diagonal([1, 1, -1]), to: dir + "/R.npy")
        let m = try CLIRunner.run(["dln", "metric", "--w", dir + "/S.npy", "--x", dir + "/I.npy"])
        #expect(m.status == 65 && m.stderr.contains("--w") && m.stderr.contains("σ_min"), "\(m.stderr)")
        let f = try CLIRunner.run(["dln", "flow", "--upstairs", "--end-to-end", "--w", dir + "/I.npy", "--target", dir + "/I.npy", "-o", dir + "/o.npy"])
        #expect(f.status == 64 && f.stderr.contains("--upstairs"))
        let d = try CLIRunner.run(["dln", "distance", "--a", dir + "/I.npy", "--b", dir + "/R.npy"])
        #expect(d.status == 65 && d.stderr.contains("different components"), "\(d.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/o.npy"))
    }
}
