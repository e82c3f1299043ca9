import TangentFlow

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
        try requireDeepLinearShape(depth: depth, width: width, "EndToEndFlow")
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
