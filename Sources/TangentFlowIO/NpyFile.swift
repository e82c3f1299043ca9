// NumPy `.npy` reading and writing (header handling in NpyHeader.swift).
//
// Goals, in priority order:
// 1. Never crash, hang or over-allocate on any input: the header is validated against the real file size before
//    the data buffer is allocated, and every read is bounded by that size.
// 2. Exact values: float64 and float32 convert exactly; int64 → Double is exact up to 2^53.
// 3. I/O-bound speed on big files: native float64 in file order is read straight into the matrix's storage;
//    anything else goes through a 1 MiB scratch chunk (byte swap, conversion and, for C order, a 32×32-tiled
//    transpose into column-major storage), so peak memory is the matrix plus one chunk.
//
// One reader/writer path serves files (pread/pwrite) and memory (memcpy), via `ByteReader` and an emit closure,
// so the byte-parsing entry points that tests and fuzzers use run the same code as the file ones.

import Foundation
import TangentFlow

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// NumPy `.npy` interop: read and write `Matrix`, `[Double]` and `[Int]` in NumPy's own file format
/// (format versions 1.0, 2.0 and 3.0).
///
/// ```
/// 2-D a (shape (r, c)):  Matrix A (r×c),  A[i, j] = a[i, j]   (C or Fortran order in the file)
/// 1-D a (shape (n,)):    Matrix A (n×1),  A[i, 0] = a[i]
/// ```
///
/// Element types read: float64 and float32 (converted exactly to `Double`), int64 and int32 (converted to `Double`,
/// exact up to 2^53 in magnitude), each little- or big-endian (`<f8`, `>f8`, `<f4`, `>f4`, `<i8`, `>i8`, `<i4`, `>i4`).
/// Written: little-endian float64 (`<f8`) for matrices and vectors, `<i8` for integer vectors, with headers
/// byte-identical to `np.save` (version 1.0, data aligned to 64 bytes).
///
/// Edge cases: empty arrays (`(0, k)`, `(k, 0)`, `(0,)`) round-trip; NaN and ±∞ are read and written unchanged
/// (validate with `requireFinite` where needed); 0-d arrays, arrays with more than 2 dimensions, structured,
/// complex, bool, unsigned, float16 and object dtypes are rejected with `.malformedFile`; so are truncated files
/// and files with bytes after the data (e.g. several arrays appended to one file).
///
/// Postconditions: `readMatrix(from: p)` after `write(m, to: p, fortranOrder: f)` equals `m` bit for bit, for
/// either `f`.
///
/// Throws: `TangentFlowError.io(path:reason:)` when the operating system refuses (missing file, permissions,
/// disk full, not a regular file); `TangentFlowError.malformedFile(path:reason:)` when the bytes are not a
/// supported `.npy` array, with the reason naming the problem and the numbers involved.
public enum NpyFile {
    /// Elements per scratch chunk (1 MiB of float64) for converting, transposing and writing.
    static let defaultChunkElements = 1 << 17

    // MARK: - Reading files

    /// Reads a 1-D or 2-D array as a matrix (1-D `(n,)` becomes an `n×1` column).
    /// - Parameter path: the `.npy` file; or `archive.npz:name` for the array `name` (member `name.npy`) of a
    ///   NumPy `.npz` archive (`np.savez`, `np.savez_compressed`); or `archive.npz` holding exactly one array. A
    ///   path that exists is always read as given (rules: `withArrayReader`, NpzArchive.swift).
    /// - Throws: `.io` if the file cannot be opened or read; `.malformedFile` for bad content (see `NpyFile`) or a
    ///   bad archive (damaged, encrypted, unsupported compression, CRC or size mismatch, no such array — the
    ///   message lists the arrays there are).
    public static func readMatrix(from path: String) throws -> Matrix {
        try withArrayReader(path) { try matrix(from: $0) }
    }

    /// Reads a vector: a 1-D array, or a 2-D array with one row or one column; any supported dtype, as `Double`.
    /// `path` as for `readMatrix` (a `.npy` file or `archive.npz:name`).
    /// - Throws: as `readMatrix`, and `.malformedFile` if the array is not vector-shaped.
    public static func readVector(from path: String) throws -> [Double] {
        try withArrayReader(path) { try vector(from: $0) }
    }

    /// Reads an integer vector (`<i8`, `<i4` or big-endian forms), 1-D or 2-D with one row or one column,
    /// e.g. class labels. `path` as for `readMatrix` (a `.npy` file or `archive.npz:name`).
    /// - Throws: as `readVector`, and `.malformedFile` if the dtype is a float type.
    public static func readInt64Vector(from path: String) throws -> [Int] {
        try withArrayReader(path) { try int64Vector(from: $0) }
    }

    // MARK: - Parsing bytes

    /// `readMatrix` on bytes in memory (`[UInt8]`, `Data`, …); `path` only labels error messages.
    public static func parseMatrix<Bytes: ContiguousBytes>(_ bytes: Bytes, path: String = "<memory>") throws -> Matrix {
        try bytes.withUnsafeBytes { try matrix(from: MemoryReader(bytes: $0, path: path)) }
    }

    /// `readVector` on bytes in memory.
    public static func parseVector<Bytes: ContiguousBytes>(_ bytes: Bytes, path: String = "<memory>") throws -> [Double] {
        try bytes.withUnsafeBytes { try vector(from: MemoryReader(bytes: $0, path: path)) }
    }

    /// `readInt64Vector` on bytes in memory.
    public static func parseInt64Vector<Bytes: ContiguousBytes>(_ bytes: Bytes, path: String = "<memory>") throws -> [Int] {
        try bytes.withUnsafeBytes { try int64Vector(from: MemoryReader(bytes: $0, path: path)) }
    }

    // MARK: - Writing

    /// Writes `m` as a 2-D float64 array, shape `(rows, cols)`, creating or replacing the file.
    /// - Parameters:
    ///   - m: the matrix.
    ///   - path: destination file.
    ///   - fortranOrder: `false` (default, like `np.save` of a C-ordered array) writes rows one after another;
    ///     `true` writes columns, which is `m`'s own storage order and skips the transpose.
    /// - Throws: `.io` if the file cannot be created or written; a partly written regular file is removed.
    public static func write(_ m: Matrix, to path: String, fortranOrder: Bool = false) throws {
        try writeFloat64(m.elements, rows: m.rows, cols: m.cols, shape: [m.rows, m.cols], fortranOrder: fortranOrder,
                         to: path)
    }

    /// Writes a 1-D float64 array, shape `(n,)`.
    /// - Throws: as `write(_:to:fortranOrder:)`.
    public static func write(vector: [Double], to path: String) throws {
        try writeFloat64(vector, rows: vector.count, cols: 1, shape: [vector.count], fortranOrder: false, to: path)
    }

    /// Writes a 1-D int64 array (`<i8`), shape `(n,)`.
    /// - Throws: as `write(_:to:fortranOrder:)`.
    public static func write(int64Vector: [Int], to path: String) throws {
        let header = NpyHeader.encode(dtype: .int64, fortranOrder: false, shape: [int64Vector.count])
        try writeFile(path, header: header) { emit in
            try int64Vector.withUnsafeBufferPointer { try emitInt64Data($0, chunkElements: defaultChunkElements, emit) }
        }
    }

    /// Writes a 2-D int64 array (`<i8`, C order) of shape `(rows, values.count / rows)` from its row-major values.
    /// - Throws: `.invalidArgument` unless `rows ≥ 1` divides `values.count`; otherwise as `write(_:to:fortranOrder:)`.
    public static func write(int64RowMajor values: [Int], rows: Int, to path: String) throws {
        guard rows >= 1, values.count % rows == 0 else {
            throw TangentFlowError.invalidArgument(operation: "NpyFile.write", reason: "\(values.count) values do not fill \(rows) rows")
        }
        let header = NpyHeader.encode(dtype: .int64, fortranOrder: false, shape: [rows, values.count / rows])
        try writeFile(path, header: header) { emit in
            try values.withUnsafeBufferPointer { try emitInt64Data($0, chunkElements: defaultChunkElements, emit) }
        }
    }

    /// The bytes `write(_:to:fortranOrder:)` would write.
    public static func encode(_ m: Matrix, fortranOrder: Bool = false) -> [UInt8] {
        encodeFloat64(m.elements, rows: m.rows, cols: m.cols, shape: [m.rows, m.cols], fortranOrder: fortranOrder)
    }

    /// The bytes `write(vector:to:)` would write.
    public static func encode(vector: [Double]) -> [UInt8] {
        encodeFloat64(vector, rows: vector.count, cols: 1, shape: [vector.count], fortranOrder: false)
    }

    /// The bytes `write(int64Vector:to:)` would write.
    public static func encode(int64Vector: [Int]) -> [UInt8] {
        let header = NpyHeader.encode(dtype: .int64, fortranOrder: false, shape: [int64Vector.count])
        return assemble(header: header, dataBytes: int64Vector.count * 8) { emit in
            int64Vector.withUnsafeBufferPointer { emitInt64Data($0, chunkElements: defaultChunkElements, emit) }
        }
    }

    // MARK: - Internal entry points (chunk size and version exposed for tests)

    static func matrix<R: ByteReader>(from r: R, chunkElements: Int = defaultChunkElements) throws -> Matrix {
        let h = try NpyHeader.read(from: r)
        let rows: Int, cols: Int
        switch h.shape.count {
        case 1: (rows, cols) = (h.shape[0], 1)
        case 2: (rows, cols) = (h.shape[0], h.shape[1])
        case 0:
            throw TangentFlowError.malformedFile(path: r.path, reason: "0-d (scalar) array of dtype \(h.dtype.name); "
                + "expected a 1-D or 2-D array (save np.atleast_1d(x) instead)")
        default:
            throw TangentFlowError.malformedFile(path: r.path, reason: "\(h.shape.count)-D array of shape "
                + "\(NpyHeader.describeShape(h.shape)); expected a 1-D or 2-D array "
                + "(reshape it in NumPy first, e.g. a.reshape(a.shape[0], -1))")
        }
        let elements = try decodeDoubles(r, h, rows: rows, cols: cols, chunkElements: chunkElements)
        return Matrix(uncheckedRows: rows, cols: cols, elements: elements)
    }

    static func vector<R: ByteReader>(from r: R, chunkElements: Int = defaultChunkElements) throws -> [Double] {
        let h = try NpyHeader.read(from: r)
        try requireVectorShape(h, path: r.path)
        // A vector's C order and Fortran order coincide: one run of elementCount values.
        return try decodeDoubles(r, h, rows: h.elementCount, cols: 1, chunkElements: chunkElements)
    }

    static func int64Vector<R: ByteReader>(from r: R, chunkElements: Int = defaultChunkElements) throws -> [Int] {
        let h = try NpyHeader.read(from: r)
        guard h.dtype.kind == .signedInteger else {
            throw TangentFlowError.malformedFile(path: r.path, reason: "dtype '\(h.dtype.descr)' (\(h.dtype.name)) is "
                + "not an integer type; readInt64Vector reads int64 or int32 ('<i8', '<i4', '>i8', '>i4'); "
                + "use readVector for float data")
        }
        try requireVectorShape(h, path: r.path)
        return try decodeInts(r, h, chunkElements: chunkElements)
    }

    static func encodeFloat64(_ elements: [Double], rows: Int, cols: Int, shape: [Int], fortranOrder: Bool,
                              chunkElements: Int = defaultChunkElements, version: Int? = nil) -> [UInt8] {
        let header = NpyHeader.encode(dtype: .float64, fortranOrder: fortranOrder, shape: shape, version: version)
        return assemble(header: header, dataBytes: elements.count * 8) { emit in
            elements.withUnsafeBufferPointer {
                emitFloat64Data($0, rows: rows, cols: cols, fortranOrder: fortranOrder, chunkElements: chunkElements, emit)
            }
        }
    }

    private static func requireVectorShape(_ h: NpyHeader, path: String) throws {
        let s = h.shape
        guard s.count == 1 || (s.count == 2 && (s[0] == 1 || s[1] == 1)) else {
            throw TangentFlowError.malformedFile(path: path, reason: "expected a vector (1-D, or 2-D with one row or "
                + "one column), got shape \(NpyHeader.describeShape(s))")
        }
    }

    // MARK: - Chunking

    /// Block shape for C-order data: whole rows when at least 32 fit in a chunk (one contiguous read or write per
    /// block), else 32-row strips of `chunkElements / 32` columns (one read or write per row piece).
    /// `blockRows · blockCols ≤ chunkElements`.
    static func blockShape(rows: Int, cols: Int, chunkElements: Int) -> (rows: Int, cols: Int) {
        let chunk = Swift.max(1, chunkElements)
        if cols > 0, cols <= chunk / 32 { return (chunk / cols, cols) }
        let r = Swift.min(32, chunk)
        return (r, Swift.min(cols, Swift.max(1, chunk / r)))
    }

    // MARK: - Decoding

    /// The data as column-major `Double`s of a `rows×cols` matrix, `rows · cols == h.elementCount`.
    private static func decodeDoubles<R: ByteReader>(_ r: R, _ h: NpyHeader, rows: Int, cols: Int,
                                                     chunkElements: Int) throws -> [Double] {
        let n = h.elementCount
        guard n > 0 else { return [] }
        // A file can be larger than memory (or than `ulimit -v` allows): refuse before allocating.
        try MemoryBudget.require(doubles: n, operation: "reading \(r.path) (\(NpyHeader.describeShape(h.shape)))")
        let size = h.dtype.size
        let chunk = Swift.max(1, Swift.min(n, chunkElements))
        return try [Double](unsafeUninitializedCapacity: n) { dst, initialized in
            let out = dst.baseAddress!
            if h.fortranOrder || rows == 1 || cols == 1 {
                // File order is storage order.
                if h.dtype.isNativeFloat64 {
                    try r.read(at: h.dataOffset, into: UnsafeMutableRawBufferPointer(dst))
                } else {
                    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * size, alignment: 16)
                    defer { scratch.deallocate() }
                    var k = 0
                    while k < n {
                        let m = Swift.min(chunk, n - k)
                        try r.read(at: h.dataOffset + k * size, into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<(m * size)]))
                        decodeRun(UnsafeRawPointer(scratch.baseAddress!), count: m, h.dtype, into: out + k)
                        k += m
                    }
                }
            } else {
                // C order: read blocks of rows (or row pieces), transpose each into column-major storage.
                let block = blockShape(rows: rows, cols: cols, chunkElements: chunk)
                let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: block.rows * block.cols * size, alignment: 16)
                defer { scratch.deallocate() }
                var i0 = 0
                while i0 < rows {
                    let i1 = Swift.min(i0 + block.rows, rows)
                    var j0 = 0
                    while j0 < cols {
                        let j1 = Swift.min(j0 + block.cols, cols)
                        let (bh, bw) = (i1 - i0, j1 - j0)
                        if bw == cols {
                            try r.read(at: h.dataOffset + i0 * cols * size,
                                       into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<(bh * bw * size)]))
                        } else {
                            for a in 0..<bh {
                                try r.read(at: h.dataOffset + ((i0 + a) * cols + j0) * size,
                                           into: UnsafeMutableRawBufferPointer(rebasing: scratch[(a * bw * size)..<((a + 1) * bw * size)]))
                            }
                        }
                        decodeTile(UnsafeRawPointer(scratch.baseAddress!), rows: bh, cols: bw, h.dtype,
                                   into: out + i0 + j0 * rows, ld: rows)
                        j0 = j1
                    }
                    i0 = i1
                }
            }
            initialized = n
        }
    }

    /// The data of an integer vector as `Int`.
    private static func decodeInts<R: ByteReader>(_ r: R, _ h: NpyHeader, chunkElements: Int) throws -> [Int] {
        let n = h.elementCount
        guard n > 0 else { return [] }
        try MemoryBudget.require(doubles: n, operation: "reading \(r.path) (\(NpyHeader.describeShape(h.shape)))")
        let size = h.dtype.size
        let chunk = Swift.max(1, Swift.min(n, chunkElements))
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * size, alignment: 16)
        defer { scratch.deallocate() }
        return try [Int](unsafeUninitializedCapacity: n) { dst, initialized in
            var k = 0
            while k < n {
                let m = Swift.min(chunk, n - k)
                try r.read(at: h.dataOffset + k * size, into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<(m * size)]))
                let src = UnsafeRawPointer(scratch.baseAddress!)
                for t in 0..<m {
                    let v = size == 8
                        ? Int64(bitPattern: Int64Codec.load(src, t, bigEndian: h.dtype.isBigEndian))
                        : Int64(Int32(bitPattern: Int32Codec.load(src, t, bigEndian: h.dtype.isBigEndian)))
                    guard let value = Int(exactly: v) else {  // only on 32-bit platforms
                        throw TangentFlowError.malformedFile(path: r.path, reason: "element \(k + t) = \(v) does not fit in Int")
                    }
                    dst[k + t] = value
                }
                k += m
            }
            initialized = n
        }
    }

    /// `dst[k] = value(src[k])` for `k < count`.
    static func decodeRun(_ src: UnsafeRawPointer, count: Int, _ t: NpyHeader.DType,
                                  into dst: UnsafeMutablePointer<Double>) {
        switch (t.kind, t.size) {
        case (.float, 8): decodeRun(Float64Codec.self, src, count, t.isBigEndian, dst)
        case (.float, _): decodeRun(Float32Codec.self, src, count, t.isBigEndian, dst)
        case (.signedInteger, 8): decodeRun(Int64Codec.self, src, count, t.isBigEndian, dst)
        case (.signedInteger, _): decodeRun(Int32Codec.self, src, count, t.isBigEndian, dst)
        }
    }

    private static func decodeRun<C: NpyCodec>(_: C.Type, _ src: UnsafeRawPointer, _ count: Int, _ bigEndian: Bool,
                                               _ dst: UnsafeMutablePointer<Double>) {
        for k in 0..<count { dst[k] = C.double(C.load(src, k, bigEndian: bigEndian)) }
    }

    /// `dst[a + b·ld] = value(src[a·cols + b])`: a row-major `rows×cols` block into column-major storage.
    private static func decodeTile(_ src: UnsafeRawPointer, rows: Int, cols: Int, _ t: NpyHeader.DType,
                                   into dst: UnsafeMutablePointer<Double>, ld: Int) {
        switch (t.kind, t.size) {
        case (.float, 8): decodeTile(Float64Codec.self, src, rows, cols, t.isBigEndian, dst, ld)
        case (.float, _): decodeTile(Float32Codec.self, src, rows, cols, t.isBigEndian, dst, ld)
        case (.signedInteger, 8): decodeTile(Int64Codec.self, src, rows, cols, t.isBigEndian, dst, ld)
        case (.signedInteger, _): decodeTile(Int32Codec.self, src, rows, cols, t.isBigEndian, dst, ld)
        }
    }

    private static func decodeTile<C: NpyCodec>(_: C.Type, _ src: UnsafeRawPointer, _ rows: Int, _ cols: Int,
                                                _ bigEndian: Bool, _ dst: UnsafeMutablePointer<Double>, _ ld: Int) {
        let tile = 32
        var b0 = 0
        while b0 < cols {
            let b1 = Swift.min(b0 + tile, cols)
            var a0 = 0
            while a0 < rows {
                let a1 = Swift.min(a0 + tile, rows)
                for b in b0..<b1 {
                    let column = dst + b * ld
                    for a in a0..<a1 { column[a] = C.double(C.load(src, a * cols + b, bigEndian: bigEndian)) }
                }
                a0 = a1
            }
            b0 = b1
        }
    }

    // MARK: - Encoding

    /// Emits the little-endian float64 data of column-major `rows×cols` `elements` in C or Fortran order, as
    /// chunks `(byte offset from the start of the data, bytes)`. Every data byte is emitted exactly once.
    static func emitFloat64Data(_ e: UnsafeBufferPointer<Double>, rows: Int, cols: Int, fortranOrder: Bool,
                                chunkElements: Int,
                                _ emit: (_ offset: Int, _ bytes: UnsafeRawBufferPointer) throws -> Void) rethrows {
        let n = e.count
        guard n > 0, let src = e.baseAddress else { return }
        let chunk = Swift.max(1, Swift.min(n, chunkElements))
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * 8, alignment: 16)
        defer { scratch.deallocate() }
        let out = scratch.baseAddress!
        if fortranOrder || rows == 1 || cols == 1 {
            var k = 0
            while k < n {
                let m = Swift.min(chunk, n - k)
                for t in 0..<m { out.storeBytes(of: src[k + t].bitPattern.littleEndian, toByteOffset: t * 8, as: UInt64.self) }
                try emit(k * 8, UnsafeRawBufferPointer(rebasing: scratch[0..<(m * 8)]))
                k += m
            }
            return
        }
        let block = blockShape(rows: rows, cols: cols, chunkElements: chunk)
        var i0 = 0
        while i0 < rows {
            let i1 = Swift.min(i0 + block.rows, rows)
            var j0 = 0
            while j0 < cols {
                let j1 = Swift.min(j0 + block.cols, cols)
                let (bh, bw) = (i1 - i0, j1 - j0)
                // out[a·bw + b] = A[i0 + a, j0 + b], in 32×32 tiles.
                var a0 = 0
                while a0 < bh {
                    let a1 = Swift.min(a0 + 32, bh)
                    var b0 = 0
                    while b0 < bw {
                        let b1 = Swift.min(b0 + 32, bw)
                        for a in a0..<a1 {
                            for b in b0..<b1 {
                                let v = src[(i0 + a) + (j0 + b) * rows]
                                out.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: (a * bw + b) * 8, as: UInt64.self)
                            }
                        }
                        b0 = b1
                    }
                    a0 = a1
                }
                if bw == cols {
                    try emit(i0 * cols * 8, UnsafeRawBufferPointer(rebasing: scratch[0..<(bh * bw * 8)]))
                } else {
                    for a in 0..<bh {
                        try emit(((i0 + a) * cols + j0) * 8,
                                 UnsafeRawBufferPointer(rebasing: scratch[(a * bw * 8)..<((a + 1) * bw * 8)]))
                    }
                }
                j0 = j1
            }
            i0 = i1
        }
    }

    /// Emits `values` as little-endian int64, in chunks `(byte offset, bytes)`.
    static func emitInt64Data(_ values: UnsafeBufferPointer<Int>, chunkElements: Int,
                              _ emit: (_ offset: Int, _ bytes: UnsafeRawBufferPointer) throws -> Void) rethrows {
        let n = values.count
        guard n > 0, let src = values.baseAddress else { return }
        let chunk = Swift.max(1, Swift.min(n, chunkElements))
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * 8, alignment: 16)
        defer { scratch.deallocate() }
        var k = 0
        while k < n {
            let m = Swift.min(chunk, n - k)
            for t in 0..<m {
                scratch.baseAddress!.storeBytes(of: Int64(src[k + t]).littleEndian, toByteOffset: t * 8, as: Int64.self)
            }
            try emit(k * 8, UnsafeRawBufferPointer(rebasing: scratch[0..<(m * 8)]))
            k += m
        }
    }

    /// Header plus data assembled in memory; `fill` emits exactly `dataBytes` bytes of data.
    private static func assemble(header: [UInt8], dataBytes: Int,
                                 _ fill: ((Int, UnsafeRawBufferPointer) -> Void) -> Void) -> [UInt8] {
        let total = header.count + dataBytes
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            let base = UnsafeMutableRawPointer(buffer.baseAddress!)
            header.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            fill { offset, bytes in
                precondition(offset >= 0 && offset + bytes.count <= dataBytes, "NpyFile: chunk outside the data")
                if let from = bytes.baseAddress { (base + header.count + offset).copyMemory(from: from, byteCount: bytes.count) }
            }
            initialized = total
        }
    }

    // MARK: - Files

    private static func errnoText(_ code: Int32 = errno) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }

    /// Opens `path` read-only (non-blocking, so a FIFO cannot hang the open), checks it is a regular file and runs
    /// `body` with a reader sized by `fstat`.
    static func withFileReader<T>(_ path: String, _ body: (FileReader) throws -> T) throws -> T {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw TangentFlowError.io(path: path, reason: "cannot open for reading: \(errnoText())") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw TangentFlowError.io(path: path, reason: "cannot stat: \(errnoText())") }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw TangentFlowError.io(path: path, reason: "not a regular file (a directory, device or pipe); "
                + ".npy files are read from regular files")
        }
        return try body(FileReader(fd: fd, path: path, count: Int(st.st_size)))
    }

    private static func writeFloat64(_ elements: [Double], rows: Int, cols: Int, shape: [Int], fortranOrder: Bool,
                                     to path: String) throws {
        let header = NpyHeader.encode(dtype: .float64, fortranOrder: fortranOrder, shape: shape)
        try writeFile(path, header: header) { emit in
            try elements.withUnsafeBufferPointer {
                try emitFloat64Data($0, rows: rows, cols: cols, fortranOrder: fortranOrder,
                                    chunkElements: defaultChunkElements, emit)
            }
        }
    }

    /// Writes `header` at 0 and each emitted data chunk at `header.count + offset` through `AtomicFile`: a
    /// temporary file beside `path`, synced and renamed over it, so a failure never destroys an earlier file.
    private static func writeFile(_ path: String, header: [UInt8],
                                  _ body: (_ emit: (Int, UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try AtomicFile.write(to: path) { sink in
            try sink.write(header, at: 0)
            try body { offset, bytes in try sink.write(bytes, at: header.count + offset) }
        }
    }
}

// MARK: - Byte sources

extension NpyFile {
    /// Random-access bytes: a file or memory. `read` fills the whole buffer from `offset` or throws.
    protocol ByteReader {
        /// Names the source in error messages.
        var path: String { get }
        /// Total bytes available.
        var count: Int { get }
        func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws
    }

    /// Bytes in memory; valid only inside the `withUnsafeBytes` closure that made it.
    struct MemoryReader: ByteReader {
        let bytes: UnsafeRawBufferPointer
        let path: String
        var count: Int { bytes.count }

        func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
            guard offset >= 0, buffer.count <= count - offset else {
                throw TangentFlowError.malformedFile(path: path, reason: "read of \(buffer.count) bytes at offset "
                    + "\(offset) is past the end of the \(count) bytes")
            }
            if buffer.count > 0 { buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + offset, byteCount: buffer.count) }
        }
    }

    /// An open regular file, read with `pread` (no shared file position).
    struct FileReader: ByteReader {
        let fd: Int32
        let path: String
        let count: Int

        func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
            guard offset >= 0, buffer.count <= count - offset else {
                throw TangentFlowError.malformedFile(path: path, reason: "read of \(buffer.count) bytes at offset "
                    + "\(offset) is past the end of the \(count)-byte file")
            }
            var done = 0
            while done < buffer.count {
                let n = pread(fd, buffer.baseAddress! + done, Swift.min(buffer.count - done, 1 << 30), off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw TangentFlowError.io(path: path, reason: "read at offset \(offset + done) failed: "
                        + "\(String(cString: strerror(errno))) (errno \(errno))")
                }
                if n == 0 {
                    throw TangentFlowError.malformedFile(path: path, reason: "file ended at byte \(offset + done) although "
                        + "it was \(count) bytes when opened; was it truncated while being read?")
                }
                done += n
            }
        }
    }
}

// MARK: - Element codecs

/// One element type as stored: its bit pattern and exact conversion to `Double`.
private protocol NpyCodec {
    associatedtype Bits: FixedWidthInteger & UnsignedInteger
    static func double(_ bits: Bits) -> Double
}

extension NpyCodec {
    /// Element `index` of `p` (any alignment), in host order.
    @inline(__always)
    static func load(_ p: UnsafeRawPointer, _ index: Int, bigEndian: Bool) -> Bits {
        let raw = p.loadUnaligned(fromByteOffset: index &* MemoryLayout<Bits>.size, as: Bits.self)
        return bigEndian ? Bits(bigEndian: raw) : Bits(littleEndian: raw)
    }
}

private enum Float64Codec: NpyCodec {
    static func double(_ bits: UInt64) -> Double { Double(bitPattern: bits) }
}

private enum Float32Codec: NpyCodec {
    static func double(_ bits: UInt32) -> Double { Double(Float(bitPattern: bits)) }
}

private enum Int64Codec: NpyCodec {
    static func double(_ bits: UInt64) -> Double { Double(Int64(bitPattern: bits)) }
}

private enum Int32Codec: NpyCodec {
    static func double(_ bits: UInt32) -> Double { Double(Int32(bitPattern: bits)) }
}
