import Foundation
import TangentFlow
import TangentFlowIO

/// Reading inputs and writing outputs for a command: every read records the file in the run's report (path,
/// shape), every write goes through `AtomicFile` (whose `willWrite` hook, set by the runner, records it); float64
/// outputs are checked finite first, so exit 0 always means every number written is finite.
extension ParsedArguments {
    /// The matrix in the file given to `--name` (or positional argument `name`); NaN or ±∞ entries are bad data
    /// (status 65) named by the option and the file.
    package func matrix(_ name: String) throws -> Matrix {
        let path = try path(name)
        let m = try NpyFile.readMatrix(from: path)
        report.input(name, path: path, shape: [m.rows, m.cols])
        if let k = m.elements.firstIndex(where: { !$0.isFinite }) {
            throw CommandFailure(.dataError, "\(label(name)): \(path) has a non-finite entry (\(m.elements[k])) at row \(k % max(1, m.rows)), column \(k / max(1, m.rows))",
                                 hint: "remove or replace the NaN/infinite entries")
        }
        return m
    }

    /// The matrix in the file given to `--name`, any shape (0 rows or columns included), entries unchecked: for a
    /// caller whose data may hold infinities with a meaning (forbidden assignment pairs) and which checks them itself.
    package func matrixAllowingInfinities(_ name: String) throws -> (matrix: Matrix, path: String) {
        let path = try path(name)
        let m = try NpyFile.readMatrix(from: path)
        report.input(name, path: path, shape: [m.rows, m.cols])
        return (m, path)
    }

    /// The vector in the file given to `--name`; NaN or ±∞ entries are bad data named by the option and file.
    package func vector(_ name: String) throws -> [Double] {
        let path = try path(name)
        let v = try NpyFile.readVector(from: path)
        report.input(name, path: path, shape: [v.count])
        if let k = v.firstIndex(where: { !$0.isFinite }) {
            throw CommandFailure(.dataError, "\(label(name)): \(path) has a non-finite entry (\(v[k])) at index \(k)",
                                 hint: "remove or replace the NaN/infinite entries")
        }
        return v
    }

    /// The shape (rows, cols) of the array in the file of `--name`, read from its header only (cheap: lets a
    /// command refuse impossible work before reading a large file). A 1-D array of length n is (n, 1).
    package func shape(_ name: String) throws -> (rows: Int, cols: Int) {
        try NpyFile.shape(of: path(name))
    }

    /// `--name` for an option, `<name>` for a positional argument.
    package func label(_ name: String) -> String {
        spec.arguments.contains { $0.name == name } ? "<\(name)>" : "--\(name)"
    }

    /// The value of option `--name` or of the positional argument `<name>`.
    package func path(_ name: String) throws -> String {
        if let i = spec.arguments.firstIndex(where: { $0.name == name }), i < positionals.count { return positionals[i] }
        return try required(name)
    }

    /// Writes `m` to the file of `--name` (a failure leaves any earlier file untouched).
    /// - Throws: `CommandFailure(.stopped)` if `m` holds NaN or ±∞ (nothing is written then).
    package func write(_ m: Matrix, to name: String, fortranOrder: Bool = false) throws {
        try requireFinite(m.elements, what: "the result for --\(name)")
        let path = try required(name)
        try NpyFile.write(m, to: path, fortranOrder: fortranOrder)
    }

    /// Writes `v` as a 1-D float64 array to the file of `--name`.
    package func write(vector v: [Double], to name: String) throws {
        try requireFinite(v, what: "the result for --\(name)")
        let path = try required(name)
        try NpyFile.write(vector: v, to: path)
    }

    /// Writes a stack of matrices (shape (count, rows, cols)) to the file of `--name`.
    package func write(stack: [Matrix], to name: String) throws {
        for m in stack { try requireFinite(m.elements, what: "the result for --\(name)") }
        let path = try required(name)
        try NpyFile.write(stack: stack, to: path)
    }
}

/// Throws `CommandFailure(.stopped)` naming `what` when `values` holds NaN or ±∞.
package func requireFinite(_ values: [Double], what: String) throws {
    if let i = values.firstIndex(where: { !$0.isFinite }) {
        throw CommandFailure(.stopped, "\(what) is not finite (entry \(i) is \(values[i])); nothing was written",
                             hint: "the computation overflowed or diverged; check the scale of the inputs and parameters")
    }
}
