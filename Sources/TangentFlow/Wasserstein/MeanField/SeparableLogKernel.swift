import Foundation

// The Gibbs kernel ξ = e^{−c/γ} of a regular n×n grid with squared-Euclidean cost, applied in the log domain.
//
// c_ij = |θ_i − θ_j|² = (u_{i1} − u_{j1})² + (u_{i2} − u_{j2})² splits over the two axes, so
//   log(ξ v)_{i1,i2} = LSE_{j2} ( −(u_{i2} − u_{j2})²/γ + LSE_{j1} ( −(u_{i1} − u_{j1})²/γ + log v_{j1,j2} ) ),
// two passes of n³ log-sum-exp terms each: O(n³) instead of the dense O(n⁴) (DESIGN.md, "Regular-grid Gibbs
// kernels are separable"). Nothing is exponentiated before the max-shift, so γ far below the grid spacing
// squared (where e^{−c/γ} underflows) is safe. ξ is symmetric, so the same routine applies ξᵀ.

/// `log(ξ v)` for the Gibbs kernel `ξ_ij = e^{−|θ_i − θ_j|²/γ}` of a regular `n×n` grid, given `log v`.
///
/// Grid point `k = i1 + n·i2` is `(axis[i1], axis[i2])` (first coordinate fastest). Entries of `log v` may be
/// `−∞` (zero mass); an output is `−∞` only when every term is. With `backend: .c` (the default) it runs on the C
/// grid kernel (`GridLogKernel`: two shifted dgemm passes with exact fallbacks; `ξ` is its kernel at `ε = γ/2`, its
/// cost being `½|Δ|²`), and on the pure-Swift passes below with `.swift` or if the C kernel cannot allocate.
/// Not thread-safe with the C backend (the C kernel holds workspace): one instance per thread.
struct SeparableLogKernel {
    /// Points per axis `n`.
    let n: Int
    /// `−(u_i − u_j)²/γ`, `n×n`, row-major (`[i * n + j]`), symmetric.
    let logAxisKernel: [Double]
    /// The C kernel (nil for the Swift backend, or if it could not be created).
    private let cKernel: GridLogKernel?

    /// The kernel of the grid with coordinates `axis` on both axes, at regularisation `γ > 0` (caller validates).
    init(axis: [Double], gamma: Double, backend: KernelBackend = .c) {
        n = axis.count
        var k = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { k[i * n + j] = -(axis[i] - axis[j]) * (axis[i] - axis[j]) / gamma } }
        logAxisKernel = k
        // The flat index differs (here k = i1 + n·i2, there i·n + j), but the cost is symmetric in the two
        // coordinates and both axes are equal, so the two operators coincide on flat arrays.
        cKernel = backend == .c
            ? (try? RegularGrid2D(x1: axis, x2: axis)).flatMap { try? GridLogKernel(grid: $0, epsilon: gamma / 2) } : nil
    }

    /// `log(ξ v)` for `logV = log v` of length `n²`.
    func apply(_ logV: [Double]) -> [Double] {
        precondition(logV.count == n * n, "SeparableLogKernel.apply: length \(logV.count), expected \(n * n)")
        if let cKernel {
            var out = [Double](repeating: 0, count: n * n)
            if cKernel.applyUnchecked(logV, into: &out) { return out }
        }
        return applySwift(logV)
    }

    /// The pure-Swift passes.
    func applySwift(_ logV: [Double]) -> [Double] {
        var partial = [Double](repeating: 0, count: n * n)
        var out = [Double](repeating: 0, count: n * n)
        logAxisKernel.withUnsafeBufferPointer { kernel in
            logV.withUnsafeBufferPointer { v in
                partial.withUnsafeMutableBufferPointer { t in
                    // Pass 1, along the first axis: t[i1 + n·j2] = LSE_{j1}(K[i1, j1] + v[j1 + n·j2]).
                    for j2 in 0..<n {
                        let column = v.baseAddress! + n * j2
                        for i1 in 0..<n {
                            t[i1 + n * j2] = Self.logSumExp(kernel.baseAddress! + i1 * n, column, count: n, stride: 1)
                        }
                    }
                }
            }
            partial.withUnsafeBufferPointer { t in
                out.withUnsafeMutableBufferPointer { o in
                    // Pass 2, along the second axis: o[i1 + n·i2] = LSE_{j2}(K[i2, j2] + t[i1 + n·j2]).
                    for i2 in 0..<n {
                        for i1 in 0..<n {
                            o[i1 + n * i2] = Self.logSumExp(kernel.baseAddress! + i2 * n, t.baseAddress! + i1, count: n, stride: n)
                        }
                    }
                }
            }
        }
        return out
    }

    /// `log Σ_j exp(a_j + b_{j·stride})`, shifted by the maximum term; `−∞` when every term is `−∞`.
    @inline(__always)
    static func logSumExp(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, count: Int, stride: Int) -> Double {
        var top = -Double.infinity
        for j in 0..<count { top = max(top, a[j] + b[j * stride]) }
        guard top > -.infinity else { return -.infinity }
        var sum = 0.0
        for j in 0..<count { sum += exp(a[j] + b[j * stride] - top) }
        return top + log(sum)
    }
}
