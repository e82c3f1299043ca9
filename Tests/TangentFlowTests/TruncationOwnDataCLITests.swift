import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowIO
@testable import TangentFlowTruncation

/// `tangentflow truncation effective|general|collapsed|sector`: small runs whose headline claims must hold, own data
/// read from `.npy` files (and checked against the library on the same data), and bad input.
@Suite(.serialized) struct TruncationOwnDataCLITests {
    /// The `claims` of `run.json`: name → holds.
    static func claims(_ dir: String) throws -> [String: Bool] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/run.json"))
        let obj = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let results = try #require(obj["results"] as? [String: Any])
        let list = try #require(results["claims"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: list.map { ($0["name"] as! String, $0["holds"] as! Bool) })
    }

    /// Two clusters near (3, 0) and (0, 3), targets as rows, and an adapted network `[W | β]` per layer that puts the
    /// threshold of layer ℓ through cluster ℓ (W = diag(2, 0.5)·R: adapted, not orthogonal).
    static func ownFiles(_ dir: String) throws -> (x: String, y: String, theta: String) {
        let x = try Matrix([[3.1, 0.1], [2.9, -0.1], [3.0, 0.2], [3.2, 0.0], [0.1, 3.0], [-0.1, 2.9], [0.2, 3.1], [0.0, 3.2]])
        let y = try Matrix([[1.5, 0.5], [1.5, 0.5], [1.5, 0.5], [1.5, 0.5], [0.5, 1.5], [0.5, 1.5], [0.5, 1.5], [0.5, 1.5]])
        let t1 = try Matrix([[0, 2, -3], [-0.5, 0, 0]]), t2 = try Matrix([[0, -1, 0], [1, 0, -3]])
        try NpyFile.write(x, to: dir + "/X.npy")
        try NpyFile.write(y, to: dir + "/Y.npy")
        try NpyFile.write(stack: [t1, t2], to: dir + "/T.npy")
        return (dir + "/X.npy", dir + "/Y.npy", dir + "/T.npy")
    }

    /// The built-in data: every subcommand runs, writes its files, and its claims hold.
    @Test(arguments: [["effective", "--until", "2", "--step", "0.01", "--points", "8"],
                      ["general", "--until", "1", "--step", "0.01", "--points", "6"],
                      ["collapsed", "--until", "1.5", "--points", "4"],
                      ["sector", "--until", "2", "--points", "4", "--width", "3"]])
    func builtInRunsHoldTheirClaims(_ args: [String]) throws {
        let dir = try CLIRunner.temporaryDirectory() + "/out"
        let r = try CLIRunner.run(["truncation"] + args + ["-o", dir, "--quiet"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let c = try Self.claims(dir)
        #expect(!c.isEmpty && c.values.allSatisfy { $0 }, "\(args[0]): \(c)")
        #expect(FileManager.default.fileExists(atPath: dir + "/summary.json"))
        let svg = args[0] == "effective" || args[0] == "general" ? "trajectory.svg" : "\(args[0]).svg"
        #expect(FileManager.default.fileExists(atPath: dir + "/" + svg))
    }

    /// Own data: the effective flow reads X, Y and an adapted θ (W = diag(d)R); its first truncation times at fixed
    /// R(0) equal the library's (4.49) on the same numbers, and the trajectory starts at θ's (β, R).
    @Test func ownDataEffectiveFlow() throws {
        let tmp = try CLIRunner.temporaryDirectory()
        let f = try Self.ownFiles(tmp)
        let dir = tmp + "/out"
        let r = try CLIRunner.run(["truncation", "effective", "--x", f.x, "--y", f.y, "--theta", f.theta, "--until", "1", "--step", "0.01", "-o", dir, "--json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(try Self.claims(dir).values.allSatisfy { $0 })
        let traj = try NpyFile.readMatrix(from: dir + "/trajectory.npy")
        // Layer 1: β = (−3, 0), R = [[0, 1], [−1, 0]] (the polar factor of diag(2, 0.5)·R), packed β then R column-major.
        #expect(relativeError(Array(traj.row(0)[0..<6]), [-3, 0, 0, -1, 1, 0]) <= 1e-12, "\(traj.row(0))")
        let lines = try String(contentsOfFile: dir + "/truncation_times.csv", encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "layer,coordinate,n,s_flow,s_fixed_rotation")
        // Library: cluster 1 in coordinate 1 of R₁ = [[0, 1], [−1, 0]]: x_i = (R₁x)_1 = x₂, b = −(R₁β)_1 = 0, y = (R₁ỹ)_1 = 0.5.
        let exact = try OneDimensionalTruncation(points: [0.1, -0.1, 0.2, 0.0], offset: 0, target: 0.5)
        var fixed: [Double] = []
        for line in lines.dropFirst() {
            let v: [Double] = line.split(separator: ",").map { Double(String($0)) ?? .nan }
            if v[0] == 1, v[1] == 1 { fixed.append(v[4]) }
        }
        #expect(fixed.count == exact.events.count)
        for (a, b) in zip(fixed, exact.times) { #expect(Swift.abs(a - b) <= 1e-12, "\(fixed) vs \(exact.times)") }
    }

    /// Bad input: mismatched X/Y, NaN, a non-adapted θ, a θ of the wrong shape, --x without --y, an effective run
    /// whose start is not cluster separated, collapsed data that admit no (8.1) start — each a one-line error with
    /// the documented status, nothing crashes.
    @Test func badInputFails() throws {
        let tmp = try CLIRunner.temporaryDirectory()
        let f = try Self.ownFiles(tmp)
        func run(_ a: [String]) throws -> CLIRunner.Result { try CLIRunner.run(["truncation"] + a + ["-o", tmp + "/o", "--until", "0.1", "--quiet"]) }
        try NpyFile.write(try Matrix([[1, 2], [3, 4]]), to: tmp + "/Y2.npy")
        var r = try run(["effective", "--x", f.x, "--y", tmp + "/Y2.npy"])
        #expect(r.status == 65 && r.stderr.contains("--y"), "\(r.stderr)")
        try NpyFile.write(try Matrix([[Double.nan, 0], [0, 1]]), to: tmp + "/Xn.npy")
        r = try run(["general", "--x", tmp + "/Xn.npy", "--y", tmp + "/Y2.npy"])
        #expect(r.status == 65 && r.stderr.contains("non-finite"), "\(r.stderr)")
        try NpyFile.write(stack: [try Matrix([[1, 0.5, 0], [0.5, 1, 0]]), try Matrix([[1, 0, 0], [0, 1, 0]])], to: tmp + "/Tbad.npy")
        r = try run(["effective", "--x", f.x, "--y", f.y, "--theta", tmp + "/Tbad.npy"])
        #expect(r.status == 65 && r.stderr.contains("--theta") && r.stderr.contains("adapted"), "\(r.stderr)")
        try NpyFile.write(try Matrix([[1, 0], [0, 1]]), to: tmp + "/Tshape.npy")
        r = try run(["general", "--x", f.x, "--y", f.y, "--theta", tmp + "/Tshape.npy"])
        #expect(r.status == 65 && r.stderr.contains("--theta"), "\(r.stderr)")
        r = try run(["effective", "--x", f.x])
        #expect(r.status == 64)
        // Identity rotations with thresholds at 0: layer 1 truncates cluster 2 as well → not separated.
        try NpyFile.write(stack: [try Matrix([[1, 0, 0], [0, 1, 0]]), try Matrix([[1, 0, 0], [0, 1, 0]])], to: tmp + "/Tsep.npy")
        r = try run(["effective", "--x", f.x, "--y", f.y, "--theta", tmp + "/Tsep.npy"])
        #expect(r.status == 65 && r.stderr.contains("Def. 3.1"), "\(r.stderr)")
        // Three clusters on a line in R³: no (8.1) start.
        var xr: [[Double]] = [], yr: [[Double]] = []
        for i in 0..<9 {
            let c = Double(i / 3) * 3
            xr.append([c + 0.01 * Double(i % 3), c, c])
            var t: [Double] = [0, 0, 0]
            t[i / 3] = 1
            yr.append(t)
        }
        let xl = try Matrix(xr), yl = try Matrix(yr)
        try NpyFile.write(xl, to: tmp + "/Xl.npy")
        try NpyFile.write(yl, to: tmp + "/Yl.npy")
        r = try run(["collapsed", "--x", tmp + "/Xl.npy", "--y", tmp + "/Yl.npy"])
        #expect(r.status == 65 && r.stderr.contains("(8.1)"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }.count == 1)
    }
}
