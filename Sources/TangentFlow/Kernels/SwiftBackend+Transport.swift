// The transport kernels of `SwiftBackend`: the pure-Swift twins of `CBackend+Transport.swift`
// (`Swift/SwiftGridSinkhorn.swift`, `Swift/SwiftGridLogKernel.swift`, `Swift/SwiftAssignment.swift`,
// `Swift/SwiftPairwiseDistances.swift`). Same validation, same result types.

extension SwiftBackend {
    /// Log-domain grid Sinkhorn with direct log-sum-exps (`SwiftGridSinkhorn`), see
    /// `Kernels.gridSinkhorn(grid:a:b:options:)`.
    public func gridSinkhorn(grid: RegularGrid2D, a: [Double], b: [Double], options: SinkhornOptions) throws -> SinkhornResult {
        try KernelValidation.gridSinkhorn(grid, a, b, options)
        return try SwiftGridSinkhorn.solve(grid: grid, a: a, b: b, options: options)
    }

    /// `⟨P, C⟩` and `Σ P` by three separable direct log-sum-exp kernel applications (`SwiftGridSinkhorn`), see
    /// `Kernels.gridTransportCost(grid:f:g:regularization:)`.
    public func gridTransportCost(grid: RegularGrid2D, f: [Double], g: [Double], regularization: Double) throws
        -> (cost: Double, mass: Double)
    {
        try KernelValidation.gridTransportCost(grid, f, g, regularization)
        return SwiftGridSinkhorn.transportCost(grid: grid, f: f, g: g, regularization: regularization)
    }

    /// The grid log-kernel by direct log-sum-exps (`SwiftGridLogKernel`), see `Kernels.gridLogKernel(grid:epsilon:)`.
    public func gridLogKernel(grid: RegularGrid2D, epsilon: Double) throws -> any PreparedGridLogKernel {
        try SwiftGridLogKernel(grid: grid, epsilon: epsilon)
    }

    /// The Hungarian method in its shortest-augmenting-path form (`SwiftAssignment`), see
    /// `Kernels.linearAssignment(cost:)`.
    public func linearAssignment(cost: Matrix) throws -> LinearAssignmentResult {
        try KernelValidation.linearAssignment(cost)
        return LinearAssignmentResult.solving(cost) { down in
            // Row-major copy: the solver scans one row of C at a time.
            SwiftAssignment.solve(rowMajorCost: cost.rowMajorElements.map { $0 * down }, size: cost.rows)
        }
    }

    /// The Hungarian method on the smaller side (`SwiftAssignment.solveRows`, `nil` when a search meets only `+∞`),
    /// see `Kernels.rectangularAssignment(cost:)`.
    public func rectangularAssignment(cost: Matrix) throws -> RectangularAssignmentResult? {
        try KernelValidation.rectangularAssignment(cost)
        return RectangularAssignmentResult.solving(cost) { rowMajor, n, m in
            SwiftAssignment.solveRows(rowMajorCost: rowMajor, rows: n, cols: m)
        }
    }

    /// The pairwise costs by direct differences, then the square solver (no warm start: it is exact from any
    /// start), see `Kernels.pointAssignment(_:_:warmStart:)`.
    public func pointAssignment(_ x: Matrix, _ y: Matrix, warmStart: [Double]?) throws -> LinearAssignmentResult {
        try KernelValidation.pointAssignment(x, y, warmStart)
        let r = try linearAssignment(cost: pairwiseSquaredDistances(x, y))
        var total = 0.0
        for i in 0..<x.rows {
            for t in 0..<x.cols { let e = x[i, t] - y[r.permutation[i], t]; total += e * e }
        }
        return LinearAssignmentResult(
            permutation: r.permutation, totalCost: total, rowPotentials: r.rowPotentials, columnPotentials: r.columnPotentials)
    }

    /// `C_ij = |x_i − y_j|²` by direct differences (`swiftPairwiseSquaredDistances`), see
    /// `Kernels.pairwiseSquaredDistances(_:_:)`.
    public func pairwiseSquaredDistances(_ x: Matrix, _ y: Matrix) throws -> Matrix {
        try KernelValidation.pairwiseSquaredDistances(x, y)
        return swiftPairwiseSquaredDistances(x, y)
    }
}
