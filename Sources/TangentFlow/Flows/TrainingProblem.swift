/// A supervised training problem: a model, inputs `X` (`N×M₀`, samples as rows), targets `Y` (`N×Q`), a loss,
/// and the kernel backend that evaluates it. Everything a gradient-flow field needs (MATH.md §1, §3):
///
/// ```
/// x(θ) ∈ R^{QN} (sample-major),  g = ∇ₓC,  ∇_θC = Dᵀg (2.16),  G = DDᵀ (NTK, 3.15)
/// ```
public struct TrainingProblem: Sendable {
    /// The network.
    public let model: MLP
    /// Inputs, one sample per row.
    public let inputs: Matrix
    /// Targets, one sample per row (`N×Q`).
    public let targets: Matrix
    /// The cost.
    public let loss: Loss
    /// Kernels used for every evaluation.
    public let backend: KernelBackend
    /// Targets in sample-major order (`y ∈ R^{QN}`).
    public let targetVector: [Double]

    /// - Throws: `.shapeMismatch` if `X` does not have `M₀` columns or `Y` is not `N×Q`; `.nonFinite`, `.emptyInput`.
    public init(model: MLP, inputs: Matrix, targets: Matrix, loss: Loss = .squared, backend: KernelBackend = .c) throws {
        let op = "TrainingProblem"
        try model.validate(inputs: inputs, op)
        try targets.requireShape(inputs.rows, model.outputDimension, op, "Y")
        try targets.requireFinite(op, "Y")
        self.model = model
        self.inputs = inputs
        self.targets = targets
        self.loss = loss
        self.backend = backend
        targetVector = targets.rowMajorElements
    }

    /// Number of samples `N`.
    public var samples: Int { inputs.rows }
    /// `QN`.
    public var outputCount: Int { inputs.rows * model.outputDimension }

    /// `x(θ)`, sample-major.
    public func outputs(_ theta: [Double]) throws -> [Double] {
        try backend.kernels.mlpForward(model, theta: theta, inputs: inputs).rowMajorElements
    }

    /// `C(x(θ))`.
    public func lossValue(_ theta: [Double]) throws -> Double {
        loss.value(outputs: try outputs(theta), targets: targetVector, outputDimension: model.outputDimension)
    }

    /// `g = ∇ₓC` at `x`.
    public func outputGradient(_ x: [Double]) -> [Double] {
        loss.gradient(outputs: x, targets: targetVector, outputDimension: model.outputDimension)
    }

    /// `Dᵀu` (matrix-free VJP).
    public func pullback(_ theta: [Double], _ u: [Double]) throws -> [Double] {
        try backend.kernels.mlpVJP(model, theta: theta, inputs: inputs, cotangents: Matrix.column(u)).elements
    }

    /// `Dv` (matrix-free JVP).
    public func pushforward(_ theta: [Double], _ v: [Double]) throws -> [Double] {
        try backend.kernels.mlpJVP(model, theta: theta, inputs: inputs, directions: Matrix.column(v)).elements
    }

    /// The NTK Gram `G = DDᵀ` (structured kernel, never the Jacobian).
    public func ntk(_ theta: [Double]) throws -> Matrix {
        try backend.kernels.mlpNTK(model, theta: theta, inputs: inputs, nil)
    }

    /// The Jacobian `D` (only for the SVD route or when asked).
    public func jacobian(_ theta: [Double]) throws -> Matrix {
        try backend.kernels.mlpJacobian(model, theta: theta, inputs: inputs)
    }
}
