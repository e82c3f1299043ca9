/// `Kernels` in pure Swift: readable, independent of BLAS and LAPACK, and not deliberately slow (blocked,
/// SIMD inner loops). The second opinion in every cross-check and the baseline in `kernels-bench`.
/// Its MLP kernels take different routes from the C ones (see `Kernels/Swift/SwiftMLP.swift`).
public struct SwiftBackend: Kernels {
    /// A pure-Swift backend (single-threaded).
    public init() {}

    /// Which implementation this is.
    public var backend: KernelBackend { .swift }

    /// `C = op(A)·op(B)`, see `Kernels.multiply(_:transposeA:_:transposeB:)`.
    public func multiply(_ a: Matrix, transposeA: Bool, _ b: Matrix, transposeB: Bool) throws -> Matrix {
        try KernelValidation.multiply(a, transposeA, b, transposeB)
        let m = transposeA ? a.cols : a.rows, n = transposeB ? b.rows : b.cols
        try MemoryBudget.require(doubles: m * n, operation: "multiply")
        return swiftMultiply(a, transposeA: transposeA, b, transposeB: transposeB)
    }

    /// Thin SVD `A = U diag(s) Vᵀ`, see `Kernels.svd(_:)`.
    public func svd(_ a: Matrix) throws -> SVD {
        try KernelValidation.decomposable(a, "svd")
        return try swiftSVD(a)
    }

    /// Symmetric eigendecomposition `A = V diag(λ) Vᵀ`, see `Kernels.symmetricEigen(_:)`.
    public func symmetricEigen(_ a: Matrix) throws -> SymmetricEigen {
        try swiftSymmetricEigen(KernelValidation.symmetric(a, "symmetricEigen"))
    }

    /// Cholesky solve of `A X = B` with an optional `1/κ₁(A)` estimate, see `Kernels.choleskySolve(_:_:estimateCondition:)`.
    public func choleskySolve(_ a: Matrix, _ b: Matrix, estimateCondition: Bool) throws -> (solution: Matrix, reciprocalCondition: Double?) {
        try KernelValidation.choleskySolve(a, b)
        let x = try swiftCholeskySolve(a, b)
        guard estimateCondition else { return (x, nil) }
        // Exact 1/κ₁(A) = 1/(‖A‖₁‖A⁻¹‖₁) from the explicit inverse (the reference path is not about speed).
        let inv = try swiftCholeskySolve(a, Matrix.identity(a.rows))
        func norm1(_ m: Matrix) -> Double {
            (0..<m.cols).map { j in (0..<m.rows).reduce(0) { $0 + Swift.abs(m.elements[$1 + j * m.rows]) } }.max() ?? 0
        }
        let k = norm1(a) * norm1(inv)
        return (x, k > 0 ? 1 / k : 0)
    }

    /// Gram matrix `G = DDᵀ`, see `Kernels.gram(_:)`.
    public func gram(_ d: Matrix) throws -> Matrix {
        try MemoryBudget.require(doubles: d.rows * d.rows, operation: "gram")
        let g = swiftGram(d)
        try KernelValidation.certifyGram(g.elements, of: d, "gram")
        return g
    }

    /// `G ← G + DDᵀ` in place (the full product `DDᵀ`, then added), see `Kernels.gramAccumulate(_:into:)`.
    public func gramAccumulate(_ d: Matrix, into g: inout Matrix) throws {
        try KernelValidation.gramAccumulate(d, g)
        let p = swiftGram(d)
        for k in 0..<g.elements.count { g.elements[k] += p.elements[k] }
    }

    /// MLP outputs (N×Q), see `Kernels.mlpForward(_:theta:inputs:)`.
    public func mlpForward(_ model: MLP, theta: [Double], inputs x: Matrix) throws -> Matrix {
        try KernelValidation.mlp(model, theta, x, "mlpForward")
        return SwiftMLPPass(model, theta: theta, x: x).out
    }

    /// Parameter Jacobian `D` ((2.12) in 2408.01517), see `Kernels.mlpJacobian(_:theta:inputs:)`.
    public func mlpJacobian(_ model: MLP, theta: [Double], inputs x: Matrix) throws -> Matrix {
        try KernelValidation.mlp(model, theta, x, "mlpJacobian")
        try MemoryBudget.require(doubles: x.rows * model.outputDimension * model.parameterCount, operation: "mlpJacobian")
        return swiftMLPJacobian(model, theta: theta, x: x)
    }

    /// Jacobian–vector products `D·V`, see `Kernels.mlpJVP(_:theta:inputs:directions:)`.
    public func mlpJVP(_ model: MLP, theta: [Double], inputs x: Matrix, directions v: Matrix) throws -> Matrix {
        try KernelValidation.jvp(model, theta, x, v)
        return swiftMLPJVP(model, theta: theta, x: x, v: v)
    }

    /// Vector–Jacobian products `Dᵀ·U`, see `Kernels.mlpVJP(_:theta:inputs:cotangents:)`.
    public func mlpVJP(_ model: MLP, theta: [Double], inputs x: Matrix, cotangents u: Matrix) throws -> Matrix {
        try KernelValidation.vjp(model, theta, x, u)
        return swiftMLPVJP(model, theta: theta, x: x, u: u)
    }

    /// Layer-factored empirical NTK ((3.15) in 2408.01517), see `Kernels.mlpNTK(_:theta:inputs:_:)`.
    public func mlpNTK(_ model: MLP, theta: [Double], inputs x1: Matrix, _ x2: Matrix?) throws -> Matrix {
        try KernelValidation.mlp(model, theta, x1, "mlpNTK")
        if let x2 { try model.validate(inputs: x2, "mlpNTK", "X₂") }
        let q = model.outputDimension
        try MemoryBudget.require(doubles: 3 * q * x1.rows * q * (x2?.rows ?? x1.rows), operation: "mlpNTK")
        return swiftMLPNTK(model, theta: theta, x1: x1, x2: x2)
    }

    /// The matrix-free NTK by the Swift JVP/VJP kernels (`SwiftNTKOperator`, recomputing the forward pass per
    /// product; `keepSensitivities` does not apply), see `Kernels.mlpNTKOperator(_:theta:inputs:keepSensitivities:)`.
    public func mlpNTKOperator(_ model: MLP, theta: [Double], inputs x: Matrix, keepSensitivities: Bool) throws -> any NTKOperator {
        try KernelValidation.mlp(model, theta, x, "mlpNTKOperator")
        return SwiftNTKOperator(model, theta: theta, inputs: x)
    }

    /// One recorded pass (`SwiftMLPPass`), see `Kernels.mlpRecordPass(_:theta:inputs:)`.
    public func mlpRecordPass(_ model: MLP, theta: [Double], inputs x: Matrix) throws -> any MLPRecordedPass {
        try KernelValidation.mlp(model, theta, x, "mlpRecordPass")
        return SwiftMLPRecordedPass(model, theta: theta, inputs: x)
    }
}
