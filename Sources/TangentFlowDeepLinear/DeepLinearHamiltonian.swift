import Foundation
import TangentFlow

/// The geodesic Hamiltonian of the deep linear network metric ((3.39) and Thm 2.1 in file 002):
///
/// ```
/// H(W, P) = ½ tr(Pᵀ A_{N,W}(P))
/// W' = ∂H/∂P = A_{N,W}(P)
/// P' = −∂H/∂W = −Σ_p [ Df_{a_p}(WWᵀ)[P (WᵀW)^{b_p} Pᵀ] W + W Df_{b_p}(WᵀW)[Pᵀ (WWᵀ)^{a_p} P] ]
/// a_p = (N−p)/N,  b_p = (p−1)/N,  f_a(x) = x^a
/// ```
/// Everything is evaluated in the singular bases of `W = U Σ Vᵀ` (`λ = σ²`, `P̃ = UᵀPV`):
/// `∂H/∂W = U [ Σ_p (Φ_{a_p} ∘ (P̃ Λ^{b_p} P̃ᵀ)) Σ + Σ (Φ_{b_p} ∘ (P̃ᵀ Λ^{a_p} P̃)) ] Vᵀ`, with `Φ_a` the divided
/// differences of `x^a` at `λ` (2.1); one SVD and six `d×d` products per evaluation.
/// As a `VectorField`, the state is `[vec W; vec P]` (`2d²` entries). `H` is conserved (`= ½·speed²`).
///
/// Edge cases: `W` must stay full rank (`Df_a` for `a < 1` blows up at 0); the field throws `.invalidArgument`
/// naming `σ_min` if it does not.
public struct DeepLinearHamiltonian: VectorField {
    /// Depth `N ≥ 1`.
    public let depth: Int
    /// Width `d ≥ 1`.
    public let width: Int
    /// The backend.
    public let backend: KernelBackend

    /// The Hamiltonian for `d×d` matrices at depth `N`.
    /// - Throws: `.invalidArgument` for `N < 1` or `d < 1`.
    public init(depth: Int, width: Int, backend: KernelBackend = .c) throws {
        try requireDeepLinearShape(depth: depth, width: width, "DeepLinearHamiltonian")
        self.depth = depth
        self.width = width
        self.backend = backend
    }

    /// `H(W, P) = ½ tr(Pᵀ A_{N,W}(P))` (3.39).
    public func value(_ w: Matrix, _ p: Matrix) throws -> Double {
        let metric = try DeepLinearMetric(at: w, depth: depth, backend: backend)
        return 0.5 * DenseOps.inner(p, try metric.apply(p))
    }

    /// `(∂H/∂P, ∂H/∂W) = (A_{N,W}(P), Σ_p …)` (Thm 2.1 in file 002).
    /// - Throws: `.invalidArgument` if `W` is not full rank; shape and finiteness errors.
    public func partials(_ w: Matrix, _ p: Matrix) throws -> (dP: Matrix, dW: Matrix) {
        let op = "DeepLinearHamiltonian"
        try p.requireShape(width, width, op, "P")
        try p.requireFinite(op, "P")
        let metric = try DeepLinearMetric(at: w, depth: depth, backend: backend)
        try metric.requireFullRank(op)
        let k = backend.kernels, d = width, n = Double(depth)
        let sigma = metric.svd.singularValues
        let lambda = sigma.map { $0 * $0 }
        let pt = try DenseOps.project(k, metric.svd.u, p, metric.v)  // P̃ = UᵀPV
        let spectrum = SymmetricSpectrum(values: lambda, vectors: metric.svd.u, backend: backend)
        var g = Matrix(zerosRows: d, cols: d)
        for q in 1...depth {
            let a = Double(depth - q) / n, b = Double(q - 1) / n
            if a > 0 {
                // (Φ_a ∘ (P̃ Λ^b P̃ᵀ)) Σ
                let m = try DenseOps.mul(k, DenseOps.scaleColumns(pt, lambda.map { b == 0 ? 1 : Foundation.pow($0, b) }), pt, tb: true)
                let phi = spectrum.dividedDifferencesUnchecked(.power(a))
                g = DenseOps.add(g, DenseOps.scaleColumns(DenseOps.hadamard(phi, m), sigma))
            }
            if b > 0 {
                // Σ (Φ_b ∘ (P̃ᵀ Λ^a P̃))
                let m = try DenseOps.mul(k, pt, DenseOps.scaleRows(pt, lambda.map { a == 0 ? 1 : Foundation.pow($0, a) }), ta: true)
                let phi = spectrum.dividedDifferencesUnchecked(.power(b))
                g = DenseOps.add(g, DenseOps.scaleRows(DenseOps.hadamard(phi, m), sigma))
            }
        }
        let dW = try DenseOps.sandwich(k, metric.svd.u, g, metric.v)
        let dP = try DenseOps.sandwich(k, metric.svd.u, DenseOps.hadamard(metric.kernel, pt), metric.v)
        return (dP, dW)
    }

    /// `F(s, [W; P]) = [A_{N,W}(P); −∂H/∂W]`.
    public func velocity(at s: Double, _ y: [Double]) throws -> [Double] {
        let (w, p) = try split(y)
        let (dP, dW) = try partials(w, p)
        return dP.elements + dW.elements.map { -$0 }
    }

    /// `[W; P]` from a flat state.
    /// - Throws: `.shapeMismatch` for a state of the wrong length.
    public func split(_ y: [Double]) throws -> (w: Matrix, p: Matrix) {
        guard y.count == 2 * width * width else {
            throw TangentFlowError.shapeMismatch(operation: "DeepLinearHamiltonian", expected: "state of length 2d² = \(2 * width * width)", got: "\(y.count)")
        }
        let m = DenseOps.unflatten(y, count: 2, order: width)
        return (m[0], m[1])
    }
}
