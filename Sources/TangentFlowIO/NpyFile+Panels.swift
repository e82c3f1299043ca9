import Foundation
import TangentFlow

extension NpyFile {
    /// The shape of the 2-D (or 1-D, as `n×1`) array in a `.npy` file, from its header alone. `path` as for
    /// `readMatrix(from:)` (also `archive.npz:name`; a stored member's CRC is not checked here, a compressed one
    /// is inflated whole).
    /// - Throws: as `readMatrix(from:)` for a file that is not a supported 1-D or 2-D array.
    public static func shape(of path: String) throws -> (rows: Int, cols: Int) {
        try withArrayReader(path, verifyChecksum: false) { r in
            let h = try NpyHeader.read(from: r)
            switch h.shape.count {
            case 1: return (h.shape[0], 1)
            case 2: return (h.shape[0], h.shape[1])
            default:
                throw TangentFlowError.malformedFile(
                    path: path, reason: "\(h.shape.count)-D array of shape \(NpyHeader.describeShape(h.shape)); expected a 1-D or 2-D array")
            }
        }
    }

    /// Columns `columns` of the 2-D array in `path`, as a `rows×columns.count` matrix, reading only their bytes:
    /// how a Jacobian too large for memory is streamed panel by panel into `GramAccumulator` (peak memory: one
    /// panel plus one row of scratch). Any supported dtype and either storage order. `path` as for
    /// `readMatrix(from:)`: a stored `.npz` member (`np.savez`) is read in place, panel by panel, without its CRC
    /// being checked; a compressed one (`np.savez_compressed`) is inflated whole, and checked, on every call.
    /// - Throws: as `readMatrix(from:)`; `.invalidArgument` if the range is outside the array.
    public static func readColumns(_ columns: Range<Int>, from path: String) throws -> Matrix {
        try withArrayReader(path, verifyChecksum: false) { r in
            let h = try NpyHeader.read(from: r)
            let rows: Int, cols: Int
            switch h.shape.count {
            case 1: (rows, cols) = (h.shape[0], 1)
            case 2: (rows, cols) = (h.shape[0], h.shape[1])
            default:
                throw TangentFlowError.malformedFile(
                    path: path, reason: "\(h.shape.count)-D array of shape \(NpyHeader.describeShape(h.shape)); expected a 1-D or 2-D array")
            }
            guard columns.lowerBound >= 0, columns.upperBound <= cols else {
                throw TangentFlowError.invalidArgument(
                    operation: "NpyFile.readColumns", reason: "columns \(columns) outside the \(rows)×\(cols) array in \(path)")
            }
            let k = columns.count, size = h.dtype.size
            try MemoryBudget.require(bytes: MemoryBudget.product(rows, k, 2, 8), operation: "reading columns \(columns) of \(path)")
            var out = [Double](repeating: 0, count: rows * k)
            if rows == 0 || k == 0 { return try Matrix(rows: rows, cols: k, columnMajor: out) }
            if h.fortranOrder || cols == 1 {
                // Column-major file: the panel is one contiguous run.
                var bytes = [UInt8](repeating: 0, count: rows * k * size)
                try bytes.withUnsafeMutableBytes { try r.read(at: h.dataOffset + columns.lowerBound * rows * size, into: $0) }
                bytes.withUnsafeBytes { src in out.withUnsafeMutableBufferPointer { decodeRun(src.baseAddress!, count: rows * k, h.dtype, into: $0.baseAddress!) } }
            } else {
                // Row-major file: one run per row, scattered into the column-major panel.
                var bytes = [UInt8](repeating: 0, count: k * size)
                var row = [Double](repeating: 0, count: k)
                for i in 0..<rows {
                    try bytes.withUnsafeMutableBytes { try r.read(at: h.dataOffset + (i * cols + columns.lowerBound) * size, into: $0) }
                    bytes.withUnsafeBytes { src in row.withUnsafeMutableBufferPointer { decodeRun(src.baseAddress!, count: k, h.dtype, into: $0.baseAddress!) } }
                    for c in 0..<k { out[i + c * rows] = row[c] }
                }
            }
            return try Matrix(rows: rows, cols: k, columnMajor: out)
        }
    }
}
