import Testing

@testable import TangentFlow

/// The typed matrix layer: shape-checked construction, layouts, views without copies, symmetric/PSD wrappers,
/// and the errors bad input gets (issue #2 §5).
@Suite struct MatrixTests {
    @Test func constructionChecksShapesAndConvertsLayouts() throws {
        let a = try Matrix([[1, 2, 3], [4, 5, 6]])
        #expect(a.rows == 2 && a.cols == 3)
        #expect(a.elements == [1, 4, 2, 5, 3, 6])  // column-major
        #expect(a[1, 2] == 6 && a[0, 1] == 2)
        #expect(a.rowMajorElements == [1, 2, 3, 4, 5, 6])
        #expect(try Matrix(rows: 2, cols: 3, rowMajor: [1, 2, 3, 4, 5, 6]) == a)
        #expect(try Matrix(rows: 2, cols: 3, columnMajor: [1, 4, 2, 5, 3, 6]) == a)
        #expect(a.transposed.rows == 3 && a.transposed[2, 1] == 6)
        #expect(a.transposed.transposed == a)
        #expect(a.row(1) == [4, 5, 6] && a.column(2) == [3, 6])
        #expect(try Matrix.identity(3)[1, 1] == 1 && Matrix.identity(3)[0, 1] == 0)
        #expect(throws: TangentFlowError.self) { try Matrix(rows: 2, cols: 2, columnMajor: [1, 2, 3]) }
        #expect(throws: TangentFlowError.self) { try Matrix(rows: -1, cols: 2) }
        #expect(throws: TangentFlowError.self) { try Matrix([[1, 2], [3]]) }
        #expect(throws: TangentFlowError.self) { try Matrix(rows: Int.max / 2, cols: 4) }
        let empty = try Matrix(rows: 0, cols: 5)
        #expect(empty.isEmpty && empty.transposed.rows == 5)
    }

    @Test func largeTranspositionCrossesTileBoundaries() throws {
        let a = Fixtures.gaussian(67, 45, seed: 1)
        let t = a.transposed
        for i in 0..<67 { for j in 0..<45 { #expect(t[j, i] == a[i, j]) } }
    }

    @Test func frobeniusNormNeitherOverflowsNorUnderflows() throws {
        let big = try Matrix([[3e200, 4e200]]), tiny = try Matrix([[3e-200, 4e-200]])
        #expect(abs(big.frobeniusNorm / 5e200 - 1) < 1e-15)
        #expect(abs(tiny.frobeniusNorm / 5e-200 - 1) < 1e-15)
    }

    @Test func viewsShareStorageAndHandBLASTheirLeadingDimension() throws {
        let a = Fixtures.gaussian(6, 5, seed: 2)
        let v = try a.view(rows: 1..<4, cols: 2..<5)
        #expect(v.rows == 3 && v.cols == 3 && v.ld == 6)
        #expect(v[0, 0] == a[1, 2] && v[2, 2] == a[3, 4])
        let copy = v.copy()
        #expect(copy.rows == 3 && copy[1, 1] == a[2, 3])
        v.withUnsafePointer { p, ld in
            #expect(ld == 6)
            #expect(p[0] == a[1, 2] && p[1 + 2 * ld] == a[2, 4])
        }
        let cols = try a.columns(1..<3)
        #expect(cols.copy() == (try Matrix(rows: 6, cols: 2, columnMajor: Array(a.elements[6..<18]))))
        #expect(throws: TangentFlowError.self) { try a.view(rows: 0..<7, cols: 0..<1) }
        #expect(throws: TangentFlowError.self) { try a.columns(4..<6) }
    }

    @Test func symmetricAndPSDWrappers() throws {
        let b = Fixtures.gaussian(5, 3, seed: 3)
        let s = try SwiftBackend().multiply(b, transposeA: false, b, transposeB: true)  // PSD, rank 3
        let sym = try SymmetricMatrix(s)
        #expect(sym.matrix == sym.matrix.transposed)
        #expect(try PSDMatrix(s).n == 5)
        var nearly = s
        nearly[0, 1] += 1e-14
        #expect(try SymmetricMatrix(nearly).matrix[0, 1] == SymmetricMatrix(nearly).matrix[1, 0])
        var asym = s
        asym[0, 1] += 1
        #expect(throws: TangentFlowError.self) { try SymmetricMatrix(asym) }
        var indefinite = try Matrix.identity(3)
        indefinite[2, 2] = -1
        #expect(throws: TangentFlowError.self) { try PSDMatrix(indefinite) }
        var nan = s
        nan[2, 2] = .nan
        #expect(throws: TangentFlowError.nonFinite(operation: "SymmetricMatrix", argument: "A", row: 2, column: 2)) {
            try SymmetricMatrix(nan)
        }
        #expect(throws: TangentFlowError.self) { try SymmetricMatrix(b) }
    }

    @Test(arguments: KernelBackend.allCases)
    func multiplyRejectsBadOperandsWithTypedErrors(_ backend: KernelBackend) throws {
        let k = backend.kernels
        let a = Fixtures.gaussian(3, 4, seed: 4), b = Fixtures.gaussian(5, 2, seed: 5)
        #expect(throws: TangentFlowError.self) { try k.multiply(a, transposeA: false, b, transposeB: false) }
        var inf = Fixtures.gaussian(4, 2, seed: 6)
        inf[3, 1] = .infinity
        #expect(throws: TangentFlowError.nonFinite(operation: "multiply", argument: "B", row: 3, column: 1)) {
            try k.multiply(a, transposeA: false, inf, transposeB: false)
        }
        // Transposes and degenerate shapes agree with the reference loop.
        let c = try k.multiply(a, transposeA: true, Fixtures.gaussian(3, 2, seed: 7), transposeB: false)
        #expect(c.rows == 4 && c.cols == 2)
        let z = try k.multiply(try Matrix(rows: 3, cols: 0), transposeA: false, try Matrix(rows: 0, cols: 2), transposeB: false)
        #expect(z == (try Matrix(rows: 3, cols: 2)))
    }

    @Test func errorDescriptionsSayWhatIsWrong() {
        #expect(TangentFlowError.shapeMismatch(operation: "op", expected: "3×3", got: "2×2").description.contains("expected 3×3, got 2×2"))
        #expect(TangentFlowError.lapackFailure(routine: "dgesdd", info: -4).description.contains("argument 4"))
        #expect(TangentFlowError.insufficientMemory(operation: "jac", bytesNeeded: 3 << 30, bytesAvailable: 1 << 30).description.contains("3.0 GiB"))
        #expect(TangentFlowError.notPositiveDefinite(operation: "chol", minor: 7).description.contains("minor 7"))
    }

    @Test func memoryBudgetRefusesBeforeAllocating() throws {
        // A Jacobian of 10⁶ samples × 10 outputs of a 16-1024-1024-10 MLP would be ≈ 86 TB.
        let net = try MLP(widths: [16, 1024, 1024, 10], activation: .tanh)
        let theta = net.initialParameters(seed: 1)
        let x = try Matrix(rows: 1_000_000, cols: 16)
        #expect {
            try CBackend().mlpJacobian(net, theta: theta, inputs: x)
        } throws: { error in
            guard case let TangentFlowError.insufficientMemory(_, need, _) = error else { return false }
            return need > 1 << 40
        }
    }
}
