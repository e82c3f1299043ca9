import TangentFlow

/// The gradient flow of the Euclidean cost without cluster separation (Thm 5.1 in file 003), on adapted
/// parameters `(β^{(ℓ)}, R_ℓ)`, `ℓ = 1…L` (any `L ≥ 1`):
///
/// ```
/// ∂_sβ^{(ℓ)} = −∂C/∂β^{(ℓ)} = Σ_j (1/N_j) Σ_i (P⁻_{ℓ,L})ᵀ(𝒯^{(L)}(x_{j,i}) − ỹ_j)     (5.4 with the sign of 7.14)
/// ∂_sR_ℓ = Ω̃_ℓ R_ℓ,  Ω̃_ℓ = −Σ_j (1/N_j) Σ_i [H^{(ℓ)}, M_{ℓ,j}(x_{j,i})]              (5.5–5.7)
/// ```
///
/// See `EuclideanInputCost.adaptedGradient`. Where truncations are cluster separated it equals
/// `ClusterSeparatedFlow` (tested). Integrate with `CayleyStepper`.
public struct GeneralTruncationFlow: VectorField {
    /// The cost whose gradient flow this is.
    public let cost: EuclideanInputCost
    /// The number of layers `L`.
    public let layerCount: Int

    /// The flow of `cost` for a network with `layers` layers.
    /// - Throws: `.invalidArgument` for `layers < 1`.
    public init(cost: EuclideanInputCost, layers: Int) throws {
        guard layers >= 1 else { throw TangentFlowError.invalidArgument(operation: "GeneralTruncationFlow", reason: "need at least one layer, got \(layers)") }
        self.cost = cost
        self.layerCount = layers
    }

    /// The packed velocity `(−∂C/∂β^{(ℓ)}, Ω̃_ℓR_ℓ)` per layer.
    public func velocity(at s: Double, _ y: [Double]) throws -> [Double] {
        let p = try AdaptedParameters(packed: y, width: cost.data.width, layers: layerCount)
        let g = try cost.adaptedGradient(p)
        var out: [Double] = []
        for l in 0..<layerCount {
            out += g.shifts[l].map { -$0 } + TruncationAlgebra.multiply(g.omegas[l], p.rotations[l]).elements
        }
        return out
    }
}
