/// The log-domain Gibbs kernel of a regular 2-D grid prepared by one backend (`Kernels.gridLogKernel`):
///
/// ```
/// out_k = log Σ_l exp(w_l − C_kl/ε),   C_kl = ½|x_k − x_l|²   (one half-step of log-domain Sinkhorn, MATH.md §6)
/// ```
/// separable along the two axes (DESIGN.md "Regular-grid Gibbs kernels"). The C kernel applies it by two shifted
/// dgemm passes and recomputes exactly any entry outside their exact range (`CKernels/grid_kernel.c`); the Swift
/// kernel by direct max-shifted log-sum-exps (`SwiftGridSinkhorn.LogKernel`).
///
/// Edge cases: entries of `w` may be `−∞` (no mass); `out_k` is `−∞` only where the sum is exactly empty.
/// Holds workspace, so it is not `Sendable`: use one per thread.
public protocol PreparedGridLogKernel: AnyObject {
    /// The grid (points `(x1[i], x2[j])`, flat index `k = i·n2 + j`).
    var grid: RegularGrid2D { get }
    /// The regularisation `ε > 0` in use.
    var epsilon: Double { get }

    /// Changes `ε` (ε-scaling) without rebuilding the grid.
    /// - Throws: `.invalidArgument` unless `ε` is positive and finite.
    func setEpsilon(_ epsilon: Double) throws

    /// `out_k = log Σ_l exp(w_l − C_kl/ε)` for every grid point `k`.
    /// - Throws: `.shapeMismatch` unless `w` has one entry per grid point; `.nonFinite` for NaN or `+∞`
    ///   (`−∞` is allowed); C status errors (out of memory).
    func apply(_ w: [Double]) throws -> [Double]
}
