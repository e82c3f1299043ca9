// Validation helpers shared by every public entry point: validate, then compute (BLIS `bli_l3_check.c`).

extension Matrix {
    /// Throws `.nonFinite` naming the first NaN/±∞ entry (row, column), scanning in storage order.
    package func requireFinite(_ operation: String, _ argument: String) throws {
        try elements.withUnsafeBufferPointer { p in
            for k in 0..<p.count where !p[k].isFinite {
                throw TangentFlowError.nonFinite(operation: operation, argument: argument, row: k % rows, column: k / rows)
            }
        }
    }

    /// Throws `.emptyInput` when the matrix has no rows or no columns.
    package func requireNonEmpty(_ operation: String, _ argument: String) throws {
        if isEmpty { throw TangentFlowError.emptyInput(operation: operation, argument: argument) }
    }

    /// Throws `.shapeMismatch` unless the matrix is square.
    package func requireSquare(_ operation: String, _ argument: String) throws {
        guard rows == cols else {
            throw TangentFlowError.shapeMismatch(operation: operation, expected: "\(argument) square", got: "\(rows)×\(cols)")
        }
    }

    /// Throws `.shapeMismatch` unless the shape is exactly `rows×cols`.
    package func requireShape(_ rows: Int, _ cols: Int, _ operation: String, _ argument: String) throws {
        guard self.rows == rows, self.cols == cols else {
            throw TangentFlowError.shapeMismatch(
                operation: operation, expected: "\(argument) of shape \(rows)×\(cols)", got: "\(self.rows)×\(self.cols)")
        }
    }

    /// `"rows×cols"`, for messages.
    package var shapeString: String { "\(rows)×\(cols)" }
}

/// Throws `.nonFinite` naming the first NaN/±∞ entry of a vector (reported as row `k`, column 0).
package func requireFinite(_ values: [Double], _ operation: String, _ argument: String) throws {
    for (k, v) in values.enumerated() where !v.isFinite {
        throw TangentFlowError.nonFinite(operation: operation, argument: argument, row: k, column: 0)
    }
}

/// Throws `.shapeMismatch` ("`argument` of length `length`") unless `values` has `length` entries, then as
/// `requireFinite`.
package func requireVector(_ values: [Double], length: Int, _ operation: String, _ argument: String) throws {
    guard values.count == length else {
        throw TangentFlowError.shapeMismatch(operation: operation, expected: "\(argument) of length \(length)", got: "length \(values.count)")
    }
    try requireFinite(values, operation, argument)
}

/// Throws `.invalidArgument` unless `value` is finite and `value ≥ 0`.
package func requireNonNegative(_ value: Double, _ operation: String, _ name: String) throws {
    guard value.isFinite, value >= 0 else {
        throw TangentFlowError.invalidArgument(operation: operation, reason: "\(name) must be finite and ≥ 0, got \(value)")
    }
}

/// Largest allowed `|Σ p_k − 1|` for a probability vector: a few hundred ulps of the sum of `count` terms, so
/// that normalised data passes and a mass that was never normalised does not.
func simplexTolerance(_ count: Int) -> Double { 1e-12 * Double(max(count, 1)).squareRoot() + 1e-13 }

/// Throws unless `masses` has `count` entries, all finite and `≥ 0`, summing to 1 within `simplexTolerance`.
///
/// Errors: `.shapeMismatch` (wrong length), `.nonFinite` (NaN/±∞ at index k, reported as row k),
/// `.invalidArgument` (a negative mass, or a total mass other than 1).
package func requireProbabilityVector(_ masses: [Double], count: Int, _ operation: String, _ name: String) throws {
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
