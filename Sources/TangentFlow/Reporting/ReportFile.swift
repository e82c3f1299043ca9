// Writing a report's text to disk, shared by CSVTable and the SVG types, so every report file fails the same way.

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes whole text files for the reporting types.
enum ReportFile {
    /// Creates or truncates `path` and writes `text` as UTF-8.
    ///
    /// Throws: `TangentFlowError.io(path:reason:)` with the operating system's reason (missing directory,
    /// permissions, full disk, …). A failed write may leave a truncated file behind.
    static func write(_ text: String, to path: String) throws {
        guard let file = fopen(path, "wb") else {
            throw TangentFlowError.io(path: path, reason: "cannot open for writing: \(errnoText())")
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        let writeError = written == bytes.count ? 0 : errno
        let closed = fclose(file)
        if written != bytes.count {
            throw TangentFlowError.io(path: path, reason: "wrote \(written) of \(bytes.count) bytes: "
                + errnoText(writeError))
        }
        if closed != 0 {
            throw TangentFlowError.io(path: path, reason: "cannot finish writing: \(errnoText())")
        }
    }

    private static func errnoText(_ code: Int32 = errno) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }
}
