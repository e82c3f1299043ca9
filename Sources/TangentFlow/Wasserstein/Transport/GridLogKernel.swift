internal import CKernels

/// The Gibbs kernel of a regular 2-D grid applied in the log domain: `out_k = log Σ_l exp(w_l − C_kl/ε)` with
/// `C_kl = ½|x_k − x_l|²` — one half-step of log-domain Sinkhorn, and the kernel of an entropic JKO step (MATH.md
/// §6). Separable along the two axes; the C path uses two shifted dgemm passes and recomputes exactly any entry
/// outside their exact range (`CKernels/grid_kernel.c`), the Swift path direct log-sum-exps. Entries of `w` may be
/// `−∞` (no mass); the result is `−∞` only where the sum is exactly empty.
///
/// Holds workspace: use one instance per thread (it is not `Sendable`).
public final class GridLogKernel {
    /// The grid.
    public let grid: RegularGrid2D
    /// The regularisation `ε`.
    public private(set) var epsilon: Double
    /// Which implementation applies it.
    public let backend: KernelBackend
    private var handle: OpaquePointer?
    private var swiftKernel: SwiftGridSinkhorn.LogKernel?

    /// A kernel for `grid` at `ε > 0`.
    public init(grid: RegularGrid2D, epsilon: Double, backend: KernelBackend = .c) throws {
        guard epsilon > 0, epsilon.isFinite else {
            throw TangentFlowError.invalidArgument(operation: "GridLogKernel", reason: "epsilon must be positive and finite, got \(epsilon)")
        }
        self.grid = grid
        self.epsilon = epsilon
        self.backend = backend
        switch backend {
        case .c:
            var h: OpaquePointer?
            try TangentFlowError.check(
                ck_grid_kernel_create(grid.x1.count, grid.x2.count, grid.x1, grid.x2, epsilon, &h), operation: "GridLogKernel")
            handle = h
        case .swift:
            swiftKernel = SwiftGridSinkhorn.LogKernel(grid: grid, eps: epsilon)
        }
    }

    deinit { ck_grid_kernel_free(handle) }

    /// Changes `ε` (ε-scaling) without rebuilding the grid.
    public func setEpsilon(_ epsilon: Double) throws {
        guard epsilon > 0, epsilon.isFinite else {
            throw TangentFlowError.invalidArgument(operation: "GridLogKernel.setEpsilon", reason: "epsilon must be positive and finite, got \(epsilon)")
        }
        self.epsilon = epsilon
        if let handle { try TangentFlowError.check(ck_grid_kernel_set_epsilon(handle, epsilon), operation: "GridLogKernel.setEpsilon") }
        swiftKernel?.eps = epsilon
    }

    /// `log Σ_l exp(w_l − C_kl/ε)` for every grid point `k`; `w` has one entry per grid point, finite or `−∞`.
    public func apply(_ w: [Double]) throws -> [Double] {
        let op = "GridLogKernel.apply"
        guard w.count == grid.count else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "length \(grid.count)", got: "length \(w.count)")
        }
        for (k, v) in w.enumerated() where v.isNaN || v == .infinity {
            throw TangentFlowError.nonFinite(operation: op, argument: "w", row: k, column: 0)
        }
        var out = [Double](repeating: 0, count: grid.count)
        if let handle {
            try TangentFlowError.check(ck_grid_kernel_log_apply(handle, w, &out), operation: op)
        } else {
            swiftKernel!.apply(w, into: &out)
        }
        return out
    }

    /// `apply` without the argument checks, for callers that have validated `w` (length, no NaN or +∞): returns
    /// `false` if the C kernel reported a failure (out of memory), leaving `out` unspecified.
    func applyUnchecked(_ w: [Double], into out: inout [Double]) -> Bool {
        if let handle { return ck_grid_kernel_log_apply(handle, w, &out) == 0 }
        swiftKernel!.apply(w, into: &out)
        return true
    }
}
