import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowDeepLinear
@testable import TangentFlowIO

/// `tangentflow dln …` and `tangentflow bw …` (issue #5 item 7): outputs equal the library's, exit codes
/// 0 / 64 (usage) / 1 (runtime) with one `Error:` line on stderr, help on stdout.
@Suite(.serialized) struct DeepLinearCLITests {
    @Test func helpListsTheNestedSubcommands() throws {
        let root = try CLIRunner.run(["--help"])
        #expect(root.stdout.contains("dln") && root.stdout.contains("bw"))
        let dln = try CLIRunner.run(["dln", "--help"])
        #expect(dln.status == 0 && dln.stdout.contains("geodesic") && dln.stdout.contains("singular-values"))
        let geo = try CLIRunner.run(["help", "dln", "geodesic"])
        #expect(geo.status == 0 && geo.stdout.contains("USAGE: tangentflow dln geodesic"))
        #expect(try CLIRunner.run(["dln", "geodesic", "-h"]).stdout == geo.stdout)
        let unknown = try CLIRunner.run(["dln", "frobnicate"])
        #expect(unknown.status == 64 && unknown.stderr.contains("unknown subcommand 'frobnicate'"))
    }

    /// The DLN path file equals the library's explicit geodesic (shared singular vectors) and, for general
    /// endpoints, the library's shooting; `.npy` shape (K, d, d).
    @Test func dlnGeodesicMatchesTheLibrary() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let (w0, w1, _, _) = DeepLinearGeodesicTests.sharedPair()
        try NpyFile.write(w0, to: dir + "/W0.npy")
        try NpyFile.write(w1, to: dir + "/W1.npy")
        let r = try CLIRunner.run(["dln", "geodesic", "--a", dir + "/W0.npy", "--b", dir + "/W1.npy", "--depth", "4", "--points", "7", "-o", dir + "/path.npy"])
        #expect(r.status == 0 && r.stdout.contains("method=explicit"), "\(r.stderr)")
        let path = try NpyFile.readStack(from: dir + "/path.npy")
        let lib = try SharedSingularVectorGeodesic(from: w0, to: w1, depth: .finite(4)).points(count: 7)
        #expect(path.count == 7)
        for k in 0..<7 { #expect(DLN.close(path[k], lib[k]) <= 1e-15, "point \(k)") }
        let libLength = try SharedSingularVectorGeodesic(from: w0, to: w1, depth: .finite(4)).length!
        #expect(r.stdout.contains("length=\(libLength)"))
        let inf = try CLIRunner.run(["dln", "geodesic", "--a", dir + "/W0.npy", "--b", dir + "/W1.npy", "--depth", "inf", "-o", dir + "/inf.npy"])
        let infPath = try NpyFile.readStack(from: dir + "/inf.npy")
        #expect(inf.status == 0 && infPath.count == 11)

        let a = DLN.spd(3, seed: 7, shift: 0.6), b = DLN.spd(3, seed: 8, shift: 0.6)
        try NpyFile.write(a, to: dir + "/A.npy")
        try NpyFile.write(b, to: dir + "/B.npy")
        let s = try CLIRunner.run(["dln", "geodesic", "--a", dir + "/A.npy", "--b", dir + "/B.npy", "--depth", "3", "--points", "5", "-o", dir + "/shot.npy"])
        #expect(s.status == 0 && s.stdout.contains("method=shooting"), "\(s.stderr)")
        let shot = try NpyFile.readStack(from: dir + "/shot.npy")
        let libShot = try shootGeodesic(from: a, to: b, depth: 3, points: 5)
        for k in 0..<5 { #expect(DLN.close(shot[k], libShot.points[k]) <= 1e-12, "shooting point \(k)") }
        // Forcing the explicit method on general endpoints is a runtime error with one clear line.
        let forced = try CLIRunner.run(["dln", "geodesic", "--a", dir + "/A.npy", "--b", dir + "/B.npy", "--method", "explicit", "-o", dir + "/x.npy"])
        #expect(forced.status == 65 && forced.stderr.contains("do not share singular vectors"))
        #expect(forced.stderr.split(separator: "\n").count == 1)
    }

    /// The BW path equals the library's geodesic; the printed distance is the library's.
    @Test func bwGeodesicMatchesTheLibrary() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let a = DLN.spd(4, seed: 3), b = DLN.spd(4, seed: 4)
        try NpyFile.write(a, to: dir + "/A.npy")
        try NpyFile.write(b, to: dir + "/B.npy")
        let r = try CLIRunner.run(["bw", "geodesic", "--a", dir + "/A.npy", "--b", dir + "/B.npy", "-o", dir + "/path.npy"])
        #expect(r.status == 0, "\(r.stderr)")
        let geo = try BuresWassersteinGeodesic(from: a, to: b)
        #expect(r.stdout.contains("distance=\(geo.distance)"))
        let path = try NpyFile.readStack(from: dir + "/path.npy")
        let lib = try geo.points(count: 11)
        for k in 0..<11 { #expect(DLN.close(path[k], lib[k]) <= 1e-15, "point \(k)") }
    }

    /// Path files: `(K, d, d)` stacks round-trip in C order, and a Fortran-order 3-D array (as NumPy writes for
    /// `np.asfortranarray(stack)`) reads to the same matrices; non-stack shapes are refused.
    @Test func pathFilesRoundTrip() throws {
        let mats = (0..<3).map { Fixtures.gaussian(2, 4, seed: 60 + UInt64($0)) }
        let back = try NpyFile.parseStack(try NpyFile.encode(stack: mats))
        #expect(back.count == 3 && zip(back, mats).allSatisfy { $0 == $1 })
        // Fortran order: element (k, i, j) at k + 3·(i + 2·j).
        var data = [Double](repeating: 0, count: 24)
        for k in 0..<3 { for i in 0..<2 { for j in 0..<4 { data[k + 3 * (i + 2 * j)] = mats[k][i, j] } } }
        let header = NpyHeader.encode(dtype: .float64, fortranOrder: true, shape: [3, 2, 4])
        let bytes = header + data.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        let fortran = try NpyFile.parseStack(bytes)
        #expect(fortran.count == 3 && zip(fortran, mats).allSatisfy { $0 == $1 })
        #expect(throws: TangentFlowError.self) { try NpyFile.parseStack(NpyFile.encode(vector: [1, 2, 3])) }
        #expect(throws: TangentFlowError.self) { try NpyFile.encode(stack: [mats[0], Fixtures.gaussian(4, 2, seed: 1)]) }
    }

    /// Bad input: non-SPD, singular, mismatched shapes, opposite determinants → exit 65 and one `Error:` line
    /// (66 for a missing file); bad option values → exit 64 with a hint line.
    @Test func badInputsExitNonZeroWithOneClearLine() throws {
        let dir = try CLIRunner.temporaryDirectory()
        try NpyFile.write(DLN.spd(3, seed: 1), to: dir + "/A.npy")
        try NpyFile.write(DenseOps.diagonal([1, -2, 3]), to: dir + "/indefinite.npy")
        try NpyFile.write(DenseOps.diagonal([1, 0, 3]), to: dir + "/singular.npy")
        try NpyFile.write(DLN.spd(2, seed: 1), to: dir + "/small.npy")
        let cases: [([String], String)] = [
            (["bw", "geodesic", "--a", dir + "/A.npy", "--b", dir + "/indefinite.npy", "-o", dir + "/o.npy"], "B must be symmetric positive definite"),
            (["bw", "geodesic", "--a", dir + "/small.npy", "--b", dir + "/A.npy", "-o", dir + "/o.npy"], "the same size"),
            (["dln", "geodesic", "--a", dir + "/A.npy", "--b", dir + "/singular.npy", "-o", dir + "/o.npy"], "σ_min"),
            (["dln", "geodesic", "--a", dir + "/A.npy", "--b", dir + "/indefinite.npy", "-o", dir + "/o.npy"], "different components"),
            (["bw", "geodesic", "--a", dir + "/missing.npy", "--b", dir + "/A.npy", "-o", dir + "/o.npy"], "--a: "),
        ]
        for (args, needle) in cases {
            let r = try CLIRunner.run(args)
            #expect(r.status == (needle == "--a: " ? 66 : 65), "\(args[0...1]) \(needle): status \(r.status)")
            #expect(r.stderr.hasPrefix("Error: ") && r.stderr.contains(needle), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
        }
        let usage: [[String]] = [
            ["dln", "geodesic", "--a", dir + "/A.npy", "--b", dir + "/A.npy", "--depth", "0", "-o", dir + "/o.npy"],
            ["dln", "geodesic", "--a", dir + "/A.npy", "--b", dir + "/A.npy", "--points", "1", "-o", dir + "/o.npy"],
            ["dln", "geodesic", "--a", dir + "/A.npy", "--b", dir + "/A.npy", "--method", "magic", "-o", dir + "/o.npy"],
            ["bw", "geodesic", "--a", dir + "/A.npy", "-o", dir + "/o.npy"],
        ]
        for args in usage {
            let r = try CLIRunner.run(args)
            #expect(r.status == 64 && r.stderr.contains("Hint: see 'tangentflow \(args[0]) geodesic --help'"), "\(args): \(r.stderr)")
        }
    }

    /// `dln singular-values` writes CSV + SVG; the CSV's curves are the explicit formula's, and at every t they are
    /// the singular values of W(t) (SVD of the library's point, sorted), for N = 1, 2, 4, ∞.
    @Test func singularValuePlot() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["dln", "singular-values", "--points", "21", "-o", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let svg = try String(contentsOfFile: dir + "/dln-singular-values.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"))
        #expect(svg.contains("N = ∞") && svg.contains("N = 4"))
        let lines = try String(contentsOfFile: dir + "/dln-singular-values.csv", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 22 && lines[0].hasPrefix("t,N1_sigma1"))
        let (w0, w1) = try CLIEndpoints.endpoints()
        for (row, line) in lines.dropFirst().enumerated() where row % 5 == 0 {
            let v = line.split(separator: ",").map { Double($0)! }
            for (j, depth) in [DeepLinearDepth.finite(1), .finite(2), .finite(4), .infinite].enumerated() {
                let point = try SharedSingularVectorGeodesic(from: w0, to: w1, depth: depth).point(at: v[0])
                let svd = try CBackend().svd(point).singularValues
                let csv = Array(v[(1 + 3 * j)..<(4 + 3 * j)]).sorted(by: >)
                #expect(relativeError(csv, svd) <= 1e-13, "t = \(v[0]), N = \(depth)")
            }
        }
    }
}

/// The fixed endpoints of `dln singular-values` (a copy of the CLI's, which lives in the executable target):
/// singular values (4, 1, ¼) → (¼, 2, 4) with shared rotations.
enum CLIEndpoints {
    static func endpoints() throws -> (Matrix, Matrix) {
        let c = CBackend()
        let u = try c.svd(Matrix([[2, -1, 0.5], [1, 3, -1], [0, 1, 2]])).u
        let v = try c.svd(Matrix([[1, 0.3, -2], [0.2, 2, 1], [-1, 1, 1.5]])).u
        return (DLN.compose(u, [4, 1, 0.25], v), DLN.compose(u, [0.25, 2, 4], v))
    }
}
