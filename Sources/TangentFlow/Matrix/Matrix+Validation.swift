// Validation helpers shared by every public entry point: validate, then compute (BLIS `bli_l3_check.c`).

extension Matrix {
    /// Throws `.nonFinite` naming the first NaN/±∞ entry (row, column), scanning in storage order.
    func requireFinite(_ operation: String, _ argument: String) throws {
        try elements.withUnsafeBufferPointer { p in
            for k in 0..<p.count where !p[k].isFinite {
                throw TangentFlowError.nonFinite(operation: operation, argument: argument, row: k % rows, column: k / rows)
            }
        }
    }

    /// Throws `.emptyInput` when the matrix has no rows or no columns.
    func requireNonEmpty(_ operation: String, _ argument: String) throws {
        if isEmpty { throw TangentFlowError.emptyInput(operation: operation, argument: argument) }
    }

    /// Throws `.shapeMismatch` unless the matrix is square.
    func requireSquare(_ operation: String, _ argument: String) throws {
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
    var shapeString: String { "\(rows)×\(cols)" }
}

/// Throws `.nonFinite` naming the first NaN/±∞ entry of a vector (reported as row `k`, column 0).
func requireFinite(_ values: [Double], _ operation: String, _ argument: String) throws {
    for (k, v) in values.enumerated() where !v.isFinite {
        throw TangentFlowError.nonFinite(operation: operation, argument: argument, row: k, column: 0)
    }
}

/// Throws `.shapeMismatch` ("`argument` of length `length`") unless `values` has `length` entries, then as
/// `requireFinite`.
func requireVector(_ values: [Double], length: Int, _ operation: String, _ argument: String) throws {
    guard values.count == length else {
        throw TangentFlowError.shapeMismatch(operation: operation, expected: "\(argument) of length \(length)", got: "length \(values.count)")
    }
    try requireFinite(values, operation, argument)
}

/// Throws `.invalidArgument` unless `value` is finite and `value ≥ 0`.
func requireNonNegative(_ value: Double, _ operation: String, _ name: String) throws {
    guard value.isFinite, value >= 0 else {
        throw TangentFlowError.invalidArgument(operation: operation, reason: "\(name) must be finite and ≥ 0, got \(value)")
    }
}
