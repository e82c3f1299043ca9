// Writing SVG documents, each with a PNG copy beside it for slides and editors that do not take SVG.
//
// Goals, in priority order:
// 1. Never a half-written file: the SVG goes through AtomicFile (temporary file, fsync, rename) and the PNG is
//    rendered into a hidden temporary file in the same folder, synced, then renamed over the target.
// 2. Never a failed run because of the PNG: without `rsvg-convert`, or when it fails, the PNG is skipped, one
//    line goes to standard error and the outcome says why.

import Foundation
import TangentFlow
import TangentFlowIO

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes SVG documents atomically, each with a PNG copy at twice the size beside it.
///
/// ```swift
/// let outcome = try SVGFile.write(svgText, to: "results/loss.svg")   // also results/loss.png
/// if let png = outcome.path { print("wrote \(png)") }
/// ```
///
/// The PNG comes from `rsvg-convert` (Debian's `librsvg2-bin`, installed by `scripts/bootstrap.sh`), looked up
/// on the `PATH`: `rsvg-convert -z 2 -o <folder>/.<name>.png.tmp-<pid>-<n> <name>.svg`, then the temporary file
/// is synced and renamed over `<name>.png`, so an interrupted run leaves the old PNG or the whole new one, never
/// a partial one (at worst a hidden temporary file).
///
/// Edge cases: when `rsvg-convert` is not on the `PATH` the PNG is skipped and one line saying so goes to
/// standard error, once per process; when it fails (exit status, signal, no output, failed rename) the PNG is
/// skipped, its temporary file removed, an earlier PNG left as it was, and one line goes to standard error per
/// file. Neither throws.
public enum SVGFile {
    /// What became of the PNG copy of an SVG.
    public enum PNGOutcome: Sendable, Equatable {
        /// The PNG was written at `path`.
        case written(path: String)
        /// No PNG was written, for `reason` (converter missing or failed); the SVG was written all the same.
        case skipped(reason: String)
        /// The caller asked for no PNG.
        case notRequested

        /// The PNG's path when it was written, else `nil`.
        public var path: String? {
            if case let .written(path) = self { return path }
            return nil
        }

        /// The PNG's file name (last path component) when it was written, else `nil`.
        public var fileName: String? { path.map { ($0 as NSString).lastPathComponent } }
    }

    /// Zoom factor of the PNG relative to the SVG's size in px.
    public static let pngZoom = 2

    /// The program that renders the PNG, looked up on the `PATH`.
    public static let converter = "rsvg-convert"

    /// Writes `svg` to `path` atomically (an earlier file at `path` survives a failed write) and, with `png`,
    /// a PNG copy at twice the size beside it (`writePNG(besideSVG:converter:)`).
    ///
    /// - Parameters:
    ///   - svg: the document text, written as UTF-8.
    ///   - path: the SVG file; its folder must exist.
    ///   - png: also write the PNG (default `true`).
    /// - Returns: what became of the PNG.
    /// - Throws: `TangentFlowError.io(path:reason:)` when the SVG cannot be written; never for the PNG.
    @discardableResult
    public static func write(_ svg: String, to path: String, png: Bool = true) throws -> PNGOutcome {
        try ReportFile.write(svg, to: path)
        return png ? writePNG(besideSVG: path) : .notRequested
    }

    /// The PNG path for an SVG path: `.svg` (any letter case) replaced by `.png`, else `.png` appended.
    public static func pngPath(forSVG path: String) -> String {
        path.lowercased().hasSuffix(".svg") ? String(path.dropLast(4)) + ".png" : path + ".png"
    }

    /// Renders the SVG file at `svgPath` to a PNG at `pngPath(forSVG:)`, twice its size, through a temporary file
    /// in the same folder renamed into place.
    ///
    /// - Parameters:
    ///   - svgPath: an SVG file that exists.
    ///   - converter: program name looked up on the `PATH`, or a path containing `/` (default `rsvg-convert`).
    /// - Returns: `.written` with the PNG's path, or `.skipped` with the reason (also written to standard error,
    ///   once per process for a missing converter). `.notRequested` when `svgPath` is `-` (standard output) and
    ///   `.skipped`, without a message, when it is not a regular file (`/dev/null`, a FIFO). Never throws and never
    ///   leaves a partial PNG.
    @discardableResult
    public static func writePNG(besideSVG svgPath: String, converter: String = SVGFile.converter) -> PNGOutcome {
        if svgPath == AtomicFile.standardOutput { return .notRequested }
        var target = stat()
        guard stat(svgPath, &target) == 0, (target.st_mode & S_IFMT) == S_IFREG else {
            return .skipped(reason: "\(svgPath) is not a regular file")
        }
        guard let program = executable(named: converter) else {
            let reason = "\(converter) not found on the PATH (Debian package librsvg2-bin); no PNG copies"
            if missingConverterReported.firstTime() { reportToStandardError("warning: \(reason)") }
            return .skipped(reason: reason)
        }
        let png = pngPath(forSVG: svgPath)
        let folder = (png as NSString).deletingLastPathComponent
        let hidden = ".\((png as NSString).lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let temporary = folder.isEmpty ? hidden : (folder as NSString).appendingPathComponent(hidden)
        var renamed = false
        defer { if !renamed { unlink(temporary) } }

        let failure: String? = {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = ["-z", String(pngZoom), "-o", temporary, svgPath]
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            do {
                try process.run()
            } catch {
                return "cannot start \(program): \(error.localizedDescription)"
            }
            let message = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationReason == .exit, process.terminationStatus == 0 else {
                let firstLine = String(decoding: message, as: UTF8.self).split(separator: "\n").first ?? ""
                let how = process.terminationReason == .exit ? "exit status \(process.terminationStatus)"
                                                             : "signal \(process.terminationStatus)"
                return "\(converter) failed (\(how))" + (firstLine.isEmpty ? "" : ": \(firstLine)")
            }
            let fd = open(temporary, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return "\(converter) wrote no file" }
            var st = stat()
            let empty = fstat(fd, &st) != 0 || st.st_size == 0
            let synced = fsync(fd) == 0
            close(fd)
            if empty { return "\(converter) wrote an empty file" }
            if !synced { return "cannot sync the PNG to disk: \(String(cString: strerror(errno)))" }
            guard rename(temporary, png) == 0 else {
                return "cannot move the PNG into place: \(String(cString: strerror(errno)))"
            }
            renamed = true
            return nil
        }()
        if let reason = failure {
            reportToStandardError("warning: no PNG beside \(svgPath): \(reason)")
            return .skipped(reason: reason)
        }
        return .written(path: png)
    }

    // MARK: - Internals

    /// Set once the missing converter has been reported, so a run writing many figures says it once.
    private static let missingConverterReported = OnceFlag()

    /// A flag that is set by the first `firstTime()` call, thread-safely.
    private final class OnceFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var done = false

        /// `true` for the first call only.
        func firstTime() -> Bool {
            lock.lock()
            defer { lock.unlock() }
            if done { return false }
            done = true
            return true
        }
    }

    /// The executable file `name` names: itself when it contains `/`, else the first match on the `PATH`.
    private static func executable(named name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = (String(folder) as NSString).appendingPathComponent(name)
            var st = stat()
            if stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    private static func reportToStandardError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
