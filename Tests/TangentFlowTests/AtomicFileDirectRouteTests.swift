import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowIO

/// `DirectWriteStage`: large files written front to back go past the page cache, and every route — in order,
/// out of order, switched back midway — leaves exactly the bytes that were written (compared with the same
/// bytes assembled in memory).
@Suite struct AtomicFileDirectRouteTests {
    private static func folder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tangentflow-direct-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Deterministic bytes (a 64-bit LCG), so a misplaced block shows as a mismatch.
    private static func bytes(_ n: Int, seed: UInt64) -> [UInt8] {
        var s = seed &* 6364136223846793005 &+ 1442695040888963407
        var out = [UInt8](repeating: 0, count: n)
        out.withUnsafeMutableBytes { raw in
            for w in 0..<(n / 8) {
                s = s &* 6364136223846793005 &+ 1442695040888963407
                raw.storeBytes(of: s ^ (s >> 29), toByteOffset: 8 * w, as: UInt64.self)
            }
            for i in (n / 8 * 8)..<n { raw[i] = UInt8(truncatingIfNeeded: seed &+ UInt64(i)) }
        }
        return out
    }

    /// Whether `dir`'s filesystem takes O_DIRECT at all (tmpfs does not): only then must the route be direct.
    private static func supportsDirect(_ dir: String) -> Bool {
        let probe = dir + "/.probe"
        let fd = open(probe, O_RDWR | O_CREAT | DirectWriteStage.directFlag, 0o644)
        defer { if fd >= 0 { close(fd) }; unlink(probe) }
        return fd >= 0
    }

    private static func contents(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A header, then chunks of an odd size: the file passes the threshold at an unaligned offset, ends
    /// unaligned, and equals the bytes written.
    @Test func inOrderChunksGoDirectAndArriveWhole() throws {
        let dir = try Self.folder(), path = dir + "/big.bin"
        let total = DirectWriteStage.threshold + 3 * DirectWriteStage.capacity + 12_345
        let expected = Self.bytes(total, seed: 1)
        var wentDirect = false
        try expected.withUnsafeBytes { all in
            try AtomicFile.write(to: path, inspect: { wentDirect = $0.isDirect }) { sink in
                try sink.write(UnsafeRawBufferPointer(rebasing: all[0..<128]), at: 0)
                var at = 128
                while at < total {
                    let n = Swift.min(100_003, total - at)
                    try sink.write(UnsafeRawBufferPointer(rebasing: all[at..<(at + n)]), at: at)
                    at += n
                }
            }
        }
        #expect(try Self.contents(path) == expected)
        #expect(wentDirect == Self.supportsDirect(dir), "direct route \(wentDirect)")
    }

    /// Data first, header last (out of order from the start): the ordinary route, the same bytes.
    @Test func outOfOrderWritesStayOrdinary() throws {
        let dir = try Self.folder(), path = dir + "/ooo.bin"
        let total = DirectWriteStage.threshold + 777
        let expected = Self.bytes(total, seed: 2)
        var wentDirect = true
        try expected.withUnsafeBytes { all in
            try AtomicFile.write(to: path, inspect: { wentDirect = $0.isDirect }) { sink in
                try sink.write(UnsafeRawBufferPointer(rebasing: all[64...]), at: 64)
                try sink.write(UnsafeRawBufferPointer(rebasing: all[0..<64]), at: 0)
            }
        }
        #expect(try Self.contents(path) == expected)
        #expect(!wentDirect)
    }

    /// Past the threshold in order, then a patch behind the written end and more data: the stage is flushed
    /// the ordinary way and the file is still exactly what was written, patch included.
    @Test func aPatchAfterTheSwitchFallsBackWithoutLosingBytes() throws {
        let dir = try Self.folder(), path = dir + "/patch.bin"
        let first = DirectWriteStage.threshold + DirectWriteStage.capacity / 2 + 5
        let total = first + 50_001
        var expected = Self.bytes(total, seed: 3)
        let patch = Self.bytes(4_000, seed: 4)
        try expected.withUnsafeBytes { all in
            try AtomicFile.write(to: path) { sink in
                try sink.write(UnsafeRawBufferPointer(rebasing: all[0..<first]), at: 0)
                try sink.write(patch, at: 1_000)
                try sink.write(UnsafeRawBufferPointer(rebasing: all[first...]), at: first)
            }
        }
        expected.replaceSubrange(1_000..<5_000, with: patch)
        #expect(try Self.contents(path) == expected)
    }

    /// A file ending exactly on a block boundary, and an .npy matrix written through the public API: NumPy's
    /// header, the elements in C order, read back equal.
    @Test func aMatrixWrittenDirectReadsBackEqual() throws {
        let dir = try Self.folder(), path = dir + "/m.npy"
        let rows = 1_100, cols = 1_000  // 8.8 MB of float64, past the threshold
        let m = Fixtures.gaussian(rows, cols, seed: 9)
        try NpyFile.write(m, to: path)
        let back = try NpyFile.readMatrix(from: path)
        #expect(back.rows == rows && back.cols == cols && back.elements == m.elements)
        let aligned = dir + "/aligned.bin"
        let exact = Self.bytes(DirectWriteStage.threshold + 2 * DirectWriteStage.capacity, seed: 5)
        try AtomicFile.write(exact, to: aligned)
        #expect(try Self.contents(aligned) == exact)
    }
}
