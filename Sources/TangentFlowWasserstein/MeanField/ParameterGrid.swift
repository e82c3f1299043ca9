import TangentFlow

/// A regular `n×n` grid `θ_k = (u_{k1}, u_{k2})` on `[lower, upper]²`, the support of the mean-field measures
/// (§4, §10.1 of file 004; MATH.md §6). The grid fixes the neurons' scale: with neurons `θ = (w, b)` a density on
/// it can only represent slopes and offsets inside the box.
///
/// Point `k = i1 + n·i2` is `(axis[i1], axis[i2])` (first coordinate fastest, like a column-major `n×n` array).
/// Ground cost `c_kl = |θ_k − θ_l|²`.
public struct ParameterGrid: Sendable {
    /// Points per axis `n ≥ 2`.
    public let pointsPerAxis: Int
    /// Lower end of both axes.
    public let lower: Double
    /// Upper end of both axes.
    public let upper: Double

    /// The `n` equispaced coordinates `lower + (upper − lower)·i/(n − 1)`.
    public var axis: [Double] {
        (0..<pointsPerAxis).map { lower + (upper - lower) * Double($0) / Double(pointsPerAxis - 1) }
    }
    /// Number of grid points `n²`.
    public var count: Int { pointsPerAxis * pointsPerAxis }
    /// Grid spacing `(upper − lower)/(n − 1)`.
    public var spacing: Double { (upper - lower) / Double(pointsPerAxis - 1) }

    /// A grid with `pointsPerAxis ≥ 2` points per axis on `[lower, upper]²`.
    /// - Throws: `.invalidArgument` for `n < 2`, non-finite bounds or `lower ≥ upper`.
    public init(pointsPerAxis: Int, lower: Double, upper: Double) throws {
        let op = "ParameterGrid"
        try requireAtLeast(pointsPerAxis, 2, op, "pointsPerAxis")
        guard lower.isFinite, upper.isFinite, lower < upper else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "bounds must be finite with lower < upper, got [\(lower), \(upper)]")
        }
        self.pointsPerAxis = pointsPerAxis
        self.lower = lower
        self.upper = upper
    }

    /// Grid point `θ_k` as `(first, second)` coordinate; `k` in `0..<count` (traps otherwise, like `Array`).
    public func point(_ k: Int) -> (Double, Double) {
        precondition(k >= 0 && k < count, "grid index \(k) out of range 0..<\(count)")
        let a = axis
        return (a[k % pointsPerAxis], a[k / pointsPerAxis])
    }

    /// The grid points as a `count×2` matrix, one point per row.
    public var points: Matrix {
        let a = axis
        var m = Matrix(zerosRows: count, cols: 2)
        for k in 0..<count {
            m.elements[k] = a[k % pointsPerAxis]
            m.elements[k + count] = a[k / pointsPerAxis]
        }
        return m
    }
}
