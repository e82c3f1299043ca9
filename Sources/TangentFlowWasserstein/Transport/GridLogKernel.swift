import TangentFlow

/// The Gibbs kernel of a regular 2-D grid applied in the log domain: `out_k = log Σ_l exp(w_l − C_kl/ε)` with
/// `C_kl = ½|x_k − x_l|²` — one half-step of log-domain Sinkhorn, and the kernel of an entropic JKO step (MATH.md
/// §6). Separable along the two axes; the C path uses two shifted dgemm passes and recomputes exactly any entry
/// outside their exact range (`CKernels/grid_kernel.c`), the Swift path direct log-sum-exps. Entries of `w` may be
/// `−∞` (no mass); the result is `−∞` only where the sum is exactly empty.
///
/// A façade over the backend's `PreparedGridLogKernel` (`Kernels.gridLogKernel(grid:epsilon:)`).
/// Holds workspace: use one instance per thread (it is not `Sendable`).
public final class GridLogKernel {
    /// The grid.
    public let grid: RegularGrid2D
    /// Which implementation applies it.
    public let backend: KernelBackend
    private let kernel: any PreparedGridLogKernel

    /// A kernel for `grid` at `ε > 0`.
    /// - Throws: `.invalidArgument` unless `ε` is positive and finite; C status errors (out of memory).
    public init(grid: RegularGrid2D, epsilon: Double, backend: KernelBackend = .c) throws {
        self.grid = grid
        self.backend = backend
        kernel = try backend.kernels.gridLogKernel(grid: grid, epsilon: epsilon)
    }

    /// The regularisation `ε`.
    public var epsilon: Double { kernel.epsilon }

    /// Changes `ε` (ε-scaling) without rebuilding the grid.
    public func setEpsilon(_ epsilon: Double) throws { try kernel.setEpsilon(epsilon) }

    /// `log Σ_l exp(w_l − C_kl/ε)` for every grid point `k`; `w` has one entry per grid point, finite or `−∞`.
    public func apply(_ w: [Double]) throws -> [Double] { try kernel.apply(w) }
}
