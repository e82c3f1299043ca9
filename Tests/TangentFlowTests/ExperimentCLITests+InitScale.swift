import Foundation
import Testing

/// `tangentflow experiment init-scale` at a small size: the relative NTK movement falls with the initial scale, and
/// where it is small the frozen-kernel (linearised) model predicts the network's outputs and loss.
@Suite(.serialized) struct InitScaleExperimentTests {
    @Test func ntkMovementFallsWithScaleAndTheLinearisedModelPredicts() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["experiment", "init-scale", "--samples", "6", "--width", "8", "--scales", "1,2,4,8", "-o", dir, "--json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let results = try #require(try ExperimentCLITests.json(r.stdout)["results"] as? [String: Any])
        #expect((results["claims_failed"] as? [String])?.isEmpty == true, "\(results)")
        let ntk = try #require(results["ntk_movement"] as? [Double]), theta = try #require(results["parameter_movement"] as? [Double])
        let gap = try #require(results["linearisation_gap"] as? [Double]), loss = try #require(results["loss_ratio"] as? [Double])
        #expect(ntk.count == 4)
        // Monotone in the scale, with a negative log–log slope, for the kernel and the parameters.
        for k in 1..<4 {
            #expect(ntk[k] < ntk[k - 1], "NTK movement \(ntk)")
            #expect(theta[k] < theta[k - 1], "parameter movement \(theta)")
        }
        #expect(try #require(results["ntk_movement_slope"] as? Double) < -1)
        // The independent check: at the largest scale the network's loss is the frozen-kernel model's, ρ = 0.1, and
        // its outputs are within a few percent of the closed form y + e^{−G₀S/N}(x₀ − y).
        #expect(abs(loss[3] / 0.1 - 1) < 0.05, "loss ratio \(loss[3])")
        #expect(gap[3] < 0.02, "gap \(gap)")
        // From the smallest scale the network leaves the linearised model far behind.
        #expect(gap[0] > 5 * gap[3])
        for f in ["init-scale.csv", "init-scale.svg", "run.json"] { #expect(FileManager.default.fileExists(atPath: dir + "/" + f), "\(f)") }
    }
}
