// Tests for the `.npz` reader (NpzArchive.swift): NumPy-written archives (scripts/make_npz_fixtures.py) read back
// bit for bit against the same arrays saved as plain `.npy`, the `archive.npz:name` path rule, and a catalogue of
// damaged archives — truncated, bytes flipped, CRCs and sizes that lie, zip bombs, encryption, other methods,
// missing and duplicate members — each of which must throw `.malformedFile` saying what is wrong.

import Foundation
import Testing
@testable import TangentFlow
@testable import TangentFlowIO

// MARK: - Helpers (private to this file)

private enum NpzTestData {
    /// Path of fixture `name.npz`.
    static func archive(_ name: String) throws -> String {
        try #require(Bundle.module.url(forResource: name, withExtension: "npz", subdirectory: "Resources/npz"),
                     "fixture \(name).npz missing; run scripts/make_npz_fixtures.py").path
    }

    /// Path of the `.npy` file holding the values NumPy stored as array `name`.
    static func expected(_ name: String) throws -> String {
        try #require(Bundle.module.url(forResource: name, withExtension: "npy", subdirectory: "Resources/npz/expected"),
                     "expected/\(name).npy missing; run scripts/make_npz_fixtures.py").path
    }

    static func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: archive(name)))) }

    /// The fixture A of both fixture scripts: A[i, j] = (10 i + j + 0.25) · (−1 if j odd).
    static let fixtureA = try! Matrix([
        [0.25, -1.25, 2.25, -3.25],
        [10.25, -11.25, 12.25, -13.25],
        [20.25, -21.25, 22.25, -23.25],
    ])

    static func bits(_ m: Matrix) -> [UInt64] { m.elements.map(\.bitPattern) }

    /// Member `member` of the archive in `archive` (in memory), read as a matrix through the same code as files.
    static func matrix(_ archive: [UInt8], _ member: String? = "a", path: String = "test.npz",
                       chunkBytes: Int = NpzArchive.chunkBytes) throws -> Matrix {
        try archive.withUnsafeBytes { raw in
            try NpyFile.withNpzMember(member, of: NpyFile.MemoryReader(bytes: raw, path: path), chunkBytes: chunkBytes) {
                try NpyFile.matrix(from: $0)
            }
        }
    }

    /// The reason of the `.malformedFile` that `body` throws, or nil (with an issue recorded) otherwise.
    static func malformedReason(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        do {
            try body()
            Issue.record("expected .malformedFile, nothing was thrown", sourceLocation: sourceLocation)
        } catch let TangentFlowError.malformedFile(_, reason) {
            return reason
        } catch {
            Issue.record("expected .malformedFile, got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    /// Expects `.malformedFile` from reading member `member` of `archive`, with every string of `mentions` in the
    /// reason.
    static func expectMalformed(_ archive: [UInt8], _ member: String? = "a", mentions: [String],
                                sourceLocation: SourceLocation = #_sourceLocation) {
        guard let reason = malformedReason({ _ = try matrix(archive, member) }, sourceLocation: sourceLocation) else { return }
        for m in mentions {
            #expect(reason.contains(m), "reason '\(reason)' does not mention '\(m)'", sourceLocation: sourceLocation)
        }
    }

    /// `name` inside a fresh directory `npz-tests-<UUID>` under the temporary directory.
    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("npz-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    // MARK: ZIP surgery (offsets found by signature and name; the fixtures are small and known)

    static func u16(_ b: [UInt8], _ k: Int) -> Int { Int(b[k]) | Int(b[k + 1]) << 8 }
    static func u32(_ b: [UInt8], _ k: Int) -> Int { u16(b, k) | u16(b, k + 2) << 16 }

    static func put(_ b: inout [UInt8], _ k: Int, _ value: UInt64, bytes: Int) {
        for i in 0..<bytes { b[k + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }

    /// Offset of the header with `signature` (`[1, 2]` central, `[3, 4]` local) naming `name`.
    static func header(_ b: [UInt8], _ signature: [UInt8], _ name: String) -> Int {
        let n = Array(name.utf8), nameAt = signature == [1, 2] ? 46 : 30
        for k in 0..<(b.count - nameAt - n.count) where b[k] == 0x50 && b[k + 1] == 0x4B && b[k + 2] == signature[0]
            && b[k + 3] == signature[1] && u16(b, k + 28 - (signature == [1, 2] ? 0 : 2)) == n.count
            && Array(b[(k + nameAt)..<(k + nameAt + n.count)]) == n {
            return k
        }
        fatalError("no header for \(name)")
    }

    static func central(_ b: [UInt8], _ name: String) -> Int { header(b, [1, 2], name) }
    static func local(_ b: [UInt8], _ name: String) -> Int { header(b, [3, 4], name) }
    static func end(_ b: [UInt8]) -> Int { b.count - 22 }  // the fixtures have no archive comment

    /// Rewrites the sizes of member `name` in its central entry and/or local header, in the classic fields or, where
    /// those are 0xFFFFFFFF, in the ZIP64 extra field (which then starts with the uncompressed then compressed size).
    static func setSizes(_ b: inout [UInt8], _ name: String, compressed: UInt64? = nil, uncompressed: UInt64? = nil,
                         central inCentral: Bool = true, local inLocal: Bool = true) {
        func patch(_ h: Int, sizesAt: Int, extraAt: Int) {
            let zip64 = u32(b, h + sizesAt) == 0xFFFF_FFFF
            if zip64 { precondition(u16(b, extraAt) == 1, "first extra field is not ZIP64") }
            if let c = compressed {
                if zip64 { put(&b, extraAt + 12, c, bytes: 8) } else { put(&b, h + sizesAt, c, bytes: 4) }
            }
            if let u = uncompressed {
                if zip64 { put(&b, extraAt + 4, u, bytes: 8) } else { put(&b, h + sizesAt + 4, u, bytes: 4) }
            }
        }
        let n = name.utf8.count
        if inCentral { let h = central(b, name); patch(h, sizesAt: 20, extraAt: h + 46 + n) }
        if inLocal { let h = local(b, name); patch(h, sizesAt: 18, extraAt: h + 30 + n) }
    }

    /// Sizes of member `name` from its central entry (classic fields, or the ZIP64 extra field).
    static func sizes(_ b: [UInt8], _ name: String) -> (compressed: Int, uncompressed: Int) {
        let h = central(b, name), n = name.utf8.count
        if u32(b, h + 20) == 0xFFFF_FFFF {
            let e = h + 46 + n
            return (u32(b, e + 12) | u32(b, e + 16) << 32, u32(b, e + 4) | u32(b, e + 8) << 32)
        }
        return (u32(b, h + 20), u32(b, h + 24))
    }

    /// Where member `name`'s data starts.
    static func dataStart(_ b: [UInt8], _ name: String) -> Int {
        let h = local(b, name)
        return h + 30 + u16(b, h + 26) + u16(b, h + 28)
    }

    /// ORs `bits` into the general-purpose flags (offset 8 in central entries, 6 in local headers) or sets the
    /// method of member `name` in both its headers.
    static func setFlags(_ b: inout [UInt8], _ name: String, or bits: Int) {
        let c = central(b, name), l = local(b, name)
        put(&b, c + 8, UInt64(u16(b, c + 8) | bits), bytes: 2)
        put(&b, l + 6, UInt64(u16(b, l + 6) | bits), bytes: 2)
    }

    static func setMethod(_ b: inout [UInt8], _ name: String, _ method: Int) {
        put(&b, central(b, name) + 10, UInt64(method), bytes: 2)
        put(&b, local(b, name) + 8, UInt64(method), bytes: 2)
    }

    // MARK: A stored-only ZIP writer and CRC-32 of its own (independent of zlib), for structural cases

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 == 1 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }

    static func zip(_ members: [(name: String, data: [UInt8])], comment: [UInt8] = []) -> [UInt8] {
        var out: [UInt8] = [], directory: [UInt8] = []
        func le(_ v: Int, _ n: Int, into a: inout [UInt8]) { for i in 0..<n { a.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
        for (name, data) in members {
            let n = Array(name.utf8), crc = Int(crc32(data)), offset = out.count
            le(0x0403_4B50, 4, into: &out); le(20, 2, into: &out); le(0, 2, into: &out); le(0, 2, into: &out)
            le(0, 2, into: &out); le(0x21, 2, into: &out); le(crc, 4, into: &out); le(data.count, 4, into: &out)
            le(data.count, 4, into: &out); le(n.count, 2, into: &out); le(0, 2, into: &out)
            out += n + data
            le(0x0201_4B50, 4, into: &directory); le(20, 2, into: &directory); le(20, 2, into: &directory)
            le(0, 2, into: &directory); le(0, 2, into: &directory); le(0, 2, into: &directory); le(0x21, 2, into: &directory)
            le(crc, 4, into: &directory); le(data.count, 4, into: &directory); le(data.count, 4, into: &directory)
            le(n.count, 2, into: &directory); le(0, 2, into: &directory); le(0, 2, into: &directory)
            le(0, 2, into: &directory); le(0, 2, into: &directory); le(0, 4, into: &directory); le(offset, 4, into: &directory)
            directory += n
        }
        let start = out.count
        out += directory
        le(0x0605_4B50, 4, into: &out); le(0, 2, into: &out); le(0, 2, into: &out); le(members.count, 2, into: &out)
        le(members.count, 2, into: &out); le(directory.count, 4, into: &out); le(start, 4, into: &out)
        le(comment.count, 2, into: &out)
        return out + comment
    }
}

private typealias ZT = NpzTestData

// MARK: - NumPy-written archives

@Suite("NpzArchive")
struct NpzArchiveTests {
    static let commonArrays = ["a", "fortran", "f4", "be", "empty", "arr_0"]

    /// Every 1-D/2-D array of each archive equals the values NumPy stored, bit for bit.
    @Test(arguments: ["stored", "compressed"])
    func numpyArchivesMatchNumPy(_ fixture: String) throws {
        let archive = try ZT.archive(fixture)
        var names = Self.commonArrays
        if fixture == "compressed" { names.append("big") }
        for name in names {
            let m = try NpyFile.readMatrix(from: "\(archive):\(name)")
            let e = try NpyFile.readMatrix(from: ZT.expected(name))
            #expect(m.rows == e.rows && m.cols == e.cols, "\(fixture):\(name)")
            #expect(ZT.bits(m) == ZT.bits(e), "\(fixture):\(name)")
        }
        let v = try NpyFile.readVector(from: "\(archive):v")
        #expect(v.map(\.bitPattern) == (try NpyFile.readVector(from: ZT.expected("v"))).map(\.bitPattern))
        #expect(try NpyFile.readInt64Vector(from: "\(archive):labels") == [3, -1, 0, 42, 1 << 40, -(1 << 62)])
        #expect(try NpyFile.readInt64Vector(from: "\(archive):i4") == [7, -7, Int(Int32.max), Int(Int32.min)])
        #expect(try NpyFile.readInt64Vector(from: "\(archive):labels") == (try NpyFile.readInt64Vector(from: ZT.expected("labels"))))
        // Independent of both readers: the values the script wrote.
        #expect(ZT.bits(try NpyFile.readMatrix(from: "\(archive):a")) == ZT.bits(ZT.fixtureA))
        #expect(ZT.bits(try NpyFile.readMatrix(from: "\(archive):fortran")) == ZT.bits(ZT.fixtureA))
        let stack = try NpyFile.readStack(from: "\(archive):stack")
        #expect(stack.count == 2)
        #expect(stack.map(\.rowMajorElements) == [[-5.5, -4.5, -3.5, -2.5, -1.5, -0.5], [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]])
        #expect(try NpyFile.readStack(from: "\(archive):stack").map(ZT.bits) == (try NpyFile.readStack(from: ZT.expected("stack"))).map(ZT.bits))
    }

    @Test func zip64ArchiveMatchesNumPy() throws {
        let archive = try ZT.archive("zip64")
        #expect(ZT.bits(try NpyFile.readMatrix(from: "\(archive):a")) == ZT.bits(ZT.fixtureA))
        #expect(try NpyFile.readInt64Vector(from: "\(archive):labels") == (try NpyFile.readInt64Vector(from: ZT.expected("labels"))))
        #expect(try NpyFile.readVector(from: "\(archive):v").map(\.bitPattern)
            == (try NpyFile.readVector(from: ZT.expected("v"))).map(\.bitPattern))
        // The classic end record with ZIP64's placeholders (0xFFFF entries, 0xFFFFFFFF size and offset) reads the same.
        var b = try ZT.bytes("zip64")
        let e = ZT.end(b)
        ZT.put(&b, e + 8, 0xFFFF, bytes: 2); ZT.put(&b, e + 10, 0xFFFF, bytes: 2)
        ZT.put(&b, e + 12, 0xFFFF_FFFF, bytes: 4); ZT.put(&b, e + 16, 0xFFFF_FFFF, bytes: 4)
        #expect(ZT.bits(try ZT.matrix(b)) == ZT.bits(ZT.fixtureA))
    }

    /// Written to an unseekable stream: data descriptors, zero sizes in the local headers.
    @Test func streamedArchiveWithDataDescriptors() throws {
        let archive = try ZT.archive("streamed")
        #expect(ZT.bits(try NpyFile.readMatrix(from: "\(archive):a")) == ZT.bits(ZT.fixtureA))
        #expect(ZT.bits(try NpyFile.readMatrix(from: "\(archive):big")) == ZT.bits(try NpyFile.readMatrix(from: ZT.expected("big"))))
    }

    /// 8 MB of zeros from 8 KB: a real high-ratio member reads, whole and exact.
    @Test func highlyCompressedMemberReads() throws {
        let z = try NpyFile.readMatrix(from: "\(try ZT.archive("zeros")):z")
        #expect(z.rows == 1000 && z.cols == 1000)
        #expect(z.elements.allSatisfy { $0.bitPattern == 0 })
    }

    /// Checksumming and inflating in pieces of any size (down to one byte of input at a time) gives the same bytes.
    @Test(arguments: [1, 3, 64, 4096])
    func smallReadChunks(_ chunk: Int) throws {
        let compressed = try ZT.bytes("compressed")
        let big = ZT.bits(try NpyFile.readMatrix(from: ZT.expected("big")))
        #expect(ZT.bits(try ZT.matrix(compressed, "big", chunkBytes: chunk)) == big)
        #expect(ZT.bits(try ZT.matrix(try ZT.bytes("stored"), "a", chunkBytes: chunk)) == ZT.bits(ZT.fixtureA))
        // Damage still found with any chunk size.
        var c = compressed
        ZT.setSizes(&c, "big.npy", uncompressed: UInt64(ZT.sizes(compressed, "big.npy").uncompressed - 1))
        _ = ZT.malformedReason { _ = try ZT.matrix(c, "big", chunkBytes: chunk) }
        c = compressed
        ZT.setSizes(&c, "big.npy", compressed: UInt64(ZT.sizes(compressed, "big.npy").compressed - 1))
        _ = ZT.malformedReason { _ = try ZT.matrix(c, "big", chunkBytes: chunk) }
    }

    /// A stored member larger than one read chunk (1 MiB), read from a file in place.
    @Test func largeStoredMemberFromFile() throws {
        let m = try Matrix(rows: 400, cols: 500, rowMajor: (0..<200_000).map { Double($0) * 0.5 - 7 })
        let archive = ZT.zip([(name: "x.npy", data: NpyFile.encode(m)), (name: "y.npy", data: NpyFile.encode(vector: [1, 2]))])
        let dir = try ZT.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(archive).write(to: URL(fileURLWithPath: dir + "/big.npz"))
        #expect(try NpyFile.readMatrix(from: dir + "/big.npz:x") == m)
        let panel = try NpyFile.readColumns(498..<500, from: dir + "/big.npz:x")
        #expect(panel.rows == 400 && panel.column(0) == m.column(498) && panel.column(1) == m.column(499))
        #expect(try NpyFile.readVector(from: dir + "/big.npz:y") == [1, 2])
    }

    @Test func shapeAndColumnPanels() throws {
        for fixture in ["stored", "compressed"] {
            let archive = try ZT.archive(fixture)
            let (a, v) = (try NpyFile.shape(of: "\(archive):a"), try NpyFile.shape(of: "\(archive):v"))
            #expect(a.rows == 3 && a.cols == 4 && v.rows == 6 && v.cols == 1)
            for name in ["a", "fortran"] {
                let panel = try NpyFile.readColumns(1..<3, from: "\(archive):\(name)")
                #expect(panel.rowMajorElements == [-1.25, 2.25, -11.25, 12.25, -21.25, 22.25], "\(fixture):\(name)")
            }
        }
        let big = try ZT.archive("compressed") + ":big"
        let shape = try NpyFile.shape(of: big)
        #expect(shape.rows == 64 && shape.cols == 48)
        let expected = try NpyFile.readMatrix(from: ZT.expected("big"))
        let panel = try NpyFile.readColumns(40..<48, from: big)
        for i in 0..<64 { for j in 0..<8 { #expect(panel[i, j].bitPattern == expected[i, 40 + j].bitPattern) } }
    }

    // MARK: - Paths

    @Test func pathRule() throws {
        let stored = try ZT.archive("stored")
        // A member may also be named with its .npy suffix.
        #expect(ZT.bits(try NpyFile.readMatrix(from: "\(stored):a.npy")) == ZT.bits(ZT.fixtureA))
        // One array: the archive path alone reads it; np.savez's positional name works too.
        let single = try ZT.archive("single")
        #expect(try NpyFile.readMatrix(from: single).rowMajorElements == [2, -4, 8, 0.5])
        #expect(try NpyFile.readMatrix(from: "\(single):arr_0").rowMajorElements == [2, -4, 8, 0.5])

        let dir = try ZT.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A file whose name has the archive form is read as given while it exists.
        try FileManager.default.copyItem(atPath: stored, toPath: dir + "/t.npz")
        let other = try Matrix([[7, 8]])
        try NpyFile.write(other, to: dir + "/t.npz:a")
        #expect(try NpyFile.readMatrix(from: dir + "/t.npz:a") == other)
        try FileManager.default.removeItem(atPath: dir + "/t.npz:a")
        #expect(ZT.bits(try NpyFile.readMatrix(from: dir + "/t.npz:a")) == ZT.bits(ZT.fixtureA))
        // An archive without the .npz suffix is recognised by its signature; a .npy named .npz by its magic.
        try FileManager.default.copyItem(atPath: single, toPath: dir + "/archive.npy")
        #expect(try NpyFile.readMatrix(from: dir + "/archive.npy").rowMajorElements == [2, -4, 8, 0.5])
        try NpyFile.write(other, to: dir + "/plain.npz")
        #expect(try NpyFile.readMatrix(from: dir + "/plain.npz") == other)

        // Not the archive form, or no archive: the path is opened as given and the error names it.
        // A directory named like an archive: opened, and refused, as the archive.
        try FileManager.default.createDirectory(atPath: dir + "/d.npz", withIntermediateDirectories: false)
        for (path, opened, problem) in [(dir + "/missing.npz:a", dir + "/missing.npz:a", "No such file"),
                                        (dir + "/t.npz:sub/a", dir + "/t.npz:sub/a", "No such file"),
                                        (dir + "/t.npz:", dir + "/t.npz:", "No such file"),
                                        (dir + "/t.np:a", dir + "/t.np:a", "No such file"),
                                        (dir + "/d.npz:a", dir + "/d.npz", "not a regular file")] {
            do {
                _ = try NpyFile.readMatrix(from: path)
                Issue.record("\(path): no error")
            } catch let TangentFlowError.io(p, reason) {
                #expect(p == opened && reason.contains(problem), "\(path): \(p): \(reason)")
            }
        }
        // A .npz name on something that is neither: the archive reader explains (not the .npy reader's bad magic).
        try Data("hello, this is not an archive at all".utf8).write(to: URL(fileURLWithPath: dir + "/junk.npz"))
        let reason = ZT.malformedReason { _ = try NpyFile.readMatrix(from: dir + "/junk.npz") }
        #expect(reason?.contains("not a ZIP archive") == true && reason?.contains("np.savez") == true, "\(reason ?? "")")
    }

    @Test func memberSelectionErrors() throws {
        let stored = try ZT.archive("stored")
        // Several arrays and no name: the message lists them and shows the syntax.
        let several = ZT.malformedReason { _ = try NpyFile.readMatrix(from: stored) }
        #expect(several?.contains("holds 10 arrays (a, fortran, v, f4, be, labels, i4, stack, empty, arr_0)") == true,
                "\(several ?? "")")
        #expect(several?.contains("'\(stored):NAME', e.g. '\(stored):a'") == true, "\(several ?? "")")
        // A missing member: the message names it and lists what there is.
        do {
            _ = try NpyFile.readMatrix(from: "\(stored):nope")
            Issue.record("no error")
        } catch let TangentFlowError.malformedFile(path, reason) {
            #expect(path == stored)
            #expect(reason == "no array 'nope' (member 'nope.npy'); the archive holds a, fortran, v, f4, be, labels, i4, "
                + "stack, empty, arr_0")
        }
        // An empty archive.
        let empty = try ZT.archive("empty")
        #expect(ZT.malformedReason { _ = try NpyFile.readMatrix(from: empty) }?.contains("empty") == true)
        #expect(ZT.malformedReason { _ = try NpyFile.readMatrix(from: "\(empty):a") } == "no array 'a' (member 'a.npy'); the archive is empty")
        // Long listings are cut.
        let many = ZT.zip((0..<25).map { (name: "m\($0).npy", data: NpyFile.encode(vector: [Double($0)])) })
        #expect(try ZT.matrix(many, "m24").elements == [24])
        let listing = ZT.malformedReason { _ = try ZT.matrix(many, nil) }
        #expect(listing?.contains("m0, m1, m2") == true && listing?.contains("m19, … and 5 more") == true, "\(listing ?? "")")
        // Duplicates are refused, not resolved silently.
        let twice = ZT.zip([("a.npy", NpyFile.encode(vector: [1])), ("a.npy", NpyFile.encode(vector: [2]))])
        ZT.expectMalformed(twice, mentions: ["'a.npy' appears 2 times"])
        // A member that is not a .npy: the .npy parser's message, labelled with the member.
        let text = ZT.zip([("notes.txt", Array("hello".utf8))])
        do {
            _ = try ZT.matrix(text, nil, path: "x.npz")
            Issue.record("no error")
        } catch let TangentFlowError.malformedFile(path, reason) {
            #expect(path == "x.npz:notes.txt")
            #expect(reason.contains("bad magic"))
        }
        // The writer of this file makes valid archives (with a comment, too).
        let commented = ZT.zip([("a.npy", NpyFile.encode(ZT.fixtureA))], comment: Array("a comment".utf8))
        #expect(try ZT.matrix(commented) == ZT.fixtureA)
    }

    @Test func crcHelpersAgree() {
        let check = Array("123456789".utf8)
        #expect(ZT.crc32(check) == 0xCBF4_3926)
        #expect(check.withUnsafeBytes { NpzArchive.crc32(0, $0) } == 0xCBF4_3926)
    }

    // MARK: - Damaged archives

    /// Every proper prefix of each archive fails cleanly.
    @Test(arguments: ["stored", "zip64", "single", "streamed", "empty"])
    func everyTruncationIsMalformed(_ fixture: String) throws {
        let b = try ZT.bytes(fixture)
        let member: String? = fixture == "stored" || fixture == "zip64" || fixture == "streamed" ? "a" : nil
        for n in 0..<b.count {
            let prefix = Array(b[0..<n])
            _ = ZT.malformedReason { _ = try ZT.matrix(prefix, member) }
        }
        // And through a file.
        let dir = try ZT.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(b[0..<(b.count / 2)]).write(to: URL(fileURLWithPath: dir + "/cut.npz"))
        let reason = ZT.malformedReason { _ = try NpyFile.readMatrix(from: dir + "/cut.npz" + (member.map { ":" + $0 } ?? "")) }
        #expect(reason?.contains(fixture == "empty" ? "shorter than the smallest one" : "end-of-central-directory") == true,
                "\(reason ?? "")")
    }

    /// Every single-byte change of the small archives either fails with `.malformedFile` or — where it only touches
    /// a field the reader does not use (times, versions, attributes) — still reads exactly the stored values. The
    /// CRC-32 catches every change of the data itself.
    @Test(arguments: ["stored", "zip64", "streamed"])
    func everyByteFlipFailsCleanlyOrReadsExactly(_ fixture: String) throws {
        let b = try ZT.bytes(fixture)
        let expected = ZT.bits(ZT.fixtureA)
        var failures = 0
        for k in 0..<b.count {
            for x: UInt8 in [0x01, 0x80, 0xFF] {
                var c = b
                c[k] ^= x
                do {
                    let m = try ZT.matrix(c)
                    #expect(ZT.bits(m) == expected && m.rows == 3 && m.cols == 4, "byte \(k) ^ \(x) read wrong values")
                } catch TangentFlowError.malformedFile {
                    failures += 1
                } catch {
                    Issue.record("byte \(k) ^ \(x): expected .malformedFile, got \(error)")
                }
            }
        }
        #expect(failures > 0)
    }

    /// Random changes (several bytes at once) to the compressed archive: deflate data included.
    @Test func randomCorruptionOfCompressedArchive() throws {
        let b = try ZT.bytes("compressed")
        let expected = ZT.bits(try NpyFile.readMatrix(from: ZT.expected("big")))
        let start = ZT.dataStart(b, "big.npy"), count = ZT.sizes(b, "big.npy").compressed
        var rng = SeededGenerator(seed: 2024)
        for iteration in 0..<400 {
            var c = b
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                // Mostly inside the deflate stream, sometimes anywhere.
                let k = rng.next() % 4 == 0 ? Int(rng.next() % UInt64(c.count)) : start + Int(rng.next() % UInt64(count))
                c[k] ^= UInt8(1 + rng.next() % 255)
            }
            do {
                #expect(ZT.bits(try ZT.matrix(c, "big")) == expected, "iteration \(iteration) read wrong values")
            } catch TangentFlowError.malformedFile {
            } catch {
                Issue.record("iteration \(iteration): expected .malformedFile, got \(error)")
            }
        }
    }

    @Test func signatures() throws {
        let b = try ZT.bytes("stored")
        var c = b
        c[ZT.central(b, "a.npy")] ^= 0xFF
        ZT.expectMalformed(c, mentions: ["central directory entry 1 of 10 (byte \(ZT.central(b, "a.npy")))", "bad signature", "PK\\x01\\x02"])
        c = b
        c[ZT.local(b, "a.npy") + 2] = 9
        ZT.expectMalformed(c, mentions: ["member 'a.npy'", "local header at byte", "bad signature", "PK\\x03\\x04"])
        c = b
        c[ZT.end(b) + 1] = 0
        ZT.expectMalformed(c, mentions: ["truncated or damaged ZIP archive", "end-of-central-directory"])
        ZT.expectMalformed(Array(repeating: 0, count: 100), mentions: ["not a ZIP archive"])
        ZT.expectMalformed([0x50, 0x4B, 5, 6], mentions: ["not a ZIP archive", "4 bytes"])
        // Bytes after the end record (a comment length that does not match).
        ZT.expectMalformed(b + [0, 0, 0], mentions: ["end-of-central-directory"])
        // Bytes before the archive.
        ZT.expectMalformed([0, 0, 0, 0] + b, mentions: ["central directory", "prepended"])
    }

    @Test func centralDirectoryLies() throws {
        let b = try ZT.bytes("stored"), e = ZT.end(b)
        var c = b
        ZT.put(&c, e + 8, 11, bytes: 2); ZT.put(&c, e + 10, 11, bytes: 2)
        ZT.expectMalformed(c, mentions: ["entry 11 of 11", "only 0 bytes left"])
        c = b
        ZT.put(&c, e + 8, 9, bytes: 2); ZT.put(&c, e + 10, 9, bytes: 2)
        ZT.expectMalformed(c, mentions: ["its 9 entries take"])
        c = b
        ZT.put(&c, e + 8, 60000, bytes: 2); ZT.put(&c, e + 10, 60000, bytes: 2)
        ZT.expectMalformed(c, mentions: ["claims 60000 entries, more than fit"])
        c = b
        ZT.put(&c, e + 16, UInt64(ZT.u32(b, e + 16) - 1), bytes: 4)
        ZT.expectMalformed(c, mentions: ["must end exactly where", "end record starts"])
        c = b
        ZT.put(&c, e + 12, 0xFFFF_FFFF, bytes: 4)
        ZT.expectMalformed(c, mentions: ["0xFFFFFFFF defers to ZIP64", "no ZIP64 locator"])
        c = b
        ZT.put(&c, e + 4, 1, bytes: 2)
        ZT.expectMalformed(c, mentions: ["split or spanned"])
        // A name running past the directory.
        c = b
        ZT.put(&c, ZT.central(b, "empty.npy") + 28, 500, bytes: 2)
        ZT.expectMalformed(c, "empty", mentions: ["run past the end of the central directory"])
        // The local header offset pointing elsewhere, or past the data.
        c = b
        ZT.put(&c, ZT.central(b, "a.npy") + 42, UInt64(ZT.local(b, "fortran.npy")), bytes: 4)
        ZT.expectMalformed(c, mentions: ["member 'a.npy'", "names 'fortran.npy', not the central directory's 'a.npy'"])
        c = b
        ZT.put(&c, ZT.central(b, "a.npy") + 42, UInt64(ZT.u32(b, e + 16)), bytes: 4)
        ZT.expectMalformed(c, mentions: ["leaves no room"])
    }

    @Test func zip64StructureLies() throws {
        let b = try ZT.bytes("zip64")
        // The locator pointing at the wrong place.
        let locator = ZT.end(b) - 20
        var c = b
        ZT.put(&c, locator + 8, 0, bytes: 8)
        ZT.expectMalformed(c, mentions: ["no ZIP64 end-of-central-directory record", "at byte 0"])
        c = b
        ZT.put(&c, locator + 8, UInt64(b.count), bytes: 8)
        ZT.expectMalformed(c, mentions: ["leaves no room for the 56-byte ZIP64 end record"])
        // The ZIP64 end record's entry count.
        let record = ZT.u32(b, locator + 8)
        c = b
        ZT.put(&c, record + 32, 1 << 40, bytes: 8); ZT.put(&c, record + 24, 1 << 40, bytes: 8)
        ZT.expectMalformed(c, mentions: ["claims 1099511627776 entries"])
        c = b
        ZT.put(&c, record + 48, UInt64.max, bytes: 8)
        ZT.expectMalformed(c, mentions: ["ZIP64 central directory offset 18446744073709551615 is too large"])
        // A ZIP64 extra field too short for the values deferred to it.
        c = b
        let a = ZT.central(b, "labels.npy")
        ZT.put(&c, a + 46 + 10 + 2, 8, bytes: 2)
        ZT.expectMalformed(c, "labels", mentions: ["ZIP64 extra field (8 bytes) ends before the compressed size"])
        // An extra field longer than the room it has.
        c = b
        ZT.put(&c, a + 46 + 10 + 2, 400, bytes: 2)
        ZT.expectMalformed(c, "labels", mentions: ["claims 400 bytes"])
        // The local header's ZIP64 extra renamed: sizes deferred to nothing.
        c = b
        ZT.put(&c, ZT.local(b, "a.npy") + 30 + 5, 0x9999, bytes: 2)
        ZT.expectMalformed(c, mentions: ["no ZIP64 extra field with both sizes"])
    }

    @Test func checksumAndSizeLies() throws {
        let b = try ZT.bytes("stored")
        let (size, _) = ZT.sizes(b, "a.npy")
        // One data byte changed: the CRC-32 says so.
        var c = b
        c[ZT.dataStart(b, "a.npy") + size - 1] ^= 0x10
        ZT.expectMalformed(c, mentions: ["member 'a.npy': CRC-32 of its \(size) bytes is", "the data is corrupt"])
        // The recorded CRC changed in both headers.
        c = b
        for h in [ZT.central(b, "a.npy") + 16, ZT.local(b, "a.npy") + 14] { c[h] ^= 0x01 }
        ZT.expectMalformed(c, mentions: ["CRC-32", "the data is corrupt"])
        // Only the central directory's CRC changed.
        c = b
        c[ZT.central(b, "a.npy") + 16] ^= 0x01
        ZT.expectMalformed(c, mentions: ["disagrees with the central directory"])
        // Stored sizes that differ.
        c = b
        ZT.setSizes(&c, "a.npy", uncompressed: UInt64(size + 8))
        ZT.expectMalformed(c, mentions: ["is stored (not compressed) but its directory entry claims \(size) bytes in the archive and \(size + 8) uncompressed"])
        // Both larger: the member runs into the next one (CRC fails) or past the central directory.
        c = b
        ZT.setSizes(&c, "a.npy", compressed: UInt64(size + 8), uncompressed: UInt64(size + 8))
        ZT.expectMalformed(c, mentions: ["CRC-32"])
        c = b
        ZT.setSizes(&c, "empty.npy", compressed: 1 << 20, uncompressed: 1 << 20)
        ZT.expectMalformed(c, "empty", mentions: ["claims 1048576 bytes of data", "past the start of the central directory"])
        // Central directory and local header disagreeing.
        c = b
        ZT.setSizes(&c, "a.npy", compressed: UInt64(size - 8), uncompressed: UInt64(size - 8), local: false)
        ZT.expectMalformed(c, mentions: ["disagrees with the central directory", "compressed size \(size) vs \(size - 8)"])
        // Smaller in both: the .npy parser sees a truncated array.
        c = b
        ZT.setSizes(&c, "a.npy", compressed: UInt64(size - 8), uncompressed: UInt64(size - 8))
        ZT.expectMalformed(c, mentions: ["CRC-32"])
    }

    @Test func deflateLies() throws {
        let b = try ZT.bytes("compressed")
        let (csize, usize) = ZT.sizes(b, "a.npy")
        // Claimed uncompressed size: smaller, larger, absurd.
        var c = b
        ZT.setSizes(&c, "a.npy", uncompressed: UInt64(usize - 1))
        ZT.expectMalformed(c, mentions: ["inflates to more than the \(usize - 1) bytes its directory entry claims"])
        c = b
        ZT.setSizes(&c, "a.npy", uncompressed: UInt64(usize + 100))
        ZT.expectMalformed(c, mentions: ["inflates to \(usize) bytes, but its directory entry claims \(usize + 100)"])
        c = b
        ZT.setSizes(&c, "a.npy", uncompressed: 0xFFFF_FFF0)
        ZT.expectMalformed(c, mentions: ["claims 4294967280 bytes uncompressed from \(csize) compressed", "more than deflate can produce"])
        // Compressed size: too small (stream cut), too large (bytes left after the stream).
        c = b
        ZT.setSizes(&c, "a.npy", compressed: UInt64(csize - 5))
        ZT.expectMalformed(c, mentions: ["compressed bytes end before the deflate stream does"])
        c = b
        ZT.setSizes(&c, "a.npy", compressed: UInt64(csize + 5))
        ZT.expectMalformed(c, mentions: ["its deflate stream ends after \(csize) of its \(csize + 5) compressed bytes"])
        c = b
        ZT.setSizes(&c, "a.npy", compressed: 1)
        ZT.expectMalformed(c, mentions: ["compressed bytes end before the deflate stream does"])
        c = b
        ZT.setSizes(&c, "a.npy", compressed: 0)
        ZT.expectMalformed(c, mentions: ["claims \(usize) bytes uncompressed from 0 compressed"])
        // Not a deflate stream at all (0xFF… is an invalid block type).
        c = b
        let start = ZT.dataStart(b, "a.npy")
        for k in start..<(start + csize) { c[k] = 0xFF }
        ZT.expectMalformed(c, mentions: ["corrupt deflate data", "zlib:"])
        // ZIP64 sizes: an absurd claim in the extra field.
        var z = try ZT.bytes("zip64")
        ZT.setSizes(&z, "labels.npy", uncompressed: 1 << 62)
        ZT.expectMalformed(z, "labels", mentions: ["claims 4611686018427387904 bytes uncompressed", "more than deflate can produce"])
    }

    /// 8 MB of zeros claimed as 4 KiB, or as 4 GiB: stopped at the claim, or refused before allocating.
    @Test func zipBombs() throws {
        let b = try ZT.bytes("zeros")
        let (csize, usize) = ZT.sizes(b, "z.npy")
        #expect(usize == 8_000_128)
        var c = b
        ZT.setSizes(&c, "z.npy", uncompressed: 4096)
        ZT.expectMalformed(c, "z", mentions: ["member 'z.npy' inflates to more than the 4096 bytes", "zip bomb"])
        c = b
        ZT.setSizes(&c, "z.npy", uncompressed: 0xFFFF_FFF0)
        ZT.expectMalformed(c, "z", mentions: ["claims 4294967280 bytes uncompressed from \(csize) compressed"])
        // The largest claim deflate allows from these bytes still cannot make the reader go past it.
        c = b
        ZT.setSizes(&c, "z.npy", uncompressed: UInt64(csize * 1032))
        ZT.expectMalformed(c, "z", mentions: ["inflates to \(usize) bytes, but its directory entry claims \(csize * 1032)"])
    }

    @Test func encryptionAndMethods() throws {
        let b = try ZT.bytes("stored")
        var c = b
        ZT.setFlags(&c, "a.npy", or: 0x01)
        ZT.expectMalformed(c, mentions: ["member 'a.npy' is encrypted", "not supported"])
        c = b
        ZT.setFlags(&c, "a.npy", or: 0x40)
        ZT.expectMalformed(c, mentions: ["is encrypted"])
        c = b
        ZT.setMethod(&c, "a.npy", 99)
        ZT.expectMalformed(c, mentions: ["is encrypted", "AES"])
        for (method, name) in [(12, "bzip2"), (14, "LZMA"), (9, "deflate64"), (93, "Zstandard"), (7, "")] {
            c = b
            ZT.setMethod(&c, "a.npy", method)
            ZT.expectMalformed(c, mentions: ["uses compression method \(method)\(name.isEmpty ? "" : " (\(name))")",
                                             "only stored (0, np.savez) and deflate (8, np.savez_compressed)"])
        }
        // Local header and central directory disagreeing on the method.
        c = b
        ZT.put(&c, ZT.local(b, "a.npy") + 8, 8, bytes: 2)
        ZT.expectMalformed(c, mentions: ["says method 8", "the central directory says method 0"])
    }

    /// The file-level path through `withFileReader`: messages name the archive file.
    @Test func damagedArchiveOnDiskNamesTheFile() throws {
        var b = try ZT.bytes("compressed")
        ZT.setMethod(&b, "big.npy", 12)
        let dir = try ZT.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bad.npz"
        try Data(b).write(to: URL(fileURLWithPath: path))
        for read in [{ _ = try NpyFile.readMatrix(from: path + ":big") }, { _ = try NpyFile.shape(of: path + ":big") },
                     { _ = try NpyFile.readColumns(0..<1, from: path + ":big") }, { _ = try NpyFile.readStack(from: path + ":big") }] {
            do {
                try read()
                Issue.record("no error")
            } catch let TangentFlowError.malformedFile(p, reason) {
                #expect(p == path)
                #expect(reason.contains("method 12 (bzip2)"))
                #expect(TangentFlowError.malformedFile(path: p, reason: reason).description.hasPrefix(path + ": not a valid file:"))
            }
        }
        // Other members of the same archive still read.
        #expect(ZT.bits(try NpyFile.readMatrix(from: path + ":a")) == ZT.bits(ZT.fixtureA))
    }
}
