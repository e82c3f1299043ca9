// Several SVGPlots in a grid, in one SVG document.

import Foundation
import TangentFlow

/// A grid of plots (rows × columns) in one SVG document, with an optional overall title.
///
/// ```swift
/// var fig = try SVGFigure(rows: 1, columns: 2, title: "Run 17")
/// try fig.place(lossPlot, row: 0, column: 0)
/// try fig.place(kernelPlot, row: 0, column: 1)
/// try fig.write(to: "results/run17.svg")
/// ```
///
/// Cells are `cellWidth` × `cellHeight` px; a plot placed in a cell is drawn at the cell's size (its own
/// `width` and `height` are ignored), with its own title, axes and legend. A plot whose legend cannot sit inside
/// its plot area without covering data puts it outside (see `SVGPlot`), which needs a larger cell: its column
/// grows wider or its row taller, and the other plots of that column or row are laid out at the grown size, so
/// plot areas stay aligned. Empty cells stay blank.
///
/// Edge cases: a figure with no plots renders as a blank (titled) page; cell sizes outside
/// 120…100 000 × 90…100 000 px are clamped by `render()` and rejected by `validate()`.
public struct SVGFigure: Sendable {
    /// Number of rows of the grid.
    public let rows: Int
    /// Number of columns of the grid.
    public let columns: Int
    /// Title drawn centred above the grid. Empty: none.
    public var title: String
    /// Width of each cell, px (default 480).
    public var cellWidth: Double
    /// Height of each cell, px (default 340).
    public var cellHeight: Double
    /// The plots, row-major: `cells[row * columns + column]`, `nil` for an empty cell.
    public private(set) var cells: [SVGPlot?]

    /// An empty grid.
    ///
    /// - Parameters:
    ///   - rows: at least 1.
    ///   - columns: at least 1.
    ///   - title: overall title (empty for none).
    ///   - cellWidth: px per cell (default 480).
    ///   - cellHeight: px per cell (default 340).
    /// - Throws: `TangentFlowError.invalidArgument` when `rows` or `columns` is below 1 or the grid has more
    ///   than 10 000 cells.
    public init(rows: Int, columns: Int, title: String = "", cellWidth: Double = 480, cellHeight: Double = 340) throws {
        guard rows >= 1, columns >= 1, rows <= 10_000 / columns else {
            throw TangentFlowError.invalidArgument(operation: "SVGFigure",
                reason: "grid \(rows) × \(columns) must have at least 1 row and 1 column and at most 10000 cells")
        }
        self.rows = rows
        self.columns = columns
        self.title = title
        self.cellWidth = cellWidth
        self.cellHeight = cellHeight
        self.cells = Array(repeating: nil, count: rows * columns)
    }

    /// A grid filled row by row with `plots`: `columns` wide and as many rows as needed.
    ///
    /// - Parameters: as `init(rows:columns:title:cellWidth:cellHeight:)`, plus `plots` in reading order.
    /// - Throws: as `init(rows:columns:title:cellWidth:cellHeight:)`; also when `plots` is empty.
    public init(plots: [SVGPlot], columns: Int, title: String = "", cellWidth: Double = 480,
                cellHeight: Double = 340) throws {
        guard columns >= 1, !plots.isEmpty else {
            throw TangentFlowError.invalidArgument(operation: "SVGFigure",
                reason: "needs at least one plot and one column (got \(plots.count) plots, \(columns) columns)")
        }
        try self.init(rows: (plots.count + columns - 1) / columns, columns: columns, title: title,
                      cellWidth: cellWidth, cellHeight: cellHeight)
        for (i, plot) in plots.enumerated() { cells[i] = plot }
    }

    /// The plot at (row, column), 0-based, or `nil` when the cell is empty or outside the grid.
    public func plot(row: Int, column: Int) -> SVGPlot? {
        guard (0..<rows).contains(row), (0..<columns).contains(column) else { return nil }
        return cells[row * columns + column]
    }

    /// Puts `plot` in cell (row, column), 0-based, replacing what was there.
    ///
    /// - Throws: `TangentFlowError.invalidArgument` when the cell is outside the grid.
    public mutating func place(_ plot: SVGPlot, row: Int, column: Int) throws {
        guard (0..<rows).contains(row), (0..<columns).contains(column) else {
            throw TangentFlowError.invalidArgument(operation: "SVGFigure.place",
                reason: "cell (\(row), \(column)) is outside the \(rows) × \(columns) grid (indices are 0-based)")
        }
        cells[row * columns + column] = plot
    }

    /// Checks the cell size, then every plot (as `SVGPlot.validate()`, at the cell size).
    ///
    /// - Throws: `TangentFlowError.invalidArgument` naming the first problem.
    public func validate() throws {
        guard SVGPlot.sanitized(cellWidth, minimum: SVGPlot.minimumWidth) == cellWidth,
              SVGPlot.sanitized(cellHeight, minimum: SVGPlot.minimumHeight) == cellHeight else {
            throw TangentFlowError.invalidArgument(operation: "SVGFigure",
                reason: "cell size \(cellWidth) × \(cellHeight) px is outside "
                    + "\(Int(SVGPlot.minimumWidth))…\(Int(SVGPlot.maximumSize)) × "
                    + "\(Int(SVGPlot.minimumHeight))…\(Int(SVGPlot.maximumSize))")
        }
        for case var plot? in cells {
            plot.width = cellWidth
            plot.height = cellHeight
            try plot.validate()
        }
    }

    /// Height of the title band above the grid, px.
    var titleHeight: Double { title.isEmpty ? 0 : 34 }

    /// The figure as a standalone SVG document: `columns · cellWidth` × `titleHeight + rows · cellHeight` px,
    /// more when a plot's legend goes outside its plot area (see `SVGFigure`).
    ///
    /// Never fails: invalid settings are repaired as `SVGPlot.render()` does.
    public func render() -> String {
        let w = SVGPlot.sanitized(cellWidth, minimum: SVGPlot.minimumWidth)
        let h = SVGPlot.sanitized(cellHeight, minimum: SVGPlot.minimumHeight)
        // Every plot at the cell size first; a column (row) is as wide (tall) as its largest plot needs.
        var plans = cells.map { $0?.plan(width: w, height: h) }
        var columnWidths = Array(repeating: w, count: columns)
        var rowHeights = Array(repeating: h, count: rows)
        for (i, plan) in plans.enumerated() {
            guard let p = plan else { continue }
            columnWidths[i % columns] = max(columnWidths[i % columns], p.width)
            rowHeights[i / columns] = max(rowHeights[i / columns], p.height)
        }
        // A plot smaller than its grown cell is laid out again to fill it: at the cell's size, or, when its legend
        // still goes outside, at the cell's size less what the legend adds; kept as it was if neither fits.
        for (i, plan) in plans.enumerated() {
            guard let first = plan, let plot = cells[i] else { continue }
            let cw = columnWidths[i % columns], ch = rowHeights[i / columns]
            if first.width >= cw - 0.5 && first.height >= ch - 0.5 { continue }
            for (tw, th) in [(cw, ch), (cw - (first.width - w), ch - (first.height - h))] {
                let p = plot.plan(width: tw, height: th)
                if p.width <= cw + 0.5 && p.height <= ch + 0.5 {
                    plans[i] = p
                    break
                }
            }
        }
        let totalWidth = columnWidths.reduce(0, +)
        let totalHeight = titleHeight + rowHeights.reduce(0, +)
        var body = ""
        if !title.isEmpty {
            let size = SVGMarkup.fittingSize(title, preferred: 17, minimum: 10, maxWidth: totalWidth - 20, bold: true)
            let shown = SVGMarkup.truncated(title, maxWidth: totalWidth - 20, fontSize: size, bold: true)
            body += SVGMarkup.text(shown, x: totalWidth / 2, y: 10 + size * 0.85, size: size, bold: true,
                                   cssClass: "figure-title")
        }
        for r in 0..<rows {
            for c in 0..<columns {
                guard let plot = cells[r * columns + c], let plan = plans[r * columns + c] else { continue }
                let x = columnWidths[..<c].reduce(0, +), y = titleHeight + rowHeights[..<r].reduce(0, +)
                body += "<g class=\"cell\" transform=\"translate(\(SVGMarkup.num(x)),\(SVGMarkup.num(y)))\">\n"
                body += plot.body(plan)
                body += "</g>\n"
            }
        }
        return SVGMarkup.document(width: totalWidth, height: totalHeight, title: title, body: body)
    }

    /// Validates, then writes `render()` to `path` atomically and, with `png`, a PNG copy at twice the size
    /// beside it (`SVGFile.write(_:to:png:)`).
    ///
    /// - Parameters:
    ///   - path: the SVG file; its folder must exist. The PNG is `path` with `.svg` replaced by `.png`.
    ///   - png: also write the PNG (default `true`).
    /// - Returns: what became of the PNG; a missing or failing `rsvg-convert` skips it without throwing.
    /// - Throws: `TangentFlowError.invalidArgument` from `validate()`; `TangentFlowError.io(path:reason:)` when
    ///   the SVG cannot be written (an earlier file at `path` is then left as it was).
    @discardableResult
    public func write(to path: String, png: Bool = true) throws -> SVGFile.PNGOutcome {
        try validate()
        return try SVGFile.write(render(), to: path, png: png)
    }
}
