import Foundation
import Testing

@testable import TangentFlow

/// `tangentflow experiment …` at small sizes: each writes its files and its headline claim holds.
@Suite(.serialized) struct ExperimentCLITests {
    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Explicit Euler's global error is first order: halving η halves the gap to the flow (an independent
    /// property of the integrator, not of the code under test), and the smallest step tracks the flow closely.
    @Test func learningRateGapIsFirstOrderInTheStep() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["experiment", "learning-rate", "--samples", "6", "--width", "8", "--t", "0.8", "-o", dir, "--json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let results = try #require(try Self.json(r.stdout)["results"] as? [String: Any])
        let order = try #require(results["order"] as? Double)
        #expect(order > 0.85 && order < 1.15, "order \(order)")
        let gaps = try #require(results["gaps"] as? [Double]), etas = try #require(results["etas"] as? [Double])
        // Consecutive halvings at the fine end: ratios near 2.
        let n = gaps.count
        for k in (n - 2)..<n {
            let ratio = gaps[k - 1] / gaps[k], stepRatio = etas[k - 1] / etas[k]
            #expect(abs(ratio / stepRatio - 1) < 0.15, "gap ratio \(ratio) for step ratio \(stepRatio)")
        }
        #expect(gaps[n - 1] < 1e-3)
        #expect((results["claims_failed"] as? [String])?.isEmpty == true)
        for f in ["learning-rate.csv", "learning-rate.svg", "run.json"] { #expect(FileManager.default.fileExists(atPath: dir + "/" + f), "\(f)") }
    }
}
