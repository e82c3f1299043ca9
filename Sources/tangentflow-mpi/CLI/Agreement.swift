import CommandLineSupport
import Foundation
import TangentFlowDistributed

/// The error every rank throws after `agreeKeepingStatus`: the lowest failing rank's exit status, message and
/// hint, so that every rank exits alike and rank 0 prints what went wrong wherever it happened.
private struct RankFailure: Error, CustomStringConvertible {
    let status: ExitStatus
    let message: String
    let hint: String?
    /// Message and hint travel as one string between ranks, separated by U+001F.
    var description: String { hint.map { message + "\u{1F}" + $0 } ?? message }
}

/// COLLECTIVE. Runs `body` on every rank; if it threw on any rank, every rank throws a `CommandFailure` with the
/// exit status, message and hint that rank's error has under the exit-status contract (`ExitStatus.of`), the
/// message prefixed "rank r:" when the job has more than one rank.
func agreeKeepingStatus<T>(_ body: () throws -> T) throws -> T {
    do {
        return try Distributed.agree("", code: { ($0 as? RankFailure)?.status.rawValue ?? ExitStatus.of($0).rawValue }) {
            do { return try body() } catch {
                let (message, hint) = describe(error)
                throw RankFailure(status: ExitStatus.of(error), message: message, hint: hint)
            }
        }
    } catch let e as DistributedError {
        var parts = e.message.split(separator: "\u{1F}", maxSplits: 1).map(String.init)
        if Distributed.size == 1, parts.first?.hasPrefix("rank 0: ") == true { parts[0].removeFirst("rank 0: ".count) }
        let status = ExitStatus(rawValue: Int32(clamping: e.status)) ?? .internalError
        throw CommandFailure(status, parts.first ?? "failed", hint: parts.count > 1 ? parts[1] : nil)
    }
}

extension RunCoordination {
    /// Rank 0 checks the input files and the outputs, creates output folders and writes `run.json`; the other
    /// ranks agree on its verdict.
    static let mpi = RunCoordination(writesOutputs: Distributed.rank == 0, agree: { body in try agreeKeepingStatus(body) })
}
