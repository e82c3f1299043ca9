/// `NTKOperator` in pure Swift, the second opinion of `CNTKOperator`: `D V` and `Dᵀ U` by the Swift backend's own
/// JVP and VJP kernels (`SwiftMLP.swift`), which recompute the forward pass on every call and take a different
/// route (the full sensitivities of every layer) from the C operator's chunked forward and reverse modes.
final class SwiftNTKOperator: NTKOperator {
    private let model: MLP
    private let theta: [Double]
    private let x: Matrix
    let samples: Int
    let outputDimension: Int
    let parameterCount: Int

    init(_ model: MLP, theta: [Double], inputs x: Matrix) {
        self.model = model
        self.theta = theta
        self.x = x
        samples = x.rows
        outputDimension = model.outputDimension
        parameterCount = model.parameterCount
    }

    func pushforward(_ v: Matrix) throws -> Matrix {
        try NTKOperatorValidation.block(v, rows: parameterCount, "NTKOperator.pushforward", "V")
        return try SwiftBackend().mlpJVP(model, theta: theta, inputs: x, directions: v)
    }

    func pullback(_ u: Matrix) throws -> Matrix {
        try NTKOperatorValidation.block(u, rows: order, "NTKOperator.pullback", "U")
        return try SwiftBackend().mlpVJP(model, theta: theta, inputs: x, cotangents: u)
    }

    /// `G` by the Swift backend's layer-factored NTK (`SwiftBackend.mlpNTK`).
    func formedGram() throws -> Matrix? {
        try SwiftBackend().mlpNTK(model, theta: theta, inputs: x, nil)
    }

    func apply(_ x: UnsafeBufferPointer<Double>, columns: Int, into y: UnsafeMutableBufferPointer<Double>) throws {
        try NTKOperatorValidation.buffers(x.count, y.count, order: order, columns: columns, "NTKOperator.apply")
        let v = Matrix(uncheckedRows: order, cols: columns, elements: Array(x))
        let g = try pushforward(try SwiftBackend().mlpVJP(model, theta: theta, inputs: self.x, cotangents: v))
        for k in 0..<g.elements.count { y[k] = g.elements[k] }
    }
}
