import Foundation
import TangentFlow

/// Crash-safe output files: everything TangentFlow writes goes to a temporary file in the target's folder, is
/// flushed and `fsync`ed, then `rename(2)`d over the target, so a failed, interrupted or concurrent write never
/// destroys or mixes an earlier result: a reader sees the old file or the whole new one. Files past 8 MB written
/// front to back go to the disk with `O_DIRECT` (`DirectWriteStage`): the same bytes, without filling fresh page
/// cache first.
///
/// Edge cases:
/// - `path == "-"` writes to standard output (the bytes are assembled first, then written in order).
/// - An existing target that is not a regular file (`/dev/null`, `/dev/full`, a FIFO) is written in place:
///   renaming over a device node would replace it.
/// - A target that is a directory, or whose folder does not exist, is refused before anything is written.
/// - On failure the temporary file is removed; the target is untouched.
public enum AtomicFile {
    /// The path that means standard output.
    public static let standardOutput = "-"
    /// The file descriptor `-` writes to (a command-line tool that moves its text output elsewhere sets it).
    nonisolated(unsafe) public static var standardOutputDescriptor: Int32 = STDOUT_FILENO
    /// Called with the target path before each file is written (a command-line tool uses it to mark an output
    /// folder "running" on its first write).
    nonisolated(unsafe) public static var willWrite: (@Sendable (String) -> Void)? = nil

    /// A writable destination with positional writes (offsets from the start of the file).
    public final class Sink {
        fileprivate let fd: Int32
        fileprivate let path: String
        fileprivate var memory: [UInt8]? = nil
        /// Set for a temporary file: large files written front to back go past the page cache.
        fileprivate var stage: DirectWriteStage? = nil

        fileprivate init(fd: Int32, path: String, memory: Bool, direct: Bool = false) {
            self.fd = fd
            self.path = path
            if memory { self.memory = [] }
            if direct { stage = DirectWriteStage(fd: fd, path: path) }
        }

        /// Whether the file is being written past the page cache now (for tests).
        var isDirect: Bool { stage?.isDirect ?? false }

        /// Writes `bytes` at byte `offset` of the file.
        /// - Throws: `.io` naming the file with the operating system's reason (full disk, file-size limit, …).
        public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
            if memory != nil {
                let end = offset + bytes.count
                if memory!.count < end { memory!.append(contentsOf: repeatElement(0, count: end - memory!.count)) }
                memory!.withUnsafeMutableBytes { dst in
                    if let from = bytes.baseAddress { (dst.baseAddress! + offset).copyMemory(from: from, byteCount: bytes.count) }
                }
                return
            }
            if let stage {
                try stage.write(bytes, at: offset)
            } else {
                try AtomicFile.writeAll(fd: fd, path: path, bytes, at: offset)
            }
        }

        /// Writes `bytes` at byte `offset`.
        public func write(_ bytes: [UInt8], at offset: Int) throws {
            try bytes.withUnsafeBytes { try write($0, at: offset) }
        }
    }

    /// Writes the file at `path` through `body`, atomically (see the type's documentation).
    /// - Throws: `.io(path:reason:)` naming `path` when the folder is missing, the target is a directory, or a
    ///   write, `fsync` or rename fails; whatever `body` throws (the target is then untouched).
    public static func write(to path: String, _ body: (Sink) throws -> Void) throws {
        try write(to: path, inspect: nil, body)
    }

    /// As `write(to:_:)`; `inspect` sees the sink after `body` (tests look at the route it took).
    static func write(to path: String, inspect: ((Sink) -> Void)?, _ body: (Sink) throws -> Void) throws {
        if path != standardOutput { willWrite?(path) }
        if path == standardOutput {
            let out = standardOutputDescriptor
            let sink = Sink(fd: out, path: "standard output", memory: true)
            try body(sink)
            let bytes = sink.memory ?? []
            var done = 0
            try bytes.withUnsafeBytes { buf in
                while done < buf.count {
                    let n = Foundation.write(out, buf.baseAddress! + done, buf.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw TangentFlowError.io(path: "standard output", reason: "write failed: \(errnoText())")
                    }
                    done += n
                }
            }
            return
        }
        var st = stat()
        if stat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR {
                throw TangentFlowError.io(path: path, reason: "is a directory; give a file name")
            }
            if (st.st_mode & S_IFMT) != S_IFREG {
                // A device or FIFO: write in place (O_NONBLOCK on the open so a FIFO with no reader cannot hang).
                let fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK)
                guard fd >= 0 else { throw TangentFlowError.io(path: path, reason: "cannot open for writing: \(errnoText())") }
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
                defer { close(fd) }
                try body(Sink(fd: fd, path: path, memory: false))
                return
            }
        }
        try checkFolder(of: path)
        let (fd, temporary) = try createTemporary(beside: path)
        var committed = false
        defer {
            if !committed { unlink(temporary) }
        }
        do {
            let sink = Sink(fd: fd, path: path, memory: false, direct: true)
            try body(sink)
            inspect?(sink)
            try sink.stage?.finish()
            guard fsync(fd) == 0 else { throw TangentFlowError.io(path: path, reason: "cannot sync to disk: \(errnoText())") }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw TangentFlowError.io(path: path, reason: "closing after writing failed: \(errnoText())") }
        guard rename(temporary, path) == 0 else {
            throw TangentFlowError.io(path: path, reason: "cannot move the finished file into place: \(errnoText())")
        }
        committed = true
        syncFolder(of: path)
    }

    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { try $0.write(bytes, at: 0) }
    }

    /// Writes `text` as UTF-8 to `path` atomically.
    public static func write(text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// Checks, before any work, that `path` can be written as a file: `-`, an existing non-directory, or a new
    /// name in an existing, writable folder.
    /// - Throws: `.io(path:reason:)` saying what is wrong.
    public static func checkWritable(_ path: String) throws {
        if path == standardOutput { return }
        guard !path.isEmpty else { throw TangentFlowError.io(path: "''", reason: "an empty path is not a file name") }
        var st = stat()
        if stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            throw TangentFlowError.io(path: path, reason: "is a directory; give a file name")
        }
        try checkFolder(of: path)
    }

    /// Checks, before any work, that `dir` is or can become an output folder (an existing folder, or a new
    /// name whose parent folder exists and is writable).
    public static func checkWritableFolder(_ dir: String) throws {
        guard !dir.isEmpty else { throw TangentFlowError.io(path: "''", reason: "an empty path is not a folder name") }
        var st = stat()
        if stat(dir, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                throw TangentFlowError.io(path: dir, reason: "exists and is not a folder")
            }
            guard access(dir, W_OK | X_OK) == 0 else { throw TangentFlowError.io(path: dir, reason: "folder is not writable") }
            return
        }
        try checkFolder(of: dir)
    }

    /// Creates `dir` (and missing parents) if needed.
    /// - Throws: `.io(path:reason:)` when it cannot be created or is not a folder.
    public static func makeFolder(_ dir: String) throws {
        try checkWritableFolder(dir)
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw TangentFlowError.io(path: dir, reason: "cannot create the output folder")
        }
    }

    // MARK: - Internals

    static func writeAll(fd: Int32, path: String, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, Swift.min(bytes.count - done, 1 << 30), off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                if errno == ESPIPE {  // a pipe or terminal: sequential writes only
                    let m = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
                    if m < 0 { throw TangentFlowError.io(path: path, reason: "write failed: \(errnoText())") }
                    done += m
                    continue
                }
                throw TangentFlowError.io(path: path, reason: "write of \(bytes.count - done) bytes at offset "
                    + "\(offset + done) failed: \(errnoText())")
            }
            if n == 0 { throw TangentFlowError.io(path: path, reason: "write at offset \(offset + done) made no progress") }
            done += n
        }
    }

    private static func folder(of path: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent
        return dir.isEmpty ? "." : dir
    }

    private static func checkFolder(of path: String) throws {
        let dir = folder(of: path)
        var st = stat()
        guard stat(dir, &st) == 0 else {
            throw TangentFlowError.io(path: path, reason: "its folder '\(dir)' does not exist")
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw TangentFlowError.io(path: path, reason: "'\(dir)' is not a folder")
        }
        guard access(dir, W_OK | X_OK) == 0 else {
            throw TangentFlowError.io(path: path, reason: "its folder '\(dir)' is not writable")
        }
    }

    /// `.<name>.tmp-<pid>-<n>` beside `path`, created exclusively (mode 0644 less the umask).
    private static func createTemporary(beside path: String) throws -> (Int32, String) {
        let dir = folder(of: path)
        let name = (path as NSString).lastPathComponent
        for _ in 0..<100 {
            let candidate = (dir as NSString).appendingPathComponent(".\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            // Read and write: the direct route reads back the unaligned tail of what it wrote before it.
            let fd = open(candidate, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 { return (fd, candidate) }
            if errno != EEXIST {
                throw TangentFlowError.io(path: path, reason: "cannot create a file in '\(dir)': \(errnoText())")
            }
        }
        throw TangentFlowError.io(path: path, reason: "cannot create a temporary file in '\(dir)'")
    }

    private static func syncFolder(of path: String) {
        let fd = open(folder(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    static func errnoText(_ code: Int32 = errno) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }
}
