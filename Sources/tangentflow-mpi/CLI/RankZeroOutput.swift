import CommandLineSupport
import Foundation
import TangentFlowDistributed

/// Rank 0 alone prints (every rank reaches the same messages: arguments are the same everywhere and errors are
/// agreed).
func say(_ s: String, terminator: String = "\n") {
    guard Distributed.rank == 0 else { return }
    print(s, terminator: terminator)
    fflush(nil)
}

extension CommandLineOutput {
    /// The shared runner's output, written by rank 0 only.
    static let rankZero = CommandLineOutput(
        write: { say($0, terminator: "") },
        writeError: { line in
            guard Distributed.rank == 0 else { return }
            FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
        })
}
