// The `.npy` preamble and header dict: parsing (validate everything before a byte of data is allocated) and
// encoding (byte-identical to `np.save`). The data itself is read and written by `NpyFile`.
//
// Format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
//
//     offset 0      "\x93NUMPY"      magic, 6 bytes
//     offset 6      major, minor     1.0, 2.0 or 3.0
//     offset 8      HLEN             little-endian UInt16 (1.0) or UInt32 (2.0, 3.0)
//     offset 10|12  HLEN bytes       Python dict literal, latin-1 (1.0, 2.0) or UTF-8 (3.0),
//                                    space-padded and '\n'-terminated so the data starts on a 64-byte boundary
//     then          data             prod(shape) elements of `descr`, C (row-major) or Fortran (column-major) order
//
// numpy reads the dict with `ast.literal_eval`; `LiteralParser` below accepts the same literal subset that
// matters here (strings, ints, True/False/None, tuples, lists, nested dicts), in one linear pass with a
// nesting limit, so no input can make it recurse deeply, loop or allocate more than the header's own size.

import Foundation
import TangentFlow

/// The parsed header of a NumPy `.npy` file: element type, storage order, shape and where the data starts.
///
/// Postconditions of `read(from:)`: `elementCount == shape.reduce(1, *)` without overflow,
/// `dataOffset + elementCount * dtype.size == reader.count` (the data fills the rest of the file exactly),
/// every dimension is `≥ 0`.
struct NpyHeader: Equatable, Sendable {
    /// Format major version: 1, 2 or 3 (the minor version is always 0).
    var majorVersion: Int
    /// Element type.
    var dtype: DType
    /// `true`: data in Fortran (column-major) order; `false`: C (row-major) order.
    var fortranOrder: Bool
    /// Array shape, NumPy's `a.shape` (empty for a 0-d array).
    var shape: [Int]
    /// Byte offset of the first data byte (preamble + header).
    var dataOffset: Int
    /// `prod(shape)`.
    var elementCount: Int

    /// The magic string every `.npy` file starts with.
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"
    /// numpy aligns the data to this many bytes (`numpy.lib.format.ARRAY_ALIGN`).
    static let alignment = 64
    /// Spare header spaces numpy leaves so the growth axis can be rewritten in place
    /// (`numpy.lib.format.GROWTH_AXIS_MAX_DIGITS`).
    static let growthAxisMaxDigits = 21
    /// Deepest bracket nesting the dict parser follows before giving up (real headers nest at most 3 deep).
    static let maxNesting = 64

    /// An element type this reader converts to `Double` (or `Int`): float64, float32, int64, int32, either byte order.
    struct DType: Equatable, Sendable {
        enum Kind: Sendable { case float, signedInteger }
        var kind: Kind
        /// Bytes per element: 4 or 8.
        var size: Int
        var isBigEndian: Bool

        static let float64 = DType(kind: .float, size: 8, isBigEndian: false)
        static let int64 = DType(kind: .signedInteger, size: 8, isBigEndian: false)

        /// numpy's descriptor, e.g. `<f8`.
        var descr: String { (isBigEndian ? ">" : "<") + (kind == .float ? "f" : "i") + "\(size)" }
        /// numpy's type name, e.g. `float64`.
        var name: String { (kind == .float ? "float" : "int") + "\(size * 8)" }
        /// `true` for float64 in this machine's byte order: data can be copied straight into `[Double]`.
        var isNativeFloat64: Bool { kind == .float && size == 8 && isBigEndian == NpyHeader.hostIsBigEndian }

        /// Parses a descriptor string: byte order `<`, `>`, `=` or `|` (the last two, or none, mean native), then
        /// `f8`, `f4`, `i8`, `i4` or the one-letter codes `d`, `f`, `q`, `i`; or, without a byte order, one of the
        /// names `float64`, `float32`, `int64`, `int32`, `double` (all as `np.dtype` reads them). Nil otherwise.
        init?(descr d: [UInt8]) {
            let named: [String: (Kind, Int)] = [
                "float64": (.float, 8), "float32": (.float, 4), "int64": (.signedInteger, 8),
                "int32": (.signedInteger, 4), "double": (.float, 8),
            ]
            if let (kind, size) = named[String(decoding: d, as: UTF8.self)] {
                self.init(kind: kind, size: size, isBigEndian: NpyHeader.hostIsBigEndian)
                return
            }
            var body = d[...]
            var bigEndian = NpyHeader.hostIsBigEndian
            if let first = body.first, "<>=|".utf8.contains(first) {
                if first == UInt8(ascii: "<") { bigEndian = false }
                if first == UInt8(ascii: ">") { bigEndian = true }
                body = body.dropFirst()
            }
            let codes: [String: (Kind, Int)] = [
                "f8": (.float, 8), "f4": (.float, 4), "i8": (.signedInteger, 8), "i4": (.signedInteger, 4),
                "d": (.float, 8), "f": (.float, 4), "q": (.signedInteger, 8), "i": (.signedInteger, 4),
            ]
            guard body.count <= 2, let (kind, size) = codes[String(decoding: body, as: UTF8.self)] else { return nil }
            self.init(kind: kind, size: size, isBigEndian: bigEndian)
        }

        init(kind: Kind, size: Int, isBigEndian: Bool) {
            self.kind = kind
            self.size = size
            self.isBigEndian = isBigEndian
        }

        /// What an unsupported descriptor is, in words, for the error message ("complex, 16 bytes").
        static func explain(_ d: [UInt8]) -> String {
            var body = d[...]
            if let first = body.first, "<>=|".utf8.contains(first) { body = body.dropFirst() }
            guard let k = body.first else { return "empty descriptor" }
            let kinds: [UInt8: String] = [
                UInt8(ascii: "b"): "bool", UInt8(ascii: "i"): "signed integer", UInt8(ascii: "u"): "unsigned integer",
                UInt8(ascii: "f"): "float", UInt8(ascii: "c"): "complex", UInt8(ascii: "O"): "Python objects",
                UInt8(ascii: "S"): "byte string", UInt8(ascii: "a"): "byte string", UInt8(ascii: "U"): "unicode string",
                UInt8(ascii: "V"): "raw void/record", UInt8(ascii: "M"): "datetime64", UInt8(ascii: "m"): "timedelta64",
            ]
            guard let kind = kinds[k] else { return "not a numpy type code" }
            let size = body.dropFirst()
            if !size.isEmpty, size.count <= 4, size.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                return "\(kind), \(String(decoding: size, as: UTF8.self)) bytes"
            }
            return kind
        }
    }

    static var hostIsBigEndian: Bool { 1.bigEndian == 1 }

    // MARK: - Reading

    /// Reads and validates the preamble and header dict, and checks that exactly `elementCount` elements of data
    /// follow. Reads at most `12 + HLEN` bytes; allocates nothing proportional to the declared shape.
    ///
    /// - Throws: `.malformedFile` naming the first problem (bad magic, unsupported version, header length beyond the
    ///   file, unparsable dict, missing/unknown keys, unsupported dtype, bad dimensions, element count overflow,
    ///   truncated data, extra bytes after the data); `.io` if the reader fails.
    static func read<R: NpyFile.ByteReader>(from reader: R) throws -> NpyHeader {
        let path = reader.path
        let total = reader.count
        func bad(_ reason: String) -> TangentFlowError { .malformedFile(path: path, reason: reason) }

        var prefix = [UInt8](repeating: 0, count: Swift.min(total, 12))
        try prefix.withUnsafeMutableBytes { try reader.read(at: 0, into: $0) }
        if total == 0 { throw bad("file is empty (0 bytes); a .npy file starts with the magic string \\x93NUMPY") }
        let magicCount = Swift.min(prefix.count, magic.count)
        guard prefix[0..<magicCount].elementsEqual(magic[0..<magicCount]) else {
            throw bad("bad magic string: a .npy file starts with \\x93NUMPY, this one starts with "
                + "'\(escaped(prefix[0..<magicCount], limit: 6))'")
        }
        guard prefix.count >= 8 else {
            throw bad("file is only \(total) bytes, shorter than the 10-byte .npy preamble (magic, version, header length)")
        }
        let major = Int(prefix[6]), minor = Int(prefix[7])
        guard (1...3).contains(major), minor == 0 else {
            throw bad("unsupported .npy format version \(major).\(minor); this reader supports 1.0, 2.0 and 3.0")
        }
        let preamble = major == 1 ? 10 : 12
        guard total >= preamble else {
            throw bad("file is only \(total) bytes, shorter than the \(preamble)-byte version \(major).0 preamble")
        }
        let headerLength = major == 1
            ? Int(prefix[8]) | Int(prefix[9]) << 8
            : Int(prefix[8]) | Int(prefix[9]) << 8 | Int(prefix[10]) << 16 | Int(prefix[11]) << 24
        guard headerLength <= total - preamble else {
            throw bad("header length field says \(headerLength) bytes but only \(total - preamble) bytes follow "
                + "the \(preamble)-byte preamble")
        }
        var text = [UInt8](repeating: 0, count: headerLength)
        try text.withUnsafeMutableBytes { try reader.read(at: preamble, into: $0) }

        var header = try parseDict(text, path: path)
        header.majorVersion = major
        header.dataOffset = preamble + headerLength

        // Data size, checked against the bytes actually present before anyone allocates for it.
        let available = total - header.dataOffset
        let (bytes, overflow) = header.elementCount.multipliedReportingOverflow(by: header.dtype.size)
        let declared = "shape \(describeShape(header.shape)) = \(header.elementCount) \(header.dtype.name) values"
        guard !overflow else { throw bad("header declares \(declared), more bytes than a 64-bit size can count") }
        if bytes > available {
            throw bad("header declares \(declared) (\(bytes) bytes) but only \(available) data bytes follow")
        }
        if bytes < available {
            throw bad("\(available - bytes) extra bytes after data: header declares \(declared) (\(bytes) bytes) "
                + "but \(available) data bytes follow")
        }
        return header
    }

    /// Parses the header dict text into a header (version and data offset left for the caller to fill in).
    static func parseDict(_ text: [UInt8], path: String) throws -> NpyHeader {
        func bad(_ reason: String) -> TangentFlowError { .malformedFile(path: path, reason: reason) }
        var parser = LiteralParser(bytes: text, path: path)
        let entries = try parser.parseHeader()

        var descr: Literal?, fortran: Literal?, shapeValue: Literal?
        for (key, value) in entries {
            switch key {
            case Array("descr".utf8): descr = value
            case Array("fortran_order".utf8): fortran = value
            case Array("shape".utf8): shapeValue = value
            default:
                throw bad("header dict has unexpected key '\(escaped(key[...], limit: 40))'; a .npy header has exactly "
                    + "the keys 'descr', 'fortran_order' and 'shape'")
            }
        }
        let missing = [("descr", descr), ("fortran_order", fortran), ("shape", shapeValue)]
            .filter { $0.1 == nil }.map { "'\($0.0)'" }
        guard missing.isEmpty, let descr, let fortran, let shapeValue else {
            throw bad("header dict is missing key\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", "))")
        }

        // descr
        let dtype: DType
        switch descr {
        case let .string(s):
            guard let t = DType(descr: s) else {
                throw bad("unsupported dtype '\(escaped(s[...], limit: 40))' (\(DType.explain(s))); supported: "
                    + "'<f8', '<f4', '<i8', '<i4' and their big-endian forms '>f8', '>f4', '>i8', '>i4'")
            }
            dtype = t
        case .list:
            throw bad("structured dtype (a list of fields) is not supported; only plain float64, float32, int64 "
                + "and int32 arrays are")
        default:
            throw bad("'descr' must be a dtype string such as '<f8', got \(descr.summary)")
        }

        // fortran_order
        let fortranOrder: Bool
        switch fortran {
        case .name("True"): fortranOrder = true
        case .name("False"): fortranOrder = false
        default: throw bad("'fortran_order' must be True or False, got \(fortran.summary)")
        }

        // shape
        guard case let .tuple(items) = shapeValue else {
            let hint = if case .integer = shapeValue { " (a 1-tuple is written (n,))" } else { "" }
            throw bad("'shape' must be a tuple of integers such as (3, 4), (5,) or (), got \(shapeValue.summary)\(hint)")
        }
        var shape: [Int] = []
        shape.reserveCapacity(items.count)
        for item in items {
            guard case let .integer(value, text) = item else {
                throw bad("'shape' \(shapeValue.summary) has a non-integer dimension \(item.summary)")
            }
            guard let value else {
                throw bad("'shape' dimension \(escaped(text.utf8[...], limit: 40)) does not fit in a 64-bit integer")
            }
            guard value >= 0 else {
                throw bad("'shape' \(shapeValue.summary) has a negative dimension \(value)")
            }
            shape.append(value)
        }
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw bad("shape \(describeShape(shape)) has more elements than a 64-bit integer can count")
            }
            count = p
        }
        return NpyHeader(majorVersion: 0, dtype: dtype, fortranOrder: fortranOrder, shape: shape, dataOffset: 0,
                         elementCount: count)
    }

    // MARK: - Writing

    /// The preamble and header for an array, exactly as `np.save` writes it: the dict
    /// `{'descr': …, 'fortran_order': …, 'shape': …, }`, numpy's 21-digit growth-axis slack, then spaces and a
    /// final '\n' so the data starts at a multiple of 64 bytes. Version 1.0 unless the padded header exceeds
    /// 65535 bytes (then 2.0); `version` forces one (1, 2 or 3; for tests).
    static func encode(dtype: DType, fortranOrder: Bool, shape: [Int], version: Int? = nil) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '\(dtype.descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(shapeText), }"
        if !shape.isEmpty {
            let growth = String(shape[fortranOrder ? shape.count - 1 : 0]).utf8.count
            dict += String(repeating: " ", count: Swift.max(0, growthAxisMaxDigits - growth))
        }
        let body = Array(dict.utf8)  // ASCII, so latin-1 and UTF-8 agree
        func wrap(_ major: Int) -> [UInt8]? {
            let lengthSize = major == 1 ? 2 : 4
            let hlen = body.count + 1
            let pad = alignment - (magic.count + 2 + lengthSize + hlen) % alignment
            let total = hlen + pad
            if major == 1, total > Int(UInt16.max) { return nil }
            var out = magic + [UInt8(major), 0]
            for k in 0..<lengthSize { out.append(UInt8(truncatingIfNeeded: total >> (8 * k))) }
            out += body
            out += [UInt8](repeating: 0x20, count: pad)
            out.append(0x0A)
            return out
        }
        if let version { return wrap(version) ?? wrap(2)! }
        return wrap(1) ?? wrap(2)!
    }

    // MARK: - Messages

    /// `(3, 4)`, `(5,)`, `()`, Python style; long shapes are cut after 8 dimensions.
    static func describeShape(_ shape: [Int]) -> String {
        if shape.count == 1 { return "(\(shape[0]),)" }
        if shape.count > 8 {
            return "(" + shape.prefix(8).map(String.init).joined(separator: ", ") + ", … \(shape.count) dimensions)"
        }
        return "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    /// Printable ASCII kept, anything else as `\xNN`; cut at `limit` bytes with `…`.
    static func escaped(_ bytes: ArraySlice<UInt8>, limit: Int) -> String {
        var s = ""
        for b in bytes.prefix(limit) {
            if b >= 0x20, b < 0x7F, b != UInt8(ascii: "\\") {
                s.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                s += "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16)
            }
        }
        return bytes.count > limit ? s + "…" : s
    }

    static func escaped(_ bytes: String.UTF8View.SubSequence, limit: Int) -> String {
        escaped(ArraySlice(bytes), limit: limit)
    }
}

// MARK: - Python literal parser

extension NpyHeader {
    /// A Python literal as far as a `.npy` header needs: only what `ast.literal_eval` could return.
    indirect enum Literal: Equatable, Sendable {
        case string([UInt8])
        /// `b'…'`: a bytes literal, which numpy does not take as a dtype.
        case bytes([UInt8])
        /// An integer; nil value when it does not fit in `Int`; the source text for messages.
        case integer(Int?, text: String)
        /// Any other numeric literal (`3.0`, `1e5`, `0x10`), as written.
        case otherNumber(String)
        /// `True`, `False`, `None` or any other bare name.
        case name(String)
        case tuple([Literal])
        case list([Literal])
        case dict

        /// Short Python-like rendering for error messages (bounded length).
        var summary: String {
            var out = ""
            render(into: &out, budget: 60)
            return out
        }

        private func render(into out: inout String, budget: Int) {
            if out.count > budget {
                if !out.hasSuffix("…") { out += "…" }
                return
            }
            switch self {
            case let .string(s): out += "'" + NpyHeader.escaped(s[...], limit: 30) + "'"
            case let .bytes(s): out += "b'" + NpyHeader.escaped(s[...], limit: 30) + "'"
            case let .integer(_, text): out += NpyHeader.escaped(text.utf8[...], limit: 30)
            case let .otherNumber(text): out += NpyHeader.escaped(text.utf8[...], limit: 30)
            case let .name(n): out += NpyHeader.escaped(n.utf8[...], limit: 30)
            case .dict: out += "a dict"
            case let .list(items), let .tuple(items):
                let isTuple = if case .tuple = self { true } else { false }
                out += isTuple ? "(" : "["
                for (k, item) in items.enumerated() {
                    if k > 0 { out += ", " }
                    if out.count > budget { out += "…"; break }
                    item.render(into: &out, budget: budget)
                }
                if isTuple, items.count == 1 { out += "," }
                out += isTuple ? ")" : "]"
            }
        }
    }

    /// One-pass recursive-descent parser for the header dict. Every loop advances `i`; recursion depth is capped at
    /// `maxNesting`; so it terminates in O(header length) on any input.
    struct LiteralParser {
        let bytes: [UInt8]
        let path: String
        var i = 0

        init(bytes: [UInt8], path: String) {
            self.bytes = bytes
            self.path = path
        }

        private func fail(_ what: String) -> TangentFlowError {
            .malformedFile(path: path, reason: "cannot parse the header dict at byte \(i) of \(bytes.count): \(what); "
                + "header text: '\(NpyHeader.escaped(bytes[...], limit: 100))'")
        }

        private var current: String {
            i < bytes.count ? "'\(NpyHeader.escaped(bytes[i..<(i + 1)], limit: 1))'" : "the end of the header"
        }

        private mutating func skipSpace() {
            // Python whitespace; numpy pads with spaces and ends with '\n'.
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D, 0x0C, 0x0B].contains(bytes[i]) { i += 1 }
        }

        private mutating func expect(_ c: UInt8, _ context: String) throws {
            skipSpace()
            guard i < bytes.count, bytes[i] == c else {
                throw fail("expected '\(Character(Unicode.Scalar(c)))' \(context), found \(current)")
            }
            i += 1
        }

        /// The whole header: one dict literal, then only whitespace. Keys must be strings and distinct.
        mutating func parseHeader() throws -> [(key: [UInt8], value: Literal)] {
            skipSpace()
            guard i < bytes.count else {
                throw TangentFlowError.malformedFile(path: path, reason: "header is empty; expected a dict such as "
                    + "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }")
            }
            guard bytes[i] == UInt8(ascii: "{") else { throw fail("the header must be a dict literal starting with '{'") }
            let entries = try parseDictBody(depth: 1, keepEntries: true)
            skipSpace()
            guard i == bytes.count else { throw fail("unexpected text after the closing '}'") }
            return entries
        }

        /// Parses `{ key: value, ... }` starting at '{'. Keeps the entries only for the top-level dict.
        private mutating func parseDictBody(depth: Int, keepEntries: Bool) throws -> [(key: [UInt8], value: Literal)] {
            i += 1  // '{'
            var entries: [(key: [UInt8], value: Literal)] = []
            while true {
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated dict: missing '}'") }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return entries }
                let keyStart = i
                let key = try parseValue(depth: depth + 1)
                try expect(UInt8(ascii: ":"), "after a dict key")
                let value = try parseValue(depth: depth + 1)
                if keepEntries {
                    guard case let .string(k) = key else {
                        i = keyStart
                        throw fail("header dict keys must be strings, found \(key.summary)")
                    }
                    if entries.contains(where: { $0.key == k }) {
                        i = keyStart
                        throw fail("key '\(NpyHeader.escaped(k[...], limit: 40))' appears twice")
                    }
                    entries.append((k, value))
                }
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated dict: missing '}'") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "}") else { throw fail("expected ',' or '}' in dict, found \(current)") }
                i += 1
                return entries
            }
        }

        /// Parses `( … )` or `[ … ]` starting at the opening bracket. `(x)` without a comma is just `x`, as in Python.
        private mutating func parseSequence(close: UInt8, depth: Int) throws -> Literal {
            let isTuple = close == UInt8(ascii: ")")
            i += 1
            var items: [Literal] = []
            var sawComma = false
            while true {
                skipSpace()
                guard i < bytes.count else {
                    throw fail("unterminated \(isTuple ? "tuple" : "list"): missing '\(Character(Unicode.Scalar(close)))'")
                }
                if bytes[i] == close { i += 1; break }
                items.append(try parseValue(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else {
                    throw fail("unterminated \(isTuple ? "tuple" : "list"): missing '\(Character(Unicode.Scalar(close)))'")
                }
                if bytes[i] == UInt8(ascii: ",") { i += 1; sawComma = true; continue }
                guard bytes[i] == close else {
                    throw fail("expected ',' or '\(Character(Unicode.Scalar(close)))', found \(current)")
                }
                i += 1
                break
            }
            if isTuple, items.count == 1, !sawComma { return items[0] }
            return isTuple ? .tuple(items) : .list(items)
        }

        private mutating func parseValue(depth: Int) throws -> Literal {
            guard depth <= NpyHeader.maxNesting else {
                throw fail("brackets nested deeper than \(NpyHeader.maxNesting) levels")
            }
            skipSpace()
            guard i < bytes.count else { throw fail("expected a value, found the end of the header") }
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                return .string(try parseString())
            case UInt8(ascii: "("):
                return try parseSequence(close: UInt8(ascii: ")"), depth: depth)
            case UInt8(ascii: "["):
                return try parseSequence(close: UInt8(ascii: "]"), depth: depth)
            case UInt8(ascii: "{"):
                _ = try parseDictBody(depth: depth, keepEntries: false)
                return .dict
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."):
                return try parseNumber()
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
                let start = i
                while i < bytes.count, Self.isNameByte(bytes[i]) { i += 1 }
                let name = bytes[start..<i]
                // String prefixes: u'…', b'…', r'…', rb'…'.
                if i < bytes.count, bytes[i] == UInt8(ascii: "'") || bytes[i] == UInt8(ascii: "\""), name.count <= 2,
                   name.allSatisfy({ "uUbBrR".utf8.contains($0) }) {
                    let isBytes = name.contains(UInt8(ascii: "b")) || name.contains(UInt8(ascii: "B"))
                    let text = try parseString()
                    return isBytes ? .bytes(text) : .string(text)
                }
                return .name(String(decoding: name, as: UTF8.self))
            default:
                throw fail("unexpected character \(current)")
            }
        }

        private static func isNameByte(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
        }

        /// A quoted string starting at the quote. A backslash takes the next byte literally (enough for any dtype
        /// string; real escapes never occur in numpy headers). No raw newline inside, as in Python.
        private mutating func parseString() throws -> [UInt8] {
            let quote = bytes[i]
            let start = i
            i += 1
            var out: [UInt8] = []
            while i < bytes.count {
                let b = bytes[i]
                if b == quote { i += 1; return out }
                if b == 0x0A || b == 0x0D { break }
                if b == UInt8(ascii: "\\"), i + 1 < bytes.count {
                    out.append(bytes[i + 1])
                    i += 2
                    continue
                }
                out.append(b)
                i += 1
            }
            i = start
            throw fail("unterminated string")
        }

        /// A numeric token: optional sign, then letters, digits, '_', '.' and an exponent sign. Python integers
        /// (decimal, `0x`/`0o`/`0b`, '_' separators, Python 2's 'L' suffix) become `.integer`, the rest `.otherNumber`.
        private mutating func parseNumber() throws -> Literal {
            let start = i
            var negative = false
            if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                negative = bytes[i] == UInt8(ascii: "-")
                i += 1
                while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
            }
            let bodyStart = i
            while i < bytes.count {
                let b = bytes[i]
                if Self.isNameByte(b) || b == UInt8(ascii: ".") {
                    i += 1
                } else if (b == UInt8(ascii: "+") || b == UInt8(ascii: "-")), i > bodyStart,
                          bytes[i - 1] == UInt8(ascii: "e") || bytes[i - 1] == UInt8(ascii: "E") {
                    i += 1
                } else {
                    break
                }
            }
            guard i > bodyStart else { throw fail("expected a number after the sign, found \(current)") }
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            var body = bytes[bodyStart..<i]
            if let last = body.last, last == UInt8(ascii: "L") || last == UInt8(ascii: "l") { body = body.dropLast() }
            var radix = 10
            if body.count > 2, body.first == UInt8(ascii: "0") {
                switch body[body.startIndex + 1] | 0x20 {  // lower-case
                case UInt8(ascii: "x"): radix = 16
                case UInt8(ascii: "o"): radix = 8
                case UInt8(ascii: "b"): radix = 2
                default: break
                }
                if radix != 10 {
                    body = body.dropFirst(2)
                    if body.first == UInt8(ascii: "_") { body = body.dropFirst() }  // 0x_1f is valid Python
                }
            }
            // Digits of `radix`, single '_' only between digits.
            func digit(_ b: UInt8) -> Int? {
                let v: Int
                switch b {
                case 0x30...0x39: v = Int(b - 0x30)
                case 0x61...0x66: v = Int(b - 0x61 + 10)
                case 0x41...0x46: v = Int(b - 0x41 + 10)
                default: return nil
                }
                return v < radix ? v : nil
            }
            guard let first = body.first, digit(first) != nil, let last = body.last, digit(last) != nil
            else { return .otherNumber(text) }
            var value = 0
            var fits = true
            var previousUnderscore = false
            for b in body {
                if b == UInt8(ascii: "_") {
                    if previousUnderscore { return .otherNumber(text) }
                    previousUnderscore = true
                    continue
                }
                previousUnderscore = false
                guard let d = digit(b) else { return .otherNumber(text) }
                if fits {
                    let (m, o1) = value.multipliedReportingOverflow(by: radix)
                    let (s, o2) = m.addingReportingOverflow(d)
                    if o1 || o2 { fits = false } else { value = s }
                }
            }
            return .integer(fits ? (negative ? -value : value) : nil, text: text)
        }
    }
}
