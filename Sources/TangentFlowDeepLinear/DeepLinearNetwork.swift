import Foundation
import TangentFlow

/// A deep linear network of depth `N` and width `d`: factors `W_1, …, W_N ∈ R^{d×d}` and the product map
/// ((1.1) in file 002)
///
/// ```
/// W = φ(W_1, …, W_N) = W_N ⋯ W_1
/// ```
/// `factors[p − 1]` holds `W_p`. Balancedness (1.4): `W_{p+1}ᵀW_{p+1} = W_pW_pᵀ` for `p = 1..N−1`.
public struct DeepLinearNetwork: Sendable {
    /// `W_1, …, W_N` (`factors[0] = W_1`, applied first).
    public let factors: [Matrix]
    /// The backend used for products.
    public let backend: KernelBackend

    /// A network from its factors.
    /// - Throws: `.invalidArgument` for no factors; `.emptyInput`, `.shapeMismatch` (not all square `d×d`),
    ///   `.nonFinite`.
    public init(factors: [Matrix], backend: KernelBackend = .c) throws {
        let op = "DeepLinearNetwork"
        guard let first = factors.first else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "a deep linear network needs at least one factor (depth N ≥ 1)")
        }
        for (p, w) in factors.enumerated() {
            try w.requireSquareFinite(op, "W_\(p + 1)")
            try w.requireShape(first.rows, first.rows, op, "W_\(p + 1)")
        }
        self.factors = factors
        self.backend = backend
    }

    /// Depth `N`.
    public var depth: Int { factors.count }
    /// Width `d`.
    public var width: Int { factors[0].rows }

    /// `W_j ⋯ W_i` for `1 ≤ i ≤ j ≤ N` (1-based, inclusive); the identity when `j < i`.
    public func product(from i: Int, through j: Int) throws -> Matrix {
        guard i >= 1, j <= depth else {
            throw TangentFlowError.invalidArgument(operation: "DeepLinearNetwork.product", reason: "need 1 ≤ i and j ≤ N = \(depth), got i = \(i), j = \(j)")
        }
        if j < i { return DenseOps.identity(width) }
        var m = factors[i - 1]
        if i < j { for p in (i + 1)...j { m = try DenseOps.mul(backend.kernels, factors[p - 1], m) } }
        return m
    }

    /// The end-to-end matrix `W = W_N ⋯ W_1` ((1.1) in file 002).
    public func endToEnd() throws -> Matrix { try product(from: 1, through: depth) }

    /// The balancedness defects `D_p = W_{p+1}ᵀW_{p+1} − W_pW_pᵀ`, `p = 1..N−1` ((1.4) in file 002); all zero on
    /// the balanced manifold, and conserved by the upstairs gradient flow (1.3).
    public func balancednessDefects() throws -> [Matrix] {
        let k = backend.kernels
        guard depth >= 2 else { return [] }
        return try (1..<depth).map { p in
            DenseOps.sub(
                try DenseOps.mul(k, factors[p], factors[p], ta: true), try DenseOps.mul(k, factors[p - 1], factors[p - 1], tb: true))
        }
    }

    /// `Q_1..Q_{N−1}` of a balanced network ((3.64)–(3.73) of *Geodesics in the Deep Linear Network*): exactly
    /// `N − 1` of them, each `d×d`, finite and orthogonal to 1e-10.
    /// - Throws: `.invalidArgument` naming the first that is not; shape/finiteness errors.
    static func requireInteriorFrames(_ qs: [Matrix], depth: Int, order d: Int, _ op: String, _ k: any Kernels) throws {
        guard qs.count == depth - 1 else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "need N − 1 = \(depth - 1) orthogonal matrices Q_1..Q_{N−1}, got \(qs.count)")
        }
        for (p, q) in qs.enumerated() {
            try q.requireShape(d, d, op, "Q_\(p + 1)")
            try q.requireFinite(op, "Q_\(p + 1)")
            let defect = DenseOps.sub(try DenseOps.mul(k, q, q, ta: true), DenseOps.identity(d)).maxAbs
            guard defect <= 1e-10 else {
                throw TangentFlowError.invalidArgument(operation: op, reason: "Q_\(p + 1) is not orthogonal: max |QᵀQ − I| = \(defect) > 1e-10")
            }
        }
    }

    /// A balanced network with end-to-end matrix `W` ((1.5) in file 002): with `W = U Σ Vᵀ`, `Q_0 = V`, `Q_N = U`,
    /// `W_p = Q_p Σ^{1/N} Q_{p−1}ᵀ`.
    /// - Parameters:
    ///   - w: square `d×d` end-to-end matrix (any rank).
    ///   - depth: `N ≥ 1`.
    ///   - orthogonals: `Q_1, …, Q_{N−1}` (each orthogonal to `1e-10`); `nil` means `Q_p = U` for all `p`.
    /// - Throws: `.invalidArgument` (`N < 1`, wrong count, a non-orthogonal `Q_p`), shape and finiteness errors.
    public static func balanced(endToEnd w: Matrix, depth: Int, orthogonals: [Matrix]? = nil, backend: KernelBackend = .c) throws -> DeepLinearNetwork {
        let op = "DeepLinearNetwork.balanced"
        try w.requireSquareFinite(op, "W")
        guard depth >= 1 else { throw TangentFlowError.invalidArgument(operation: op, reason: "depth N must be ≥ 1, got \(depth)") }
        let k = backend.kernels, d = w.rows
        let svd = try k.svd(w)
        let v = svd.vt.transposed
        let qs = orthogonals ?? Array(repeating: svd.u, count: depth - 1)
        try requireInteriorFrames(qs, depth: depth, order: d, op, k)
        let root = svd.singularValues.map { Foundation.pow($0, 1 / Double(depth)) }
        let frames = [v] + qs + [svd.u]  // Q_0 … Q_N
        let factors = try (1...depth).map { p in try DenseOps.synthesize(k, frames[p], root, frames[p - 1]) }
        return try DeepLinearNetwork(factors: factors, backend: backend)
    }

    /// The upstairs gradient of `E(φ(W_1..W_N))` ((1.3) in file 002):
    /// `∂E/∂W_p = (W_N⋯W_{p+1})ᵀ ∇E(W) (W_{p−1}⋯W_1)ᵀ`; the flow is `W_p' = −∂E/∂W_p`.
    /// - Throws: whatever `energy.gradient` throws; `.shapeMismatch` if it returns the wrong shape.
    public func upstairsGradient(_ energy: DeepLinearEnergy) throws -> [Matrix] {
        let w = try endToEnd()
        let g = try energy.checkedGradient(w)
        return try pullBack(g)
    }

    /// `(W_N⋯W_{p+1})ᵀ Λ (W_{p−1}⋯W_1)ᵀ` for `p = 1..N` (the adjoint of `dφ` applied to `Λ`).
    func pullBack(_ lambda: Matrix) throws -> [Matrix] {
        let k = backend.kernels
        return try (1...depth).map { p in
            let left = try product(from: p + 1, through: depth), right = try product(from: 1, through: p - 1)
            return try DenseOps.mul(k, DenseOps.mul(k, left, lambda, ta: true), right, tb: true)
        }
    }

    /// The differential of the product map, `dφ(Ẇ_1..Ẇ_N) = Σ_p W_N⋯W_{p+1} Ẇ_p W_{p−1}⋯W_1`.
    /// - Throws: `.shapeMismatch` for the wrong number or shape of velocities; `.nonFinite`.
    public func differential(_ velocities: [Matrix]) throws -> Matrix {
        let op = "DeepLinearNetwork.differential"
        guard velocities.count == depth else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(depth) velocities", got: "\(velocities.count)")
        }
        let k = backend.kernels
        var sum = Matrix(zerosRows: width, cols: width)
        for p in 1...depth {
            try velocities[p - 1].requireShape(width, width, op, "Ẇ_\(p)")
            try velocities[p - 1].requireFinite(op, "Ẇ_\(p)")
            let left = try product(from: p + 1, through: depth), right = try product(from: 1, through: p - 1)
            sum = DenseOps.add(sum, try DenseOps.mul(k, DenseOps.mul(k, left, velocities[p - 1]), right))
        }
        return sum
    }

    /// The horizontal lift of a downstairs tangent `Z` at this (balanced) network (Thm 1.1 and Lemma 3.11 in
    /// file 002): `Ẇ_p = (W_N⋯W_{p+1})ᵀ Λ (W_{p−1}⋯W_1)ᵀ` with `Λ = A_{N,W}⁻¹(Z)`. On the balanced manifold
    /// `dφ(lift) = Z` and `Σ_p ‖Ẇ_p‖²_F = g_W(Z, Z)` (the submersion is an isometry on horizontal vectors).
    /// - Throws: `.invalidArgument` if `W` is not full rank; shape and finiteness errors.
    public func horizontalLift(_ z: Matrix) throws -> [Matrix] {
        let metric = try DeepLinearMetric(at: endToEnd(), depth: depth, backend: backend)
        return try pullBack(metric.applyInverse(z))
    }
}

/// Throws `.invalidArgument` unless a deep linear network's depth `N` and width `d` are both at least 1 (the shape
/// check of every flow and Hamiltonian on `d×d` factors).
func requireDeepLinearShape(depth: Int, width: Int, _ operation: String) throws {
    guard depth >= 1, width >= 1 else {
        throw TangentFlowError.invalidArgument(operation: operation, reason: "need N ≥ 1 and d ≥ 1, got N = \(depth), d = \(width)")
    }
}
