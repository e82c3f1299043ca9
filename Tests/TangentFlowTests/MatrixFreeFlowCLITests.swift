import Foundation
import Testing

@testable import TangentFlow
import TangentFlowIO

/// `tangentflow flow --route matrix-free`: where the dense routes are refused for memory (exit 69) it runs and
/// writes the trajectory with the spectrum columns 'nan'; where both fit it ends where the Gram route ends; its
/// options are usage errors on the other routes; an LSMR cap exits 75.
@Suite struct MatrixFreeFlowCLITests {
    /// QN = 20,000 outputs (N = 2,000, Q = 10), tall D (K = 49): the Gram route's 3.2 GB NTK is refused when
    /// N = 20,000 (QN = 200,000, 320 GB) at once, and the matrix-free route runs a few steps of that size here.
    @Test func runsWhereTheDenseRoutesAreRefused() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let refused = try CLIRunner.run(["flow", "--widths", "2,3,10", "--samples", "20000", "-o", dir + "/gram"])
        #expect(refused.status == 69 && refused.stderr.contains("--route matrix-free"), "\(refused.stderr)")
        let r = try CLIRunner.run([
            "flow", "--widths", "2,3,10", "--samples", "2000", "--route", "matrix-free", "--stepper", "euler", "--step", "200",
            "--s-end", "600", "--save-points", "3", "--json", "-o", dir + "/mf",
        ], timeout: 600)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let results = try #require(json["results"] as? [String: Any])
        #expect(results["krylov_solves"] as? Int == results["field_evaluations"] as? Int && results["krylov_solves"] as? Int ?? 0 >= 3)
        #expect(results["final_rank"] is NSNull && (results["krylov_iterations_max"] as? Int ?? 0) >= 1)
        let csv = try String(contentsOfFile: dir + "/mf/trajectory.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 4)
        for line in csv.dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            #expect(f[4] == "nan" && f[5] == "nan" && f[6] == "nan" && f[7] == "nan", "\(line)")
            #expect(Double(f[2])!.isFinite && Double(f[3])!.isFinite)
        }
        let loss = csv.dropFirst().map { Double($0.split(separator: ",")[2])! }
        #expect(loss[2] < loss[0])
    }

    @Test func matchesTheGramRouteWhereBothFit() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let common = ["flow", "--widths", "3,10,2", "--samples", "6", "--t-end", "0.9", "--rtol", "1e-10", "--atol", "1e-12", "--save-points", "3"]
        let g = try CLIRunner.run(common + ["-o", dir + "/g"]), m = try CLIRunner.run(common + ["--route", "matrix-free", "-o", dir + "/m"])
        #expect(g.status == 0 && m.status == 0, "\(g.stderr) \(m.stderr)")
        let tg = try NpyFile.readVector(from: dir + "/g/theta_final.npy"), tm = try NpyFile.readVector(from: dir + "/m/theta_final.npy")
        #expect(relativeError(tg, tm) <= 1e-7, "θ differs by \(relativeError(tg, tm))")
    }

    @Test func krylovOptionsAndCap() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let misplaced = try CLIRunner.run(["flow", "--krylov-tol", "1e-8", "-o", dir + "/a"])
        #expect(misplaced.status == 64 && misplaced.stderr.contains("--route matrix-free"), "\(misplaced.stderr)")
        let bad = try CLIRunner.run(["flow", "--route", "matrix-free", "--krylov-max-iter", "0", "-o", dir + "/b"])
        #expect(bad.status == 64 && bad.stderr.contains("krylov-max-iter"))
        let capped = try CLIRunner.run([
            "flow", "--widths", "3,10,2", "--samples", "6", "--route", "matrix-free", "--krylov-max-iter", "1", "-o", dir + "/c",
        ])
        #expect(capped.status == 75 && capped.stderr.contains("--krylov-max-iter"), "\(capped.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/c/trajectory.csv"))
    }
}
