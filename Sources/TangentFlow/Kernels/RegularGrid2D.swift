/// A regular (tensor-product) grid in R²: points `x_k = (x1[i], x2[j])` flattened as `k = i·n2 + j` (the first
/// coordinate varies slowest, as NumPy's `meshgrid(..., indexing="ij").reshape(-1)`). With the cost
/// `C_kl = ½|x_k − x_l|²` its Gibbs kernel `e^{−C/ε}` is the product of two 1-D kernels (DESIGN.md), which is
/// what makes grid Sinkhorn `O(n³)` per iteration instead of `O(n⁴)`.
public struct RegularGrid2D: Sendable, Equatable {
    /// Coordinates along the first axis (`n1` values).
    public let x1: [Double]
    /// Coordinates along the second axis (`n2` values).
    public let x2: [Double]

    /// A grid from its axis coordinates (finite, at least one each; need not be equally spaced).
    public init(x1: [Double], x2: [Double]) throws {
        guard !x1.isEmpty else { throw TangentFlowError.emptyInput(operation: "RegularGrid2D", argument: "x1") }
        guard !x2.isEmpty else { throw TangentFlowError.emptyInput(operation: "RegularGrid2D", argument: "x2") }
        try requireFinite(x1, "RegularGrid2D", "x1")
        try requireFinite(x2, "RegularGrid2D", "x2")
        self.x1 = x1
        self.x2 = x2
    }

    /// The `n×n` grid of the unit square, points `(i/(n−1), j/(n−1))` (the `tangentflow ot sinkhorn-grid`
    /// convention); `n ≥ 2`.
    public static func unitSquare(_ n: Int) throws -> RegularGrid2D {
        guard n >= 2 else {
            throw TangentFlowError.invalidArgument(operation: "RegularGrid2D.unitSquare", reason: "n must be at least 2, got \(n)")
        }
        let axis = (0..<n).map { Double($0) / Double(n - 1) }
        return try RegularGrid2D(x1: axis, x2: axis)
    }

    /// Number of grid points `n1·n2`.
    public var count: Int { x1.count * x2.count }

    /// The point with flat index `k = i·n2 + j`.
    public func point(_ k: Int) -> (Double, Double) { (x1[k / x2.count], x2[k % x2.count]) }

    /// The cost `C_kl = ½|x_k − x_l|²`.
    public func cost(_ k: Int, _ l: Int) -> Double {
        let (a1, a2) = point(k), (b1, b2) = point(l)
        return 0.5 * ((a1 - b1) * (a1 - b1) + (a2 - b2) * (a2 - b2))
    }

    /// The largest cost between two grid points, `½(range(x1)² + range(x2)²)`.
    public var maximumCost: Double {
        let r1 = (x1.max()! - x1.min()!), r2 = (x2.max()! - x2.min()!)
        return 0.5 * (r1 * r1 + r2 * r2)
    }
}
