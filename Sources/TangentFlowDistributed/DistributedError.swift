/// A failure of a collective operation, identical on every rank: the distributed layer agrees on every status
/// before any rank leaves a call, so one rank's bad input fails the whole job with this one message.
public struct DistributedError: Error, CustomStringConvertible, Sendable {
    /// The C status (`CD_E*`, `CK_E*`, or a positive ScaLAPACK `info`).
    public let status: Int
    /// What went wrong, naming the first rank that failed (`"rank 2: θ[5] is NaN"`).
    public let message: String
    /// The operation that failed.
    public let operation: String

    /// A failure of `operation` (status as above).
    public init(status: Int, message: String, operation: String) {
        self.status = status
        self.message = message
        self.operation = operation
    }

    public var description: String { "\(operation): \(message)" }
}
