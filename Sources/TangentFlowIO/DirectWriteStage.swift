import Foundation
import TangentFlow

/// Large outputs written past the page cache (`O_DIRECT`), through one reused, page-aligned staging block.
///
/// Why: on the virtual machines TangentFlow is measured on, the first touch of fresh memory costs 0.4–2.5 GB/s
/// depending on whether the host still backs the pages, and a buffered write of a 745 MB Jacobian fills 745 MB
/// of fresh page cache before `fsync` sends it to the disk: measured there, buffered write + fsync of 745 MB took
/// 0.5–1.8 s where the same bytes written with `O_DIRECT` took 0.39–0.52 s (issue #28, steady timings).
///
/// How: a file's first `threshold` bytes are written as usual. Once a file written front to back (every write
/// starting where the previous one ended) grows past that, the unaligned tail of what was written is read back
/// into the stage, `O_DIRECT` is switched on with `fcntl`, and from then on the stage is written in whole,
/// aligned blocks. `finish()` writes the last block padded to the alignment and truncates the file to its true
/// length. Any write out of order, a filesystem without `O_DIRECT` (tmpfs), or a direct write the device refuses
/// (`EINVAL`: another alignment) switches the file back to ordinary writes for the rest, so the bytes on disk
/// are the same in every case; only the route differs.
final class DirectWriteStage {
    /// Linux's `O_DIRECT` (Glibc hides it behind `_GNU_SOURCE`): 0o40000 on x86-64, 0o200000 on arm64.
    #if arch(arm64) || arch(arm)
    static let directFlag: Int32 = 0o200000
    #else
    static let directFlag: Int32 = 0o40000
    #endif

    /// Alignment of direct writes (offset, length, address): the page size, a multiple of every common
    /// logical block size.
    static let alignment = 4096
    /// Bytes of the staging block (one per concurrent writer, kept for the next file).
    static let capacity = 4 << 20
    /// Files stay on the ordinary route until they pass this many bytes written in order.
    nonisolated(unsafe) static var threshold = 8 << 20

    private let fd: Int32
    private let path: String
    /// Bytes written in order from offset 0 (the next in-order write starts here).
    private var end = 0
    private var block: UnsafeMutableRawPointer? = nil
    /// File offset of `block[0]` (a multiple of `alignment`) and the bytes staged in `block`.
    private var blockStart = 0
    private var staged = 0
    private enum Route { case ordinary, direct, off }
    private var route = Route.ordinary

    /// Whether the file is being written with `O_DIRECT` now (for tests).
    var isDirect: Bool { route == .direct }

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { if let b = block { Self.recycle(b) } }

    /// Writes `bytes` at `offset`, by the route the file is on.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        if route != .off && offset != end { try leaveDirectRoute() }
        switch route {
        case .off:
            try AtomicFile.writeAll(fd: fd, path: path, bytes, at: offset)
        case .ordinary:
            try AtomicFile.writeAll(fd: fd, path: path, bytes, at: offset)
            end += bytes.count
            if end > Self.threshold { enterDirectRoute() }
        case .direct:
            try stage(bytes)
        }
    }

    /// Writes what is staged (the last block padded, then the file truncated to its length).
    func finish() throws {
        guard route == .direct, staged > 0 else { return }
        let padded = (staged + Self.alignment - 1) / Self.alignment * Self.alignment
        memset(block! + staged, 0, padded - staged)
        if try writeBlock(length: padded) {
            guard ftruncate(fd, off_t(blockStart + staged)) == 0 else {
                throw TangentFlowError.io(path: path, reason: "cannot set the file's length: \(AtomicFile.errnoText())")
            }
        } else {
            try writeStagedOrdinarily()
        }
        blockStart += staged
        staged = 0
    }

    // MARK: - Routes

    /// Reads back the unaligned tail of what was written in order, then switches `O_DIRECT` on (or stays on the
    /// ordinary route for good when the filesystem refuses it).
    private func enterDirectRoute() {
        guard let b = Self.takeBlock() else { route = .off; return }
        let aligned = end / Self.alignment * Self.alignment, tail = end - aligned
        if tail > 0 && pread(fd, b, tail, off_t(aligned)) != tail {
            Self.recycle(b)
            route = .off
            return
        }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | Self.directFlag) == 0 else {
            Self.recycle(b)
            route = .off
            return
        }
        block = b
        blockStart = aligned
        staged = tail
        route = .direct
    }

    /// Writes what is staged by the ordinary route and stays there.
    private func leaveDirectRoute() throws {
        let wasDirect = route == .direct
        route = .off
        guard wasDirect else { return }
        clearDirectFlag()
        if staged > 0 {
            try writeStagedOrdinarily()
        }
        blockStart += staged
        staged = 0
    }

    private func stage(_ bytes: UnsafeRawBufferPointer) throws {
        var from = 0
        while from < bytes.count {
            let n = Swift.min(Self.capacity - staged, bytes.count - from)
            (block! + staged).copyMemory(from: bytes.baseAddress! + from, byteCount: n)
            staged += n
            from += n
            end += n
            if staged == Self.capacity {
                if try !writeBlock(length: Self.capacity) {
                    route = .off
                    try writeStagedOrdinarily()
                }
                blockStart += staged
                staged = 0
                if route == .off {
                    try AtomicFile.writeAll(fd: fd, path: path, UnsafeRawBufferPointer(rebasing: bytes[from...]), at: end)
                    end += bytes.count - from
                    return
                }
            }
        }
    }

    /// One direct write of `block[0..<length]` at `blockStart`. Returns false (with `O_DIRECT` switched off)
    /// when the device refuses the alignment, so the caller writes the same bytes the ordinary way.
    private func writeBlock(length: Int) throws -> Bool {
        var done = 0
        while done < length {
            let n = pwrite(fd, block! + done, length - done, off_t(blockStart + done))
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EINVAL && done == 0 {
                    clearDirectFlag()
                    return false
                }
                throw TangentFlowError.io(path: path, reason: "write of \(length - done) bytes at offset "
                    + "\(blockStart + done) failed: \(AtomicFile.errnoText())")
            }
            if n == 0 || n % Self.alignment != 0 && done + n < length {
                // A short direct write leaves the rest unaligned: finish it the ordinary way.
                clearDirectFlag()
                try AtomicFile.writeAll(fd: fd, path: path,
                                        UnsafeRawBufferPointer(start: block! + done + n, count: length - done - n),
                                        at: blockStart + done + n)
                route = .off
                return true
            }
            done += n
        }
        return true
    }

    /// Writes what is staged the ordinary way (after `O_DIRECT` was switched off or refused).
    private func writeStagedOrdinarily() throws {
        try AtomicFile.writeAll(fd: fd, path: path, UnsafeRawBufferPointer(start: block!, count: staged), at: blockStart)
    }

    private func clearDirectFlag() {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~Self.directFlag) }
    }

    // MARK: - Reused blocks

    nonisolated(unsafe) private static var spare: [UnsafeMutableRawPointer] = []
    private static let lock = NSLock()

    private static func takeBlock() -> UnsafeMutableRawPointer? {
        lock.lock()
        defer { lock.unlock() }
        if let b = spare.popLast() { return b }
        var p: UnsafeMutableRawPointer? = nil
        return posix_memalign(&p, alignment, capacity) == 0 ? p : nil
    }

    private static func recycle(_ b: UnsafeMutableRawPointer) {
        lock.lock()
        defer { lock.unlock() }
        if spare.count < 2 { spare.append(b) } else { free(b) }
    }
}
