import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowIO

/// `tangentflow flow` on the feasibility condition (3.7) of 2408.01517, the integrated Prop. 2.5 prediction and
/// the cross-entropy infimum: what a user of the command sees.
@Suite struct FlowCommandFeasibilityCLITests {
    static func json(_ stdout: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]
        return try #require(object?["results"] as? [String: Any], "no results in \(stdout)")
    }

    @Test func infeasiblePrescribedPathIsReportedWithStatus65() throws {
        // Linear 3 → 2 on 6 samples: K = 8 < QN = 12, so y − x₀ has a component outside ran D.
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run([
            "flow", "--widths", "3,2", "--activation", "identity", "--samples", "6", "--field", "prescribed", "--save-points", "3",
            "--json", "-o", dir,
        ])
        #expect(r.status == 65, "\(r.stderr)")
        #expect(r.stderr.contains("infeasible prescribed path") && r.stderr.contains("--feasibility-tol"), "\(r.stderr)")
        let results = try Self.json(r.stdout)
        let residual = try #require(results["feasibility_residual"] as? Double)
        #expect(residual > 0.01 && residual <= 1)
        #expect(results["feasibility_tolerance"] as? Double == 1e-6)
        // The residual, recomputed here from the written inputs with the SVD of D (not the command's Gram route).
        let x = try NpyFile.readMatrix(from: dir + "/infeasible/x.npy"), y = try NpyFile.readMatrix(from: dir + "/infeasible/y.npy")
        let theta0 = try NpyFile.readVector(from: dir + "/infeasible/theta0.npy")
        let problem = try TrainingProblem(model: MLP(widths: [3, 2], activation: .identity), inputs: x, targets: y)
        let x0 = try problem.outputs(theta0)
        let v = (0..<12).map { problem.targetVector[$0] - x0[$0] }
        let perp = try Pseudoinverse(of: problem.jacobian(theta0)).projectOntoRangeComplement(Matrix.column(v)).elements
        #expect(abs(residual - norm2(perp) / norm2(v)) <= 1e-8, "CLI \(residual) vs \(norm2(perp) / norm2(v))")
        #expect(!FileManager.default.fileExists(atPath: dir + "/trajectory.csv"))
        #expect(try String(contentsOfFile: dir + "/run.json", encoding: .utf8).hasPrefix("{\"status\": \"failed\""))
        // A tolerance above the residual accepts the same run.
        let lax = try CLIRunner.run([
            "flow", "--widths", "3,2", "--activation", "identity", "--samples", "6", "--field", "prescribed", "--save-points", "3",
            "--feasibility-tol", "1", "-o", dir + "/lax",
        ])
        #expect(lax.status == 0, "\(lax.stderr)")
    }

    @Test func feasiblePrescribedPathPasses() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["flow", "--widths", "3,8,2", "--samples", "4", "--field", "prescribed", "--save-points", "3", "--json", "-o", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let residual = try #require(Self.json(r.stdout)["feasibility_residual"] as? Double)
        #expect(residual <= 1e-9)
    }

    @Test func integratedPredictionColumnsAndItsUsageErrors() throws {
        let dir = try CLIRunner.temporaryDirectory()
        // tanh 2-1-2 on 3 samples: a one-unit bottleneck, rank D = 5 < QN = 6 (rank loss, turning projector).
        let r = try CLIRunner.run([
            "flow", "--widths", "2,1,2", "--samples", "3", "--data", "gaussian", "--integrated-prediction", "--route", "svd",
            "--t-end", "0.8", "--save-points", "4", "--rtol", "1e-10", "--atol", "1e-12", "--json", "-o", dir,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let error = try #require(Self.json(r.stdout)["final_integrated_prediction_error"] as? Double)
        #expect(error <= 1e-6)
        let csv = try String(contentsOfFile: dir + "/trajectory.csv", encoding: .utf8).split(separator: "\n")
        let header = csv[0].split(separator: ",").map(String.init)
        let col = try #require(header.firstIndex(of: "integrated_prediction_error"))
        let dev = try #require(header.firstIndex(of: "deviation"))
        let last = csv[csv.count - 1].split(separator: ",")
        #expect(Double(last[col])! <= 1e-6 && Double(last[dev])! > 1e-3)
        for bad in [["--field", "standard"], ["--loss", "cross-entropy", "--s-end", "1"], ["--stepper", "prox", "--step", "0.1"]] {
            let u = try CLIRunner.run(["flow", "--widths", "3,8,2", "--samples", "4", "--integrated-prediction"] + bad + ["-o", dir + "/bad"])
            #expect(u.status == 64 && u.stderr.contains("--integrated-prediction"), "\(bad): \(u.stderr)")
        }
    }

    @Test func crossEntropyRunReportsTheLabelEntropy() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["flow", "--widths", "3,8,2", "--samples", "4", "--loss", "cross-entropy", "--s-end", "1", "--json", "-o", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let results = try Self.json(r.stdout)
        let infimum = try #require(results["loss_infimum"] as? Double)
        let y = try NpyFile.readMatrix(from: dir + "/y.npy")
        #expect(abs(infimum - (try CrossEntropyGeometry.labelEntropy(targets: y.rowMajorElements, outputDimension: 2))) <= 1e-15)
        #expect((results["final_loss"] as? Double ?? 0) >= infimum)
    }
}
