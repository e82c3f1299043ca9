import Foundation

/// Every failure the package reports. Each case carries the numbers a user needs to fix the call, and
/// `description` says in one sentence what was wrong.
///
/// Public entry points validate their arguments before computing and throw one of these; the C layer returns a
/// status code that `TangentFlowError.check(_:operation:)` maps here. Nothing in the package traps on bad input.
public enum TangentFlowError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Operand shapes do not fit together: `expected` and `got` are written as `rows×cols` (or a length).
    case shapeMismatch(operation: String, expected: String, got: String)
    /// An operand has no rows or no columns where at least one of each is needed.
    case emptyInput(operation: String, argument: String)
    /// An operand holds NaN or ±∞ at (row, column), 0-based.
    case nonFinite(operation: String, argument: String, row: Int, column: Int)
    /// An argument is out of its domain (a negative tolerance, α outside [0, 1], an unknown name, …).
    case invalidArgument(operation: String, reason: String)
    /// A matrix required to be symmetric is not, within the stated tolerance.
    case notSymmetric(operation: String, maxAsymmetry: Double, tolerance: Double)
    /// A matrix required to be positive definite is not (Cholesky failed at this 1-based leading minor).
    case notPositiveDefinite(operation: String, minor: Int)
    /// A LAPACK routine reported `info ≠ 0` (`info < 0`: argument `-info` was illegal; `info > 0`: see the routine).
    case lapackFailure(routine: String, info: Int)
    /// The SVD iteration did not converge (dgesdd, then dgesvd, both returned `info > 0`).
    case svdDidNotConverge(routine: String, info: Int)
    /// The symmetric eigensolver did not converge.
    case eigenDidNotConverge(routine: String, info: Int)
    /// An output or workspace would need more memory than allowed or available; raised before allocating.
    case insufficientMemory(operation: String, bytesNeeded: Int, bytesAvailable: Int)
    /// Reading or writing a file failed at the operating-system level.
    case io(path: String, reason: String)
    /// A file is not what it claims (bad magic, header, dtype, truncated data, …).
    case malformedFile(path: String, reason: String)
    /// An iterative solver stopped at its iteration cap with its residual (e.g. a marginal error) above target.
    case didNotConverge(operation: String, iterations: Int, residual: Double, tolerance: Double)

    /// A one-line human-readable description.
    public var description: String {
        switch self {
        case let .shapeMismatch(op, expected, got):
            return "\(op): shape mismatch: expected \(expected), got \(got)"
        case let .emptyInput(op, arg):
            return "\(op): \(arg) is empty (it needs at least one row and one column)"
        case let .nonFinite(op, arg, r, c):
            return "\(op): \(arg) has a non-finite entry (NaN or ±inf) at row \(r), column \(c)"
        case let .invalidArgument(op, reason):
            return "\(op): \(reason)"
        case let .notSymmetric(op, asym, tol):
            return "\(op): matrix is not symmetric: max |A - Aᵀ| = \(asym) exceeds tolerance \(tol)"
        case let .notPositiveDefinite(op, minor):
            return "\(op): matrix is not positive definite (leading minor \(minor) is not positive)"
        case let .lapackFailure(routine, info):
            return info < 0
                ? "\(routine): LAPACK rejected argument \(-info) (info = \(info))"
                : "\(routine): LAPACK failed with info = \(info)"
        case let .svdDidNotConverge(routine, info):
            return "\(routine): SVD did not converge (\(info) superdiagonals did not converge to zero)"
        case let .eigenDidNotConverge(routine, info):
            return "\(routine): symmetric eigensolver did not converge (info = \(info))"
        case let .insufficientMemory(op, need, avail):
            return "\(op): needs \(formatBytes(need)) but only \(formatBytes(avail)) may be used; "
                + "use a streamed or matrix-free path, fewer samples, or raise the limit"
        case let .io(path, reason):
            return "\(path): \(reason)"
        case let .malformedFile(path, reason):
            return "\(path): not a valid file: \(reason)"
        case let .didNotConverge(op, iterations, residual, tolerance):
            return "\(op): did not converge in \(iterations) iterations (residual \(residual), target \(tolerance))"
        }
    }
}

/// Human-readable byte count (binary units), used in error messages and reports.
package func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}
