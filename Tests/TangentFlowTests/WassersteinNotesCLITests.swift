import Foundation
import Testing

/// The notes' experiments as commands (Mercklé, *Wasserstein gradient flow of two-layer ReLU networks*: §1.1, §1.2,
/// §3, §4/§10 and the JKO of §8.1): each run at a small size, its headline claims read from `run.json` and checked
/// against an independent recount from the files it wrote (positions, losses recomputed here from the data).
@Suite(.serialized) struct WassersteinNotesCLITests {
    /// The default data of the `wasserstein` commands: 16 points in [−1, 1] and a ReLU teacher.
    static let x = (0..<16).map { -1 + 2 * Double($0) / 15 }
    static let y = x.map { max(0, 1.5 * $0 - 0.2) + max(0, -1.2 * $0 - 0.1) - max(0, 0.6 * $0 + 0.5) + 0.4 }

    /// `F(W) = (1/(2n)) Σ_j (Σ_i α_i max(0, a_i x_j + b_i) − y_j)²`, written here from MATH.md §6.
    static func loss(_ w: [(a: Double, b: Double)], _ signs: [Double]) -> Double {
        var s = 0.0
        for (xj, yj) in zip(x, y) {
            var f = 0.0
            for (i, n) in w.enumerated() { f += signs[i] * max(0, n.a * xj + n.b) }
            s += (f - yj) * (f - yj)
        }
        return s / (2 * Double(x.count))
    }

    static func isDead(_ n: (a: Double, b: Double)) -> Bool { x.allSatisfy { n.a * $0 + n.b <= 0 } }

    static func rows(_ path: String) throws -> (header: [String], rows: [[String]]) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return (lines[0], Array(lines.dropFirst()))
    }

    static func json(_ path: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    /// `results` of `run.json`, after checking the run completed and every claim holds.
    static func claimsHold(_ dir: String) throws -> [String: Any] {
        let run = try json(dir + "/run.json")
        #expect(run["status"] as? String == "complete")
        let results = try #require(run["results"] as? [String: Any])
        let claims = try #require(results["claims"] as? [[String: Any]])
        #expect(!claims.isEmpty)
        for c in claims { #expect(c["holds"] as? Bool == true, "claim failed: \(c)") }
        return results
    }

    @Test func neuronsRunCountsItsDeadNeuronsAndDecreasesTheLoss() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["wasserstein", "neurons", "--grid", "3", "--steps", "3", "--max-inner", "3000", "--tolerance", "1e-5", "-o", dir])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let results = try Self.claimsHold(dir)
        let summary = try Self.json(dir + "/neurons-summary.json")
        let (header, rows) = try Self.rows(dir + "/neurons.csv")
        #expect(header == ["run", "step", "neuron", "a", "b", "sign", "dead"])
        func positions(_ run: String) -> [(a: Double, b: Double, sign: Double, dead: Bool)] {
            rows.filter { $0[0] == run }.map { (a: Double($0[3])!, b: Double($0[4])!, sign: Double($0[5])!, dead: Double($0[6]) == 1) }
        }
        let start = positions("start")
        #expect(start.count == 18)
        let signs = start.map(\.sign)
        let loss0 = Self.loss(start.map { (a: $0.a, b: $0.b) }, signs)
        #expect(abs(loss0 - (summary["initial_loss"] as! Double)) <= 1e-12 * loss0)
        for run in ["frobenius", "wasserstein"] {
            let end = positions(run)
            #expect(end.count == 18)
            // The dead count is an independent recount from the written positions.
            let recount = end.filter { Self.isDead((a: $0.a, b: $0.b)) }.count
            #expect(recount == summary["dead_end_\(run)"] as? Int, "\(run): recount \(recount)")
            #expect(end.map { Self.isDead((a: $0.a, b: $0.b)) } == end.map(\.dead))
            // The loss recomputed from the written positions decreased, and is the reported one.
            let lossEnd = Self.loss(end.map { (a: $0.a, b: $0.b) }, signs)
            #expect(lossEnd < 0.5 * loss0, "\(run): \(loss0) → \(lossEnd)")
            #expect(abs(lossEnd - (results["final_loss_\(run)"] as! Double)) <= 1e-10 * loss0)
        }
        let deadStart = start.filter { Self.isDead((a: $0.a, b: $0.b)) }.count
        #expect(deadStart >= 1 && deadStart == summary["dead_start"] as? Int)
        // Dead from start to end of the Frobenius run: not moved at all (no gradient).
        let end = positions("frobenius")
        for i in 0..<18 where Self.isDead((a: start[i].a, b: start[i].b)) && Self.isDead((a: end[i].a, b: end[i].b)) {
            #expect(start[i].a == end[i].a && start[i].b == end[i].b, "dead neuron \(i) moved")
        }
        #expect(FileManager.default.fileExists(atPath: dir + "/neurons.svg"))
    }

    @Test
    func proxStuckStateIsWhatItsSummarySays() throws {
        let dir = try CLIRunner.temporaryDirectory()
        // The default instance (m = 8 neurons, n = 16 samples, γ = 10, tolerance 1e-9): the descent stops moving
        // after a few steps. (With 6 neurons it settles only geometrically and never stops within 400 steps.)
        let r = try CLIRunner.run(["wasserstein", "prox-stuck", "-o", dir])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let results = try Self.claimsHold(dir)
        #expect(results["stuck"] as? Bool == true)
        #expect(results["probe_assignment_rounds"] as? Int == 1)
        let (_, rows) = try Self.rows(dir + "/prox-stuck-point.csv")
        let w = rows.map { (a: Double($0[4])!, b: Double($0[5])!) }, signs = rows.map { Double($0[1])! }
        #expect(results["probe_assignment"] as? [Int] == Array(0..<w.count))
        let gamma = 10.0, m = Double(w.count)
        let stuckLoss = Self.loss(w, signs)
        #expect(abs(stuckLoss - (results["stuck_loss"] as! Double)) <= 1e-12 * max(stuckLoss, 1e-300))
        // Independent: the proximal objective G(V) = F(V) + Σ|V_i − W*_i|²/(2γm) is not lowered by small perturbations.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func uniform() -> Double {   // xorshift64*, independent of the package's generator
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return Double((state &* 2_685_821_657_736_338_717) >> 11) * 0x1.0p-53 - 0.5
        }
        for scale in [1e-4, 1e-6] {
            for _ in 0..<200 {
                let v = w.map { (a: $0.a + scale * uniform(), b: $0.b + scale * uniform()) }
                let moved = zip(v, w).reduce(0.0) { $0 + pow($1.0.a - $1.1.a, 2) + pow($1.0.b - $1.1.b, 2) }
                // Stationary to the run's tolerance 1e-7: a first-order slack of 1e-7·|δ| is allowed.
                #expect(Self.loss(v, signs) + moved / (2 * gamma * m) >= stuckLoss - 1e-7 * moved.squareRoot() - 1e-14,
                        "a perturbation of size \(scale) improves G")
            }
        }
        // The identity is the optimal assignment of W* to itself (cost 0); exchanging two opposite-sign neurons also
        // costs 0 in W₂: recount the exchanges that lower the loss.
        var improving = 0
        for i in 0..<w.count {
            for k in (i + 1)..<w.count where signs[i] != signs[k] {
                var v = w
                v.swapAt(i, k)
                if Self.loss(v, signs) < stuckLoss - 1e-12 * max(stuckLoss, 1) { improving += 1 }
            }
        }
        #expect(improving == results["opposite_sign_swap_improvements"] as? Int)
        // The dead neurons in the summary are the recount's.
        #expect(results["dead_neurons"] as? [Int] == w.indices.filter { Self.isDead(w[$0]) })
        // The steps really stopped: the last rows of the trajectory have zero W₂² moved and the same loss.
        let (_, steps) = try Self.rows(dir + "/prox-stuck.csv")
        let since = try #require(results["stuck_since_step"] as? Int)
        for row in steps where Int(Double(row[0])!) >= since { #expect(Double(row[3])! <= 1e-24) }
    }

    @Test func chizatBachLossFallsWithTheNumberOfNeurons() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["wasserstein", "chizat-bach", "--widths", "2,64", "--time", "400", "-o", dir])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let results = try Self.claimsHold(dir)
        let (_, rows) = try Self.rows(dir + "/chizat-bach.csv")
        let finals = rows.map { Double($0[3])! }
        #expect(finals.count == 2 && finals[1] < 0.1 * finals[0], "final losses \(finals)")
        let reported = try #require(results["final_losses"] as? [Double])
        #expect(zip(reported, finals).allSatisfy { abs($0 - $1) <= 1e-12 * abs($1) })
        #expect(FileManager.default.fileExists(atPath: dir + "/chizat-bach.svg"))
    }

    @Test func initScaleRecordsAlignmentThenGrowth() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["wasserstein", "init-scale", "--time", "30", "-o", dir])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let results = try Self.claimsHold(dir)
        // Recount from the CSV: the small-scale rows' largest norm at the end is ≥ 100× the start's.
        let (header, rows) = try Self.rows(dir + "/init-scale.csv")
        let normColumns = header.indices.filter { header[$0].hasPrefix("norm_") }
        let small = rows.filter { $0[0] == rows[0][0] }
        let n0 = normColumns.map { Double(small.first![$0])! }.max()!, nT = normColumns.map { Double(small.last![$0])! }.max()!
        #expect(nT / n0 >= 100)
        #expect(abs(nT / n0 - (results["small_norm_growth"] as! Double)) <= 1e-9 * nT / n0)
    }

    @Test func jkoRecordsItsAgreementWithParticles() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["wasserstein", "jko", "--grid", "10", "--steps", "6", "-o", dir])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let results = try Self.claimsHold(dir)
        // Recount from the CSVs: JKO energies non-increasing; both final energies at most 95% of the start.
        let (_, jko) = try Self.rows(dir + "/jko.csv")
        let energies = jko.map { Double($0[2])! }
        for (a, b) in zip(energies, energies.dropFirst()) { #expect(b <= a + 1e-12 * abs(a)) }
        let (_, particles) = try Self.rows(dir + "/jko-particles.csv")
        let last = Double(particles.last![1])!
        #expect(max(energies.last!, last) <= 0.95 * energies[0])
        #expect(results["final_energy_particles"] as? Double == last)
    }

    @Test func newCommandsTakeSeedAndOwnFolders() throws {
        for sub in ["neurons", "prox-stuck", "chizat-bach", "gd-vs-prox", "init-scale", "jko"] {
            let help = try CLIRunner.run(["wasserstein", sub, "--help"])
            #expect(help.status == 0 && help.stdout.contains("--seed"), "\(sub) lacks --seed")
            #expect(help.stdout.contains("wasserstein-\(sub)"), "\(sub): default folder")
        }
        let bad = try CLIRunner.run(["wasserstein", "chizat-bach", "--widths", "2,x"])
        #expect(bad.status == 64 && bad.stderr.hasPrefix("Error: --widths"))
        let dir = try CLIRunner.temporaryDirectory()
        let nan = try CLIRunner.run(["wasserstein", "neurons", "--gamma", "nan", "-o", dir])
        #expect(nan.status == 64)
    }
}
