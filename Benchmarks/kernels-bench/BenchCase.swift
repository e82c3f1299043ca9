import TangentFlow

/// One benchmark: the same computation through the C path and (optionally) the pure-Swift path.
struct BenchCase {
    /// Stable case name (`ntk-mlp-ref`, `gemm`, …); `--filter` matches substrings of it.
    let name: String
    /// Size label (`1280x1280`, `n=512`).
    let size: String
    /// Flops of one run, where a count is defined.
    var flops: Double? = nil
    /// The C path.
    let c: () throws -> Matrix
    /// The pure-Swift path (`nil`: C only, e.g. floors and ceilings).
    var swift: (() throws -> Matrix)? = nil
    /// Relative agreement required before timing.
    var tolerance = 1e-10
    /// Repetitions cap for the Swift path (slow at large sizes).
    var swiftReps: Int? = nil
    /// Extra C-path variants timed in the same run (label, closure), e.g. a reused output buffer.
    var variants: [(String, () throws -> Void)] = []
    /// What the numbers mean, printed under the table.
    var note: String? = nil
}

/// Relative Frobenius error.
func relativeDifference(_ a: Matrix, _ b: Matrix) -> Double {
    guard a.rows == b.rows, a.cols == b.cols else { return .infinity }
    var num = 0.0, den = 0.0
    for k in 0..<a.elements.count {
        let d = a.elements[k] - b.elements[k]
        num += d * d
        den += b.elements[k] * b.elements[k]
    }
    return (num / max(den, .leastNormalMagnitude)).squareRoot()
}
