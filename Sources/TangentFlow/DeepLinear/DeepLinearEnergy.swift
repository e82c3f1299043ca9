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

/// The upstairs gradient flow of a deep linear network ((1.2–1.3) in file 002),
/// `W_p' = −(W_N⋯W_{p+1})ᵀ ∇E(W) (W_{p−1}⋯W_1)ᵀ`, as a `VectorField` on the flat state
/// `[vec(W_1); …; vec(W_N)]` (column-major blocks), for `integrate`.
///
/// Invariants: the balancedness defects (1.4) are conserved; on the balanced manifold the product follows
/// `EndToEndFlow`.
public struct DeepLinearUpstairsFlow: VectorField {
    /// Depth `N`.
    public let depth: Int
    /// Width `d`.
    public let width: Int
    /// The energy.
    public let energy: DeepLinearEnergy
    /// The backend for products.
    public let backend: KernelBackend

    /// The flow for networks of the given shape.
    /// - Throws: `.invalidArgument` for `N < 1` or `d < 1`.
    public init(depth: Int, width: Int, energy: DeepLinearEnergy, backend: KernelBackend = .c) throws {
        guard depth >= 1, width >= 1 else {
            throw TangentFlowError.invalidArgument(operation: "DeepLinearUpstairsFlow", reason: "need N ≥ 1 and d ≥ 1, got N = \(depth), d = \(width)")
        }
        self.depth = depth
        self.width = width
        self.energy = energy
        self.backend = backend
    }

    /// The flat state of a network.
    public static func state(of network: DeepLinearNetwork) -> [Double] { DenseOps.flatten(network.factors) }

    /// The network held in a flat state.
    /// - Throws: `.shapeMismatch` if the state has the wrong length.
    public func network(from y: [Double]) throws -> DeepLinearNetwork {
        guard y.count == depth * width * width else {
            throw TangentFlowError.shapeMismatch(operation: "DeepLinearUpstairsFlow", expected: "state of length N·d² = \(depth * width * width)", got: "\(y.count)")
        }
        return try DeepLinearNetwork(factors: DenseOps.unflatten(y, count: depth, order: width), backend: backend)
    }

    /// `F(s, y)`: minus the upstairs gradient (1.3).
    public func velocity(at s: Double, _ y: [Double]) throws -> [Double] {
        DenseOps.flatten(try network(from: y).upstairsGradient(energy)).map { -$0 }
    }
}

/// The end-to-end flow `W' = −A_{N,W}(∇E(W))` on `vec(W)` (MATH.md §4, (1.8) in file 002): the image of the
/// upstairs flow started on the balanced manifold.
public struct EndToEndFlow: VectorField {
    /// Depth `N`.
    public let depth: Int
    /// Width `d`.
    public let width: Int
    /// The energy.
    public let energy: DeepLinearEnergy
    /// The backend.
    public let backend: KernelBackend

    /// The flow on `d×d` matrices.
    /// - Throws: `.invalidArgument` for `N < 1` or `d < 1`.
    public init(depth: Int, width: Int, energy: DeepLinearEnergy, backend: KernelBackend = .c) throws {
        guard depth >= 1, width >= 1 else {
            throw TangentFlowError.invalidArgument(operation: "EndToEndFlow", reason: "need N ≥ 1 and d ≥ 1, got N = \(depth), d = \(width)")
        }
        self.depth = depth
        self.width = width
        self.energy = energy
        self.backend = backend
    }

    /// `F(s, vec W) = −vec A_{N,W}(∇E(W))`.
    public func velocity(at s: Double, _ y: [Double]) throws -> [Double] {
        guard y.count == width * width else {
            throw TangentFlowError.shapeMismatch(operation: "EndToEndFlow", expected: "state of length d² = \(width * width)", got: "\(y.count)")
        }
        let w = Matrix(uncheckedRows: width, cols: width, elements: y)
        let metric = try DeepLinearMetric(at: w, depth: depth, backend: backend)
        return try metric.endToEndVelocity(gradient: energy.checkedGradient(w)).elements
    }
}
