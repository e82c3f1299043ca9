// A dependency-free line/scatter plot written as SVG: readable defaults for experiment reports.
//
// Goals, in priority order:
// 1. Never misleading: points a scale cannot show (non-finite, ≤ 0 on a log axis) are skipped and the line breaks
//    there; nothing is clamped or interpolated.
// 2. Readable without tuning: tick labels never overlap or clip (the layout measures them, conservatively, and
//    picks margins and tick counts to fit), the legend never covers data (inside where a slot is clear, else
//    outside on a grown canvas), colours are colour-blind safe.
// 3. Well-formed, small SVG: all text escaped; lines are clipped to the plot area in code, so the output needs no
//    clip paths or ids and several plots can share one document (SVGFigure).
//
// Layout and drawing are in SVGPlot+Layout.swift.

import Foundation
import TangentFlow

/// A line or scatter plot with title, axis labels, linear or log10 axes, grid and legend, rendered to SVG.
///
/// ```swift
/// var plot = SVGPlot(title: "Training loss", xLabel: "step", yLabel: "loss", yScale: .log10)
/// plot.add(try PlotSeries(name: "train", x: steps, y: train))
/// plot.add(try PlotSeries(name: "test", x: steps, y: test, line: .dashed, marker: .circle))
/// try plot.write(to: "results/loss.svg")
/// ```
///
/// Drawing:
/// - Title: one line, shrunk to fit down to 13 px; a longer one is split into two balanced lines (down to 11 px),
///   and only then truncated with "…".
/// - Ticks: 1-2-5 steps on linear axes; decades labelled `1e-8`, …, with 2…9 minor ticks when there is room, on
///   log axes. Major gridlines, lighter minor gridlines on log axes.
/// - Series colours: `PlotSeries.palette` (Okabe–Ito) in order, unless a series sets its own.
/// - Legend (`legend == .auto`): never over the data. Inside the plot area in the first clear slot, trying top
///   right, top left, bottom left, bottom right, then top centre, bottom centre, centre right, centre left, where
///   "clear" means the box keeps a few px away from every drawn point, marker and line segment. If no slot is
///   clear, outside: to the right when the legend is narrow (at most 30 % of `width`) and no taller than the plot
///   area, else below the x axis title in as many columns as fit. An outside legend grows the drawing (the
///   plot area keeps its size), so the document is then larger than `width` × `height`.
///
/// Edge cases: points with a non-finite coordinate or a coordinate ≤ 0 on a log axis are skipped (lines break);
/// a series with no drawable point still appears in the legend; a plot with no series draws empty axes on [0, 1]
/// (linear) or [1, 10] (log); sizes are clamped to 120…100 000 × 90…100 000 px (before an outside legend adds
/// to them).
public struct SVGPlot: Sendable {
    /// Where the legend goes.
    public enum LegendPlacement: Sendable, Equatable, CaseIterable {
        /// The first inside slot clear of data, else outside right or below on a grown canvas (see `SVGPlot`).
        case auto
        /// Inside, top right corner, whether or not it covers data.
        case topRight
        /// Inside, top left corner, whether or not it covers data.
        case topLeft
        /// Inside, bottom left corner, whether or not it covers data.
        case bottomLeft
        /// Inside, bottom right corner, whether or not it covers data.
        case bottomRight
        /// Right of the plot area, top aligned; the drawing grows wider to make room.
        case outsideRight
        /// Below the x axis title, centred, entries in as many columns as fit; the drawing grows taller.
        case outsideBottom
        /// No legend.
        case hidden
    }

    /// Title drawn above the plot area. Empty: no title, and the space is reclaimed.
    public var title: String
    /// Horizontal axis.
    public var xAxis: PlotAxis
    /// Vertical axis.
    public var yAxis: PlotAxis
    /// Series, drawn in order (later ones on top) and listed in the legend in order.
    public var series: [PlotSeries]
    /// Width of the whole plot in px, margins included (default 640); a legend outside the plot area adds to it.
    public var width: Double
    /// Height of the whole plot in px, margins included (default 420); a legend below the plot adds to it.
    public var height: Double
    /// Legend position (default `.auto`).
    public var legend: LegendPlacement
    /// Draw gridlines at the ticks (default `true`).
    public var showGrid: Bool

    /// A plot with labelled axes and no series yet.
    ///
    /// - Parameters:
    ///   - title: drawn above the plot (empty for none).
    ///   - xLabel: x axis title.
    ///   - yLabel: y axis title.
    ///   - xScale: `.linear` (default) or `.log10`.
    ///   - yScale: `.linear` (default) or `.log10`.
    ///   - width: px, margins included (default 640).
    ///   - height: px, margins included (default 420).
    public init(title: String = "", xLabel: String = "", yLabel: String = "", xScale: PlotAxis.Scale = .linear,
                yScale: PlotAxis.Scale = .linear, width: Double = 640, height: Double = 420) {
        self.init(title: title, xAxis: PlotAxis(label: xLabel, scale: xScale),
                  yAxis: PlotAxis(label: yLabel, scale: yScale), width: width, height: height)
    }

    /// A plot from fully specified axes and series.
    ///
    /// - Parameters:
    ///   - title: drawn above the plot (empty for none).
    ///   - xAxis: horizontal axis (label, scale, optional bounds).
    ///   - yAxis: vertical axis.
    ///   - series: data, drawn in order.
    ///   - width: px, margins included (default 640).
    ///   - height: px, margins included (default 420).
    ///   - legend: legend position (default `.auto`).
    public init(title: String = "", xAxis: PlotAxis, yAxis: PlotAxis, series: [PlotSeries] = [],
                width: Double = 640, height: Double = 420, legend: LegendPlacement = .auto) {
        self.title = title
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.series = series
        self.width = width
        self.height = height
        self.legend = legend
        self.showGrid = true
    }

    /// Appends a series; it is drawn on top of the earlier ones.
    public mutating func add(_ series: PlotSeries) {
        self.series.append(series)
    }

    /// Checks what `render()` would otherwise repair silently: axis bounds, sizes and marker strides.
    ///
    /// - Throws: `TangentFlowError.invalidArgument` naming the bad value: an axis bound (see
    ///   `PlotAxis.validate()`), a size outside 120…100 000 × 90…100 000 px, a non-positive `markerEvery`, or a
    ///   non-finite or negative `lineWidth`.
    public func validate() throws {
        try xAxis.validate()
        try yAxis.validate()
        guard Self.sanitized(width, minimum: Self.minimumWidth) == width,
              Self.sanitized(height, minimum: Self.minimumHeight) == height else {
            throw TangentFlowError.invalidArgument(operation: "SVGPlot",
                reason: "size \(width) × \(height) px is outside "
                    + "\(Int(Self.minimumWidth))…\(Int(Self.maximumSize)) × "
                    + "\(Int(Self.minimumHeight))…\(Int(Self.maximumSize))")
        }
        for s in series {
            if let every = s.markerEvery, every < 1 {
                throw TangentFlowError.invalidArgument(operation: "SVGPlot",
                    reason: "series '\(s.name)': markerEvery is \(every); use 1 or more, or nil for automatic")
            }
            guard s.lineWidth.isFinite, s.lineWidth >= 0 else {
                throw TangentFlowError.invalidArgument(operation: "SVGPlot",
                    reason: "series '\(s.name)': lineWidth \(s.lineWidth) must be finite and ≥ 0")
            }
        }
    }

    /// The plot as a standalone SVG document (UTF-8 text), `width` × `height` px, or larger when the legend
    /// goes outside the plot area (see `SVGPlot`).
    ///
    /// Never fails: invalid settings are repaired as `validate()` describes (bad bounds ignored, size raised to
    /// the nearest allowed size, `markerEvery` < 1 read as 1).
    public func render() -> String {
        let p = plan(width: Self.sanitized(width, minimum: Self.minimumWidth),
                     height: Self.sanitized(height, minimum: Self.minimumHeight))
        return SVGMarkup.document(width: p.width, height: p.height, title: title, body: body(p))
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

    /// Smallest width `render()` draws, px.
    static let minimumWidth = 120.0
    /// Smallest height `render()` draws, px.
    static let minimumHeight = 90.0
    /// Largest width or height `render()` draws, px.
    static let maximumSize = 100_000.0

    /// `value` clamped to [`minimum`, `maximumSize`]; `minimum` for NaN.
    static func sanitized(_ value: Double, minimum: Double) -> Double {
        value.isNaN ? minimum : min(max(value, minimum), maximumSize)
    }
}
