import CommandLineSupport
import Foundation

/// `--name a,b,c`: 1…`maxCount` comma-separated integers in `range`, or a usage error naming the option.
func integerList(_ p: ParsedArguments, _ name: String, range: ClosedRange<Int>, maxCount: Int) throws -> [Int] {
    let text = try p.required(name)
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, parts.count <= maxCount, parts.allSatisfy({ $0 != nil && range.contains($0!) }) else {
        throw UsageError.invalid(name, text, expected: "1 to \(maxCount) comma-separated integers in \(range.lowerBound)…\(range.upperBound)")
    }
    return parts.map { $0! }
}

/// `--name a,b,c`: 1…`maxCount` comma-separated finite numbers in `[lower, upper]` (`lower > 0`), or a usage error naming
/// the option.
func positiveList(_ p: ParsedArguments, _ name: String, lower: Double, upper: Double, maxCount: Int) throws -> [Double] {
    let text = try p.required(name)
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, parts.count <= maxCount, parts.allSatisfy({ $0 != nil && $0!.isFinite && $0! >= lower && $0! <= upper }) else {
        throw UsageError.invalid(name, text, expected: "1 to \(maxCount) comma-separated numbers in [\(lower), \(upper)]")
    }
    return parts.map { $0! }
}

/// Least-squares slope of `y` against `x`.
func leastSquaresSlope(_ x: [Double], _ y: [Double]) -> Double {
    let n = Double(x.count)
    let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
    var sxy = 0.0, sxx = 0.0
    for i in 0..<x.count {
        sxy += (x[i] - mx) * (y[i] - my)
        sxx += (x[i] - mx) * (x[i] - mx)
    }
    return sxy / sxx
}
