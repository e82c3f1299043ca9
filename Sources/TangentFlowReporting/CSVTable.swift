// A CSV table for experiment results: named columns of numbers (and optionally text), written so that every
// Double reads back bit for bit.
//
// Goals, in priority order:
// 1. Exact numbers: each Double is written as Swift's shortest round-trip decimal (`String(describing:)`), which
//    `Double(_:)`, NumPy and pandas parse back to the same value; NaN, +∞, −∞ are written `nan`, `inf`, `-inf`.
// 2. Files any CSV reader accepts: RFC 4180 quoting for text and header fields.
// 3. Rows are checked when appended, so a wrong row fails at the line that made it, not at write time.

import Foundation
import TangentFlow

/// A table of named columns, numeric or text, written as RFC 4180 CSV.
///
/// ```swift
/// var table = CSVTable(columns: ["step", "loss", "gradNorm"])
/// try table.append([0, 0.693, 1.2])
/// try table.write(to: "results/loss.csv")
///
/// var runs = try CSVTable(columns: ["activation", "width", "loss"], kinds: [.text, .number, .number])
/// try runs.append([.text("relu"), .number(512), .number(1e-3)])
/// ```
///
/// Format:
/// - Header line of column names, then one line per row, fields separated by `,`, lines ended by `\n`.
/// - Numbers: `String(describing: x)` (shortest text that parses back to `x` exactly, e.g. `0.1`, `1e-08`,
///   `3.0`); NaN → `nan`, +∞ → `inf`, −∞ → `-inf`.
/// - Text and column names: quoted with `"` when they contain `,`, `"`, CR, LF or leading/trailing spaces,
///   with inner `"` doubled (RFC 4180 §2.5–2.7); otherwise written as is.
///
/// Edge cases: a table with no rows writes only its header; a table with no columns writes an empty header line.
///
/// Postconditions: `rows.count` grows by one per successful `append`; a throwing `append` leaves the table as it
/// was.
public struct CSVTable: Sendable {
    /// What a column holds.
    public enum ColumnKind: Sendable, Equatable, CaseIterable {
        /// Doubles, written with full precision.
        case number
        /// Strings, quoted as RFC 4180 requires.
        case text
    }

    /// One field of a row.
    public enum Cell: Sendable, Equatable {
        /// A number, for a `.number` column.
        case number(Double)
        /// A string, for a `.text` column.
        case text(String)
    }

    /// Column names, in order; written as the header line.
    public let columns: [String]
    /// The kind of each column, parallel to `columns`.
    public let kinds: [ColumnKind]
    /// The rows appended so far, each with one cell per column of the column's kind.
    public private(set) var rows: [[Cell]] = []

    /// A table whose columns all hold numbers.
    ///
    /// - Parameter columns: column names, written as the header line.
    public init(columns: [String]) {
        self.columns = columns
        self.kinds = Array(repeating: .number, count: columns.count)
    }

    /// A table with a kind per column.
    ///
    /// - Parameters:
    ///   - columns: column names, written as the header line.
    ///   - kinds: one kind per column.
    /// - Throws: `TangentFlowError.shapeMismatch` when `kinds.count != columns.count`.
    public init(columns: [String], kinds: [ColumnKind]) throws {
        guard kinds.count == columns.count else {
            throw TangentFlowError.shapeMismatch(operation: "CSVTable.init", expected: "\(columns.count) kinds",
                got: "\(kinds.count)")
        }
        self.columns = columns
        self.kinds = kinds
    }

    /// Appends a row of numbers to a table whose columns all hold numbers.
    ///
    /// - Parameter row: one value per column; NaN and ±∞ are allowed and written `nan`, `inf`, `-inf`.
    /// - Throws: `TangentFlowError.shapeMismatch` when `row.count != columns.count`;
    ///   `TangentFlowError.invalidArgument` when the table has a text column (use `append(cells:)`).
    public mutating func append(_ row: [Double]) throws {
        try checkLength(row.count)
        if let j = kinds.firstIndex(of: .text) {
            throw TangentFlowError.invalidArgument(operation: "CSVTable.append",
                reason: "column \(j) ('\(columns[j])') holds text; append a row of Cell values with append(cells:)")
        }
        rows.append(row.map { .number($0) })
    }

    /// Appends a row of cells, each of its column's kind.
    ///
    /// - Parameter cells: one cell per column.
    /// - Throws: `TangentFlowError.shapeMismatch` when `cells.count != columns.count`;
    ///   `TangentFlowError.invalidArgument` when a cell's kind differs from its column's.
    public mutating func append(cells: [Cell]) throws {
        try checkLength(cells.count)
        for (j, (cell, kind)) in zip(cells, kinds).enumerated() {
            switch (cell, kind) {
            case (.number, .number), (.text, .text):
                continue
            case (.number, .text), (.text, .number):
                throw TangentFlowError.invalidArgument(operation: "CSVTable.append",
                    reason: "column \(j) ('\(columns[j])') holds \(kind == .number ? "numbers" : "text"), "
                        + "but the row gives \(kind == .number ? "text" : "a number")")
            }
        }
        rows.append(cells)
    }

    /// The CSV text `write(to:)` writes: header line, then one line per row, each ended by `\n`.
    public func render() -> String {
        var out = columns.map(Self.quoted).joined(separator: ",") + "\n"
        for row in rows {
            out += row.map(Self.field).joined(separator: ",")
            out += "\n"
        }
        return out
    }

    /// Writes `render()` to `path` as UTF-8, creating or truncating the file.
    ///
    /// - Parameter path: file path; its directory must exist.
    /// - Throws: `TangentFlowError.io(path:reason:)` when the file cannot be opened or written.
    public func write(to path: String) throws {
        try ReportFile.write(render(), to: path)
    }

    /// The text of one number: shortest round-trip decimal, `nan`, `inf` or `-inf`.
    static func format(_ x: Double) -> String {
        if x.isNaN { return "nan" }  // also −NaN and signalling NaN, which Swift prints "-nan" / "snan"
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        return String(describing: x)
    }

    /// `text` as an RFC 4180 field: quoted, with `"` doubled, when it holds `,` `"` CR LF or edge spaces.
    static func quoted(_ text: String) -> String {
        let needsQuotes = text.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
            || text.first == " " || text.last == " "
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private static func field(_ cell: Cell) -> String {
        switch cell {
        case let .number(x): return format(x)
        case let .text(s): return quoted(s)
        }
    }

    private func checkLength(_ count: Int) throws {
        guard count == columns.count else {
            throw TangentFlowError.shapeMismatch(operation: "CSVTable.append", expected: "\(columns.count) fields",
                got: "\(count)")
        }
    }
}
