import TangentFlow

/// The exit-status contract of `tangentflow` and `tangentflow-mpi` (sysexits-style; README "Exit status").
package enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Finished, and every number written or printed as a result is finite.
    case success = 0
    /// A command-line mistake, whichever layer finds it (EX_USAGE).
    case usage = 64
    /// An input file's content is not acceptable: malformed, non-finite, wrong shape, infeasible (EX_DATAERR).
    case dataError = 65
    /// An input file is missing, unreadable or not a regular file (EX_NOINPUT).
    case noInput = 66
    /// Refused before allocating: the work needs more memory than is available (EX_UNAVAILABLE).
    case memory = 69
    /// An internal error: a bug (EX_SOFTWARE).
    case internalError = 70
    /// An output cannot be created: missing folder, a directory in the way, no permission (EX_CANTCREAT).
    case cannotCreate = 73
    /// Reading or writing failed part-way: full disk, file-size limit, short read (EX_IOERR).
    case ioError = 74
    /// Stopped at a limit (step or iteration cap), did not converge, or a result is not finite (EX_TEMPFAIL:
    /// rerun with a larger cap or another setting).
    case stopped = 75

    /// One line for the README and `--help`.
    package var meaning: String {
        switch self {
        case .success: return "finished; every number written is finite"
        case .usage: return "command-line mistake (unknown option, bad or out-of-range value, missing option)"
        case .dataError: return "bad input data (malformed file, NaN/Inf, wrong shape, infeasible problem)"
        case .noInput: return "input file missing, unreadable or not a regular file"
        case .memory: return "refused: needs more memory than is available"
        case .internalError: return "internal error (a bug: please report it)"
        case .cannotCreate: return "cannot create an output (folder missing, not writable, a directory in the way)"
        case .ioError: return "I/O error while reading or writing (disk full, file-size limit)"
        case .stopped: return "stopped at a limit or did not converge, or a result is not finite"
        }
    }

    /// The status for an error thrown by a command.
    package static func of(_ error: Error) -> ExitStatus {
        switch error {
        case is UsageError: return .usage
        case let e as CommandFailure: return e.status
        case let e as StatusReportingError: return e.exitStatus
        case let e as TangentFlowError:
            switch e {
            case .shapeMismatch, .emptyInput, .nonFinite, .notSymmetric, .notPositiveDefinite, .malformedFile,
                 .invalidArgument:
                return .dataError
            case let .lapackFailure(_, info): return info < 0 ? .internalError : .stopped
            case .svdDidNotConverge, .eigenDidNotConverge, .didNotConverge: return .stopped
            case .insufficientMemory: return .memory
            case let .io(_, reason):
                if reason.hasPrefix("cannot open for reading") || reason.hasPrefix("cannot stat")
                    || reason.hasPrefix("not a regular file") || reason.hasPrefix("no such file") {
                    return .noInput
                }
                if reason.contains("does not exist") || reason.contains("is a directory") || reason.contains("not writable")
                    || reason.contains("not a folder") || reason.contains("cannot create") || reason.contains("an empty path") {
                    return .cannotCreate
                }
                return .ioError
            }
        default: return .internalError
        }
    }
}

/// A failure with an explicit exit status and a one-line message (plus an optional hint line).
package struct CommandFailure: Error, Sendable {
    package let status: ExitStatus
    package let message: String
    package var hint: String? = nil

    /// A failure with its status and message.
    package init(_ status: ExitStatus, _ message: String, hint: String? = nil) {
        self.status = status
        self.message = message
        self.hint = hint
    }
}

/// Runs `body`; a property of the data it rejects (`.invalidArgument`, `.notSymmetric`, `.notPositiveDefinite`)
/// becomes a data error (65) whose message starts with `subject` (the options and files concerned) and carries
/// `hint`. Other errors pass through unchanged.
package func reportingInvalidData<T>(_ subject: String, hint: String? = nil, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as TangentFlowError {
        switch e {
        case .invalidArgument, .notSymmetric, .notPositiveDefinite:
            throw CommandFailure(.dataError, "\(subject): \(e.description)", hint: hint)
        default: throw e
        }
    }
}

/// An error of another layer that knows its exit status and one-line message (e.g. the distributed layer's
/// agreed failures, given a conformance by `tangentflow-mpi`).
package protocol StatusReportingError: Error {
    /// The exit status the error stands for.
    var exitStatus: ExitStatus { get }
    /// One line naming what failed.
    var statusMessage: String { get }
}
