/// A rectangular window into a `Matrix` without copying its entries: rows `rowOffset..<rowOffset+rows` and
/// columns `colOffset..<colOffset+cols` of `base`, with leading dimension `ld = base.rows`.
///
/// The view holds the base's storage (Swift arrays share storage until written), so making a view is O(1) and
/// C kernels receive a pointer to its first entry plus `ld` — LAPACK's sub-matrix convention.
/// `copy()` materialises it as a contiguous `Matrix`.
public struct MatrixView: Sendable {
    /// The matrix the view looks into.
    public let base: Matrix
    /// First row of the window in `base`.
    public let rowOffset: Int
    /// First column of the window in `base`.
    public let colOffset: Int
    /// Rows in the window.
    public let rows: Int
    /// Columns in the window.
    public let cols: Int

    /// Leading dimension (distance between columns in `base.elements`).
    public var ld: Int { base.rows }

    /// Entry `(i, j)` of the window.
    public subscript(i: Int, j: Int) -> Double {
        precondition(i >= 0 && i < rows && j >= 0 && j < cols, "MatrixView index (\(i), \(j)) out of range \(rows)×\(cols)")
        return base.elements[(rowOffset + i) + (colOffset + j) * base.rows]
    }

    /// A contiguous copy of the window.
    public func copy() -> Matrix {
        var out = Matrix(zerosRows: rows, cols: cols)
        for j in 0..<cols {
            let src = rowOffset + (colOffset + j) * base.rows
            for i in 0..<rows { out.elements[i + j * rows] = base.elements[src + i] }
        }
        return out
    }

    /// Calls `body` with a pointer to entry `(0, 0)` of the window and its leading dimension.
    /// The pointer is valid only inside `body`.
    func withUnsafePointer<R>(_ body: (UnsafePointer<Double>, Int) throws -> R) rethrows -> R {
        try base.elements.withUnsafeBufferPointer { p in
            try body(p.baseAddress! + rowOffset + colOffset * base.rows, base.rows)
        }
    }
}

extension Matrix {
    /// A no-copy view of rows `rowRange` and columns `colRange`.
    /// - Throws: `.invalidArgument` if a range leaves the matrix.
    public func view(rows rowRange: Range<Int>, cols colRange: Range<Int>) throws -> MatrixView {
        guard rowRange.lowerBound >= 0, rowRange.upperBound <= rows, colRange.lowerBound >= 0, colRange.upperBound <= cols
        else {
            throw TangentFlowError.invalidArgument(
                operation: "Matrix.view", reason: "window rows \(rowRange), cols \(colRange) leaves a \(rows)×\(cols) matrix")
        }
        return MatrixView(
            base: self, rowOffset: rowRange.lowerBound, colOffset: colRange.lowerBound, rows: rowRange.count,
            cols: colRange.count)
    }

    /// A no-copy view of columns `range` (contiguous in column-major storage).
    /// - Throws: `.invalidArgument` if the range leaves the matrix.
    public func columns(_ range: Range<Int>) throws -> MatrixView { try view(rows: 0..<rows, cols: range) }

    /// The whole matrix as a view.
    public var asView: MatrixView { MatrixView(base: self, rowOffset: 0, colOffset: 0, rows: rows, cols: cols) }
}
