// NumPy `.npz` reading: the `.npy` arrays inside a ZIP archive, as `np.savez` (method 0, stored) and
// `np.savez_compressed` (method 8, deflate) write them, addressed as `archive.npz:name`.
//
// Goals, as for NpyFile.swift:
// 1. Never crash, hang or over-allocate on any input. Every offset and size in the archive is checked against the
//    file before it is used; the claimed uncompressed size of a deflated member is checked against what deflate
//    can produce from its compressed bytes (at most 1032:1) and against `MemoryBudget` before anything is
//    allocated, and inflation stops at one byte past the claimed size (zip bombs and lying sizes are errors).
// 2. Exact values: member bytes are checked (CRC-32, sizes) and handed to the `.npy` parser unchanged.
// 3. No extra copy for stored members (what `np.savez` writes): the parser reads them in place in the archive,
//    so a stored Jacobian still streams panel by panel through `readColumns`.
//
// CRC-32 and inflate are the system zlib's (module CZlib, Debian zlib1g-dev).

import CZlib
import Foundation
import TangentFlow

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Paths

extension NpyFile {
    /// Where the array a path names lives: a whole file, or a member of a `.npz` archive.
    struct ArrayLocation: Equatable, Sendable {
        /// The file to open.
        let file: String
        /// The array name after `archive.npz:`; nil when `file` is read as given (a `.npy` file, or an archive
        /// holding exactly one array).
        let member: String?
    }

    /// The path rule: if `path` exists it is read as given; else, if it has the form `A.npz:NAME` (`NAME`
    /// non-empty, without `/` or `:`) and `A.npz` exists, it names the array `NAME` (member `NAME.npy`) of the
    /// archive `A.npz`; else it is read as given (and the open fails, naming `path`).
    static func locate(_ path: String) -> ArrayLocation {
        let asGiven = ArrayLocation(file: path, member: nil)
        if access(path, F_OK) == 0 { return asGiven }
        guard let colon = path.lastIndex(of: ":") else { return asGiven }
        let archive = String(path[..<colon]), name = String(path[path.index(after: colon)...])
        guard archive.hasSuffix(".npz"), !name.isEmpty, !name.contains("/"), access(archive, F_OK) == 0 else {
            return asGiven
        }
        return ArrayLocation(file: archive, member: name)
    }

    /// Runs `body` with a reader over the `.npy` bytes that `path` names (see `locate`): the file itself, or a
    /// member of a `.npz` archive. A file is read as an archive when a member is named, when it starts with a
    /// ZIP signature, or when its name ends in `.npz` and it does not start with the `.npy` magic; an archive read
    /// without a member name must hold exactly one array.
    ///
    /// Stored members are read in place, their CRC-32 checked first (one pass over their bytes) unless
    /// `verifyChecksum` is false — for header-only and panel reads, which then check sizes but not the CRC;
    /// deflated members are inflated into memory and always checked.
    /// - Throws: `.io` if the file cannot be opened or read; `.malformedFile` for a bad archive or member.
    static func withArrayReader<T>(_ path: String, verifyChecksum: Bool = true,
                                   _ body: (any ByteReader) throws -> T) throws -> T {
        let location = locate(path)
        return try withFileReader(location.file) { file in
            let isArchive = try location.member != nil || NpzArchive.looksLikeArchive(file, name: location.file)
            guard isArchive else { return try body(file) }
            return try withNpzMember(location.member, of: file, verifyChecksum: verifyChecksum, body)
        }
    }

    /// Runs `body` with a reader over member `member` (`member.npy`, or `member` itself) of the ZIP archive in
    /// `archive`, or its only member when `member` is nil. Files and memory (`MemoryReader`, for tests and
    /// fuzzers) go through this same code; `chunkBytes` (the read size while checksumming and inflating) is
    /// exposed for tests.
    static func withNpzMember<R: ByteReader, T>(_ member: String?, of archive: R, verifyChecksum: Bool = true,
                                                chunkBytes: Int = NpzArchive.chunkBytes,
                                                _ body: (any ByteReader) throws -> T) throws -> T {
        let zip = try NpzArchive(reading: archive)
        let entry = try zip.select(member)
        return try zip.withMember(entry, of: archive, verifyChecksum: verifyChecksum, chunkBytes: chunkBytes, body)
    }
}

// MARK: - Archive

/// The central directory of a ZIP archive (ZIP64 included), and the extraction of one member: what a `.npz` file
/// is. Supports what NumPy writes (single disk, methods 0 and 8, ZIP64 sizes and offsets); rejects anything else
/// (split archives, encryption, other methods, bytes prepended to the archive) with `.malformedFile`.
struct NpzArchive {
    /// One central-directory entry, its ZIP64 values resolved.
    struct Entry {
        /// The name as stored (UTF-8; invalid bytes replaced), e.g. `a.npy`.
        let name: String
        /// The name's bytes as stored, compared with the local header's.
        let rawName: [UInt8]
        /// General-purpose flags: bit 0 encrypted, bit 3 sizes in a data descriptor, bit 6 strong encryption.
        let flags: Int
        /// Compression method: 0 stored, 8 deflate.
        let method: Int
        /// CRC-32 of the uncompressed bytes.
        let crc: UInt32
        /// Bytes of (compressed) data in the archive.
        let compressedSize: Int
        /// Bytes after decompression.
        let uncompressedSize: Int
        /// Offset of the member's local header.
        let headerOffset: Int

        /// The array name NumPy gives this member: `name` without `.npy`.
        var key: String { name.hasSuffix(".npy") ? String(name.dropLast(4)) : name }
    }

    /// The archive's path, for messages.
    let path: String
    /// The entries in central-directory order (`np.savez` writes its keyword arrays first, then `arr_0`, `arr_1`, …).
    let entries: [Entry]
    /// Where the central directory starts: every member's data must end at or before it.
    let directoryOffset: Int

    /// Largest central directory read (about a million members): a larger claim is refused, not allocated.
    static let maxDirectoryBytes = 256 << 20
    /// Deflate's largest expansion: 258 bytes per 2 bits of input (1032:1), plus slack for tiny streams.
    static let maxDeflateRatio = 1032
    /// Members listed in messages before "… and N more".
    static let maxListed = 20
    /// Bytes per read while checksumming and inflating.
    static let chunkBytes = 1 << 20

    private static let localHeaderSignature: UInt32 = 0x0403_4B50  // PK\3\4
    private static let centralHeaderSignature: UInt32 = 0x0201_4B50  // PK\1\2
    private static let endSignature: UInt32 = 0x0605_4B50  // PK\5\6
    private static let zip64EndSignature: UInt32 = 0x0606_4B50  // PK\6\6
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50  // PK\6\7

    private func bad(_ reason: String) -> TangentFlowError { .malformedFile(path: path, reason: reason) }

    /// Whether the file behind `r` is read as an archive: it starts with a ZIP signature (`PK\3\4`, `PK\5\6` for an
    /// empty archive, `PK\7\8`), or its name ends in `.npz` and it does not start with the `.npy` magic.
    static func looksLikeArchive<R: NpyFile.ByteReader>(_ r: R, name: String) throws -> Bool {
        let head = try readBytes(r, at: 0, count: Swift.min(r.count, 6))
        if head.count >= 4, head[0] == 0x50, head[1] == 0x4B,
           (head[2], head[3]) == (3, 4) || (head[2], head[3]) == (5, 6) || (head[2], head[3]) == (7, 8) {
            return true
        }
        if head.elementsEqual(NpyHeader.magic.prefix(head.count)), !head.isEmpty { return false }
        return name.lowercased().hasSuffix(".npz")
    }

    /// Reads and validates the end record(s) and the whole central directory of the archive in `r`.
    /// Reads the last 64 KiB + 21 bytes at most (the end record and its comment), the ZIP64 locator and record if
    /// there are any, and the central directory — whose claimed size is checked against the file and
    /// `maxDirectoryBytes` before it is allocated.
    /// - Throws: `.malformedFile` naming the first problem; `.io` if the reader fails.
    init<R: NpyFile.ByteReader>(reading r: R) throws {
        path = r.path
        let size = r.count
        func fail(_ reason: String) -> TangentFlowError { .malformedFile(path: r.path, reason: reason) }
        let what = "a .npz file is a ZIP archive of .npy files, as np.savez and np.savez_compressed write it"

        // End of central directory: 22 bytes + a comment of up to 65535 bytes, at the very end of the file.
        guard size >= 22 else {
            throw fail("not a ZIP archive: \(size) bytes is shorter than the smallest one (22 bytes); \(what)")
        }
        let tailCount = Swift.min(size, 22 + 0xFFFF)
        let tailStart = size - tailCount
        let tail = try Self.readBytes(r, at: tailStart, count: tailCount)
        var found: Int?
        var k = tailCount - 22
        while k >= 0 {
            if tail[k] == 0x50, Self.u32(tail, k) == Self.endSignature, k + 22 + Self.u16(tail, k + 20) == tailCount {
                found = k
                break
            }
            k -= 1
        }
        guard let e = found else {
            let head = try Self.readBytes(r, at: 0, count: 6)
            if Self.u32(head, 0) == Self.localHeaderSignature {
                throw fail("truncated or damaged ZIP archive: it starts like one, but its last \(tailCount) bytes hold no "
                    + "end-of-central-directory record (signature PK\\x05\\x06)")
            }
            throw fail("not a ZIP archive: no end-of-central-directory record (signature PK\\x05\\x06) in its last "
                + "\(tailCount) bytes; it starts with '\(NpyHeader.escaped(head[...], limit: 6))'; \(what)")
        }
        let endOffset = tailStart + e
        var disk = Self.u16(tail, e + 4), directoryDisk = Self.u16(tail, e + 6)
        var entriesHere = Self.u16(tail, e + 8), entryCount = Self.u16(tail, e + 10)
        var directorySize = Self.u32(tail, e + 12), directoryStart = Self.u32(tail, e + 16)
        var directoryEnd = endOffset
        var zip64 = false

        // ZIP64: a locator just before the end record points at the ZIP64 end record, whose values replace these.
        if endOffset >= 20 {
            let locator = try Self.readBytes(r, at: endOffset - 20, count: 20)
            if Self.u32(locator, 0) == Self.zip64LocatorSignature {
                zip64 = true
                let recordDisk = Self.u32(locator, 4), diskCount = Self.u32(locator, 16)
                guard recordDisk == 0, diskCount <= 1 else {
                    throw fail("split ZIP64 archive (end record on disk \(recordDisk) of \(diskCount)); only single-file "
                        + "archives are supported")
                }
                let recordOffset = try Self.int(Self.u64(locator, 8), "ZIP64 end record offset", fail)
                guard endOffset >= 76, recordOffset <= endOffset - 76 else {
                    throw fail("ZIP64 locator points at byte \(recordOffset), which leaves no room for the 56-byte ZIP64 "
                        + "end record before the locator at byte \(endOffset - 20) (of \(size))")
                }
                let record = try Self.readBytes(r, at: recordOffset, count: 56)
                guard Self.u32(record, 0) == Self.zip64EndSignature else {
                    throw fail("no ZIP64 end-of-central-directory record (signature PK\\x06\\x06) at byte \(recordOffset), "
                        + "where the ZIP64 locator points; found '\(NpyHeader.escaped(record[0..<4], limit: 4))'")
                }
                let recordSize = Self.u64(record, 4)
                guard recordSize >= 44, recordSize <= UInt64(endOffset - 20 - recordOffset - 12) else {
                    throw fail("ZIP64 end record at byte \(recordOffset) claims \(recordSize) bytes; it needs at least 44 "
                        + "and must end before the locator at byte \(endOffset - 20)")
                }
                disk = Int(Self.u32(record, 16))
                directoryDisk = Int(Self.u32(record, 20))
                entriesHere = try Self.int(Self.u64(record, 24), "ZIP64 entry count on this disk", fail)
                entryCount = try Self.int(Self.u64(record, 32), "ZIP64 entry count", fail)
                directorySize = try Self.int(Self.u64(record, 40), "ZIP64 central directory size", fail)
                directoryStart = try Self.int(Self.u64(record, 48), "ZIP64 central directory offset", fail)
                directoryEnd = recordOffset
            }
        }
        guard disk == 0, directoryDisk == 0, entriesHere == entryCount else {
            throw fail("split or spanned ZIP archive (this is disk \(disk), the central directory starts on disk "
                + "\(directoryDisk), \(entriesHere) of \(entryCount) entries here); only single-file archives are supported")
        }
        guard directoryStart <= directoryEnd, directorySize == directoryEnd - directoryStart else {
            let hint = !zip64 && (directorySize == 0xFFFF_FFFF || directoryStart == 0xFFFF_FFFF)
                ? " (0xFFFFFFFF defers to ZIP64 values, but there is no ZIP64 locator)" : ""
            throw fail("the end record places the central directory at bytes \(directoryStart)..<"
                + "\(directoryStart.addingReportingOverflow(directorySize).partialValue), but it must end exactly where the "
                + "\(zip64 ? "ZIP64 " : "")end record starts, at byte \(directoryEnd)\(hint): the archive is truncated, "
                + "has bytes prepended, or its sizes are wrong")
        }
        guard entryCount <= directorySize / 46 else {
            throw fail("the end record claims \(entryCount) entries, more than fit in the \(directorySize)-byte central "
                + "directory (each entry takes at least 46 bytes)")
        }
        guard directorySize <= Self.maxDirectoryBytes else {
            throw fail("the central directory is \(formatBytes(directorySize)), more than this reader's "
                + "\(formatBytes(Self.maxDirectoryBytes)) limit")
        }
        directoryOffset = directoryStart

        // Central directory entries.
        let directory = try Self.readBytes(r, at: directoryStart, count: directorySize)
        var parsed: [Entry] = []
        parsed.reserveCapacity(entryCount)
        var p = 0
        for i in 0..<entryCount {
            let at = "central directory entry \(i + 1) of \(entryCount) (byte \(directoryStart + p))"
            guard directorySize - p >= 46 else {
                throw fail("\(at): only \(directorySize - p) bytes left in the central directory; an entry needs 46")
            }
            guard Self.u32(directory, p) == Self.centralHeaderSignature else {
                throw fail("\(at): bad signature '\(NpyHeader.escaped(directory[p..<(p + 4)], limit: 4))', expected "
                    + "PK\\x01\\x02")
            }
            let nameCount = Self.u16(directory, p + 28), extraCount = Self.u16(directory, p + 30)
            let commentCount = Self.u16(directory, p + 32)
            let entryBytes = 46 + nameCount + extraCount + commentCount
            guard entryBytes <= directorySize - p else {
                throw fail("\(at): its name, extra field and comment (\(nameCount) + \(extraCount) + \(commentCount) "
                    + "bytes) run past the end of the central directory")
            }
            let rawName = Array(directory[(p + 46)..<(p + 46 + nameCount)])
            let name = String(decoding: rawName, as: UTF8.self)
            var compressed = Self.u32(directory, p + 20), uncompressed = Self.u32(directory, p + 24)
            var offset = Self.u32(directory, p + 42)
            var startDisk = Self.u16(directory, p + 34)
            if uncompressed == 0xFFFF_FFFF || compressed == 0xFFFF_FFFF || offset == 0xFFFF_FFFF || startDisk == 0xFFFF {
                // ZIP64 extra field: the 8-byte values (then a 4-byte disk) of the fields set to all ones, in order.
                let extra = directory[(p + 46 + nameCount)..<(p + 46 + nameCount + extraCount)]
                let member = "member '\(Self.display(name))'"
                guard let values = try Self.zip64Field(extra, fail: { fail("\(at), \(member): \($0)") }) else {
                    throw fail("\(at), \(member): its sizes or offset are 0xFFFFFFFF (deferred to ZIP64), but it has no "
                        + "ZIP64 extra field")
                }
                var q = values.startIndex
                func next(_ what: String, bytes: Int) throws -> UInt64 {
                    guard values.endIndex - q >= bytes else {
                        throw fail("\(at), \(member): its ZIP64 extra field (\(values.count) bytes) ends before the \(what)")
                    }
                    defer { q += bytes }
                    return bytes == 8 ? Self.u64(values, q) : UInt64(Self.u32(values, q))
                }
                if uncompressed == 0xFFFF_FFFF {
                    uncompressed = try Self.int(next("uncompressed size", bytes: 8), "\(member) uncompressed size", fail)
                }
                if compressed == 0xFFFF_FFFF {
                    compressed = try Self.int(next("compressed size", bytes: 8), "\(member) compressed size", fail)
                }
                if offset == 0xFFFF_FFFF {
                    offset = try Self.int(next("local header offset", bytes: 8), "\(member) local header offset", fail)
                }
                if startDisk == 0xFFFF { startDisk = Int(try next("disk number", bytes: 4)) }
            }
            guard startDisk == 0 else {
                throw fail("\(at): member '\(Self.display(name))' starts on disk \(startDisk); only single-file archives "
                    + "are supported")
            }
            parsed.append(Entry(name: name, rawName: rawName, flags: Self.u16(directory, p + 8),
                                method: Self.u16(directory, p + 10), crc: UInt32(Self.u32(directory, p + 16)),
                                compressedSize: compressed, uncompressedSize: uncompressed, headerOffset: offset))
            p += entryBytes
        }
        guard p == directorySize else {
            throw fail("the central directory is \(directorySize) bytes but its \(entryCount) entries take \(p); the "
                + "entry count or directory size is wrong")
        }
        entries = parsed
    }

    // MARK: Choosing a member

    /// The entry for array `key` (member `key.npy`, else a member named exactly `key`), or the only entry when
    /// `key` is nil.
    /// - Throws: `.malformedFile` if there is no such member (listing the members there are), if it appears more
    ///   than once, or, for a nil key, if the archive holds no member or several.
    func select(_ key: String?) throws -> Entry {
        guard let key else {
            if entries.count == 1 { return entries[0] }
            if entries.isEmpty { throw bad("the archive is empty: it holds no arrays") }
            throw bad("the archive holds \(entries.count) arrays (\(listing())); name one as '\(path):NAME', e.g. "
                + "'\(path):\(entries[0].key)'")
        }
        var matches = entries.filter { $0.name == key + ".npy" }
        if matches.isEmpty { matches = entries.filter { $0.name == key } }
        guard let first = matches.first else {
            let holds = entries.isEmpty ? "the archive is empty" : "the archive holds \(listing())"
            throw bad("no array '\(Self.display(key))' (member '\(Self.display(key)).npy'); \(holds)")
        }
        guard matches.count == 1 else {
            throw bad("member '\(Self.display(first.name))' appears \(matches.count) times in the central directory")
        }
        return first
    }

    /// The array names (`key`s), comma-separated, cut after `maxListed`.
    func listing() -> String {
        var s = entries.prefix(Self.maxListed).map { Self.display($0.key) }.joined(separator: ", ")
        if entries.count > Self.maxListed { s += ", … and \(entries.count - Self.maxListed) more" }
        return s
    }

    /// `s` for a message: control characters and backslashes escaped, cut at 80 characters.
    static func display(_ s: String) -> String {
        var out = ""
        for (k, c) in s.unicodeScalars.enumerated() {
            if k == 80 { return out + "…" }
            if c.properties.generalCategory == .control || c == "\\" || c == "'" {
                out += c.value < 0x100 ? String(format: "\\x%02x", c.value) : String(format: "\\u{%x}", c.value)
            } else {
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    // MARK: Extracting a member

    /// Runs `body` with a reader over the uncompressed bytes of `entry`, labelled `archive:key` in messages.
    /// Checks the local header against the central directory, the data range against the file, the sizes, and the
    /// CRC-32 (for stored members only when `verifyChecksum`).
    /// - Throws: `.malformedFile` for an encrypted member, an unsupported method, an inconsistent local header,
    ///   data outside the archive, a claimed size that deflate cannot produce or memory cannot hold, corrupt deflate
    ///   data, more or fewer bytes than claimed, or a CRC mismatch.
    func withMember<R: NpyFile.ByteReader, T>(_ entry: Entry, of r: R, verifyChecksum: Bool,
                                              chunkBytes: Int = NpzArchive.chunkBytes,
                                              _ body: (any NpyFile.ByteReader) throws -> T) throws -> T {
        let member = "member '\(Self.display(entry.name))'"
        let label = "\(path):\(entry.key)"
        let data = try dataRange(entry, of: r, member: member)
        switch entry.method {
        case 0:
            guard entry.uncompressedSize == entry.compressedSize else {
                throw bad("\(member) is stored (not compressed) but its directory entry claims \(entry.compressedSize) "
                    + "bytes in the archive and \(entry.uncompressedSize) uncompressed")
            }
            if verifyChecksum { try checkCRC(try Self.crc32(r, data, chunkBytes: chunkBytes), entry, member: member) }
            return try body(MemberReader(base: r, start: data.lowerBound, count: data.count, path: label))
        case 8:
            let (limit, overflow) = entry.compressedSize.multipliedReportingOverflow(by: Self.maxDeflateRatio)
            guard overflow || entry.uncompressedSize <= limit + 64 else {
                throw bad("\(member) claims \(entry.uncompressedSize) bytes uncompressed from \(entry.compressedSize) "
                    + "compressed, more than deflate can produce (at most \(Self.maxDeflateRatio):1); its sizes are wrong")
            }
            do {
                try MemoryBudget.require(doubles: 0, extraBytes: entry.uncompressedSize, operation: "inflate")
            } catch TangentFlowError.insufficientMemory(_, let need, let available) {
                throw bad("\(member) claims \(formatBytes(need)) uncompressed, more than the \(formatBytes(available)) "
                    + "of memory available: the archive's sizes are wrong, or the array is too large to load here")
            }
            let bytes = try inflate(r, data, claimed: entry.uncompressedSize, member: member, chunkBytes: chunkBytes)
            try checkCRC(bytes.withUnsafeBytes { Self.crc32(0, $0) }, entry, member: member)
            return try bytes.withUnsafeBytes { try body(NpyFile.MemoryReader(bytes: $0, path: label)) }
        default:
            throw bad("\(member) uses compression method \(entry.method)\(Self.methodName(entry.method)); only stored (0, "
                + "np.savez) and deflate (8, np.savez_compressed) are supported; re-save it with np.savez")
        }
    }

    /// Validates the local header of `entry` and returns where its data lies.
    private func dataRange<R: NpyFile.ByteReader>(_ entry: Entry, of r: R, member: String) throws -> Range<Int> {
        if entry.flags & 0x41 != 0 || entry.method == 99 {
            throw bad("\(member) is encrypted (ZIP flag bits 0x\(String(entry.flags, radix: 16))"
                + "\(entry.method == 99 ? ", AES method 99" : "")); encrypted archives are not supported")
        }
        guard entry.headerOffset <= directoryOffset - 30 else {
            throw bad("\(member): its local header offset \(entry.headerOffset) leaves no room for a 30-byte header "
                + "before the central directory at byte \(directoryOffset)")
        }
        let header = try Self.readBytes(r, at: entry.headerOffset, count: 30)
        let at = "\(member): local header at byte \(entry.headerOffset)"
        guard Self.u32(header, 0) == Self.localHeaderSignature else {
            throw bad("\(at) has bad signature '\(NpyHeader.escaped(header[0..<4], limit: 4))', expected PK\\x03\\x04")
        }
        let flags = Self.u16(header, 6), method = Self.u16(header, 8)
        guard method == entry.method, flags & 0x41 == entry.flags & 0x41 else {
            throw bad("\(at) says method \(method), flags 0x\(String(flags, radix: 16)); the central directory says "
                + "method \(entry.method), flags 0x\(String(entry.flags, radix: 16))")
        }
        let nameCount = Self.u16(header, 26), extraCount = Self.u16(header, 28)
        let variable = nameCount + extraCount
        let start = entry.headerOffset + 30 + variable
        guard start <= directoryOffset else {
            throw bad("\(at): its name and extra field (\(variable) bytes) run into the central directory at byte "
                + "\(directoryOffset)")
        }
        let names = try Self.readBytes(r, at: entry.headerOffset + 30, count: variable)
        guard names[0..<nameCount].elementsEqual(entry.rawName) else {
            throw bad("\(at) names '\(Self.display(String(decoding: names[0..<nameCount], as: UTF8.self)))', not the "
                + "central directory's '\(Self.display(entry.name))'")
        }
        guard entry.compressedSize <= directoryOffset - start else {
            throw bad("\(member) claims \(entry.compressedSize) bytes of data from byte \(start), past the start of the "
                + "central directory at byte \(directoryOffset): the archive is truncated or its sizes are wrong")
        }
        // Without a data descriptor (flag bit 3) the local header repeats the CRC and sizes; with ZIP64 (sizes all
        // ones) the sizes are in its ZIP64 extra field, uncompressed first.
        if flags & 0x08 == 0 {
            var compressed = Self.u32(header, 18), uncompressed = Self.u32(header, 22)
            if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF {
                let extra = names[nameCount...]
                guard let values = try Self.zip64Field(extra, fail: { bad("\(at): \($0)") }), values.count >= 16 else {
                    throw bad("\(at): its sizes are 0xFFFFFFFF (deferred to ZIP64) but it has no ZIP64 extra field "
                        + "with both sizes")
                }
                let (u, c) = (Self.u64(values, values.startIndex), Self.u64(values, values.startIndex + 8))
                uncompressed = u > UInt64(Int.max) ? -1 : Int(u)
                compressed = c > UInt64(Int.max) ? -1 : Int(c)
            }
            let crc = UInt32(Self.u32(header, 14))
            var differences: [String] = []
            if crc != entry.crc { differences.append("CRC-32 \(Self.hex(crc)) vs \(Self.hex(entry.crc))") }
            if compressed != entry.compressedSize {
                differences.append("compressed size \(compressed) vs \(entry.compressedSize)")
            }
            if uncompressed != entry.uncompressedSize {
                differences.append("uncompressed size \(uncompressed) vs \(entry.uncompressedSize)")
            }
            guard differences.isEmpty else {
                throw bad("\(at) disagrees with the central directory (local vs central): "
                    + differences.joined(separator: ", "))
            }
        }
        return start..<(start + entry.compressedSize)
    }

    private func checkCRC(_ crc: UInt32, _ entry: Entry, member: String) throws {
        guard crc == entry.crc else {
            throw bad("\(member): CRC-32 of its \(entry.uncompressedSize) bytes is \(Self.hex(crc)), the archive records "
                + "\(Self.hex(entry.crc)): the data is corrupt")
        }
    }

    /// Inflates the raw deflate stream in `range` of `r` into exactly `claimed` bytes.
    private func inflate<R: NpyFile.ByteReader>(_ r: R, _ range: Range<Int>, claimed: Int, member: String,
                                                chunkBytes: Int) throws -> [UInt8] {
        var stream = z_stream()
        let status = tangentflow_inflate_init_raw(&stream)
        guard status == Z_OK else {
            throw TangentFlowError.io(path: path, reason: "zlib could not start inflating \(member) (inflateInit2 "
                + "status \(status))")
        }
        defer { inflateEnd(&stream) }
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(1, Swift.min(range.count, chunkBytes)),
                                                           alignment: 16)
        defer { input.deallocate() }
        var next = range.lowerBound  // next archive byte to feed
        // One byte of room past the claimed size: output that reaches it proves the member inflates to more.
        return try [UInt8](unsafeUninitializedCapacity: claimed + 1) { out, initialized in
            var produced = 0
            while true {
                if stream.avail_in == 0, next < range.upperBound {
                    let m = Swift.min(input.count, range.upperBound - next)
                    try r.read(at: next, into: UnsafeMutableRawBufferPointer(rebasing: input[0..<m]))
                    next += m
                    stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = uInt(m)
                }
                let room = Swift.min(claimed + 1 - produced, 1 << 30)
                stream.next_out = out.baseAddress! + produced
                stream.avail_out = uInt(room)
                let code = CZlib.inflate(&stream, Z_NO_FLUSH)
                produced += room - Int(stream.avail_out)
                guard produced <= claimed else {
                    throw bad("\(member) inflates to more than the \(claimed) bytes its directory entry claims "
                        + "(a zip bomb or a wrong size)")
                }
                switch code {
                case Z_STREAM_END:
                    let unused = Int(stream.avail_in) + (range.upperBound - next)
                    guard unused == 0 else {
                        throw bad("\(member): its deflate stream ends after \(range.count - unused) of its "
                            + "\(range.count) compressed bytes; its compressed size is wrong")
                    }
                    guard produced == claimed else {
                        throw bad("\(member) inflates to \(produced) bytes, but its directory entry claims \(claimed)")
                    }
                    initialized = produced
                    return
                case Z_OK, Z_BUF_ERROR:
                    // inflate stops when its input or its output runs out. The output only at the 1 GiB cap of
                    // one call (there is always a spare byte), and the next turn gives more room; the input is fed
                    // next turn, unless the compressed bytes are all used.
                    if stream.avail_in == 0, next >= range.upperBound {
                        throw bad("\(member): its \(range.count) compressed bytes end before the deflate stream does "
                            + "(after \(produced) of \(claimed) bytes); the archive is truncated or its sizes are wrong")
                    }
                    if code == Z_BUF_ERROR, stream.avail_in > 0, stream.avail_out > 0 {  // no progress: never loop on it
                        throw bad("\(member): zlib inflate made no progress after \(produced) output bytes")
                    }
                case Z_MEM_ERROR:
                    throw TangentFlowError.io(path: path, reason: "zlib ran out of memory inflating \(member)")
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "error \(code)"
                    throw bad("\(member): corrupt deflate data after \(produced) output bytes (zlib: \(message))")
                }
            }
        }
    }

    // MARK: Helpers

    /// Reads exactly `count` bytes at `offset`.
    static func readBytes<R: NpyFile.ByteReader>(_ r: R, at offset: Int, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { try r.read(at: offset, into: $0) }
        return bytes
    }

    /// CRC-32 (zlib's) of `range` of `r`, read in `chunkBytes` pieces.
    static func crc32<R: NpyFile.ByteReader>(_ r: R, _ range: Range<Int>, chunkBytes: Int = chunkBytes) throws -> UInt32 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(1, Swift.min(range.count, chunkBytes)),
                                                            alignment: 16)
        defer { buffer.deallocate() }
        var crc: UInt32 = 0
        var k = range.lowerBound
        while k < range.upperBound {
            let m = Swift.min(buffer.count, range.upperBound - k)
            let piece = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<m])
            try r.read(at: k, into: piece)
            crc = crc32(crc, UnsafeRawBufferPointer(piece))
            k += m
        }
        return crc
    }

    /// `crc` continued over `bytes` (zlib's `crc32`, in pieces of at most 1 GiB).
    static func crc32(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = uLong(crc)
        var k = 0
        while k < bytes.count {
            let m = Swift.min(bytes.count - k, 1 << 30)
            c = CZlib.crc32(c, bytes.baseAddress!.assumingMemoryBound(to: Bytef.self) + k, uInt(m))
            k += m
        }
        return UInt32(truncatingIfNeeded: c)
    }

    /// The data of the ZIP64 extra field (header ID 1) in `extra`, or nil if there is none.
    private static func zip64Field(_ extra: ArraySlice<UInt8>,
                                   fail: (String) -> TangentFlowError) throws -> ArraySlice<UInt8>? {
        var q = extra.startIndex
        while extra.endIndex - q >= 4 {
            let id = u16(extra, q), count = u16(extra, q + 2)
            guard count <= extra.endIndex - q - 4 else {
                throw fail("extra field 0x\(String(id, radix: 16)) claims \(count) bytes, more than the "
                    + "\(extra.endIndex - q - 4) left")
            }
            if id == 1 { return extra[(q + 4)..<(q + 4 + count)] }
            q += 4 + count
        }
        return nil
    }

    private static func int(_ v: UInt64, _ what: String, _ fail: (String) -> TangentFlowError) throws -> Int {
        guard let i = Int(exactly: v) else { throw fail("\(what) \(v) is too large") }
        return i
    }

    private static func u16<C: RandomAccessCollection>(_ b: C, _ k: C.Index) -> Int
    where C.Element == UInt8, C.Index == Int {
        Int(b[k]) | Int(b[k + 1]) << 8
    }

    private static func u32<C: RandomAccessCollection>(_ b: C, _ k: C.Index) -> Int
    where C.Element == UInt8, C.Index == Int {
        u16(b, k) | u16(b, k + 2) << 16
    }

    private static func u64<C: RandomAccessCollection>(_ b: C, _ k: C.Index) -> UInt64
    where C.Element == UInt8, C.Index == Int {
        UInt64(u32(b, k)) | UInt64(u32(b, k + 4)) << 32
    }

    private static func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - s.count) + s
    }

    private static func methodName(_ method: Int) -> String {
        switch method {
        case 1: " (shrink)"
        case 6: " (implode)"
        case 9: " (deflate64)"
        case 12: " (bzip2)"
        case 14: " (LZMA)"
        case 93: " (Zstandard)"
        case 95: " (xz)"
        case 98: " (PPMd)"
        default: ""
        }
    }
}

// MARK: - Member bytes in place

extension NpzArchive {
    /// The bytes of a stored member, read in place from the archive: offsets are relative to the member's data, and
    /// reads past its end fail like reads past the end of a `.npy` file.
    struct MemberReader<Base: NpyFile.ByteReader>: NpyFile.ByteReader {
        /// The archive.
        let base: Base
        /// Where the member's data starts in the archive.
        let start: Int
        /// Bytes of member data.
        let count: Int
        /// `archive.npz:name`, for messages.
        let path: String

        /// Fills `buffer` from byte `offset` of the member.
        /// - Throws: `.malformedFile` for a read past the member's end; what the archive's reader throws.
        func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
            guard offset >= 0, buffer.count <= count - offset else {
                throw TangentFlowError.malformedFile(path: path, reason: "read of \(buffer.count) bytes at offset "
                    + "\(offset) is past the end of the \(count)-byte archive member")
            }
            try base.read(at: start + offset, into: buffer)
        }
    }
}
