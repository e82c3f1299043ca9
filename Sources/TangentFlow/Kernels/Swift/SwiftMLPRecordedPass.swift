/// `MLPRecordedPass` in pure Swift: one `SwiftMLPPass` (activations, `σ'`) reused by the outputs, the NTK (full
/// per-layer products, cached: the pass is at one `θ`) and VJPs (reverse mode) — the same routes, and so the same
/// numbers, as `SwiftBackend.mlpForward`, `mlpNTK` and `mlpVJP`. Made by `SwiftBackend.mlpRecordPass`.
final class SwiftMLPRecordedPass: MLPRecordedPass {
    private let model: MLP
    private let pass: SwiftMLPPass
    private var cachedNTK: Matrix?
    let samples: Int
    let outputDimension: Int
    let parameterCount: Int

    init(_ model: MLP, theta: [Double], inputs x: Matrix) {
        self.model = model
        pass = SwiftMLPPass(model, theta: theta, x: x)
        samples = x.rows
        outputDimension = model.outputDimension
        parameterCount = model.parameterCount
    }

    func outputs() throws -> [Double] { pass.out.rowMajorElements }

    func ntk() throws -> Matrix {
        if let cachedNTK { return cachedNTK }
        let qn = samples * outputDimension
        try MemoryBudget.require(doubles: 3 * qn * qn, operation: "mlpNTK")
        let g = swiftMLPNTK(model, pass, nil)
        cachedNTK = g
        return g
    }

    func pullback(_ u: [Double]) throws -> [Double] {
        try KernelValidation.passVector(u, count: samples * outputDimension, "MLPRecordedPass.pullback", "u")
        return swiftMLPVJP(model, pass: pass, u: Matrix.column(u)).elements
    }

    func ntkCholeskySolve(_ g: [Double], estimateCondition: Bool) throws -> (solution: [Double], reciprocalCondition: Double?)? {
        try KernelValidation.passVector(g, count: samples * outputDimension, "MLPRecordedPass.ntkCholeskySolve", "g")
        let gram = try ntk()
        do {
            let (psi, rcond) = try SwiftBackend().choleskySolve(gram, Matrix.column(g), estimateCondition: estimateCondition)
            return (psi.elements, rcond)
        } catch TangentFlowError.notPositiveDefinite {
            return nil
        }
    }
}
