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
    ///   not re-checked (a state from a stepper is orthogonal to rounding; `orthogonalityDefect` reports it).
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

    /// The network with `W^{(ℓ)} = R_ℓ` and `(W^{(ℓ)})⁻¹ = R_ℓᵀ`, without the orthogonality check or an SVD per
    /// layer: for states of a flow, whose rotations are orthogonal to rounding (the flows' hot path).
    func networkUnchecked() throws -> TruncationNetwork {
        guard rotations.allSatisfy({ $0.elements.allSatisfy(\.isFinite) }), shifts.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            return try TruncationNetwork(cumulativeWeights: rotations, shifts: shifts)  // throws the precise error
        }
        return TruncationNetwork(orthogonal: rotations, shifts: shifts)
    }
}

/// A `size×size` block of a packed state that lives on `O(size)`, stored column-major from `offset`.
public struct OrthogonalBlock: Sendable, Equatable {
    /// First index of the block in the packed vector.
    public let offset: Int
    /// The order of the matrix.
    public let size: Int

    /// A block at `offset` of order `size`.
    public init(offset: Int, size: Int) {
        self.offset = offset
        self.size = size
    }
}
