import Foundation
import Testing

/// Runs the built `tangentflow` executable (built beside the test bundle by `swift build --build-tests`).
enum CLIRunner {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        let exitedNormally: Bool
    }

    static var executable: URL? {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = here.deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("tangentflow")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    static func run(_ args: [String], timeout: TimeInterval = 120) throws -> Result {
        let exe = try #require(executable, "the tangentflow executable is not built; run `swift build --build-tests` first")
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        // Files, not pipes: no reader threads, and a chatty child cannot block on a full pipe.
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("tangentflow-cli-\(UUID().uuidString)")
        let outURL = base.appendingPathExtension("out"), errURL = base.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        p.standardOutput = try FileHandle(forWritingTo: outURL)
        p.standardError = try FileHandle(forWritingTo: errURL)
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(2000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        let out = (try? Data(contentsOf: outURL)) ?? Data(), err = (try? Data(contentsOf: errURL)) ?? Data()
        return Result(
            status: p.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self),
            exitedNormally: p.terminationReason == .exit)
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tangentflow-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }
}
