import CommandLineSupport
import TangentFlowDistributed

/// The distributed layer's agreed failures under the exit-status contract: a missing or unreadable input on
/// rank 0 is 66, other bad inputs (NaN, inputs that differ between ranks, shapes) 65, a ScaLAPACK routine that
/// did not converge (positive `info`) 75.
extension DistributedError: StatusReportingError {
    package var exitStatus: ExitStatus {
        if operation == "reading inputs" {
            let missing = ["no such file", "cannot open for reading", "not a regular file", "cannot stat"]
            return missing.contains { message.contains($0) } ? .noInput : .dataError
        }
        return status > 0 ? .stopped : .dataError
    }

    package var statusMessage: String { description }
}
