// Writing a report's text to disk, shared by CSVTable and the SVG types, so every report file fails the same way.
import TangentFlow
import TangentFlowIO

/// Writes whole text files for the reporting types.
enum ReportFile {
    /// Writes `text` as UTF-8 to `path` through `AtomicFile` (temporary file, sync, rename): a failed write
    /// leaves any earlier file at `path` untouched.
    ///
    /// Throws: `TangentFlowError.io(path:reason:)` with the operating system's reason (missing directory,
    /// permissions, full disk, …).
    static func write(_ text: String, to path: String) throws {
        try AtomicFile.write(text: text, to: path)
    }
}
