// Argument checks shared by the Wasserstein module's public entry points: validate, then compute. The
// probability-vector check lives in the core (Matrix/Matrix+Validation.swift), which the transport kernels share.

import TangentFlow


/// Throws `.invalidArgument` unless `value` is finite and `> 0` (a step γ, τ, a tolerance, …).
func requirePositive(_ value: Double, _ operation: String, _ name: String) throws {
    guard value.isFinite, value > 0 else {
        throw TangentFlowError.invalidArgument(operation: operation, reason: "\(name) must be finite and > 0, got \(value)")
    }
}

/// Throws `.invalidArgument` unless `value ≥ minimum` (an iteration count, a size, …).
func requireAtLeast(_ value: Int, _ minimum: Int, _ operation: String, _ name: String) throws {
    guard value >= minimum else {
        throw TangentFlowError.invalidArgument(operation: operation, reason: "\(name) must be ≥ \(minimum), got \(value)")
    }
}
