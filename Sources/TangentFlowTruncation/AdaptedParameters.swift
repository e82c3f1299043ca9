import TangentFlow

/// The parameters `(β^{(ℓ)}, R_ℓ)`, `ℓ = 1…L`, of a network whose weights are adapted to the activation
/// (Def. 2.2; Thm 3.2 (3.17): `W^{(ℓ)} = R_ℓ ∈ O(Q)` without loss of generality, since `τ^{(ℓ)}` does not depend
/// on `W_*^{(ℓ)}` (6.2)). The state of the flows of Thm 3.2 and Thm 5.1.
///
/// Packed as one vector for `integrate`: per layer, `β^{(ℓ)}` (`Q` entries) then `R_ℓ` column-major (`Q²`);
/// `orthogonalBlocks` tells `CayleyStepper` where the `R_ℓ` sit.
public struct AdaptedParameters: Sendable, Equatable {
    /// `R_ℓ` at index `ℓ − 1`.
    public var rotations: [Matrix]
    /// `β^{(ℓ)}` at index `ℓ − 1`.
    public var shifts: [[Double]]

    /// Rotations and shifts, validated: same count ≥ 1, `Q×Q` rotations with `‖RᵀR − I‖_F ≤ 1e-10`, shifts of
    /// length `Q`, all finite.
    /// - Throws: `.emptyInput`, `.shapeMismatch`, `.nonFinite`, `.invalidArgument` (not orthogonal).
    public init(rotations: [Matrix], shifts: [[Double]]) throws {
        _ = try TruncationNetwork.adapted(rotations: rotations, shifts: shifts)
        self.rotations = rotations
        self.shifts = shifts
    }

    /// Unpacks `packed` (layout above) for `layers` layers of width `width`.
    /// - Throws: `.shapeMismatch` if `packed.count != layers·(Q + Q²)`; `.nonFinite` for NaN/∞. Orthogonality is
    ///   checked where the rotations are used (costs and flows throw beyond `‖RᵀR − I‖_F > 1e-8`).
    public init(packed: [Double], width q: Int, layers: Int) throws {
        let op = "AdaptedParameters(packed:)"
        guard q >= 1, layers >= 1, packed.count == layers * (q + q * q) else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(layers)·(\(q) + \(q * q)) entries", got: "\(packed.count)")
        }
        try requireFinite(packed, op, "packed state")
        var rs: [Matrix] = [], bs: [[Double]] = []
        for l in 0..<layers {
            let o = l * (q + q * q)
            bs.append(Array(packed[o..<(o + q)]))
            rs.append(Matrix(uncheckedRows: q, cols: q, elements: Array(packed[(o + q)..<(o + q + q * q)])))
        }
        self.rotations = rs
        self.shifts = bs
    }

    /// The width `Q`.
    public var width: Int { rotations[0].rows }
    /// The number of layers `L`.
    public var layerCount: Int { rotations.count }

    /// The packed vector (layout above).
    public var packed: [Double] {
        var v: [Double] = []
        for l in 0..<layerCount { v += shifts[l] + rotations[l].elements }
        return v
    }

    /// Offsets of the `R_ℓ` blocks in `packed`, for `CayleyStepper`.
    public var orthogonalBlocks: [OrthogonalBlock] {
        let q = width
        return (0..<layerCount).map { OrthogonalBlock(offset: $0 * (q + q * q) + q, size: q) }
    }

    /// `max_ℓ ‖R_ℓᵀR_ℓ − I‖_F`.
    public var orthogonalityDefect: Double { rotations.map(TruncationAlgebra.orthogonalityDefect).max() ?? 0 }

    /// The network with `W^{(ℓ)} = R_ℓ` (3.17).
    /// - Throws: `.invalidArgument` if a rotation has drifted off `O(Q)` by more than 1e-10.
    public func network() throws -> TruncationNetwork {
        try TruncationNetwork.adapted(rotations: rotations, shifts: shifts)
    }

    /// The network with `W^{(ℓ)} = R_ℓ` and `(W^{(ℓ)})⁻¹ = R_ℓᵀ`, without an SVD per layer (the flows' hot path).
    /// Throws `.invalidArgument` if some `‖R_ℓᵀR_ℓ − I‖_F > 1e-8` (a flow keeps it near 1e-12; a packed state from
    /// elsewhere may not be orthogonal, and then `Rᵀ` would silently not be the inverse), `.nonFinite` for NaN/∞.
    func networkUnchecked() throws -> TruncationNetwork {
        try requireOrthogonal()
        return TruncationNetwork(orthogonal: rotations, shifts: shifts)
    }

    /// Throws unless every `R_ℓ` is finite with `‖R_ℓᵀR_ℓ − I‖_F ≤ 1e-8` and every `β^{(ℓ)}` is finite.
    func requireOrthogonal() throws {
        for (l, r) in rotations.enumerated() {
            try r.requireFinite("AdaptedParameters", "R_\(l + 1)")
            let defect = TruncationAlgebra.orthogonalityDefect(r)
            guard defect <= 1e-8 else {
                throw TangentFlowError.invalidArgument(
                    operation: "AdaptedParameters", reason: "R_\(l + 1) is not orthogonal: ‖RᵀR − I‖_F = \(defect) > 1e-8")
            }
        }
        for (l, b) in shifts.enumerated() { try requireFinite(b, "AdaptedParameters", "β^{(\(l + 1))}") }
    }
}
