// Argument checks shared by both backends, so `CBackend` and `SwiftBackend` reject exactly the same inputs.

enum KernelValidation {
    static func multiply(_ a: Matrix, _ ta: Bool, _ b: Matrix, _ tb: Bool) throws {
        let op = "multiply"
        let k1 = ta ? a.rows : a.cols
        let k2 = tb ? b.cols : b.rows
        guard k1 == k2 else {
            throw TangentFlowError.shapeMismatch(
                operation: op, expected: "inner dimensions equal (op(A) is \(ta ? a.cols : a.rows)×\(k1))",
                got: "op(B) is \(k2)×\(tb ? b.rows : b.cols)")
        }
        try a.requireFinite(op, "A")
        try b.requireFinite(op, "B")
    }

    static func decomposable(_ a: Matrix, _ op: String) throws {
        try a.requireFinite(op, "A")
    }

    static func symmetric(_ a: Matrix, _ op: String) throws -> Matrix {
        try SymmetricMatrix(a, tolerance: 1e-10).matrix
    }

    static func choleskySolve(_ a: Matrix, _ b: Matrix) throws {
        let op = "choleskySolve"
        try a.requireSquare(op, "A")
        guard b.rows == a.rows else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "B with \(a.rows) rows", got: b.shapeString)
        }
        try a.requireFinite(op, "A")
        try b.requireFinite(op, "B")
    }

    static func mlp(_ model: MLP, _ theta: [Double], _ x: Matrix, _ op: String) throws {
        try model.validate(theta: theta, op)
        try model.validate(inputs: x, op)
    }

    static func jacobianDestination(_ model: MLP, _ x: Matrix, _ d: Matrix) throws {
        let qn = x.rows * model.outputDimension
        guard d.rows == qn, d.cols == model.parameterCount else {
            throw TangentFlowError.shapeMismatch(
                operation: "mlpJacobian(into:)", expected: "destination of shape QN×K = \(qn)×\(model.parameterCount)",
                got: d.shapeString)
        }
    }

    static func jvp(_ model: MLP, _ theta: [Double], _ x: Matrix, _ v: Matrix) throws {
        let op = "mlpJVP"
        try mlp(model, theta, x, op)
        guard v.rows == model.parameterCount else {
            throw TangentFlowError.shapeMismatch(
                operation: op, expected: "V with K = \(model.parameterCount) rows", got: v.shapeString)
        }
        try v.requireFinite(op, "V")
    }

    static func vjp(_ model: MLP, _ theta: [Double], _ x: Matrix, _ u: Matrix) throws {
        let op = "mlpVJP"
        try mlp(model, theta, x, op)
        let qn = x.rows * model.outputDimension
        guard u.rows == qn else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "U with QN = \(qn) rows", got: u.shapeString)
        }
        try u.requireFinite(op, "U")
    }
}
