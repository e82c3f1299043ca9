/// A dense, column-major matrix of `Double` (LAPACK's native order): entry `(i, j)` is stored at
/// `elements[i + j * rows]`, so the leading dimension of an owned matrix is `rows`.
///
/// Storage is a Swift array, so copies are cheap until written to (copy-on-write). Every throwing initialiser
/// checks that the element count matches the shape; `subscript` traps only on an out-of-range index, like
/// `Array` (a programming error, not bad data).
///
/// Data files hold one sample per row (`N×M`, NumPy's habit); `Matrix(rows:cols:rowMajor:)` and `NpyFile`
/// (in `TangentFlowIO`) convert. Postconditions: `elements.count == rows * cols`; `rows, cols ≥ 0`.
public struct Matrix: Sendable, Equatable, CustomStringConvertible {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let cols: Int
    /// Column-major entries, `elements[i + j * rows] = A[i, j]`.
    public package(set) var elements: [Double]

    /// A `rows×cols` matrix with every entry equal to `value`.
    /// - Throws: `.invalidArgument` if a dimension is negative.
    public init(rows: Int, cols: Int, repeating value: Double = 0) throws {
        try Matrix.checkDimensions(rows, cols, "Matrix(rows:cols:repeating:)")
        self.rows = rows
        self.cols = cols
        self.elements = [Double](repeating: value, count: rows * cols)
    }

    /// A matrix from column-major entries (`columnMajor[i + j * rows] = A[i, j]`).
    /// - Throws: `.invalidArgument` for a negative dimension, `.shapeMismatch` if the count is not `rows * cols`.
    public init(rows: Int, cols: Int, columnMajor: [Double]) throws {
        try Matrix.checkDimensions(rows, cols, "Matrix(rows:cols:columnMajor:)")
        guard columnMajor.count == rows * cols else {
            throw TangentFlowError.shapeMismatch(
                operation: "Matrix(rows:cols:columnMajor:)", expected: "\(rows * cols) elements (\(rows)×\(cols))",
                got: "\(columnMajor.count) elements")
        }
        self.rows = rows
        self.cols = cols
        self.elements = columnMajor
    }

    /// A matrix from row-major entries (`rowMajor[i * cols + j] = A[i, j]`, NumPy's C order), transposed into
    /// column-major storage.
    /// - Throws: as `init(rows:cols:columnMajor:)`.
    public init(rows: Int, cols: Int, rowMajor: [Double]) throws {
        try Matrix.checkDimensions(rows, cols, "Matrix(rows:cols:rowMajor:)")
        guard rowMajor.count == rows * cols else {
            throw TangentFlowError.shapeMismatch(
                operation: "Matrix(rows:cols:rowMajor:)", expected: "\(rows * cols) elements (\(rows)×\(cols))",
                got: "\(rowMajor.count) elements")
        }
        self.rows = rows
        self.cols = cols
        self.elements = Matrix.transposeStorage(rowMajor, rows: cols, cols: rows)
    }

    /// A matrix from an array of rows (each an array of `cols` entries).
    /// - Throws: `.shapeMismatch` if the rows have different lengths.
    public init(_ rowArrays: [[Double]]) throws {
        let r = rowArrays.count
        let c = rowArrays.first?.count ?? 0
        for (i, row) in rowArrays.enumerated() where row.count != c {
            throw TangentFlowError.shapeMismatch(
                operation: "Matrix(_ rows:)", expected: "every row of length \(c)", got: "row \(i) of length \(row.count)")
        }
        try self.init(rows: r, cols: c, rowMajor: rowArrays.flatMap { $0 })
    }

    /// Non-throwing initialiser for shapes already known to be valid (package access: used by TangentFlowIO).
    package init(uncheckedRows rows: Int, cols: Int, elements: [Double]) {
        precondition(elements.count == rows * cols, "internal shape error")
        self.rows = rows
        self.cols = cols
        self.elements = elements
    }

    /// Internal zero matrix for shapes already known to be valid.
    package init(zerosRows rows: Int, cols: Int) {
        self.init(uncheckedRows: rows, cols: cols, elements: [Double](repeating: 0, count: rows * cols))
    }

    /// The `n×n` identity.
    /// - Throws: `.invalidArgument` if `n < 0`.
    public static func identity(_ n: Int) throws -> Matrix {
        var m = try Matrix(rows: n, cols: n)
        for i in 0..<n { m.elements[i + i * n] = 1 }
        return m
    }

    /// A column vector (`count×1`) holding `values`.
    public static func column(_ values: [Double]) -> Matrix {
        Matrix(uncheckedRows: values.count, cols: 1, elements: values)
    }

    /// Entry `(i, j)`; traps on an index outside `0..<rows`, `0..<cols`, like `Array`.
    public subscript(i: Int, j: Int) -> Double {
        get {
            precondition(i >= 0 && i < rows && j >= 0 && j < cols, "Matrix index (\(i), \(j)) out of range \(rows)×\(cols)")
            return elements[i + j * rows]
        }
        set {
            precondition(i >= 0 && i < rows && j >= 0 && j < cols, "Matrix index (\(i), \(j)) out of range \(rows)×\(cols)")
            elements[i + j * rows] = newValue
        }
    }

    /// `true` when the matrix has no entries.
    public var isEmpty: Bool { rows == 0 || cols == 0 }

    /// `(rows, cols)`.
    public var shape: (rows: Int, cols: Int) { (rows, cols) }

    /// `Aᵀ` (a copy; blocked to stay cache-friendly).
    public var transposed: Matrix {
        Matrix(uncheckedRows: cols, cols: rows, elements: Matrix.transposeStorage(elements, rows: rows, cols: cols))
    }

    /// Entries in row-major order (`A[i, j]` at `i * cols + j`), e.g. for writing C-order `.npy` files.
    public var rowMajorElements: [Double] { Matrix.transposeStorage(elements, rows: rows, cols: cols) }

    /// Row `i` as an array.
    public func row(_ i: Int) -> [Double] {
        precondition(i >= 0 && i < rows, "row \(i) out of range 0..<\(rows)")
        return (0..<cols).map { elements[i + $0 * rows] }
    }

    /// Column `j` as an array.
    public func column(_ j: Int) -> [Double] {
        precondition(j >= 0 && j < cols, "column \(j) out of range 0..<\(cols)")
        return Array(elements[(j * rows)..<((j + 1) * rows)])
    }

    /// Frobenius norm `‖A‖_F = (Σ a_ij²)^{1/2}`, computed with scaling so it neither overflows nor underflows.
    public var frobeniusNorm: Double { scaledNorm(elements) }

    /// Largest absolute entry `max |a_ij|` (0 for an empty matrix).
    public var maxAbs: Double { elements.reduce(0) { Swift.max($0, Swift.abs($1)) } }

    /// A one-line human-readable description.
    public var description: String {
        if rows * cols > 400 { return "Matrix(\(rows)×\(cols))" }
        var s = "Matrix(\(rows)×\(cols))"
        for i in 0..<rows { s += "\n  " + row(i).map { "\($0)" }.joined(separator: "  ") }
        return s
    }

    static func checkDimensions(_ rows: Int, _ cols: Int, _ op: String) throws {
        guard rows >= 0, cols >= 0 else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "dimensions must be non-negative, got \(rows)×\(cols)")
        }
        let (product, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard !overflow, product <= Int.max / 8 else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "\(rows)×\(cols) entries overflow the address space")
        }
    }

    /// Transposes column-major `rows×cols` storage into column-major `cols×rows` storage, in 32×32 tiles.
    static func transposeStorage(_ a: [Double], rows: Int, cols: Int) -> [Double] {
        var out = [Double](repeating: 0, count: a.count)
        let tile = 32
        a.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var j0 = 0
                while j0 < cols {
                    let j1 = Swift.min(j0 + tile, cols)
                    var i0 = 0
                    while i0 < rows {
                        let i1 = Swift.min(i0 + tile, rows)
                        for j in j0..<j1 {
                            for i in i0..<i1 { dst[j + i * cols] = src[i + j * rows] }
                        }
                        i0 = i1
                    }
                    j0 = j1
                }
            }
        }
        return out
    }
}

/// `(Σ x_i²)^{1/2}` with LAPACK dnrm2's scaling (no overflow or underflow for finite input).
package func scaledNorm<C: Collection>(_ x: C) -> Double where C.Element == Double {
    var scale = 0.0
    var ssq = 1.0
    for v in x where v != 0 {
        let a = Swift.abs(v)
        if scale < a {
            ssq = 1 + ssq * (scale / a) * (scale / a)
            scale = a
        } else {
            ssq += (a / scale) * (a / scale)
        }
    }
    return scale * ssq.squareRoot()
}
