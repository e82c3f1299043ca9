/// One recorded pass of an MLP at `θ` on `X` — the forward tape: activations `h^ℓ`, derivatives `σ'(z^ℓ)` and
/// output sensitivities `δ^ℓ` (MATH.md §1) — reused for the outputs, the NTK and VJPs at that point: the adapted
/// flow needs all three per field evaluation (`θ' = −Dᵀψ`, `Gψ = g`, (2.21)–(2.22) in 2408.01517).
///
/// Made by `Kernels.mlpRecordPass(_:theta:inputs:)`; each backend records its own (C:
/// `CKernels/mlp_recorded_pass.c`; Swift: `SwiftMLPPass`). It holds the tape, so it is not `Sendable`: use one per thread.
public protocol MLPRecordedPass: AnyObject {
    /// Samples `N` (rows of `X`).
    var samples: Int { get }
    /// Outputs per sample `Q`.
    var outputDimension: Int { get }
    /// Parameters `K`.
    var parameterCount: Int { get }

    /// `x(θ) = f_θ(X) ∈ R^{QN}`, sample-major (entry `i·Q + q` is output `q` of sample `i`).
    func outputs() throws -> [Double]

    /// The empirical NTK `G = Θ(X, X) = DDᵀ ∈ R^{QN×QN}` by the layer-factored formula
    /// `Θ(x_i,x_j)_{qq'} = Σ_ℓ (a_ℓ²⟨h_i^{ℓ−1}, h_j^{ℓ−1}⟩ + c_ℓ²)·⟨δ_{i,q}^ℓ, δ_{j,q'}^ℓ⟩` ((3.15) in 2408.01517).
    func ntk() throws -> Matrix

    /// `Dᵀu ∈ R^K` for one cotangent `u ∈ R^{QN}` ((2.16) in 2408.01517).
    /// - Throws: `.shapeMismatch` unless `u` has `QN` entries; `.nonFinite`.
    func pullback(_ u: [Double]) throws -> [Double]

    /// `ψ = G⁻¹g` by a Cholesky factorisation of this pass's own NTK `G` ((2.21) in 2408.01517 while `G` is
    /// positive definite), with an estimate of `1/κ₁(G)` when `estimateCondition` (LAPACK dpocon in C; exact in
    /// Swift). The NTK is the pass's own, so a backend may factor it in place without a copy.
    ///
    /// - Returns: `nil` when `G` is not positive definite (a leading minor is not positive): the caller chooses
    ///   the rank-revealing route. Any other failure throws.
    /// - Throws: `.shapeMismatch` unless `g` has `QN` entries; `.nonFinite`; C status errors.
    func ntkCholeskySolve(_ g: [Double], estimateCondition: Bool) throws -> (solution: [Double], reciprocalCondition: Double?)?
}
