import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowIO

/// The command-line contract (README "Exit status"): outputs equal the library's; exit 0 / 64 (usage) / 65 (data)
/// / 66 (no input) / 69 (memory) / 73 (cannot create) / 74 (I/O) / 75 (stopped); help on stdout; on failure one
/// `Error:` line naming the option or file, and at most one `Hint:` line, on stderr.
@Suite(.serialized) struct CLITests {
    @Test func helpAndUsageErrors() throws {
        let help = try CLIRunner.run(["--help"])
        #expect(help.status == 0 && help.stdout.contains("OVERVIEW:") && help.stdout.contains("SUBCOMMANDS:"))
        #expect(help.stdout.contains("See 'tangentflow help <subcommand>' for detailed help."))
        let sub = try CLIRunner.run(["help", "ntk"])
        #expect(sub.status == 0 && sub.stdout.contains("USAGE: tangentflow ntk"))
        #expect(try CLIRunner.run(["ntk", "-h"]).stdout == sub.stdout)
        let unknown = try CLIRunner.run(["frobnicate"])
        #expect(unknown.status == 64 && unknown.stderr.contains("Error: unknown subcommand 'frobnicate'"))
        let missing = try CLIRunner.run(["ntk", "--widths", "3,2"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("Error: missing required option '--theta"))
        #expect(missing.stderr.contains("Hint: see 'tangentflow ntk --help'"))
        #expect(missing.stderr.split(separator: "\n").count == 2)
        let badValue = try CLIRunner.run(["ntk", "--method", "magic"])
        #expect(badValue.status == 64 && badValue.stderr.contains("--method: 'magic' is invalid; expected one of structured, jacobian"))
        let badOption = try CLIRunner.run(["rank", "A.npy", "--frob"])
        #expect(badOption.status == 64 && badOption.stderr.contains("unknown option '--frob'"))
        let typo = try CLIRunner.run(["rank", "A.npy", "--atoll", "1"])
        #expect(typo.status == 64 && typo.stderr.contains("did you mean '--atol'?"))
        let version = try CLIRunner.run(["--version"])
        #expect(version.status == 0 && version.stdout == "tangentflow \(TangentFlowVersion.string)\n")
        #expect(help.stdout.contains("VERSION: \(TangentFlowVersion.string)") && help.stdout.contains("EXIT STATUS:"))
    }

    @Test func runtimeFailuresHaveTheirOwnStatusAndOneErrorLine() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["rank", dir + "/missing.npy"])
        #expect(r.status == 66)
        #expect(r.stderr.hasPrefix("Error: ") && r.stderr.contains("missing.npy") && r.stderr.split(separator: "\n").count == 1)
        #expect(try CLIRunner.run(["rank", dir]).status == 66)
        try Data("not a numpy file".utf8).write(to: URL(fileURLWithPath: dir + "/bad.npy"))
        let bad = try CLIRunner.run(["pinv", dir + "/bad.npy", "-o", dir + "/out.npy"])
        #expect(bad.status == 65 && bad.stderr.contains("not a valid file"))
        var nan = Fixtures.gaussian(3, 3, seed: 1)
        nan[0, 1] = .nan
        try NpyFile.write(nan, to: dir + "/nan.npy")
        let n = try CLIRunner.run(["rank", dir + "/nan.npy"])
        #expect(n.status == 65 && n.stderr.contains("non-finite"))
        let noFolder = try CLIRunner.run(["pinv", dir + "/nan.npy", "-o", dir + "/no/such/folder/out.npy"])
        #expect(noFolder.status == 73 && noFolder.stderr.contains("--output"))
        let full = try CLIRunner.run(["init", "--widths", "3,4,2", "-o", "/dev/full"])
        #expect(full.status == 74 && full.stderr.contains("/dev/full"))
    }

    @Test func pinvAndRankMatchTheLibrary() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let a = Fixtures.lowRank(7, 5, rank: 3, seed: 5)
        try NpyFile.write(a, to: dir + "/A.npy")
        let r = try CLIRunner.run(["pinv", dir + "/A.npy", "-o", dir + "/Ap.npy"])
        #expect(r.status == 0 && r.stdout.contains("rank=3"))
        let ap = try NpyFile.readMatrix(from: dir + "/Ap.npy")
        #expect(relativeError(ap, try pseudoinverse(of: a)) <= 1e-14)
        #expect(try CLIRunner.run(["rank", dir + "/A.npy"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "3")
        #expect(try CLIRunner.run(["rank", dir + "/A.npy", "--atol", "1e300"]).stdout.hasPrefix("0"))
        #expect(try CLIRunner.run(["rank", dir + "/A.npy", "--atol", "1", "--rtol", "1"]).status == 64)
    }

    @Test func jacobianAndNTKMatchTheLibrary() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let (net, theta, x) = Fixtures.smallMLP(widths: [3, 6, 2], activation: .gelu, samples: 5)
        try NpyFile.write(vector: theta, to: dir + "/theta.npy")
        try NpyFile.write(x, to: dir + "/X.npy")
        let common = ["--widths", "3,6,2", "--activation", "gelu", "--theta", dir + "/theta.npy", "--x", dir + "/X.npy"]
        #expect(try CLIRunner.run(["jacobian"] + common + ["-o", dir + "/D.npy"]).status == 0)
        let d = try NpyFile.readMatrix(from: dir + "/D.npy")
        #expect(relativeError(d, try CBackend().mlpJacobian(net, theta: theta, inputs: x)) == 0)
        for method in ["structured", "jacobian"] {
            #expect(try CLIRunner.run(["ntk"] + common + ["--method", method, "-o", dir + "/G.npy"]).status == 0)
            let g = try NpyFile.readMatrix(from: dir + "/G.npy")
            #expect(relativeError(g, try ntkGram(net, theta: theta, inputs: x)) <= 1e-13, "\(method)")
        }
        let short = try CLIRunner.run(["ntk", "--widths", "3,7,2", "--theta", dir + "/theta.npy", "--x", dir + "/X.npy", "-o", dir + "/G.npy"])
        #expect(short.status == 65 && short.stderr.contains("--theta") && short.stderr.contains("44 parameters"))
        // An impossible request is refused before any work, and the earlier G.npy survives.
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/G.npy"))
        try NpyFile.write(try Matrix(rows: 1_000_000, cols: 3), to: dir + "/Xbig.npy")  // G would be (2·10⁶)² doubles
        let t0 = Date()
        let huge = try CLIRunner.run(["ntk"] + common.dropLast(2) + ["--x", dir + "/Xbig.npy", "-o", dir + "/G.npy"])
        #expect(huge.status == 69 && huge.stderr.contains("ntk"), "\(huge.stderr)")
        #expect(Date().timeIntervalSince(t0) < 5)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/G.npy")) == before)
    }

    @Test func flowWritesTrajectoryAndFinalParameters() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run([
            "flow", "--widths", "3,8,2", "--samples", "4", "--t-end", "0.9", "--save-points", "4", "--rtol", "1e-9", "--atol", "1e-11",
            "-o", dir,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("steps_accepted=") && r.stdout.contains("field_evaluations="))
        let csv = try String(contentsOfFile: dir + "/trajectory.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 5)
        #expect(csv[0].hasPrefix("s,t,loss,deviation,sigma_min,sigma_max"))
        let last = csv[4].split(separator: ",")
        #expect(abs(Double(last[1])! - 0.9) < 1e-12)
        #expect(Double(last[3])! < 1e-6)  // adapted flow: linear interpolation
        let theta = try NpyFile.readVector(from: dir + "/theta_final.npy")
        #expect(theta.count == 3 * 8 + 8 + 8 * 2 + 2)
        let bad = try CLIRunner.run(["flow", "--stepper", "rk4", "-o", dir])
        #expect(bad.status == 64 && bad.stderr.contains("needs '--step"))
        let run = try String(contentsOfFile: dir + "/run.json", encoding: .utf8)
        #expect(run.hasPrefix("{\"status\": \"complete\"") && run.contains("\"argv\": [\"tangentflow\", \"flow\""))
        // A run stopped at its step cap writes what it has, marks the folder "stopped" and exits 75, not 0.
        let capped = try CLIRunner.run(["flow", "--widths", "3,8,2", "--samples", "4", "--max-steps", "2", "-o", dir + "/capped"])
        #expect(capped.status == 75 && capped.stderr.contains("--max-steps"), "\(capped.stderr)")
        #expect(try String(contentsOfFile: dir + "/capped/run.json", encoding: .utf8).hasPrefix("{\"status\": \"stopped\""))
        #expect(FileManager.default.fileExists(atPath: dir + "/capped/stopped/trajectory.csv"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/capped/trajectory.csv"))
        // Stopping into the folder of a finished run leaves that run's outputs as they were.
        let finished = try Data(contentsOf: URL(fileURLWithPath: dir + "/theta_final.npy"))
        let again = try CLIRunner.run(["flow", "--widths", "3,8,2", "--samples", "4", "--max-steps", "1", "-o", dir])
        #expect(again.status == 75)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/theta_final.npy")) == finished)
        let tiny = try CLIRunner.run(["flow", "--stepper", "euler", "--step", "1e-12", "-o", dir + "/tiny"])
        #expect(tiny.status == 64 && tiny.stderr.contains("--step"))
    }

    @Test func randomArgumentListsNeverCrash() throws {
        // Fuzz-style: random argv from a pool of options, values and junk, for the parsing-only subcommands.
        let subcommands = ["info", "pinv", "rank", "jacobian", "ntk", "help"]
        let pool = [
            "--widths", "3,2", "3,,2", "-1,4", "99999999999999999999", "--activation", "tanh", "banana", "--theta", "/nonexistent.npy",
            "--x", "--output", "-o", "--rtol", "--atol", "nan", "-inf", "1e-3", "--method", "jacobian", "--", "-h", "--backend", "swift",
            "--x2", "=", "--widths=", "--rtol=1", "é∂", "", "-", "--s-end", "0", "--t-end", "2", "--save-points", "1", "--step", "-1",
        ]
        var rng = SeededGenerator(seed: 2026)
        for _ in 0..<120 {
            var args = subcommands[Int(rng.next() % UInt64(subcommands.count))].split(separator: " ").map(String.init)
            for _ in 0..<Int(rng.next() % 6) { args.append(pool[Int(rng.next() % UInt64(pool.count))]) }
            let r = try CLIRunner.run(args, timeout: 60)
            #expect(r.exitedNormally, "crashed: \(args)")
            #expect([0, 64, 65, 66, 73].contains(r.status), "exit \(r.status) for \(args)")
            if r.status != 0 { #expect(r.stderr.hasPrefix("Error: "), "no error line for \(args)") }
        }
    }
}

/// `tangentflow demo --papers`: the main job covers every source paper by default; bad values are usage errors.
@Test func demoHelpListsEveryPaperAndRejectsUnknownScope() throws {
    let help = try CLIRunner.run(["help", "demo"])
    #expect(help.status == 0 && help.stdout.contains("--papers") && help.stdout.contains("Mercklé"))
    #expect(!help.stdout.contains("file 00"))
    let bad = try CLIRunner.run(["demo", "--papers", "005"])
    #expect(bad.status == 64 && bad.stderr.contains("--papers: '005' is invalid"))
}
