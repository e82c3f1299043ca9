// Argument checks shared by the Wasserstein module's public entry points: validate, then compute.

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

/// Largest allowed `|Σ p_k − 1|` for a probability vector: a few hundred ulps of the sum of `count` terms, so
/// that normalised data passes and a mass that was never normalised does not.
func simplexTolerance(_ count: Int) -> Double { 1e-12 * Double(max(count, 1)).squareRoot() + 1e-13 }

/// Throws unless `masses` has `count` entries, all finite and `≥ 0`, summing to 1 within `simplexTolerance`.
///
/// Errors: `.shapeMismatch` (wrong length), `.nonFinite` (NaN/±∞ at index k, reported as row k),
/// `.invalidArgument` (a negative mass, or a total mass other than 1).
func requireProbabilityVector(_ masses: [Double], count: Int, _ operation: String, _ name: String) throws {
    guard masses.count == count else {
        throw TangentFlowError.shapeMismatch(operation: operation, expected: "\(name) of length \(count)", got: "length \(masses.count)")
    }
    try requireFinite(masses, operation, name)
    if let k = masses.firstIndex(where: { $0 < 0 }) {
        throw TangentFlowError.invalidArgument(operation: operation, reason: "\(name) has a negative mass \(masses[k]) at index \(k); masses must be ≥ 0")
    }
    let total = masses.reduce(0, +)
    guard abs(total - 1) <= simplexTolerance(count) else {
        throw TangentFlowError.invalidArgument(operation: operation, reason: "\(name) must sum to 1 (a probability vector), but sums to \(total); divide by the total")
    }
}
