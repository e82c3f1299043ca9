internal import CKernels

// The transport kernels of `CBackend`: `CKernels/sinkhorn_grid.c`, `grid_kernel.c`, `assignment.c`. Their
// pure-Swift twins are in `SwiftBackend+Transport.swift`; the public façades in `TangentFlowWasserstein/Transport/`.

extension CBackend {
    /// Log-domain grid Sinkhorn (`ck_sinkhorn_grid`: separable dgemm passes with exact fallbacks, ε-scaling,
    /// over-relaxation), see `Kernels.gridSinkhorn(grid:a:b:options:)`.
    public func gridSinkhorn(grid: RegularGrid2D, a: [Double], b: [Double], options: SinkhornOptions) throws -> SinkhornResult {
        try KernelValidation.gridSinkhorn(grid, a, b, options)
        var f = [Double](repeating: 0, count: grid.count), g = f
        var opt = ck_sinkhorn_options(
            reg: options.regularization, tol: options.tolerance, max_iterations: options.maxIterations,
            reg_start: options.epsilonScalingStart ?? 0, reg_decay: options.epsilonScalingDecay,
            stage_iterations: options.iterationsPerScale, omega: options.omegaCode)
        var report = ck_sinkhorn_report()
        let status = ck_sinkhorn_grid(grid.x1.count, grid.x2.count, grid.x1, grid.x2, a, b, &opt, &f, &g, &report)
        try TangentFlowError.check(status, operation: "GridSinkhorn.solve")
        return SinkhornResult(
            f: f, g: g, iterations: report.iterations, totalIterations: report.total_iterations,
            marginalErrorA: report.error_a, marginalErrorB: report.error_b, overRelaxation: report.omega_final,
            exactFallbacks: report.exact_fallbacks)
    }

    /// `⟨P, C⟩` and `Σ P` by three separable log-domain kernel applications, two of them cost-weighted
    /// (`ck_sinkhorn_grid_cost`: dgemm passes with exact fallbacks), see
    /// `Kernels.gridTransportCost(grid:f:g:regularization:)`.
    public func gridTransportCost(grid: RegularGrid2D, f: [Double], g: [Double], regularization: Double) throws
        -> (cost: Double, mass: Double)
    {
        try KernelValidation.gridTransportCost(grid, f, g, regularization)
        var cost = 0.0, mass = 0.0
        let status = ck_sinkhorn_grid_cost(
            grid.x1.count, grid.x2.count, grid.x1, grid.x2, regularization, f, g, &cost, &mass, Int32(threads))
        try TangentFlowError.check(status, operation: "GridSinkhorn.transportCost")
        return (cost, mass)
    }

    /// The grid log-kernel on `ck_grid_kernel` (two shifted dgemm passes, exact fallbacks), see
    /// `Kernels.gridLogKernel(grid:epsilon:)`.
    public func gridLogKernel(grid: RegularGrid2D, epsilon: Double) throws -> any PreparedGridLogKernel {
        try CGridLogKernel(grid: grid, epsilon: epsilon)
    }

    /// Jonker–Volgenant with column reduction and augmenting row reduction (`ck_assignment`), see
    /// `Kernels.linearAssignment(cost:)`.
    public func linearAssignment(cost: Matrix) throws -> LinearAssignmentResult {
        try KernelValidation.linearAssignment(cost)
        let m = cost.rows
        return try LinearAssignmentResult.solving(cost) { down in
            // The C solver reads the column-major cost as the row-major storage of Cᵀ (no transposed copy).
            var perm = [Int](repeating: 0, count: m)
            var u = [Double](repeating: 0, count: m), v = u
            let scaled = cost.elements.map { $0 * down }
            let status = ck_assignment(m, scaled, m, &perm, &u, &v, nil)
            try TangentFlowError.check(status, operation: "LinearAssignment.solve")
            return (perm, u, v)
        }
    }

    /// Shortest augmenting paths on the smaller side (`ck_assignment_rows`: greedy start, vectorised Dijkstra
    /// steps, `CK_EINFEASIBLE` when no free column is reachable), see `Kernels.rectangularAssignment(cost:)`.
    public func rectangularAssignment(cost: Matrix) throws -> RectangularAssignmentResult? {
        try KernelValidation.rectangularAssignment(cost)
        return try RectangularAssignmentResult.solving(cost) { rowMajor, n, m in
            var columnOfRow = [Int](repeating: 0, count: n)
            var v = [Double](repeating: 0, count: m)
            let status = ck_assignment_rows(n, m, rowMajor, m, 0, &columnOfRow, nil, &v)
            if status == CK_EINFEASIBLE { return nil }
            try TangentFlowError.check(status, operation: "LinearAssignment.solveRectangular")
            return columnOfRow
        }
    }

    /// One dgemm for `|x_i|² + |y_j|² − 2 x_i·y_j` in the solver's row layout, then `ck_assignment_sqeuclidean`'s
    /// Jonker–Volgenant start and Dijkstra steps, see `Kernels.pointAssignment(_:_:warmStart:)`.
    public func pointAssignment(_ x: Matrix, _ y: Matrix, warmStart: [Double]?) throws -> LinearAssignmentResult {
        try KernelValidation.pointAssignment(x, y, warmStart)
        let m = x.rows
        var perm = [Int](repeating: 0, count: m)
        var v = warmStart ?? [Double](repeating: 0, count: m)
        var total = 0.0
        let status = ck_assignment_sqeuclidean(
            m, x.cols, x.elements, m, y.elements, m, warmStart == nil ? 0 : 1, &perm, &v, &total)
        try TangentFlowError.check(status, operation: "LinearAssignment.points")
        // Row potentials from equality on the assignment: u_i = |x_i − y_σ(i)|² − v_σ(i).
        var u = [Double](repeating: 0, count: m)
        for i in 0..<m {
            var d2 = 0.0
            for t in 0..<x.cols { let e = x[i, t] - y[perm[i], t]; d2 += e * e }
            u[i] = d2 - v[perm[i]]
        }
        return LinearAssignmentResult(permutation: perm, totalCost: total, rowPotentials: u, columnPotentials: v)
    }

    /// `C_ij = |x_i − y_j|²` (`ck_pairwise_sqdist`), see `Kernels.pairwiseSquaredDistances(_:_:)`.
    public func pairwiseSquaredDistances(_ x: Matrix, _ y: Matrix) throws -> Matrix {
        try KernelValidation.pairwiseSquaredDistances(x, y)
        var c = [Double](repeating: 0, count: x.rows * y.rows)
        let status = ck_pairwise_sqdist(x.rows, y.rows, x.cols, x.elements, x.rows, y.elements, y.rows, &c, x.rows)
        try TangentFlowError.check(status, operation: "LinearAssignment.squaredDistances")
        return Matrix(uncheckedRows: x.rows, cols: y.rows, elements: c)
    }
}
