import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowTruncation

/// `tangentflow truncation demo`: help, files, the numbers it prints, and bad input (exit 64 with the usage
/// lines, or exit 1 with exactly one `Error:` line).
@Suite(.serialized) struct TruncationCLITests {
    @Test func helpIsNested() throws {
        let top = try CLIRunner.run(["truncation", "--help"])
        #expect(top.status == 0 && top.stdout.contains("SUBCOMMANDS:") && top.stdout.contains("demo"))
        let sub = try CLIRunner.run(["help", "truncation", "demo"])
        #expect(sub.status == 0 && sub.stdout.contains("USAGE: tangentflow truncation demo"))
        #expect(try CLIRunner.run(["truncation", "demo", "-h"]).stdout == sub.stdout)
        #expect(try CLIRunner.run(["--help"]).stdout.contains("truncation"))
    }

    /// A short run writes the CSV and SVG files; its s_n table agrees with the library's exact solution and with
    /// event-located RK4 (the demo's own comparison, column `difference`, ≤ 1e-10 as in TruncationEventTests).
    @Test func demoWritesFilesAndAgreesWithTheLibrary() throws {
        let dir = try CLIRunner.temporaryDirectory() + "/out"
        let r = try CLIRunner.run(["truncation", "demo", "-o", dir, "--until", "3", "--points", "12"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("monotone: yes"))
        #expect(r.stdout.contains("cluster separation held throughout: yes"))
        for f in ["truncation_points.csv", "truncation_flow.csv", "truncation_times.csv", "truncation_input_space.svg", "truncation_flow.svg",
                  "truncation_times.svg"] {
            #expect(FileManager.default.fileExists(atPath: "\(dir)/\(f)"), "missing \(f)")
        }
        let lines = try String(contentsOfFile: "\(dir)/truncation_times.csv", encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "coordinate,n,point,s_formula,s_numerical,difference")
        let rows = lines.dropFirst().map { $0.split(separator: ",").map { Double(String($0))! } }
        #expect(rows.count >= 5)
        #expect(rows.allSatisfy { Swift.abs($0[5]) <= 1e-10 }, "s_n formula vs numerical")
        let coord1 = rows.filter { $0[0] == 1 }
        #expect(coord1.count >= 2)
        #expect(zip(coord1, coord1.dropFirst()).allSatisfy { $0[3] < $1[3] && $0[1] < $1[1] }, "times and counts increase")
        // The s_formula column is the library's exact solution on the demo's data, rebuilt here from the same
        // recipe (seed 2024, cluster 1 = (0, 0) + 0.3·N(0, 1) row by row, R₁ = rot(0.25), R₁β₁ = (0.3, 0.25),
        // ỹ₁ = (1.6, 1.4)); only the rounding of R₁R₁ᵀ separates the two (≤ 1e-12).
        var rng = SeededGenerator(seed: 2024)
        let raw = (0..<24).map { _ in 0.3 * rng.nextGaussian() }
        let r1 = TruncationFixtures.rotation(0.25)
        let xs = (0..<12).map { TruncationAlgebra.apply(r1, [raw[2 * $0], raw[2 * $0 + 1]])[0] }
        let exact = try OneDimensionalTruncation(points: xs, offset: -0.3, target: TruncationAlgebra.apply(r1, [1.6, 1.4])[0])
        #expect(exact.times.count == coord1.count)
        #expect(zip(exact.times, coord1.map { $0[3] }).allSatisfy { Swift.abs($0 - $1) <= 1e-12 }, "\(exact.times) vs \(coord1.map { $0[3] })")
        let flowLines = try String(contentsOfFile: "\(dir)/truncation_flow.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        let costs = flowLines.map { Double(String($0.split(separator: ",")[1]))! }
        #expect(zip(costs, costs.dropFirst()).allSatisfy { $1 <= $0 * (1 + 1e-14) })
        let defects = flowLines.map { Double(String($0.split(separator: ",")[8]))! }
        #expect(defects.max()! <= 1e-12)
    }

    @Test func badInputFails() throws {
        let bad = try CLIRunner.run(["truncation", "demo", "--step", "0"])
        #expect(bad.status == 64)
        #expect(bad.stderr.split(separator: "\n").first == "Error: --step: '0' is invalid; expected a number > 0")
        #expect(bad.stderr.contains("Hint: see 'tangentflow truncation demo --help'"))
        let nan = try CLIRunner.run(["truncation", "demo", "--until", "nan"])
        #expect(nan.status == 64 && nan.stderr.hasPrefix("Error: --until: 'nan' is invalid"))
        let unknown = try CLIRunner.run(["truncation", "frobnicate"])
        #expect(unknown.status == 64 && unknown.stderr.contains("unknown subcommand 'frobnicate'"))
        // The output folder cannot be created (a file is in the way) → exit 73 before any work, one line.
        let dir = try CLIRunner.temporaryDirectory()
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/file"))
        let io = try CLIRunner.run(["truncation", "demo", "-o", dir + "/file/out", "--until", "0.1"])
        #expect(io.status == 73)
        #expect(io.stderr.hasPrefix("Error: ") && io.stderr.split(separator: "\n").count == 1, "stderr: \(io.stderr)")
    }
}
