import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowIO

/// Issue #9 §3: the streamed generic NTK stays within its documented peak memory, `QN² + QN·P` doubles
/// (docs/numerics.md), measured as the peak resident set of a `tangentflow gram` process (its own
/// `getrusage`, so tests running in parallel in this process do not disturb it).
@Suite(.serialized) struct StreamedGramMemoryTests {
    static func peakKiB(_ stdout: String) -> Int? {
        stdout.split(separator: " ").first { $0.hasPrefix("peak_rss_kib=") }
            .flatMap { Int($0.dropFirst("peak_rss_kib=".count).trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    @Test func streamedGramStaysWithinItsMemoryFormula() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let qn = 200, k = 40_000, panel = 2_000
        // D is 64 MB on disk; streamed, the process should hold G (0.3 MB) and a panel (3.2 MB) at a time.
        var rng = SeededGenerator(seed: 5)
        let d = try Matrix(rows: qn, cols: k, columnMajor: (0..<(qn * k)).map { _ in rng.nextUniform() - 0.5 })
        try NpyFile.write(d, to: dir + "/D.npy")  // C order: the harder layout to stream column panels from
        try NpyFile.write(Matrix(rows: qn, cols: 10, repeating: 1), to: dir + "/tiny.npy")

        let baseline = try CLIRunner.run(["gram", dir + "/tiny.npy", "-o", dir + "/g0.npy"])
        let streamed = try CLIRunner.run(["gram", dir + "/D.npy", "-o", dir + "/G.npy", "--panel-columns", "\(panel)"])
        #expect(baseline.status == 0 && streamed.status == 0, "\(baseline.stderr) \(streamed.stderr)")
        let base = try #require(Self.peakKiB(baseline.stdout)), peak = try #require(Self.peakKiB(streamed.stdout))

        // Formula: QN² + QN·P doubles; allow the panel twice (read buffer and decoded panel may overlap in time)
        // and 8 MiB for allocator and page granularity. Reading D whole would add 64 MB, far above this bound.
        let formulaKiB = (qn * qn + 2 * qn * panel) * 8 / 1024 + 8 * 1024
        #expect(peak - base <= formulaKiB, "streamed Gram grew the peak RSS by \(peak - base) KiB; bound \(formulaKiB) KiB")
        #expect(formulaKiB < qn * k * 8 / 1024 / 4)

        // And it is the right matrix: G = D Dᵀ.
        let g = try NpyFile.readMatrix(from: dir + "/G.npy")
        #expect(relativeError(g, try CBackend().gram(d)) <= 1e-12)
    }

    @Test func columnPanelsReadExactlyEitherOrder() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let m = Fixtures.gaussian(7, 23, seed: 3)
        for fortran in [false, true] {
            let path = dir + "/m\(fortran).npy"
            try NpyFile.write(m, to: path, fortranOrder: fortran)
            #expect(try NpyFile.shape(of: path) == (7, 23))
            for range in [0..<23, 0..<1, 5..<12, 22..<23, 4..<4] {
                let panel = try NpyFile.readColumns(range, from: path)
                #expect(panel.rows == 7 && panel.cols == range.count)
                for i in 0..<7 { for (c, j) in range.enumerated() { #expect(panel[i, c] == m[i, j]) } }
            }
            #expect(throws: TangentFlowError.self) { try NpyFile.readColumns(20..<24, from: path) }
        }
    }
}
