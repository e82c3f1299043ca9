import TangentFlow

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
        try requireDeepLinearShape(depth: depth, width: width, "DeepLinearUpstairsFlow")
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
