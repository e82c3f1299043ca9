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

    /// Finiteness of `D` for `G = DDᵀ`, checked after the product: `G_ii = Σ_k D_ik²` is a sum of non-negative
    /// terms, so any NaN or ±∞ in row i makes `G_ii` non-finite. A finite diagonal therefore certifies every
    /// entry of `D` in O(rows) instead of a pass over all of `D` (8% of the product's time at 1000×20000);
    /// otherwise `D` is scanned to name the first bad entry, and a finite `D` whose squares overflow is
    /// reported as such.
    static func certifyGram(_ g: [Double], of d: Matrix, _ op: String) throws {
        let r = d.rows
        if (0..<r).allSatisfy({ g[$0 * r + $0].isFinite }) { return }
        try d.requireFinite(op, "D")
        throw TangentFlowError.invalidArgument(
            operation: op, reason: "DDᵀ overflows: a row of D has a squared norm above \(Double.greatestFiniteMagnitude)")
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

    // MARK: recorded pass, streamed Gram

    /// A vector handed to a recorded pass (`u` of `Dᵀu`, `g` of `Gψ = g`): `QN` finite entries.
    static func passVector(_ v: [Double], count: Int, _ op: String, _ name: String) throws {
        guard v.count == count else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(name) of length QN = \(count)", got: "length \(v.count)")
        }
        try requireFinite(v, op, name)
    }

    static func gramAccumulate(_ d: Matrix, _ g: Matrix) throws {
        let op = "gramAccumulate"
        try g.requireShape(d.rows, d.rows, op, "G")
        try d.requireFinite(op, "D")
    }

    // MARK: transport (operation names are those of the `TangentFlowWasserstein/Transport/` façade)

    static func gridSinkhorn(_ grid: RegularGrid2D, _ a: [Double], _ b: [Double], _ options: SinkhornOptions) throws {
        let op = "GridSinkhorn.solve"
        try options.validate(op)
        try requireProbabilityVector(a, count: grid.count, op, "a")
        try requireProbabilityVector(b, count: grid.count, op, "b")
        try MemoryBudget.require(
            doubles: 12 * grid.count + 2 * (grid.x1.count * grid.x1.count + grid.x2.count * grid.x2.count), operation: op)
    }

    static func gridTransportCost(_ grid: RegularGrid2D, _ f: [Double], _ g: [Double], _ regularization: Double) throws {
        let op = "GridSinkhorn.transportCost"
        guard f.count == grid.count, g.count == grid.count else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "f, g of length \(grid.count)", got: "\(f.count), \(g.count)")
        }
        guard regularization > 0, regularization.isFinite else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "regularization must be positive, got \(regularization)")
        }
        try potentials(f, op, "f")
        try potentials(g, op, "g")
    }

    /// `ε > 0` finite for a grid log-kernel.
    static func gridEpsilon(_ epsilon: Double, _ op: String) throws {
        guard epsilon > 0, epsilon.isFinite else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "epsilon must be positive and finite, got \(epsilon)")
        }
    }

    static func gridLogApply(_ grid: RegularGrid2D, _ w: [Double]) throws {
        let op = "GridLogKernel.apply"
        guard w.count == grid.count else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "length \(grid.count)", got: "length \(w.count)")
        }
        try potentials(w, op, "w")
    }

    /// Log-domain weights or potentials: finite or `−∞` (no mass); NaN and `+∞` are refused.
    static func potentials(_ v: [Double], _ op: String, _ name: String) throws {
        for (k, x) in v.enumerated() where x.isNaN || x == .infinity {
            throw TangentFlowError.nonFinite(operation: op, argument: name, row: k, column: 0)
        }
    }

    static func linearAssignment(_ cost: Matrix) throws {
        let op = "LinearAssignment.solve"
        try cost.requireNonEmpty(op, "cost")
        try cost.requireSquare(op, "cost")
        try cost.requireFinite(op, "cost")
    }

    static func rectangularAssignment(_ cost: Matrix) throws {
        let op = "LinearAssignment.solveRectangular"
        if let k = cost.elements.firstIndex(where: { $0.isNaN || $0 == -.infinity }) {
            throw TangentFlowError.nonFinite(operation: op, argument: "cost", row: k % Swift.max(1, cost.rows), column: k / Swift.max(1, cost.rows))
        }
    }

    static func pointAssignment(_ x: Matrix, _ y: Matrix, _ warmStart: [Double]?) throws {
        let op = "LinearAssignment.points"
        try x.requireNonEmpty(op, "X")
        try y.requireNonEmpty(op, "Y")
        guard x.rows == y.rows, x.cols == y.cols else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "Y of shape \(x.rows)×\(x.cols)", got: "\(y.rows)×\(y.cols)")
        }
        try x.requireFinite(op, "X")
        try y.requireFinite(op, "Y")
        if let w = warmStart {
            guard w.count == x.rows else {
                throw TangentFlowError.shapeMismatch(operation: op, expected: "\(x.rows) warm-start potentials", got: "\(w.count)")
            }
            if let k = w.firstIndex(where: { !$0.isFinite }) {
                throw TangentFlowError.nonFinite(operation: op, argument: "warmStart", row: k, column: 0)
            }
        }
        try MemoryBudget.require(doubles: x.rows * x.rows, operation: op)
    }

    static func pairwiseSquaredDistances(_ x: Matrix, _ y: Matrix) throws {
        let op = "LinearAssignment.squaredDistances"
        try x.requireNonEmpty(op, "X")
        try y.requireNonEmpty(op, "Y")
        guard x.cols == y.cols else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "Y with \(x.cols) columns", got: "\(y.rows)×\(y.cols)")
        }
        try x.requireFinite(op, "X")
        try y.requireFinite(op, "Y")
        try MemoryBudget.require(doubles: x.rows * y.rows, operation: op)
    }
}
