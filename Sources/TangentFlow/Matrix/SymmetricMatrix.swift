/// A square matrix known to be symmetric, `A = Aᵀ`, stored in full (both triangles equal).
///
/// Construction checks `max |a_ij − a_ji| ≤ tolerance · max(1, max |a_ij|)` and then symmetrises exactly
/// (`(A + Aᵀ)/2`), so downstream eigensolvers see an exactly symmetric input.
public struct SymmetricMatrix: Sendable {
    /// The full symmetric matrix.
    public let matrix: Matrix
    /// Order `n`.
    public var n: Int { matrix.rows }

    /// Wraps `a` after checking that it is square, finite and symmetric to `tolerance` (relative to its largest entry).
    /// - Throws: `.shapeMismatch`, `.nonFinite`, `.notSymmetric`.
    public init(_ a: Matrix, tolerance: Double = 1e-12) throws {
        let op = "SymmetricMatrix"
        try a.requireSquare(op, "A")
        try a.requireFinite(op, "A")
        try requireNonNegative(tolerance, op, "tolerance")
        let n = a.rows
        var asym = 0.0
        var sym = a
        for j in 0..<n {
            for i in 0..<j {
                let x = a.elements[i + j * n]
                let y = a.elements[j + i * n]
                asym = Swift.max(asym, Swift.abs(x - y))
                let m = 0.5 * (x + y)
                sym.elements[i + j * n] = m
                sym.elements[j + i * n] = m
            }
        }
        let bound = tolerance * Swift.max(1, a.maxAbs)
        guard asym <= bound else { throw TangentFlowError.notSymmetric(operation: op, maxAsymmetry: asym, tolerance: bound) }
        matrix = sym
    }

    init(unchecked a: Matrix) { matrix = a }
}
