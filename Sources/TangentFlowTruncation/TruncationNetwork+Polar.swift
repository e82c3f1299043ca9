// Polar decomposition of the cumulative weights and the adapted parametrisation (Def. 2.2 in file 003).

import TangentFlow

extension TruncationNetwork {
    /// The polar decomposition (1.9/2.28) `W^{(ℓ)} = |W^{(ℓ)}| R_ℓ`, with `|W| = (WWᵀ)^{1/2}` symmetric positive
    /// definite and `R_ℓ = |W|⁻¹W ∈ O(Q)`, from the SVD `W = UΣVᵀ` (by `backend`, `.c` by default): `|W| = UΣUᵀ`,
    /// `R = UVᵀ`.
    /// - Throws: `.invalidArgument` for `ℓ ∉ 1…L`; `.svdDidNotConverge`.
    public func polarDecomposition(layer l: Int, backend: KernelBackend = .c) throws -> (modulus: Matrix, rotation: Matrix) {
        try requireLayer(l, "polarDecomposition")
        let svd = try backend.kernels.svd(weights[l - 1])
        var us = svd.u
        for k in 0..<width { for i in 0..<width { us.elements[i + k * width] *= svd.singularValues[k] } }
        let modulus = TruncationAlgebra.multiply(us, svd.u, transposeB: true)
        return (TruncationAlgebra.scale(TruncationAlgebra.add(modulus, modulus.transposed), 0.5), TruncationAlgebra.multiply(svd.u, svd.vt))
    }

    /// Def. 2.2: `W^{(ℓ)}` is aligned with the activation when `|W^{(ℓ)}|` is diagonal in the coordinates of `σ`
    /// (2.27), i.e. `R̃_ℓ = 1` in (1.10/2.29). Decided as `max_{i≠j} |(|W|)_ij| ≤ tolerance·‖W‖₂`.
    /// - Throws: as `polarDecomposition(layer:backend:)`; `.invalidArgument` for a negative or non-finite tolerance.
    public func isAdapted(layer l: Int, tolerance: Double, backend: KernelBackend = .c) throws -> Bool {
        try requireNonNegative(tolerance, "isAdapted", "tolerance")
        let (m, _) = try polarDecomposition(layer: l, backend: backend)
        var off = 0.0, norm = 0.0
        for j in 0..<width {
            for i in 0..<width {
                norm = Swift.max(norm, Swift.abs(m[i, j]))
                if i != j { off = Swift.max(off, Swift.abs(m[i, j])) }
            }
        }
        return off <= tolerance * norm
    }

    /// The adapted parameters `(β^{(ℓ)}, R_ℓ)` of a network whose every weight is adapted (Def. 2.2): `R_ℓ` from the
    /// polar decomposition; `W_*^{(ℓ)} = |W^{(ℓ)}|` (diagonal) drops out of `τ^{(ℓ)}` (6.2), and `(W_*)⁻¹σ(W_*x) = σ(x)`.
    /// - Throws: `.invalidArgument` naming the first layer that is not adapted within `tolerance`.
    public func adaptedParameters(tolerance: Double, backend: KernelBackend = .c) throws -> AdaptedParameters {
        var rs: [Matrix] = []
        for l in 1...layerCount {
            guard try isAdapted(layer: l, tolerance: tolerance, backend: backend) else {
                throw TangentFlowError.invalidArgument(
                    operation: "adaptedParameters",
                    reason: "W^{(\(l))} is not adapted to the activation: |W^{(\(l))}| is not diagonal within \(tolerance) (Def. 2.2)")
            }
            rs.append(try polarDecomposition(layer: l, backend: backend).rotation)
        }
        return try AdaptedParameters(rotations: rs, shifts: shifts)
    }
}
