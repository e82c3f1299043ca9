// Tests for NpyFile / NpyHeader: round trips, NumPy golden files (scripts/make_npy_fixtures.py), header dialects,
// a catalogue of bad files (each with its error case and message), and a deterministic fuzz run.

import Foundation
import Testing
@testable import TangentFlow
@testable import TangentFlowIO

// MARK: - Helpers (private to this file)

/// Fuzz helpers on the package's deterministic generator (a failure reproduces from its iteration number).
private extension SeededGenerator {
    /// Uniform in `0..<n`, `n > 0`.
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
}

private enum NpyTestData {
    /// A[i, j] = (1000 i + j + 0.5) · (−1)^(i+j): exact in float32 for small shapes, every entry distinct.
    static func matrix(_ rows: Int, _ cols: Int) -> Matrix {
        var rowMajor: [Double] = []
        for i in 0..<rows {
            for j in 0..<cols {
                let magnitude = Double(1000 * i + j) + 0.5
                rowMajor.append((i + j) % 2 == 0 ? magnitude : -magnitude)
            }
        }
        return try! Matrix(rows: rows, cols: cols, rowMajor: rowMajor)
    }

    /// The fixture matrix of make_npy_fixtures.py: A[i, j] = (10 i + j + 0.25) · (−1 if j odd).
    static let fixtureA = try! Matrix([
        [0.25, -1.25, 2.25, -3.25],
        [10.25, -11.25, 12.25, -13.25],
        [20.25, -21.25, 22.25, -23.25],
    ])

    /// A `.npy` file from header text: preamble for `major`, header padded with spaces and '\n' to 64 bytes
    /// when `pad`, then `data`.
    static func file(_ header: String, data: [UInt8] = [], major: UInt8 = 1, pad: Bool = true) -> [UInt8] {
        var h = Array(header.utf8)
        let pre = major == 1 ? 10 : 12
        if pad {
            let n = (pre + h.count + 1 + 63) / 64 * 64 - pre - h.count - 1
            h += [UInt8](repeating: 0x20, count: n) + [0x0A]
        }
        var out = NpyHeader.magic + [major, 0]
        for k in 0..<(pre - 8) { out.append(UInt8(truncatingIfNeeded: h.count >> (8 * k))) }
        return out + h + data
    }

    static func dict(_ descr: String, _ fortran: String = "False", _ shape: String) -> String {
        "{'descr': '\(descr)', 'fortran_order': \(fortran), 'shape': \(shape), }"
    }

    static func f8(_ v: [Double], bigEndian: Bool = false) -> [UInt8] {
        v.flatMap { bytes(bigEndian ? $0.bitPattern.bigEndian : $0.bitPattern.littleEndian) }
    }
    static func f4(_ v: [Float], bigEndian: Bool = false) -> [UInt8] {
        v.flatMap { bytes(bigEndian ? $0.bitPattern.bigEndian : $0.bitPattern.littleEndian) }
    }
    static func i8(_ v: [Int64], bigEndian: Bool = false) -> [UInt8] {
        v.flatMap { bytes(bigEndian ? $0.bigEndian : $0.littleEndian) }
    }
    static func i4(_ v: [Int32], bigEndian: Bool = false) -> [UInt8] {
        v.flatMap { bytes(bigEndian ? $0.bigEndian : $0.littleEndian) }
    }
    private static func bytes<T: FixedWidthInteger>(_ x: T) -> [UInt8] { withUnsafeBytes(of: x) { Array($0) } }

    static func bits(_ m: Matrix) -> [UInt64] { m.elements.map(\.bitPattern) }

    static func fixture(_ name: String) throws -> (url: URL, bytes: [UInt8]) {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "npy", subdirectory: "Resources/npy"),
                               "fixture \(name).npy missing; run scripts/make_npy_fixtures.py")
        return (url, Array(try Data(contentsOf: url)))
    }

    /// `name` inside a fresh directory `npy-tests-<UUID>` under the temporary directory; pair with `removeTemporary`.
    static func temporaryPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("npy-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    /// Removes the `npy-tests-<UUID>` directory that `temporaryPath` made for `path`.
    static func removeTemporary(_ path: String) {
        var url = URL(fileURLWithPath: path)
        while url.pathComponents.count > 1 {
            if url.lastPathComponent.hasPrefix("npy-tests-") {
                try? FileManager.default.removeItem(at: url)
                return
            }
            url.deleteLastPathComponent()
        }
    }

    /// The reason of a `.malformedFile` thrown by `body`, or nil (with an issue recorded) if it threw something else.
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
}

private typealias NT = NpyTestData

// MARK: - Round trips

@Suite("NpyFile")
struct NpyFileTests {
    static let shapes: [(Int, Int)] = [(3, 4), (1, 5), (5, 1), (1, 1), (0, 3), (3, 0), (0, 0), (37, 53), (70, 2)]

    @Test(arguments: [false, true])
    func fileRoundTrip(fortranOrder: Bool) throws {
        for (r, c) in Self.shapes {
            let m = NT.matrix(r, c)
            let path = NT.temporaryPath("m.npy")
            defer { NT.removeTemporary(path) }
            try NpyFile.write(m, to: path, fortranOrder: fortranOrder)
            let back = try NpyFile.readMatrix(from: path)
            #expect(back.rows == r && back.cols == c, "\(r)×\(c) fortran=\(fortranOrder): read back \(back.shapeString)")
            #expect(NT.bits(back) == NT.bits(m), "\(r)×\(c) fortran=\(fortranOrder)")
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(bytes == NpyFile.encode(m, fortranOrder: fortranOrder), "write and encode agree for \(r)×\(c)")
            let dataOffset = bytes.count - r * c * 8
            #expect(dataOffset % 64 == 0 && bytes[dataOffset - 1] == 0x0A, "data 64-byte aligned after '\\n'")
        }
    }

    /// Every chunk size exercises a different split: flat runs, whole-row blocks, 32-row strips of row pieces.
    @Test(arguments: [1, 2, 3, 7, 64, 100, 1 << 17])
    func chunkedPathsAgree(chunk: Int) throws {
        for (r, c) in Self.shapes + [(2, 300), (33, 65)] {
            let m = NT.matrix(r, c)
            for fortran in [false, true] {
                let bytes = NpyFile.encodeFloat64(m.elements, rows: r, cols: c, shape: [r, c], fortranOrder: fortran,
                                                  chunkElements: chunk)
                #expect(bytes == NpyFile.encode(m, fortranOrder: fortran), "encode \(r)×\(c) chunk \(chunk) fortran=\(fortran)")
                let back = try bytes.withUnsafeBytes {
                    try NpyFile.matrix(from: NpyFile.MemoryReader(bytes: $0, path: "mem"), chunkElements: chunk)
                }
                #expect(NT.bits(back) == NT.bits(m), "decode \(r)×\(c) chunk \(chunk) fortran=\(fortran)")
            }
        }
    }

    /// The direct float64 path, the converting path (big-endian, float32, int) and C vs Fortran order all give the
    /// same matrix.
    @Test func everyDtypeAndOrderAgrees() throws {
        let (r, c) = (6, 5)
        let m = NT.matrix(r, c)
        let cOrder = m.rowMajorElements, fOrder = m.elements
        let shape = "(\(r), \(c))"
        let files: [(String, [UInt8])] = [
            ("<f8 C", NT.file(NT.dict("<f8", "False", shape), data: NT.f8(cOrder))),
            ("<f8 F", NT.file(NT.dict("<f8", "True", shape), data: NT.f8(fOrder))),
            (">f8 C", NT.file(NT.dict(">f8", "False", shape), data: NT.f8(cOrder, bigEndian: true))),
            (">f8 F", NT.file(NT.dict(">f8", "True", shape), data: NT.f8(fOrder, bigEndian: true))),
            ("<f4 C", NT.file(NT.dict("<f4", "False", shape), data: NT.f4(cOrder.map { Float($0) }))),
            (">f4 F", NT.file(NT.dict(">f4", "True", shape), data: NT.f4(fOrder.map { Float($0) }, bigEndian: true))),
            ("=f8 C", NT.file(NT.dict("=f8", "False", shape), data: NT.f8(cOrder))),
        ]
        for (name, bytes) in files {
            let got = try NpyFile.parseMatrix(bytes, path: name)
            #expect(NT.bits(got) == NT.bits(m), "\(name)")
        }
        // Integers: entries 1000 i + j with signs.
        let ints = try Matrix(rows: r, cols: c, rowMajor: cOrder.map { $0.rounded(.down) })
        let intFiles: [(String, [UInt8])] = [
            ("<i8 C", NT.file(NT.dict("<i8", "False", shape), data: NT.i8(ints.rowMajorElements.map { Int64($0) }))),
            (">i8 F", NT.file(NT.dict(">i8", "True", shape), data: NT.i8(ints.elements.map { Int64($0) }, bigEndian: true))),
            ("<i4 F", NT.file(NT.dict("<i4", "True", shape), data: NT.i4(ints.elements.map { Int32($0) }))),
            (">i4 C", NT.file(NT.dict(">i4", "False", shape), data: NT.i4(ints.rowMajorElements.map { Int32($0) }, bigEndian: true))),
        ]
        for (name, bytes) in intFiles {
            #expect(try NpyFile.parseMatrix(bytes, path: name) == ints, "\(name)")
        }
    }

    @Test func dataAndArrayInputsAgree() throws {
        // Each byte container must give back the matrix that was encoded (not merely agree with the other).
        let m = NT.matrix(4, 3)
        let bytes = NpyFile.encode(m)
        #expect(try NpyFile.parseMatrix(Data(bytes)).elements.map(\.bitPattern) == m.elements.map(\.bitPattern))
        #expect(try NpyFile.parseMatrix(bytes).elements.map(\.bitPattern) == m.elements.map(\.bitPattern))
        #expect(try NpyFile.parseMatrix(bytes[...]).elements.map(\.bitPattern) == m.elements.map(\.bitPattern))
    }

    @Test func vectors() throws {
        let v: [Double] = [1, -2.5, .infinity, -0.0, .nan, .leastNonzeroMagnitude]
        let path = NT.temporaryPath("v.npy")
        defer { NT.removeTemporary(path) }
        try NpyFile.write(vector: v, to: path)
        let back = try NpyFile.readVector(from: path)
        #expect(back.map(\.bitPattern) == v.map(\.bitPattern))
        let asMatrix = try NpyFile.readMatrix(from: path)
        #expect(asMatrix.rows == v.count && asMatrix.cols == 1, "1-D reads as an n×1 column")
        // 2-D with one row or one column, either order, is a vector too.
        for (shape, fortran) in [("(1, 6)", "False"), ("(6, 1)", "False"), ("(1, 6)", "True"), ("(6, 1)", "True")] {
            let bytes = NT.file(NT.dict("<f8", fortran, shape), data: NT.f8(v))
            #expect(try NpyFile.parseVector(bytes).map(\.bitPattern) == v.map(\.bitPattern), "\(shape) \(fortran)")
        }
        #expect(try NpyFile.parseVector(NpyFile.encode(vector: [])) == [])
        // Integer data read as Double.
        #expect(try NpyFile.parseVector(NT.file(NT.dict("<i4", "False", "(3,)"), data: NT.i4([1, -2, 3]))) == [1, -2, 3])
    }

    @Test func int64Vectors() throws {
        let labels = [0, 1, -1, 42, Int(Int32.max) + 1, Int.min, Int.max]
        let path = NT.temporaryPath("labels.npy")
        defer { NT.removeTemporary(path) }
        try NpyFile.write(int64Vector: labels, to: path)
        #expect(try NpyFile.readInt64Vector(from: path) == labels)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == NpyFile.encode(int64Vector: labels))
        #expect(try NpyFile.parseInt64Vector(NpyFile.encode(int64Vector: [])) == [])
        let i4 = NT.file(NT.dict(">i4", "False", "(1, 3)"), data: NT.i4([7, -7, .min], bigEndian: true))
        #expect(try NpyFile.parseInt64Vector(i4) == [7, -7, Int(Int32.min)])
        for chunk in [1, 2, 5] {
            let bytes = NpyFile.encode(int64Vector: labels)
            let got = try bytes.withUnsafeBytes {
                try NpyFile.int64Vector(from: NpyFile.MemoryReader(bytes: $0, path: "mem"), chunkElements: chunk)
            }
            #expect(got == labels, "chunk \(chunk)")
        }
    }

    @Test func versionTwoAndThreeHeaders() throws {
        let m = NT.matrix(3, 2)
        for version in [1, 2, 3] {
            for fortran in [false, true] {
                let bytes = NpyFile.encodeFloat64(m.elements, rows: 3, cols: 2, shape: [3, 2], fortranOrder: fortran,
                                                  version: version)
                #expect(bytes[6] == UInt8(version) && bytes[7] == 0)
                let header = try bytes.withUnsafeBytes { try NpyHeader.read(from: NpyFile.MemoryReader(bytes: $0, path: "m")) }
                #expect(header.majorVersion == version && header.dataOffset % 64 == 0 && header.fortranOrder == fortran)
                #expect(try NpyFile.parseMatrix(bytes) == m, "version \(version).0 fortran=\(fortran)")
            }
        }
    }

    @Test func headerNeedingMoreThan64KiBUsesVersionTwo() {
        // No 1-D or 2-D header is that long; a 30 000-dimensional shape is.
        let shape = [Int](repeating: 1, count: 30_000)
        let bytes = NpyHeader.encode(dtype: .float64, fortranOrder: false, shape: shape)
        #expect(bytes[6] == 2 && bytes.count % 64 == 0 && bytes.count > 65_536 && bytes.last == 0x0A)
        let small = NpyHeader.encode(dtype: .float64, fortranOrder: false, shape: [3, 4])
        #expect(small[6] == 1 && small.count == 128)
    }

    // MARK: NumPy golden files

    @Test func numpyFixturesRead() throws {
        let a = NT.fixtureA
        #expect(try NpyFile.readMatrix(from: NT.fixture("f8_c_3x4").url.path) == a)
        #expect(try NpyFile.readMatrix(from: NT.fixture("f8_fortran_3x4").url.path) == a)
        #expect(try NpyFile.readMatrix(from: NT.fixture("f4_2x3").url.path)
            == Matrix([[1.5, -2.25, 3.0], [0.125, -0.0, 65504.0]]))
        #expect(try NpyFile.readMatrix(from: NT.fixture("be_f8_2x2").url.path)
            == Matrix([[1.0, -2.5], [1e300, 0x1p-1074]]))
        #expect(try NpyFile.readInt64Vector(from: NT.fixture("i8_vec").url.path) == [3, -1, 0, 42, 1 << 40, -(1 << 62)])
        #expect(try NpyFile.readInt64Vector(from: NT.fixture("i4_vec").url.path)
            == [7, -7, Int(Int32.max), Int(Int32.min)])
        #expect(try NpyFile.readVector(from: NT.fixture("i8_vec").url.path) == [3, -1, 0, 42, 0x1p40, -0x1p62])
        let special = try NpyFile.readVector(from: NT.fixture("f8_vec_special").url.path)
        #expect(special.map(\.bitPattern)
            == [1.0, -0.0, .infinity, -.infinity, .nan, 0x1p-1074].map(\.bitPattern))
        #expect(try NpyFile.readMatrix(from: NT.fixture("v2_f8_2x3").url.path) == Matrix([[1, 2, 3], [4, 5, 6]]))
    }

    /// Our writer produces np.save's bytes exactly (header text, growth padding, alignment, data).
    @Test func writerMatchesNumpyByteForByte() throws {
        let a = NT.fixtureA
        #expect(NpyFile.encode(a) == (try NT.fixture("f8_c_3x4").bytes))
        #expect(NpyFile.encode(a, fortranOrder: true) == (try NT.fixture("f8_fortran_3x4").bytes))
        #expect(NpyFile.encode(int64Vector: [3, -1, 0, 42, 1 << 40, -(1 << 62)]) == (try NT.fixture("i8_vec").bytes))
        #expect(NpyFile.encode(vector: [1.0, -0.0, .infinity, -.infinity, .nan, 0x1p-1074])
            == (try NT.fixture("f8_vec_special").bytes))
        #expect(NpyFile.encodeFloat64([1, 4, 2, 5, 3, 6], rows: 2, cols: 3, shape: [2, 3], fortranOrder: false, version: 2)
            == (try NT.fixture("v2_f8_2x3").bytes))
    }

    // MARK: Header dialects

    @Test func headerDialectsParse() throws {
        let data = NT.f8([1, 2, 3, 4, 5, 6])
        let expected = try Matrix(rows: 2, cols: 3, rowMajor: [1, 2, 3, 4, 5, 6])
        let headers = [
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
            "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f8'}",
            "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (2, 3)}",
            "{ 'descr' :'<f8' ,'fortran_order':False,'shape':(2,3,),}",
            "\n\t{'descr': '<f8',\n 'fortran_order': False,\r\n 'shape': ( 2 , 3 ) }\n",
            "{'descr': u'<f8', 'fortran_order': False, 'shape': (2L, 3L), }",  // Python 2 writers
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }   \n\n",
            "{'descr': '<d', 'fortran_order': False, 'shape': (0x2, 0o3), }",  // np.dtype aliases, Python int forms
            "{'descr': 'float64', 'fortran_order': False, 'shape': (0b10, 3), }",
            "{'descr': '=d', 'fortran_order': False, 'shape': (+2, 0x_3), }",
        ]
        for h in headers {
            #expect(try NpyFile.parseMatrix(NT.file(h, data: data)) == expected, "\(h.debugDescription)")
            #expect(try NpyFile.parseMatrix(NT.file(h, data: data, major: 3, pad: false)) == expected, "unpadded v3 \(h.debugDescription)")
        }
        // (n,) and (n, 1) and (1, n).
        #expect(try NpyFile.parseMatrix(NT.file(NT.dict("<f8", "False", "(6,)"), data: data)).shapeString == "6×1")
        #expect(try NpyFile.parseMatrix(NT.file(NT.dict("<f8", "True", "(1, 6)"), data: data)).shapeString == "1×6")
        // Empty shapes with no data.
        #expect(try NpyFile.parseMatrix(NT.file(NT.dict("<f8", "False", "(0,)"))).shapeString == "0×1")
        #expect(try NpyFile.parseMatrix(NT.file(NT.dict("<f4", "True", "(0, 7)"))).shapeString == "0×7")
    }

    // MARK: Bad files

    /// (name, bytes, words the message must contain).
    static let badFiles: [(String, [UInt8], [String])] = {
        let d12 = NT.f8([Double](repeating: 1, count: 12))
        let ok = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }"
        var list: [(String, [UInt8], [String])] = [
            ("empty file", [], ["empty"]),
            ("bad magic", Array("\u{7F}ELF\u{2}\u{1}\u{1}\u{0}\u{0}\u{0}".utf8) + d12, ["magic", "\\x93NUMPY"]),
            ("magic only", Array(NT.file(ok, data: d12).prefix(7)), ["shorter than the 10-byte"]),
            ("version 4.0", { var b = NT.file(ok, data: d12); b[6] = 4; return b }(), ["version 4.0", "1.0, 2.0 and 3.0"]),
            ("version 1.1", { var b = NT.file(ok, data: d12); b[7] = 1; return b }(), ["version 1.1"]),
            ("v2 preamble cut", Array(NT.file(ok, major: 2).prefix(11)), ["shorter than the 12-byte"]),
            ("header length beyond file", Array(NT.file(ok).prefix(60)), ["header length field says 118 bytes", "only 50 bytes"]),
            ("empty header", NT.file("", pad: false), ["header is empty"]),
            ("header not a dict", NT.file("[1, 2]"), ["dict literal"]),
            ("unterminated dict", NT.file("{'descr': '<f8', 'fortran_order': False", data: d12), ["missing '}'"]),
            ("text after dict", NT.file(ok + " x", data: d12), ["after the closing '}'"]),
            ("missing colon", NT.file("{'descr' '<f8'}", data: d12), ["expected ':'"]),
            ("unterminated string", NT.file("{'descr': '<f8}", data: d12, pad: false), ["unterminated string"]),
            ("duplicate key", NT.file("{'descr': '<f8', 'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)}", data: d12),
             ["'descr' appears twice"]),
            ("non-string key", NT.file("{1: 2}", data: d12), ["keys must be strings"]),
            ("missing shape", NT.file("{'descr': '<f8', 'fortran_order': False}", data: d12), ["missing key 'shape'"]),
            ("missing two keys", NT.file("{'descr': '<f8'}", data: d12), ["missing keys 'fortran_order', 'shape'"]),
            ("unknown key", NT.file("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), 'foo': 1}", data: d12),
             ["unexpected key 'foo'"]),
            ("complex dtype", NT.file(NT.dict("<c16", "False", "(3, 4)"), data: d12), ["unsupported dtype '<c16'", "complex"]),
            ("uint8 dtype", NT.file(NT.dict("|u1", "False", "(3, 4)"), data: Array(d12.prefix(12))),
             ["unsupported dtype '|u1'", "unsigned integer"]),
            ("float16 dtype", NT.file(NT.dict("<f2", "False", "(3, 4)"), data: Array(d12.prefix(24))),
             ["unsupported dtype '<f2'", "float, 2 bytes"]),
            ("object dtype", NT.file(NT.dict("|O", "False", "(3, 4)"), data: d12), ["'|O'", "Python objects"]),
            ("structured dtype", NT.file("{'descr': [('x', '<f8')], 'fortran_order': False, 'shape': (12,)}", data: d12),
             ["structured dtype"]),
            ("descr not a string", NT.file("{'descr': 8, 'fortran_order': False, 'shape': (3, 4)}", data: d12),
             ["'descr' must be a dtype string", "got 8"]),
            ("fortran_order 1", NT.file(NT.dict("<f8", "1", "(3, 4)"), data: d12), ["'fortran_order' must be True or False, got 1"]),
            ("shape not a tuple", NT.file(NT.dict("<f8", "False", "(12)"), data: d12), ["got 12", "(n,)"]),
            ("shape a list", NT.file(NT.dict("<f8", "False", "[3, 4]"), data: d12), ["must be a tuple", "[3, 4]"]),
            ("negative dim", NT.file(NT.dict("<f8", "False", "(-3, -4)"), data: d12), ["negative dimension -3"]),
            ("float dim", NT.file(NT.dict("<f8", "False", "(3.0, 4)"), data: d12), ["non-integer dimension 3.0"]),
            ("hex float dim", NT.file(NT.dict("<f8", "False", "(0x1p3,)"), data: d12), ["non-integer dimension 0x1p3"]),
            ("bytes descr", NT.file("{'descr': b'<f8', 'fortran_order': False, 'shape': (3, 4)}", data: d12),
             ["'descr' must be a dtype string", "got b'<f8'"]),
            ("dtype name with byte order", NT.file(NT.dict("<float64", "False", "(3, 4)"), data: d12),
             ["unsupported dtype '<float64'"]),
            ("string dim", NT.file(NT.dict("<f8", "False", "('3', 4)"), data: d12), ["non-integer dimension '3'"]),
            ("dim beyond Int64", NT.file(NT.dict("<f8", "False", "(99999999999999999999, 1)"), data: d12),
             ["99999999999999999999 does not fit in a 64-bit integer"]),
            ("element count overflow", NT.file(NT.dict("<f8", "False", "(4611686018427387904, 4)"), data: d12),
             ["more elements than a 64-bit integer can count"]),
            ("byte count overflow", NT.file(NT.dict("<f8", "False", "(2305843009213693952, 2)"), data: d12),
             ["4611686018427387904 float64 values, more bytes than"]),
            ("lying header 10^12 elements", NT.file(NT.dict("<f8", "False", "(1000000, 1000000)"), data: d12),
             ["shape (1000000, 1000000) = 1000000000000 float64 values (8000000000000 bytes) but only 96 data bytes follow"]),
            ("truncated data", NT.file(ok, data: Array(d12.prefix(40))),
             ["header declares shape (3, 4) = 12 float64 values (96 bytes) but only 40 data bytes follow"]),
            ("truncated float32", NT.file(NT.dict("<f4", "False", "(3, 4)"), data: Array(d12.prefix(47))),
             ["12 float32 values (48 bytes) but only 47 data bytes follow"]),
            ("extra bytes", NT.file(ok, data: d12 + [0, 0, 0, 0, 0, 0, 0, 0]), ["8 extra bytes after data"]),
            ("two arrays appended", NT.file(ok, data: d12) + NT.file(ok, data: d12), ["224 extra bytes after data"]),
            ("0-d array", NT.file(NT.dict("<f8", "False", "()"), data: NT.f8([1])), ["0-d (scalar) array"]),
            ("3-D array", NT.file(NT.dict("<f8", "False", "(2, 2, 3)"), data: d12), ["3-D array of shape (2, 2, 3)"]),
            ("deep nesting", NT.file("{'descr': " + String(repeating: "[", count: 5000), data: d12), ["nested deeper than 64"]),
            ("NUL in header", NT.file("{'descr': '<f8',\u{0} 'fortran_order': False, 'shape': (3, 4)}", data: d12),
             ["unexpected character '\\x00'"]),
        ]
        list.append(("lone sign", NT.file(NT.dict("<f8", "False", "(-, 4)"), data: d12), ["expected a number after the sign"]))
        return list
    }()

    @Test func badFilesAreRejectedWithPreciseMessages() {
        for (name, bytes, words) in Self.badFiles {
            guard let reason = NT.malformedReason({ _ = try NpyFile.parseMatrix(bytes, path: "bad.npy") }) else {
                Issue.record("\(name): no .malformedFile")
                continue
            }
            for w in words { #expect(reason.contains(w), "\(name): message lacks \(w.debugDescription): \(reason)") }
        }
    }

    @Test func badFilesThroughTheFileReaderToo() throws {
        for (name, bytes, words) in Self.badFiles {
            let path = NT.temporaryPath("bad.npy")
            defer { NT.removeTemporary(path) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            guard let reason = NT.malformedReason({ _ = try NpyFile.readMatrix(from: path) }) else { continue }
            for w in words { #expect(reason.contains(w), "\(name) (file): message lacks \(w.debugDescription): \(reason)") }
        }
    }

    @Test func wrongKindForTheReader() {
        let matrix = NpyFile.encode(NT.matrix(2, 3))
        let reason = NT.malformedReason { _ = try NpyFile.parseVector(matrix) }
        #expect(reason?.contains("expected a vector (1-D, or 2-D with one row or one column), got shape (2, 3)") == true,
                "\(reason ?? "")")
        let floats = NpyFile.encode(vector: [1, 2])
        let r2 = NT.malformedReason { _ = try NpyFile.parseInt64Vector(floats) }
        #expect(r2?.contains("dtype '<f8' (float64) is not an integer type") == true, "\(r2 ?? "")")
        let empty2D = NT.file(NT.dict("<i8", "False", "(0, 5)"))
        let r3 = NT.malformedReason { _ = try NpyFile.parseInt64Vector(empty2D) }
        #expect(r3?.contains("got shape (0, 5)") == true, "\(r3 ?? "")")
    }

    @Test func operatingSystemFailuresAreIOErrors() throws {
        let missing = NT.temporaryPath("does-not-exist.npy")
        defer { NT.removeTemporary(missing) }
        let e1 = #expect(throws: TangentFlowError.self) { _ = try NpyFile.readMatrix(from: missing) }
        #expect(e1 == .io(path: missing, reason: "cannot open for reading: No such file or directory (errno 2)"), "\(String(describing: e1))")
        let dir = (NT.temporaryPath("x") as NSString).deletingLastPathComponent
        defer { NT.removeTemporary(dir) }
        let e2 = #expect(throws: TangentFlowError.self) { _ = try NpyFile.readVector(from: dir) }
        guard case let .io(_, r2)? = e2 else { Issue.record("directory: \(String(describing: e2))"); return }
        #expect(r2.contains("not a regular file"), "\(r2)")
        let noDir = NT.temporaryPath("no/such/dir/m.npy")
        defer { NT.removeTemporary(noDir) }
        let e3 = #expect(throws: TangentFlowError.self) { try NpyFile.write(NT.matrix(2, 2), to: noDir) }
        guard case let .io(_, r3)? = e3 else { Issue.record("no directory: \(String(describing: e3))"); return }
        #expect(r3.contains("does not exist"), "\(r3)")
    }

    // MARK: Fuzz

    /// Parses `bytes` with every reader; each must succeed with a consistent result or throw `TangentFlowError`.
    private static func checkNeverCrashes(_ bytes: [UInt8], _ label: @autoclosure () -> String) -> Bool {
        var parsed = false
        do {
            let m = try NpyFile.parseMatrix(bytes, path: "fuzz")
            #expect(m.rows >= 0 && m.cols >= 0 && m.elements.count == m.rows * m.cols, "\(label())")
            parsed = true
        } catch is TangentFlowError {
        } catch {
            Issue.record("\(label()): non-TangentFlowError \(error)")
        }
        do {
            _ = try NpyFile.parseVector(bytes, path: "fuzz")
        } catch is TangentFlowError {
        } catch {
            Issue.record("\(label()): parseVector threw non-TangentFlowError \(error)")
        }
        do {
            _ = try NpyFile.parseInt64Vector(bytes, path: "fuzz")
        } catch is TangentFlowError {
        } catch {
            Issue.record("\(label()): parseInt64Vector threw non-TangentFlowError \(error)")
        }
        return parsed
    }

    @Test func fuzzMutationsNeverCrash() {
        var rng = SeededGenerator(seed: 0x5EED_0001)
        let m = NT.matrix(5, 7)
        let seeds: [[UInt8]] = [
            NpyFile.encode(m),
            NpyFile.encode(m, fortranOrder: true),
            NpyFile.encode(vector: [1, 2, 3]),
            NpyFile.encode(int64Vector: [4, 5, -6, 7]),
            NpyFile.encodeFloat64(m.elements, rows: 5, cols: 7, shape: [5, 7], fortranOrder: false, version: 2),
            NT.file(NT.dict(">f4", "True", "(3, 2)"), data: NT.f4([1, 2, 3, 4, 5, 6], bigEndian: true)),
            NT.file(NT.dict("<i4", "False", "(2, 2)"), data: NT.i4([1, 2, 3, 4])),
        ]
        let headerBytes = Array("{}()[]',:\" \n0123456789-+.LeTrueFalseNonedescrshapefortran_order<>=|f8i4u1c16".utf8)
        var parsedCount = 0
        for iteration in 0..<3000 {
            var b = rng.pick(seeds)
            let edits = 1 + rng.below(4)
            for _ in 0..<edits {
                switch rng.below(7) {
                case 0:  // random byte anywhere
                    if !b.isEmpty { b[rng.below(b.count)] = UInt8(truncatingIfNeeded: rng.next()) }
                case 1:  // header-alphabet byte inside the header
                    if b.count > 12 { b[10 + rng.below(Swift.min(118, b.count - 10))] = rng.pick(headerBytes) }
                case 2:  // truncate
                    b = Array(b.prefix(rng.below(b.count + 1)))
                case 3:  // append junk
                    b += (0..<rng.below(20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                case 4:  // corrupt the header length field
                    if b.count > 11 { b[8 + rng.below(4)] = UInt8(truncatingIfNeeded: rng.next()) }
                case 5:  // delete a range
                    if !b.isEmpty {
                        let s = rng.below(b.count)
                        b.removeSubrange(s..<Swift.min(b.count, s + 1 + rng.below(16)))
                    }
                default:  // insert header-alphabet bytes
                    let s = rng.below(b.count + 1)
                    b.insert(contentsOf: (0..<(1 + rng.below(8))).map { _ in rng.pick(headerBytes) }, at: s)
                }
            }
            if Self.checkNeverCrashes(b, "mutation \(iteration)") { parsedCount += 1 }
        }
        #expect(parsedCount > 0, "some mutations (e.g. of data bytes) should still parse")
    }

    @Test func fuzzRandomHeadersNeverCrash() {
        var rng = SeededGenerator(seed: 0x5EED_0002)
        let descrs = ["'<f8'", "'>f8'", "'<f4'", "'>i4'", "'<i8'", "'<c16'", "'|u1'", "'f8'", "''", "'<f8", "[('a', '<f8')]",
                      "8", "None", "'\u{00e9}'", "'<f8' '<f4'"]
        let fortrans = ["True", "False", "1", "0", "None", "'True'", "Tru", "()"]
        let dims = ["0", "1", "2", "3", "7", "-1", "1000000000000", "9223372036854775807", "9223372036854775808",
                    "4294967296", "3.5", "1e3", "0x10", "3L", "1_0", "'2'", "None", "(2,)", "", "+4", "- 2", "00"]
        var parsedCount = 0
        for iteration in 0..<1500 {
            var entries: [String] = []
            var itemSize = 8
            var elementCount: Int? = 1  // nil once a dimension is not a small integer
            if rng.below(10) > 0 {
                let descr = rng.pick(descrs)
                if descr.contains("4") { itemSize = 4 }
                entries.append("'descr': " + descr)
            }
            if rng.below(10) > 0 { entries.append("'fortran_order': " + rng.pick(fortrans)) }
            if rng.below(10) > 0 {
                let rank = rng.below(5)
                let ds = (0..<rank).map { _ in
                    if rng.below(3) == 0 {
                        elementCount = nil
                        return rng.pick(dims)
                    }
                    let d = rng.below(5)
                    elementCount = elementCount.map { $0 * d }
                    return String(d)
                }
                let tuple = rank == 1 && rng.below(4) > 0 ? "(\(ds[0]),)" : "(" + ds.joined(separator: ", ") + ")"
                entries.append("'shape': " + tuple)
            }
            if rng.below(12) == 0 { entries.append("'extra': 1") }
            entries.shuffle(using: &rng)
            var header = "{" + entries.joined(separator: rng.pick([", ", ",", " ,\n"])) + rng.pick(["", ", ", ","]) + "}"
            if rng.below(15) == 0 { header.removeLast() }
            if rng.below(15) == 0 { header = String(header.dropFirst()) }
            let count = if let elementCount, rng.below(4) > 0 { elementCount * itemSize } else { rng.below(200) }
            let data = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let bytes = NT.file(header, data: data, major: UInt8(1 + rng.below(3)), pad: rng.below(3) > 0)
            if Self.checkNeverCrashes(bytes, "header \(iteration): \(header)") { parsedCount += 1 }
        }
        #expect(parsedCount > 0, "some random headers should be valid")
    }
}


/// Stacks with an empty dimension carry no data, so the data-size check cannot bound them: the two headers the
/// fuzzer found (an `r·c` overflow and 10⁸ empty matrices) must be refused, not trap or exhaust memory.
@Test func emptyStacksWithHugeDimensionsAreRefused() {
    for shape in [[0, 1 << 32, 1 << 32], [100_000_000, 0, 7], [1 << 62, 0, 0], [3, 0, 2]] {
        let bytes = NpyHeader.encode(dtype: .float64, fortranOrder: false, shape: shape)
        #expect(throws: TangentFlowError.self, "\(shape)") { _ = try NpyFile.parseStack(bytes) }
    }
}
