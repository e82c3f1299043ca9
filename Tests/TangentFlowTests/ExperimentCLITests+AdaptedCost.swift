import Foundation
import Testing

/// `tangentflow experiment adapted-cost` at a small size: the adapted flow's loss follows the exact clock
/// C(s)/C(0) = e^{−2s/N} of Prop. 2.4 (a closed form, independent of the integrator), and the standard flow's step
/// count grows with QN faster than the adapted flow's. Wall-clock times are written, never asserted.
@Suite(.serialized) struct AdaptedCostExperimentTests {
    @Test func adaptedFlowKeepsItsClockWhileTheStandardFlowSlows() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["experiment", "adapted-cost", "--sample-counts", "2,4,8,16", "--width", "16", "-o", dir, "--json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let results = try #require(try ExperimentCLITests.json(r.stdout)["results"] as? [String: Any])
        #expect((results["claims_failed"] as? [String])?.isEmpty == true, "\(results)")
        let clock = try #require(results["adapted_clock_deviation"] as? [Double])
        #expect(clock.count == 4)
        for d in clock { #expect(d < 1e-5, "clock deviation \(clock)") }
        let standard = try #require(results["standard_steps"] as? [Int]), adapted = try #require(results["adapted_steps"] as? [Int])
        #expect(standard.last! > 4 * standard.first!, "standard \(standard)")
        #expect(standard.last! > 5 * adapted.last!, "standard \(standard) vs adapted \(adapted)")
        // The CSV agrees with the JSON, and every standard run reached the loss (else the run would exit 75).
        let lines = try String(contentsOfFile: dir + "/adapted-cost.csv", encoding: .utf8).split(separator: "\n")
        let head = lines[0].split(separator: ",").map(String.init)
        let reached = try #require(head.firstIndex(of: "standard_reached")), steps = try #require(head.firstIndex(of: "standard_steps"))
        for (k, line) in lines.dropFirst().enumerated() {
            let cells = line.split(separator: ",").map { Double($0)! }
            #expect(cells[reached] == 1)
            #expect(Int(cells[steps]) == standard[k])
        }
        for f in ["adapted-cost.csv", "adapted-cost.svg", "run.json"] { #expect(FileManager.default.fileExists(atPath: dir + "/" + f), "\(f)") }
    }
}
