import Foundation
import Testing

@testable import TangentFlow

/// `tangentflow wasserstein sliced` and `wasserstein pde` at small sizes: each writes its files and its headline
/// claims hold, checked here against the numbers themselves (not only the command's own verdict).
@Suite(.serialized) struct WassersteinMeasureCLITests {
    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func slicedGapFallsAsMonteCarloAndTheDescentIsMonotone() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["wasserstein", "sliced", "--neurons", "8", "--steps", "4", "--max-projections", "64", "--repeats", "12",
                                   "-o", dir, "--json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let results = try #require(try Self.json(r.stdout)["results"] as? [String: Any])
        let slope = try #require(results["error_slope"] as? Double)
        #expect(slope < -0.3 && slope > -0.7, "Monte-Carlo slope \(slope)")
        let means = try #require(results["mean_sliced"] as? [Double]), w2 = try #require(results["w2_distance"] as? Double)
        #expect(means.allSatisfy { $0 <= w2 }, "mean SW² \(means) vs W₂² \(w2)")
        #expect((results["claims_failed"] as? [String])?.isEmpty == true, "\(results["claims_failed"] ?? "")")
        for f in ["sliced-gap.csv", "sliced-descent.csv", "sliced.svg", "run.json"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/" + f), "\(f)")
        }
    }

    @Test func pdeTracksTheParticlesAndConvergesUnderRefinement() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["wasserstein", "pde", "--cells", "64", "--particles", "256", "--time", "1", "-o", dir, "--json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let results = try #require(try Self.json(r.stdout)["results"] as? [String: Any])
        let gaps = try #require(results["output_gap"] as? [Double])
        #expect(gaps.count == 2 && gaps[1] < 0.75 * gaps[0], "gaps with 32 and 64 cells: \(gaps)")
        let energy = try #require(results["energy_pde"] as? [Double])
        #expect(energy[1] < energy[0])
        #expect((results["claims_failed"] as? [String])?.isEmpty == true, "\(results["claims_failed"] ?? "")")
        for f in ["pde.csv", "pde-density.csv", "pde.svg", "run.json"] { #expect(FileManager.default.fileExists(atPath: dir + "/" + f), "\(f)") }
    }

    @Test func signedMeasureIsTheParticleNetworkAlongTheFlow() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["wasserstein", "signed", "--neurons", "6", "--time", "5", "-o", dir, "--json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let results = try #require(try Self.json(r.stdout)["results"] as? [String: Any])
        let gaps = try #require(results["representation_gaps"] as? [Double])
        #expect(gaps.count == 4 && gaps.allSatisfy { $0 <= 1e-12 }, "\(gaps)")
        let flowGap = try #require(results["flow_gap"] as? Double)
        #expect(flowGap <= 1e-10)
        let energy = try #require(results["energy"] as? [Double])
        #expect(energy[1] < energy[0])
        #expect((results["claims_failed"] as? [String])?.isEmpty == true, "\(results["claims_failed"] ?? "")")
        for f in ["signed.csv", "signed.svg", "run.json"] { #expect(FileManager.default.fileExists(atPath: dir + "/" + f), "\(f)") }
    }

    @Test func classicBalanceLawHoldsWithWeightDecay() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["wasserstein", "classic", "--neurons", "6", "--time", "5", "--weight-decay", "0.1", "-o", dir, "--json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let results = try #require(try Self.json(r.stdout)["results"] as? [String: Any])
        let residual = try #require(results["balance_residual"] as? Double)
        #expect(residual <= 1e-6, "balance law residual \(residual)")
        let loss = try #require(results["loss"] as? [Double])
        #expect(loss[1] < loss[0])
        #expect((results["claims_failed"] as? [String])?.isEmpty == true, "\(results["claims_failed"] ?? "")")
        for f in ["classic.csv", "classic.svg", "run.json"] { #expect(FileManager.default.fileExists(atPath: dir + "/" + f), "\(f)") }
    }
}
