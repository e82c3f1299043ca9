import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein
@testable import TangentFlowIO

/// `tangentflow ot assign` and `ot sinkhorn-grid` (issue #13 §4): outputs follow the contract and equal the
/// library's; bad input gives one error line and a non-zero exit.
@Suite(.serialized) struct OTCLITests {
    @Test func assignWritesTheOptimalPermutation() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let x = Fixtures.gaussian(40, 3, seed: 5), y = Fixtures.gaussian(40, 3, seed: 6)
        try NpyFile.write(x, to: dir + "/X.npy")
        try NpyFile.write(y, to: dir + "/Y.npy")
        let r = try CLIRunner.run(["ot", "assign", "--x", dir + "/X.npy", "--y", dir + "/Y.npy", "-o", dir + "/perm.npy"])
        #expect(r.status == 0, "\(r.stderr)")
        let perm = try NpyFile.readInt64Vector(from: dir + "/perm.npy")
        #expect(Set(perm) == Set(0..<40))
        let (w2, libraryPerm) = try LinearAssignment.wassersteinSquared(x, y, backend: .swift)
        #expect(perm == libraryPerm)
        let printed = Double(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "cost=", with: ""))
        #expect(printed.map { abs($0 - w2) <= 1e-12 * w2 } == true, "stdout: \(r.stdout)")

        try NpyFile.write(Fixtures.gaussian(41, 3, seed: 7), to: dir + "/Z.npy")
        let mismatch = try CLIRunner.run(["ot", "assign", "--x", dir + "/X.npy", "--y", dir + "/Z.npy", "-o", dir + "/p.npy"])
        #expect(mismatch.status == 65 && mismatch.stderr.hasPrefix("Error: ") && mismatch.stderr.contains("same shape"))
        let missing = try CLIRunner.run(["ot", "assign", "--x", dir + "/X.npy", "-o", dir + "/p.npy"])
        #expect(missing.status == 64 && missing.stderr.contains("--y"))
    }

    @Test func sinkhornGridWritesPotentialsOfThePlan() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let n = 8, grid = try RegularGrid2D.unitSquare(n)
        let a = GridSinkhornTests.density(grid, (0.2, 0.3), (0.7, 0.6)), b = GridSinkhornTests.density(grid, (0.8, 0.2), (0.3, 0.7))
        try NpyFile.write(vector: a, to: dir + "/a.npy")
        try NpyFile.write(vector: b, to: dir + "/b.npy")
        let r = try CLIRunner.run([
            "ot", "sinkhorn-grid", "--n", "\(n)", "--a", dir + "/a.npy", "--b", dir + "/b.npy", "--reg", "0.01", "--tol", "1e-11", "-o", dir + "/out",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("iterations=") && r.stdout.contains("error_a=") && r.stdout.contains("cost="))
        let f = try NpyFile.readVector(from: dir + "/out/f.npy"), g = try NpyFile.readVector(from: dir + "/out/g.npy")
        // The plan P_kl = exp((f_k + g_l − C_kl)/reg) has the requested marginals (checked here, densely).
        let plan = GridSinkhornTests.plan(grid, f, g, reg: 0.01)
        #expect(zip(plan.rows, a).map { abs($0 - $1) }.reduce(0, +) <= 1e-11)
        #expect(zip(plan.cols, b).map { abs($0 - $1) }.reduce(0, +) <= 1e-11)
        let costField = r.stdout.split(separator: " ").first { $0.hasPrefix("cost=") }.map { Double($0.dropFirst(5)) } ?? nil
        #expect(costField.map { abs($0 - plan.cost) <= 1e-12 * plan.cost } == true, "stdout: \(r.stdout)")

        var bad = a
        bad[0] += 0.5
        try NpyFile.write(vector: bad, to: dir + "/bad.npy")
        let notNormalised = try CLIRunner.run(["ot", "sinkhorn-grid", "--n", "\(n)", "--a", dir + "/bad.npy", "--b", dir + "/b.npy", "-o", dir + "/o2"])
        #expect(notNormalised.status == 65 && notNormalised.stderr.contains("sums to"))
        let wrongN = try CLIRunner.run(["ot", "sinkhorn-grid", "--n", "9", "--a", dir + "/a.npy", "--b", dir + "/b.npy", "-o", dir + "/o3"])
        #expect(wrongN.status == 65 && wrongN.stderr.contains("81"))
        let badReg = try CLIRunner.run(["ot", "sinkhorn-grid", "--n", "\(n)", "--a", dir + "/a.npy", "--b", dir + "/b.npy", "--reg", "-1", "-o", dir + "/o4"])
        #expect(badReg.status == 64 && badReg.stderr.hasPrefix("Error: --reg: '-1' is invalid"))
        let capped = try CLIRunner.run([
            "ot", "sinkhorn-grid", "--n", "\(n)", "--a", dir + "/a.npy", "--b", dir + "/b.npy", "--reg", "1e-3", "--max-iter", "3", "-o", dir + "/o5",
        ])
        #expect(capped.status == 75 && capped.stderr.contains("did not converge"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/o5/f.npy"))
        let badOmega = try CLIRunner.run(["ot", "sinkhorn-grid", "--n", "\(n)", "--a", dir + "/a.npy", "--b", dir + "/b.npy", "--omega", "fast", "-o", dir + "/o6"])
        #expect(badOmega.status == 64)
    }
}
