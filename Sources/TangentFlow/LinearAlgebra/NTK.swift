/// Ways to compute the empirical NTK of an MLP (neural-tangents' `NtkImplementation`, one function, several
/// interchangeable implementations agreeing to rounding).
/// Raw values are the command-line spellings (`--method jacobian`).
public enum NTKMethod: String, CaseIterable, Sendable {
    /// Layer-factored formula `Θ_{(iq),(jq')} = Σ_ℓ (a_ℓ²⟨h_i^{ℓ−1}, h_j^{ℓ−1}⟩ + c_ℓ²)⟨δ_{iq}^ℓ, δ_{jq'}^ℓ⟩`
    /// (DESIGN.md): never forms `D`, `O(N²Q²ΣM_ℓ)` flops. Wins for every MLP; the default.
    case structured
    /// `G = DDᵀ` from the materialised Jacobian (`O(QN·K)` memory, `O(Q²N²K)` flops): the generic path for
    /// checking, and for models without layer structure.
    case jacobianContraction = "jacobian"
}

/// Empirical neural tangent kernel `Θ(X₁, X₂) = D(X₁)D(X₂)ᵀ` of `model` at `theta` ((3.15) in 2408.01517):
/// block `(i, j)` is the `Q×Q` matrix `Θ(x_i, x_j, θ)`, rows and columns sample-major (`i·Q + q`).
///
/// - Parameters:
///   - x1: inputs, one sample per row (`N₁×M₀`).
///   - x2: second input set (`N₂×M₀`), or `nil` for `X₂ = X₁` (symmetric, half the work).
///   - method: `.structured` (default) or `.jacobianContraction`.
///   - backend: `.c` (default) or `.swift`.
/// - Returns: `QN₁×QN₂` matrix (symmetric positive semidefinite when `x2 == nil`).
/// - Throws: shape and finiteness errors; `.insufficientMemory` before allocating a too-large result.
public func ntkGram(
    _ model: MLP, theta: [Double], inputs x1: Matrix, _ x2: Matrix? = nil, method: NTKMethod = .structured,
    backend: KernelBackend = .c
) throws -> Matrix {
    let k = backend.kernels
    switch method {
    case .structured:
        return try k.mlpNTK(model, theta: theta, inputs: x1, x2)
    case .jacobianContraction:
        let d1 = try k.mlpJacobian(model, theta: theta, inputs: x1)
        guard let x2 else { return try k.gram(d1) }
        let d2 = try k.mlpJacobian(model, theta: theta, inputs: x2)
        return try k.multiply(d1, transposeA: false, d2, transposeB: true)
    }
}
