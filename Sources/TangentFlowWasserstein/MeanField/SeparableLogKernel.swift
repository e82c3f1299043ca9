// The Gibbs kernel ξ = e^{−c/γ} of a regular n×n grid with squared-Euclidean cost, applied in the log domain.
//
// c_ij = |θ_i − θ_j|² = (u_{i1} − u_{j1})² + (u_{i2} − u_{j2})² splits over the two axes, so
//   log(ξ v)_{i1,i2} = LSE_{j2} ( −(u_{i2} − u_{j2})²/γ + LSE_{j1} ( −(u_{i1} − u_{j1})²/γ + log v_{j1,j2} ) ),
// two passes of n³ log-sum-exp terms each: O(n³) instead of the dense O(n⁴) (DESIGN.md, "Regular-grid Gibbs
// kernels are separable"). Nothing is exponentiated before the max-shift, so γ far below the grid spacing
// squared (where e^{−c/γ} underflows) is safe. ξ is symmetric, so the same routine applies ξᵀ.
//
// The passes are the backend's grid log-kernel (`Kernels.gridLogKernel`) at ε = γ/2, its cost being ½|Δ|²:
// −|Δ|²/γ = −(½|Δ|²)/(γ/2) exactly (halving is exact). Its flat index is i·n2 + j where ours is i1 + n·i2, but
// the cost is symmetric in the two coordinates and both axes are equal, so the two operators coincide on flat
// arrays.

import TangentFlow

/// `log(ξ v)` for the Gibbs kernel `ξ_ij = e^{−|θ_i − θ_j|²/γ}` of a regular `n×n` grid, given `log v`.
///
/// Grid point `k = i1 + n·i2` is `(axis[i1], axis[i2])` (first coordinate fastest). Entries of `log v` may be
/// `−∞` (zero mass); an output is `−∞` only when every term is. Runs on the backend's `PreparedGridLogKernel`
/// (C: two shifted dgemm passes with exact fallbacks; Swift: axis-wise log-sum-exps); a failure of either
/// surfaces as an error. Not thread-safe (the kernel holds workspace): one instance per thread.
struct SeparableLogKernel {
    /// Points per axis `n`.
    let n: Int
    /// The backend's grid kernel at `ε = γ/2`.
    private let kernel: any PreparedGridLogKernel

    /// The kernel of the grid with coordinates `axis` on both axes, at regularisation `γ > 0` (caller validates).
    /// - Throws: `.invalidArgument` for an empty or non-finite axis or `γ`; C status errors (out of memory).
    init(axis: [Double], gamma: Double, backend: KernelBackend = .c) throws {
        n = axis.count
        kernel = try backend.kernels.gridLogKernel(grid: RegularGrid2D(x1: axis, x2: axis), epsilon: gamma / 2)
    }

    /// `log(ξ v)` for `logV = log v` of length `n²`.
    /// - Throws: `.shapeMismatch` for a wrong length, `.nonFinite` for NaN or `+∞`, C status errors.
    func apply(_ logV: [Double]) throws -> [Double] { try kernel.apply(logV) }
}
