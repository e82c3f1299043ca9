import Foundation
import Testing

/// `tangentflow experiment relu-vs-softplus` at a small size: the headline (softplus keeps D at full rank, ReLU
/// loses it along some flows) and the per-point table against its summary and the exact activation-pattern bound.
@Suite(.serialized) struct ReluVersusSoftplusExperimentTests {
    /// Rows of a CSV with a text first column, as `[column: text]`.
    static func rows(_ path: String) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let head = lines[0].split(separator: ",").map(String.init)
        return lines.dropFirst().map { line in Dictionary(uniqueKeysWithValues: zip(head, line.split(separator: ",").map(String.init))) }
    }

    @Test func softplusKeepsFullRankWhereReLULosesIt() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["experiment", "relu-vs-softplus", "--widths", "5,6", "--seeds", "4", "--time", "100", "--points", "11",
                                   "-o", dir, "--json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let results = try #require(try ExperimentCLITests.json(r.stdout)["results"] as? [String: Any])
        #expect((results["claims_failed"] as? [String])?.isEmpty == true, "\(results)")
        #expect(results["softplus_runs_rank_deficient"] as? Int == 0)
        #expect((results["relu_runs_losing_rank_along_flow"] as? Int ?? 0) >= 1)

        // Independently of the run's own bookkeeping: rank ≤ min(QN, K) everywhere, softplus at exactly full rank,
        // and the ReLU rank within the activation-pattern bound recomputed here from the dead counts
        // (N = 12, Q = 2, M = 3: dead unit → M + 1 + Q zero columns; dead samples share their Q rows).
        let points = try Self.rows(dir + "/relu-vs-softplus.csv")
        #expect(points.count == 2 * 2 * 4 * 11)
        var deficientRuns = Set<String>()
        for p in points {
            let rank = Int(Double(p["rank"]!)!), full = Int(Double(p["full_rank"]!)!), k = Int(Double(p["K"]!)!)
            #expect(full == min(24, k))
            #expect(rank <= full)
            if p["activation"] == "softplus" { #expect(rank == full, "\(p)") }
            let units = Int(Double(p["dead_units"]!)!), samples = Int(Double(p["dead_samples"]!)!)
            #expect(rank <= min(24 - 2 * max(0, samples - 1), k - units * 6), "\(p)")
            if rank < full { deficientRuns.insert("\(p["activation"]!) \(p["width"]!) \(p["seed"]!)") }
        }
        // The summary's fractions are the per-point table's.
        for s in try Self.rows(dir + "/relu-vs-softplus-summary.csv") {
            let runs = (0..<4).filter { deficientRuns.contains("\(s["activation"]!) \(s["width"]!) \($0).0") }.count
            #expect(Double(s["fraction_of_seeds_losing_rank"]!)! == Double(runs) / 4, "\(s)")
        }
        for f in ["relu-vs-softplus.csv", "relu-vs-softplus-summary.csv", "relu-vs-softplus.svg", "run.json"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/" + f), "\(f)")
        }
    }
}
