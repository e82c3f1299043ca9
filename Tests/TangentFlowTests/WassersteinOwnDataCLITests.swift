import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowIO

/// `tangentflow wasserstein …` on a user's own data and network (issue #26): files holding exactly the default
/// data and neurons reproduce the default run's CSV byte for byte; other data changes it; bad files are refused.
@Suite(.serialized) struct WassersteinOwnDataCLITests {
    /// The default experiment inputs, written the way a user would: x (16×1), y (16), θ (m×2), signs (m).
    static func writeDefaults(_ dir: String, neurons m: Int, scale: Double) throws {
        let x = (0..<16).map { -1 + 2 * Double($0) / 15 }
        let y = x.map { max(0, 1.5 * $0 - 0.2) + max(0, -1.2 * $0 - 0.1) - max(0, 0.6 * $0 + 0.5) + 0.4 }
        try NpyFile.write(Matrix.column(x), to: dir + "/X.npy")
        try NpyFile.write(vector: y, to: dir + "/Y.npy")
        var rng = SeededGenerator(seed: 1)
        let g = try Matrix.gaussian(rows: m, cols: 2, using: &rng)
        try NpyFile.write(try Matrix(rows: m, cols: 2, columnMajor: g.elements.map { $0 * scale }), to: dir + "/W.npy")
        try NpyFile.write(vector: (0..<m).map { $0 % 2 == 0 ? 1 : -1 }, to: dir + "/S.npy")
    }

    @Test func ownFilesWithTheDefaultContentReproduceTheDefaultRun() throws {
        let dir = try CLIRunner.temporaryDirectory()
        try Self.writeDefaults(dir, neurons: 6, scale: 0.5)
        let base = ["wasserstein", "gd-vs-prox", "--neurons", "6", "--time", "2"]
        let a = try CLIRunner.run(base + ["-o", dir + "/default"])
        let b = try CLIRunner.run(["wasserstein", "gd-vs-prox", "--time", "2", "--x", dir + "/X.npy", "--y", dir + "/Y.npy",
                                   "--theta", dir + "/W.npy", "--signs", dir + "/S.npy", "-o", dir + "/own"])
        #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
        let csvA = try String(contentsOfFile: dir + "/default/gd-vs-prox.csv", encoding: .utf8)
        let csvB = try String(contentsOfFile: dir + "/own/gd-vs-prox.csv", encoding: .utf8)
        #expect(csvA == csvB)
        // Other targets change the run (a test of the test).
        try NpyFile.write(vector: (0..<16).map { 0.1 * Double($0) }, to: dir + "/Y2.npy")
        let c = try CLIRunner.run(["wasserstein", "gd-vs-prox", "--time", "2", "--x", dir + "/X.npy", "--y", dir + "/Y2.npy",
                                   "--theta", dir + "/W.npy", "-o", dir + "/other"])
        #expect(c.status == 0, "\(c.stderr)")
        #expect(try String(contentsOfFile: dir + "/other/gd-vs-prox.csv", encoding: .utf8) != csvA)
        // Flipped signs change it too.
        try NpyFile.write(vector: (0..<6).map { $0 % 2 == 0 ? -1 : 1 }, to: dir + "/S2.npy")
        let d = try CLIRunner.run(["wasserstein", "gd-vs-prox", "--time", "2", "--x", dir + "/X.npy", "--y", dir + "/Y.npy",
                                   "--theta", dir + "/W.npy", "--signs", dir + "/S2.npy", "-o", dir + "/flipped"])
        let flipped = try String(contentsOfFile: dir + "/flipped/gd-vs-prox.csv", encoding: .utf8)
        #expect(d.status == 0 && flipped != csvA)
    }

    @Test func jkoTakesOwnScalarData() throws {
        let dir = try CLIRunner.temporaryDirectory()
        try Self.writeDefaults(dir, neurons: 2, scale: 1)
        let r = try CLIRunner.run(["wasserstein", "jko", "--grid", "8", "--steps", "2", "--x", dir + "/X.npy", "--y", dir + "/Y.npy", "-o", dir + "/jko", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/jko/jko.csv"))
        #expect(r.stdout.contains("\"x\"") && r.stdout.contains("X.npy"))
    }

    @Test func badOwnDataIsRefusedNamingTheOption() throws {
        let dir = try CLIRunner.temporaryDirectory()
        try Self.writeDefaults(dir, neurons: 4, scale: 0.5)
        try NpyFile.write(vector: [1, 2, 3], to: dir + "/Y3.npy")
        try NpyFile.write(try Matrix(rows: 4, cols: 3), to: dir + "/W3.npy")
        try NpyFile.write(vector: [1, 0, 1, -1], to: dir + "/Sbad.npy")
        try NpyFile.write(try Matrix(rows: 16, cols: 2), to: dir + "/X2.npy")
        let x = dir + "/X.npy", y = dir + "/Y.npy"
        let cases: [([String], Int32, String)] = [
            (["gd-vs-prox", "--x", x], 64, "--x and --y go together"),
            (["gd-vs-prox", "--x", x, "--y", dir + "/Y3.npy"], 65, "--y has 3 targets"),
            (["gd-vs-prox", "--x", x, "--y", y, "--theta", dir + "/W3.npy"], 65, "--theta"),
            (["gd-vs-prox", "--x", x, "--y", y, "--theta", dir + "/W.npy", "--neurons", "5"], 64, "contradicts --theta"),
            (["gd-vs-prox", "--x", x, "--y", y, "--theta", dir + "/W.npy", "--signs", dir + "/Sbad.npy"], 65, "--signs"),
            (["init-scale", "--x", dir + "/X2.npy", "--y", y], 65, "scalar inputs"),
            (["jko", "--x", dir + "/X2.npy", "--y", y], 65, "scalar inputs"),
        ]
        for (argv, status, needle) in cases {
            let r = try CLIRunner.run(["wasserstein"] + argv + ["-o", dir + "/out"])
            #expect(r.status == status, "\(argv): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(argv): \(r.stderr)")
        }
    }

    @Test func eachExperimentHasItsOwnDefaultFolder() throws {
        for (cmd, folder) in [("gd-vs-prox", "wasserstein-gd-vs-prox"), ("init-scale", "wasserstein-init-scale"), ("jko", "wasserstein-jko")] {
            let h = try CLIRunner.run(["wasserstein", cmd, "--help"])
            #expect(h.stdout.contains(folder), "\(cmd)")
        }
    }
}
