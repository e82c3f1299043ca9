import Foundation
import Testing

@testable import TangentFlow

/// `tangentflow wasserstein …`: help, the three experiments' files, and bad arguments (exit ≠ 0, one clear
/// `Error:` line first on stderr).
@Suite(.serialized) struct WassersteinCLITests {
    @Test func helpListsTheExperiments() throws {
        let help = try CLIRunner.run(["wasserstein", "--help"])
        #expect(help.status == 0)
        for sub in ["gd-vs-prox", "init-scale", "jko"] { #expect(help.stdout.contains(sub), "help lacks \(sub)") }
        let root = try CLIRunner.run(["--help"])
        #expect(root.stdout.contains("wasserstein"))
        let sub = try CLIRunner.run(["help", "wasserstein", "jko"])
        #expect(sub.status == 0 && sub.stdout.contains("USAGE: tangentflow wasserstein jko") && sub.stdout.contains("--gamma"))
    }

    @Test func gdVersusProxWritesItsFiles() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["wasserstein", "gd-vs-prox", "-o", dir, "--time", "4"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("unconverged steps 0"))
        let csv = try String(contentsOfFile: dir + "/gd-vs-prox.csv", encoding: .utf8)
        let lines = csv.split(separator: "\n")
        #expect(lines.first?.hasPrefix("method,step,time,loss") == true)
        // Losses decrease along each method: compare the first and last rows of each.
        for method in ["gradient descent", "prox Frobenius", "prox W2"] {
            let rows = lines.filter { $0.hasPrefix(method + ",") }.map { $0.split(separator: ",") }
            let first = Double(rows.first![3])!, last = Double(rows.last![3])!
            #expect(last < first / 2, "\(method): loss \(first) → \(last)")
            #expect(abs(Double(rows.last![2])! - 4) <= 0.1, "\(method) reaches T ≈ 4")
        }
        let svg = try String(contentsOfFile: dir + "/gd-vs-prox.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") || svg.contains("<svg"))
    }

    @Test func initScaleAndJKOWriteTheirFiles() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let a = try CLIRunner.run(["wasserstein", "init-scale", "-o", dir, "--time", "5"])
        #expect(a.status == 0, "stderr: \(a.stderr)")
        let csv = try String(contentsOfFile: dir + "/init-scale.csv", encoding: .utf8)
        #expect(csv.hasPrefix("scale,step,time,loss,angle_0"))
        #expect(FileManager.default.fileExists(atPath: dir + "/init-scale.svg"))
        let b = try CLIRunner.run(["wasserstein", "jko", "-o", dir, "--grid", "8", "--steps", "3"])
        #expect(b.status == 0, "stderr: \(b.stderr)")
        #expect(b.stdout.contains("unconverged steps 0"))
        for f in ["jko.csv", "jko-density.csv", "jko-particles.csv", "jko-density.svg", "jko-energy.svg"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/" + f), "missing \(f)")
        }
        let density = try String(contentsOfFile: dir + "/jko-density.csv", encoding: .utf8).split(separator: "\n")
        #expect(density.count == 1 + 4 * 64, "header + 4 densities × 64 grid points")
        // Every saved density is a probability vector.
        for step in 0...3 {
            let mass = density.dropFirst().map { $0.split(separator: ",") }.filter { Double($0[0]) == Double(step) }.reduce(0.0) { $0 + Double($1[4])! }
            #expect(abs(mass - 1) <= 1e-9, "step \(step): mass \(mass)")
        }
        let heat = try String(contentsOfFile: dir + "/jko-density.svg", encoding: .utf8)
        #expect(heat.components(separatedBy: "<rect").count - 1 >= 4 * 64, "one rect per grid cell per panel")
    }

    @Test(arguments: [
        (["wasserstein", "jko", "--gamma", "-1"], "--gamma: '-1' is invalid"),
        (["wasserstein", "jko", "--tau", "0"], "--tau: '0' is invalid"),
        (["wasserstein", "jko", "--grid", "1"], "--grid: '1' is invalid; expected an integer in 2…64"),
        (["wasserstein", "gd-vs-prox", "--gamma", "0"], "--gamma: '0' is invalid"),
        (["wasserstein", "gd-vs-prox", "--time", "nan"], "--time: 'nan' is invalid"),
        (["wasserstein", "gd-vs-prox", "--weight-decay", "-1"], "--weight-decay: '-1' is invalid"),
        (["wasserstein", "init-scale", "--small", "-3"], "--small: '-3' is invalid"),
        (["wasserstein", "init-scale", "--time", "1e300"], "--time: '1e300' is invalid"),
        (["wasserstein", "gd-vs-prox", "--gamma", "1e-300"], "more than the cap of 10000"),
        (["wasserstein", "jko", "--tau", "1e300"], "--tau: '1e300' is invalid"),
    ])
    func badValuesAreUsageErrorsWithAHint(args: [String], message: String) throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(args + ["-o", dir])
        #expect(r.status == 64, "\(args): status \(r.status)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("Error: ") && lines[1].hasPrefix("Hint: ") && r.stderr.contains(message),
                "\(args): stderr \(r.stderr)")
    }

    @Test func unparsableArgumentsAreUsageErrors() throws {
        let r = try CLIRunner.run(["wasserstein", "jko", "--gamma", "abc"])
        #expect(r.status == 64)
        #expect(r.stderr.split(separator: "\n").first == "Error: --gamma: 'abc' is invalid; expected a number in [0.0001, 100]")
        #expect(r.stderr.contains("Hint: see 'tangentflow wasserstein jko --help'"))
        let unknown = try CLIRunner.run(["wasserstein", "jko", "--frob"])
        #expect(unknown.status == 64 && unknown.stderr.hasPrefix("Error: unknown option '--frob'"))
        let seed = try CLIRunner.run(["wasserstein", "init-scale", "--seed", "-1"])
        #expect(seed.status == 64 && seed.stderr.hasPrefix("Error: --seed: '-1' is invalid"))
        let sub = try CLIRunner.run(["wasserstein", "frobnicate"])
        #expect(sub.status == 64 && sub.stderr.hasPrefix("Error: unknown subcommand 'frobnicate'"))
    }
}
