import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowIO

/// `AtomicFile`: a write replaces the target whole or not at all, never leaves temporary files, and concurrent
/// writers leave one writer's complete bytes.
@Suite struct AtomicFileTests {
    private static func folder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tangentflow-atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    private static func leftovers(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") && $0.contains("tmp") }
    }

    struct Boom: Error {}

    @Test func aFailedWriteKeepsTheEarlierFileAndLeavesNoTemporary() throws {
        let dir = try Self.folder()
        let path = dir + "/out.npy"
        try NpyFile.write(vector: [1, 2, 3], to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: Boom.self) {
            try AtomicFile.write(to: path) { sink in
                try sink.write([UInt8](repeating: 7, count: 1000), at: 0)
                throw Boom()
            }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try Self.leftovers(dir).isEmpty)
        try AtomicFile.write(text: "new", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
        #expect(try Self.leftovers(dir).isEmpty)
    }

    @Test func aFullDiskIsAnIOErrorNamingTheFile() throws {
        let e = #expect(throws: TangentFlowError.self) { try NpyFile.write(vector: [1, 2, 3], to: "/dev/full") }
        guard case let .io(path, reason)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(path == "/dev/full" && reason.contains("No space left"), "\(reason)")
    }

    @Test func badTargetsAreRefusedBeforeWriting() throws {
        let dir = try Self.folder()
        #expect(throws: TangentFlowError.self) { try AtomicFile.checkWritable(dir) }  // a directory
        #expect(throws: TangentFlowError.self) { try AtomicFile.checkWritable(dir + "/missing/x.npy") }
        try AtomicFile.write(text: "x", to: dir + "/file")
        #expect(throws: TangentFlowError.self) { try AtomicFile.checkWritable(dir + "/file/x.npy") }
        #expect(throws: TangentFlowError.self) { try AtomicFile.checkWritableFolder(dir + "/file") }
        #expect(throws: TangentFlowError.self) { try AtomicFile.checkWritableFolder(dir + "/missing/deeper") }
        try AtomicFile.checkWritable(dir + "/new.npy")
        try AtomicFile.checkWritableFolder(dir + "/newfolder")
        try AtomicFile.checkWritable("-")
    }

    @Test func outOfOrderChunksToStandardOutputArriveInOrder() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        AtomicFile.standardOutputDescriptor = fds[1]
        defer { AtomicFile.standardOutputDescriptor = STDOUT_FILENO }
        // A C-order matrix is emitted in tiles, not in file order: the bytes on the pipe must still be np.save's.
        let m = try Matrix(rows: 70, cols: 90, columnMajor: (0..<6300).map { Double($0) })
        try NpyFile.write(m, to: "-")
        close(fds[1])
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        close(fds[0])
        #expect(bytes == NpyFile.encode(m))
    }

    @Test func concurrentWritersLeaveOneCompleteFile() async throws {
        let dir = try Self.folder()
        let path = dir + "/shared.npy"
        let a = (0..<200_000).map { Double($0) }, b = (0..<200_000).map { -Double($0) - 1 }
        let expected = [NpyFile.encode(vector: a), NpyFile.encode(vector: b)].map { Data($0) }
        for _ in 0..<10 {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? NpyFile.write(vector: a, to: path) }
                group.addTask { try? NpyFile.write(vector: b, to: path) }
            }
            #expect(expected.contains(try Data(contentsOf: URL(fileURLWithPath: path))))
        }
        #expect(try Self.leftovers(dir).isEmpty)
    }
}
