import TangentFlow

/// An equal-width ReLU network in cumulative parameters (file 003, §2): for layers `ℓ = 1 … L` of width `Q`,
///
/// ```
/// W^{(ℓ)} = W_ℓ ⋯ W_1,   b^{(ℓ)} = W_ℓ⋯W_2 b_1 + ⋯ + b_ℓ,   β^{(ℓ)} = (W^{(ℓ)})⁻¹ b^{(ℓ)} = Σ_{j≤ℓ} (W^{(j)})⁻¹ b_j   (1.3)
/// ```
///
/// The cumulative pairs `(W^{(ℓ)}, β^{(ℓ)})` are independent parameters (§2.2); `weights[ℓ−1] = W^{(ℓ)}`,
/// `shifts[ℓ−1] = β^{(ℓ)}`. Every `W^{(ℓ)}` must be invertible (checked by SVD: `σ_min > Q·ε·σ_max`).
/// The truncation maps (1.6) and hidden vectors are in `TruncationNetwork+Maps.swift`.
///
/// Postconditions: `weights.count == shifts.count == L ≥ 1`, every weight `Q×Q` and invertible, all finite.
public struct TruncationNetwork: Sendable {
    /// The width `Q`.
    public let width: Int
    /// `W^{(ℓ)}` at index `ℓ − 1`.
    public let weights: [Matrix]
    /// `β^{(ℓ)}` at index `ℓ − 1`.
    public let shifts: [[Double]]
    /// `(W^{(ℓ)})⁻¹` at index `ℓ − 1`.
    let inverses: [Matrix]

    /// A network from cumulative weights `W^{(ℓ)}` and cumulative shifts `β^{(ℓ)}` (1.3).
    /// - Throws: `.emptyInput` for no layer, `.shapeMismatch` for a non-`Q×Q` weight or a shift not of length `Q`,
    ///   `.nonFinite` for NaN/∞, `.invalidArgument` for a non-invertible `W^{(ℓ)}`.
    public init(cumulativeWeights: [Matrix], shifts: [[Double]]) throws {
        let op = "TruncationNetwork"
        guard let first = cumulativeWeights.first else { throw TangentFlowError.emptyInput(operation: op, argument: "cumulativeWeights") }
        guard shifts.count == cumulativeWeights.count else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(cumulativeWeights.count) shifts β^{(ℓ)}", got: "\(shifts.count)")
        }
        let q = first.rows
        var inverses: [Matrix] = []
        for (k, w) in cumulativeWeights.enumerated() {
            try w.requireShape(q, q, op, "W^{(\(k + 1))}")
            inverses.append(try TruncationAlgebra.inverse(w, operation: op, argument: "W^{(\(k + 1))}"))
        }
        for (k, b) in shifts.enumerated() { try requireVector(b, length: q, op, "β^{(\(k + 1))}") }
        self.width = q
        self.weights = cumulativeWeights
        self.shifts = shifts
        self.inverses = inverses
    }

    /// Rotations whose inverses are their transposes (validated by the caller).
    init(orthogonal rotations: [Matrix], shifts: [[Double]]) {
        self.width = rotations[0].rows
        self.weights = rotations
        self.shifts = shifts
        self.inverses = rotations.map(\.transposed)
    }

    /// The cumulative parameters (1.3) of the layer parameters `(W_ℓ, b_ℓ)` of `x ↦ σ(W_ℓ x + b_ℓ)` (1.1).
    /// - Throws: as `init(cumulativeWeights:shifts:)`, naming `W_ℓ` when a layer weight is not invertible.
    public init(layerWeights: [Matrix], layerBiases: [[Double]]) throws {
        let op = "TruncationNetwork(layerWeights:layerBiases:)"
        guard let first = layerWeights.first else { throw TangentFlowError.emptyInput(operation: op, argument: "layerWeights") }
        guard layerBiases.count == layerWeights.count else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(layerWeights.count) biases b_ℓ", got: "\(layerBiases.count)")
        }
        let q = first.rows
        var cumulative: [Matrix] = []
        var shifts: [[Double]] = []
        var w = try Matrix.identity(q)
        var beta = [Double](repeating: 0, count: q)
        for (k, wl) in layerWeights.enumerated() {
            try wl.requireShape(q, q, op, "W_\(k + 1)")
            try wl.requireFinite(op, "W_\(k + 1)")
            _ = try TruncationAlgebra.inverse(wl, operation: op, argument: "W_\(k + 1)")
            try requireVector(layerBiases[k], length: q, op, "b_\(k + 1)")
            w = TruncationAlgebra.multiply(wl, w)
            // β^{(ℓ)} = β^{(ℓ−1)} + (W^{(ℓ)})⁻¹ b_ℓ (1.3).
            let step = TruncationAlgebra.apply(try TruncationAlgebra.inverse(w, operation: op, argument: "W^{(\(k + 1))}"), layerBiases[k])
            beta = (0..<q).map { beta[$0] + step[$0] }
            cumulative.append(w)
            shifts.append(beta)
        }
        try self.init(cumulativeWeights: cumulative, shifts: shifts)
    }

    /// A network whose weights are adapted to the activation (Def. 2.2, (2.31)): `W^{(ℓ)} = W_*^{(ℓ)} R_ℓ` with
    /// `W_*^{(ℓ)} = diag(scales[ℓ−1])` (positive) and `R_ℓ ∈ O(Q)`. `scales == nil` means `W_* = 1`, (3.17).
    /// - Throws: `.invalidArgument` when a rotation is not orthogonal (`‖RᵀR − I‖_F > 1e-10`) or a scale is not
    ///   positive; otherwise as `init(cumulativeWeights:shifts:)`.
    public static func adapted(rotations: [Matrix], shifts: [[Double]], scales: [[Double]]? = nil) throws -> TruncationNetwork {
        let op = "TruncationNetwork.adapted"
        guard let first = rotations.first else { throw TangentFlowError.emptyInput(operation: op, argument: "rotations") }
        let q = first.rows
        if let scales, scales.count != rotations.count {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(rotations.count) scale vectors", got: "\(scales.count)")
        }
        var weights: [Matrix] = []
        for (k, r) in rotations.enumerated() {
            try r.requireShape(q, q, op, "R_\(k + 1)")
            try r.requireFinite(op, "R_\(k + 1)")
            let defect = TruncationAlgebra.orthogonalityDefect(r)
            guard defect <= 1e-10 else {
                throw TangentFlowError.invalidArgument(operation: op, reason: "R_\(k + 1) is not orthogonal: ‖RᵀR − I‖_F = \(defect) > 1e-10")
            }
            var w = r
            if let d = scales?[k] {
                guard d.count == q, d.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                    throw TangentFlowError.invalidArgument(operation: op, reason: "scales \(k + 1) must be \(q) positive finite numbers (W_* diagonal, invertible)")
                }
                for j in 0..<q { for i in 0..<q { w.elements[i + j * q] *= d[i] } }
            }
            weights.append(w)
        }
        return try TruncationNetwork(cumulativeWeights: weights, shifts: shifts)
    }

    /// The number of layers `L`.
    public var layerCount: Int { weights.count }

    /// `b^{(ℓ)} = W^{(ℓ)} β^{(ℓ)}` (1.3), index `ℓ − 1`.
    public var cumulativeBiases: [[Double]] { (0..<layerCount).map { TruncationAlgebra.apply(weights[$0], shifts[$0]) } }

    /// The layer parameters `(W_ℓ, b_ℓ)` that (1.3) maps to this network: `W_ℓ = W^{(ℓ)}(W^{(ℓ−1)})⁻¹`,
    /// `b_ℓ = b^{(ℓ)} − W_ℓ b^{(ℓ−1)}` (the inverse of `init(layerWeights:layerBiases:)`).
    public var layerParameters: (weights: [Matrix], biases: [[Double]]) {
        let b = cumulativeBiases
        var ws: [Matrix] = [], bs: [[Double]] = []
        for k in 0..<layerCount {
            if k == 0 {
                ws.append(weights[0])
                bs.append(b[0])
            } else {
                let wl = TruncationAlgebra.multiply(weights[k], inverses[k - 1])
                let carried = TruncationAlgebra.apply(wl, b[k - 1])
                ws.append(wl)
                bs.append((0..<width).map { b[k][$0] - carried[$0] })
            }
        }
        return (ws, bs)
    }

    /// Throws `.invalidArgument` unless `1 ≤ ℓ ≤ L`.
    func requireLayer(_ l: Int, _ op: String) throws {
        guard l >= 1, l <= layerCount else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "layer \(l) out of range 1…\(layerCount)")
        }
    }

    /// Throws unless `x` has length `Q` and is finite.
    func requirePoint(_ x: [Double], _ op: String) throws {
        guard x.count == width else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "a point of length \(width)", got: "length \(x.count)")
        }
        try requireFinite(x, op, "x")
    }
}
