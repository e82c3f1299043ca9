/// Checks that `p` is a probability vector of the given length: finite, non-negative, summing to 1 within
/// `1e-10 + count·ε` (rounding of a sum of `count` terms). Throws a message naming the offending entry or sum.
func requireProbabilityVector(_ p: [Double], count: Int, _ operation: String, _ name: String) throws {
    guard p.count == count else {
        throw TangentFlowError.shapeMismatch(operation: operation, expected: "\(name) of length \(count)", got: "length \(p.count)")
    }
    var sum = 0.0
    for (k, v) in p.enumerated() {
        guard v.isFinite else { throw TangentFlowError.nonFinite(operation: operation, argument: name, row: k, column: 0) }
        guard v >= 0 else {
            throw TangentFlowError.invalidArgument(operation: operation, reason: "\(name)[\(k)] = \(v) is a negative mass")
        }
        sum += v
    }
    let slack = 1e-10 + Double(count) * Double.ulpOfOne
    guard abs(sum - 1) <= slack else {
        throw TangentFlowError.invalidArgument(
            operation: operation, reason: "\(name) sums to \(sum), not 1 (tolerance \(slack)): masses must be a probability vector")
    }
}
