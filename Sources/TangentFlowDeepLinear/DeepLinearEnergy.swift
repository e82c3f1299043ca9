import TangentFlow

/// An energy `E : R^{d×d} → R` of the end-to-end matrix, given by its gradient (the only thing the flows need)
/// and optionally its value ((1.2) in file 002).
public struct DeepLinearEnergy: Sendable {
    /// `∇E(W)`, a `d×d` matrix.
    public let gradient: @Sendable (Matrix) throws -> Matrix
    /// `E(W)`, when known (used for reporting only).
    public let value: (@Sendable (Matrix) throws -> Double)?

    /// An energy from a user-supplied gradient closure (and optionally its value).
    public init(gradient: @escaping @Sendable (Matrix) throws -> Matrix, value: (@Sendable (Matrix) throws -> Double)? = nil) {
        self.gradient = gradient
        self.value = value
    }

    /// The squared loss to a target, `E(W) = ½‖W − Y‖²_F`, `∇E(W) = W − Y`.
    /// - Throws: `.emptyInput`, `.shapeMismatch` (not square), `.nonFinite`.
    public static func squaredLoss(target y: Matrix) throws -> DeepLinearEnergy {
        try y.requireSquareFinite("DeepLinearEnergy.squaredLoss", "Y")
        return DeepLinearEnergy(
            gradient: { w in
                try w.requireShape(y.rows, y.cols, "DeepLinearEnergy.squaredLoss", "W")
                return DenseOps.sub(w, y)
            },
            value: { w in
                try w.requireShape(y.rows, y.cols, "DeepLinearEnergy.squaredLoss", "W")
                let r = DenseOps.sub(w, y).frobeniusNorm
                return 0.5 * r * r
            })
    }

    /// `∇E(W)` after checking its shape and finiteness.
    func checkedGradient(_ w: Matrix) throws -> Matrix {
        let g = try gradient(w)
        try g.requireShape(w.rows, w.cols, "DeepLinearEnergy.gradient", "∇E(W)")
        try g.requireFinite("DeepLinearEnergy.gradient", "∇E(W)")
        return g
    }
}
