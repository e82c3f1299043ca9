import Foundation
import TangentFlow

// Stacks of equally shaped matrices as 3-D `.npy` arrays of shape (count, rows, cols) — a path of matrices, as
// NumPy holds it (`path[k]` is the k-th matrix).
extension NpyFile {
    /// Writes `matrices` (all `rows×cols`) as one float64 array of shape `(count, rows, cols)` in C order, as
    /// `np.save(path, np.stack(matrices))` would.
    /// - Throws: `.invalidArgument` for an empty list or unequal shapes; `.io` if the file cannot be written.
    public static func write(stack matrices: [Matrix], to path: String) throws {
        try AtomicFile.write(try encode(stack: matrices), to: path)
    }

    /// The bytes `write(stack:to:)` would write.
    /// - Throws: `.invalidArgument` for an empty list or unequal shapes.
    public static func encode(stack matrices: [Matrix]) throws -> [UInt8] {
        guard let first = matrices.first else {
            throw TangentFlowError.invalidArgument(operation: "NpyFile.write(stack:)", reason: "need at least one matrix")
        }
        for (k, m) in matrices.enumerated() {
            try m.requireShape(first.rows, first.cols, "NpyFile.write(stack:)", "matrix \(k)")
        }
        // C-order (p, r, c) data is the C-order 2-D (p, r·c) array whose row k is matrix k in row-major order.
        let flat = try Matrix(rows: matrices.count, cols: first.rows * first.cols, rowMajor: matrices.flatMap(\.rowMajorElements))
        return encodeFloat64(
            flat.elements, rows: flat.rows, cols: flat.cols, shape: [matrices.count, first.rows, first.cols], fortranOrder: false)
    }

    /// Reads a 3-D array of shape `(count, rows, cols)` (C or Fortran order, any supported dtype) as `count`
    /// matrices; a 2-D array is read as a stack of one.
    /// `path` as for `readMatrix(from:)` (a `.npy` file or `archive.npz:name`).
    /// - Throws: `.io`, `.malformedFile` (also for arrays that are not 2-D or 3-D, and for bad archives).
    public static func readStack(from path: String) throws -> [Matrix] {
        try withArrayReader(path) { r in
            var bytes = [UInt8](repeating: 0, count: r.count)
            try bytes.withUnsafeMutableBytes { try r.read(at: 0, into: $0) }
            return try parseStack(bytes, path: r.path)
        }
    }

    /// `readStack` on bytes in memory.
    public static func parseStack<Bytes: ContiguousBytes>(_ bytes: Bytes, path: String = "<memory>") throws -> [Matrix] {
        try bytes.withUnsafeBytes { raw in
            let h = try NpyHeader.read(from: MemoryReader(bytes: raw, path: path))
            if h.shape.count == 2 { return [try matrix(from: MemoryReader(bytes: raw, path: path))] }
            guard h.shape.count == 3 else {
                throw TangentFlowError.malformedFile(
                    path: path, reason: "\(h.shape.count)-D array of shape \(NpyHeader.describeShape(h.shape)); expected (count, rows, cols)")
            }
            let (p, r, c) = (h.shape[0], h.shape[1], h.shape[2])
            // An empty stack or empty matrices carry no data, so the header's data-size check cannot bound the
            // dimensions: refuse what would overflow `r·c` or build absurd numbers of empty matrices.
            let (rc, overflow) = r.multipliedReportingOverflow(by: c)
            guard !overflow, r > 0, c > 0, p > 0 else {
                throw TangentFlowError.malformedFile(
                    path: path, reason: "stack of shape \(NpyHeader.describeShape(h.shape)) has an empty dimension; expected (count, rows, cols), all ≥ 1")
            }
            _ = rc
            // Same data, read as the 2-D (p, r·c) array: C order gives row k = matrix k row-major; Fortran order
            // gives row k = matrix k column-major.
            let reshaped = NpyHeader.encode(dtype: h.dtype, fortranOrder: h.fortranOrder, shape: [p, r * c]) + raw[h.dataOffset...]
            let flat = try parseMatrix(reshaped, path: path)
            return try (0..<p).map { k in
                h.fortranOrder
                    ? try Matrix(rows: r, cols: c, columnMajor: flat.row(k)) : try Matrix(rows: r, cols: c, rowMajor: flat.row(k))
            }
        }
    }
}
