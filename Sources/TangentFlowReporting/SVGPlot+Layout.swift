// SVGPlot layout and drawing: margins from measured labels, tick counts that fit, legend placement, clipping.
//
// Order of the layout (each step needs only the ones before it):
// 1. Vertical margins depend only on font sizes, so the plot height, and with it the y ticks, come first.
// 2. The widest y tick label fixes the left margin; a legend to the right the right one; so the plot width.
// 3. x ticks: the largest count whose labels keep ≥ 12 px apart; margins grow if the end labels would clip.
// 4. Legend: the first inside slot (corners, then edge middles) whose box keeps clear of every drawn point,
//    marker and line segment; if no slot is clear, outside to the right (a narrow legend) or below (a wide one),
//    and the canvas grows to hold it, so the plot area keeps its size and the legend never covers data.

import Foundation
import TangentFlow

extension SVGPlot {
    /// Font sizes (px), spacing and colours.
    enum Style {
        static let titleFont = 15.0
        static let labelFont = 13.0
        static let tickFont = 11.0
        static let legendFont = 11.5
        static let pad = 10.0
        static let tickLength = 5.0
        static let minorTickLength = 3.0
        static let frameColor = "#444444"
        static let gridColor = "#dddddd"
        static let minorGridColor = "#f0f0f0"
        /// Least px between neighbouring x tick labels.
        static let labelGap = 12.0
        /// Legend sample line length, px.
        static let sampleWidth = 26.0
        /// Height of one legend row, px.
        static let legendRowHeight = legendFont * 1.55
        /// Gap between the plot area and a legend outside it, px.
        static let legendGap = 12.0
        /// Gap between the frame and a legend inside it, px.
        static let legendInset = 6.0
        /// Gap between the columns of a legend below the plot, px.
        static let legendColumnGap = 14.0
    }

    /// A position in px (SVG user units, y down).
    struct Point: Equatable {
        var x: Double
        var y: Double
    }

    /// The plot area, px.
    struct Frame {
        var left: Double
        var top: Double
        var width: Double
        var height: Double
        var right: Double { left + width }
        var bottom: Double { top + height }

        func contains(_ p: Point, tolerance: Double = 0.5) -> Bool {
            p.x >= left - tolerance && p.x <= right + tolerance && p.y >= top - tolerance && p.y <= bottom + tolerance
        }
    }

    /// A drawable point: its index in the series and its data coordinates.
    struct DataPoint {
        var index: Int
        var x: Double
        var y: Double
    }

    /// Places for a legend inside the plot area, in the order `.auto` tries them.
    enum InsideSlot: CaseIterable {
        case topRight, topLeft, bottomLeft, bottomRight, topCentre, bottomCentre, centreRight, centreLeft
    }

    /// Everything `draw` needs: plot area, axis ranges, ticks, legend box, canvas size.
    struct Layout {
        var frame: Frame
        var x: (lower: Double, upper: Double)
        var y: (lower: Double, upper: Double)
        var xTicks: PlotTicks
        var yTicks: PlotTicks
        var xMinorGrid: Bool
        var yMinorGrid: Bool
        var xAxis: PlotAxis
        var yAxis: PlotAxis
        /// Top-left corner of the legend box, or `nil` for no legend.
        var legendOrigin: Point?
        var legendSize: (width: Double, height: Double)
        /// Columns of legend entries (more than 1 only below the plot), filled row by row.
        var legendColumns: Int
        /// Room for legend names, px; longer names are truncated with "…".
        var legendNameWidth: Double
        var titleFont: Double
        /// The title as drawn: one line, or two when one line would need a font below 13 px.
        var titleLines: [String]
        var yLabelFont: Double
        var xLabelFont: Double
        /// The size the margins were fitted to, px; the x axis title sits at the bottom of `baseHeight`.
        var baseWidth: Double
        var baseHeight: Double
        /// Size of the whole drawing, px: the base size, grown to hold a legend outside the plot area.
        var canvasWidth: Double
        var canvasHeight: Double

        /// Whether the plot has a legend to place (entries, and not hidden).
        var hasLegend: Bool { legendSize.width > 0 }

        func px(_ v: Double) -> Double {
            let (a, b) = (xAxis.transform(x.lower), xAxis.transform(x.upper))
            return frame.left + (xAxis.transform(v) - a) / (b - a) * frame.width
        }

        func py(_ v: Double) -> Double {
            let (a, b) = (yAxis.transform(y.lower), yAxis.transform(y.upper))
            return frame.bottom - (yAxis.transform(v) - a) / (b - a) * frame.height
        }

        func pixel(_ p: DataPoint) -> Point { Point(x: px(p.x), y: py(p.y)) }
    }

    /// A plot laid out for drawing: its layout (legend placed) and its drawable points.
    struct Plan {
        var layout: Layout
        var runs: [[[DataPoint]]]
        /// Width of the drawing, px (at least the width asked for).
        var width: Double { layout.canvasWidth }
        /// Height of the drawing, px (at least the height asked for).
        var height: Double { layout.canvasHeight }
    }

    /// The drawable points of `s` in runs: a point the axes cannot show ends a run, so lines break there.
    func runs(of s: PlotSeries) -> [[DataPoint]] {
        var out: [[DataPoint]] = []
        var current: [DataPoint] = []
        for i in s.x.indices {
            if xAxis.accepts(s.x[i]) && yAxis.accepts(s.y[i]) {
                current.append(DataPoint(index: i, x: s.x[i], y: s.y[i]))
            } else if !current.isEmpty {
                out.append(current)
                current = []
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// Legend entries: (series index, name) for series with a name.
    var legendEntries: [(index: Int, name: String)] {
        series.enumerated().filter { !$0.element.name.isEmpty }.map { (index: $0.offset, name: $0.element.name) }
    }

    /// The layout for a `width` × `height` px drawing, legend placed as `legend` says (see `SVGPlot`). The plan's
    /// size is `width` × `height`, or larger when the legend goes outside the plot area.
    func plan(width: Double, height: Double) -> Plan {
        let allRuns = series.map(runs(of:))
        let points = allRuns.flatMap { $0.flatMap { $0 } }
        let xRange = xAxis.range(for: points.map(\.x))
        let yRange = yAxis.range(for: points.map(\.y))
        var inside = layout(width: width, height: height, x: xRange, y: yRange, legendRight: false)
        guard inside.hasLegend else { return Plan(layout: inside, runs: allRuns) }
        let fixed: InsideSlot?
        switch legend {
        case .hidden: return Plan(layout: inside, runs: allRuns)
        case .topRight: fixed = .topRight
        case .topLeft: fixed = .topLeft
        case .bottomLeft: fixed = .bottomLeft
        case .bottomRight: fixed = .bottomRight
        case .outsideRight:
            return Plan(layout: rightLegendLayout(width: width, height: height, x: xRange, y: yRange,
                                                  legendWidth: inside.legendSize.width), runs: allRuns)
        case .outsideBottom: return Plan(layout: belowLegendLayout(inside), runs: allRuns)
        case .auto: fixed = nil
        }
        if let slot = fixed {
            inside.legendOrigin = origin(of: slot, in: inside)
            return Plan(layout: inside, runs: allRuns)
        }
        for slot in InsideSlot.allCases {
            inside.legendOrigin = origin(of: slot, in: inside)
            if legendIsClear(inside, runs: allRuns) { return Plan(layout: inside, runs: allRuns) }
        }
        // No inside slot is clear: a narrow legend no taller than the plot goes right, any other below.
        let narrow = inside.legendSize.width + Style.legendGap <= 0.3 * width
            && inside.legendSize.height <= inside.frame.height
        let outside = narrow ? rightLegendLayout(width: width, height: height, x: xRange, y: yRange,
                                                 legendWidth: inside.legendSize.width)
                             : belowLegendLayout(inside)
        return Plan(layout: outside, runs: allRuns)
    }

    // MARK: - Layout

    private func layout(width: Double, height: Double, x: (lower: Double, upper: Double),
                        y: (lower: Double, upper: Double), legendRight: Bool) -> Layout {
        let pad = Style.pad
        var titleFont = title.isEmpty ? 0 : SVGMarkup.fittingSize(title, preferred: Style.titleFont, minimum: 11,
                                                                   maxWidth: width - 2 * pad, bold: true)
        var titleLines = title.isEmpty ? [] : [title]
        if !title.isEmpty && titleFont < 13, let (a, b) = Self.splitInTwo(title) {
            let twoLineFont = [a, b].map {
                SVGMarkup.fittingSize($0, preferred: Style.titleFont, minimum: 11, maxWidth: width - 2 * pad, bold: true)
            }.min()!
            if twoLineFont > titleFont { (titleLines, titleFont) = ([a, b], twoLineFont) }
        }
        let titleBand = title.isEmpty ? 0 : titleFont + Double(titleLines.count - 1) * titleFont * 1.2 + 8
        let top = pad + titleBand + Style.tickFont * 0.6
        let xLabelBand = xAxis.label.isEmpty ? 0 : 6 + Style.labelFont
        let bottomMargin = Style.tickLength + 3 + Style.tickFont + xLabelBand + pad
        let plotHeight = max(height - top - bottomMargin, 20)
        let yLabelFont = yAxis.label.isEmpty ? 0 : SVGMarkup.fittingSize(yAxis.label, preferred: Style.labelFont,
                                                                          minimum: 9, maxWidth: plotHeight + top)

        // y ticks: at most one per ~2.9 (linear) or ~1.8 (log) font heights, and fewer while any two labels
        // come closer than 1.4 font heights (log mantissa ticks are unevenly spaced: 0.9 and 1 nearly touch).
        let yDecadePixels = pixelsPerDecade(yAxis, y, plotHeight)
        let yStart = yAxis.scale == .linear ? min(9, max(2, Int(plotHeight / (Style.tickFont * 2.9))))
                                            : min(60, max(2, Int(plotHeight / (Style.tickFont * 1.8))))
        var yTicks = PlotTicks(major: [], labels: [], minor: [])
        let ya = yAxis.transform(y.lower), yb = yAxis.transform(y.upper)
        for count in stride(from: yStart, through: 1, by: -1) {
            yTicks = PlotAxis.niceTicks(lower: y.lower, upper: y.upper, scale: yAxis.scale, maxCount: count,
                                        minorDecades: yDecadePixels >= 40)
            let pos = yTicks.major.map { (yAxis.transform($0) - ya) / (yb - ya) * plotHeight }
            if zip(pos, pos.dropFirst()).allSatisfy({ $1 - $0 >= Style.tickFont * 1.4 }) { break }
        }
        let yTickWidth = yTicks.labels.map { SVGMarkup.textWidth($0, fontSize: Style.tickFont) }.max() ?? 0

        // Legend box size, one column (a legend below the plot may use more).
        let entries = legendEntries
        var legendNameWidth = 0.0
        var legendSize = (width: 0.0, height: 0.0)
        if legend != .hidden && !entries.isEmpty {
            let nameWidth = entries.map { SVGMarkup.textWidth($0.name, fontSize: Style.legendFont) }.max() ?? 0
            legendNameWidth = min(nameWidth, width * 0.45)
            legendSize = Self.legendBox(entries: entries.count, columns: 1, nameWidth: legendNameWidth)
        }

        var left = pad + (yAxis.label.isEmpty ? 0 : yLabelFont + 8) + yTickWidth + 4 + Style.tickLength
        let legendBand = legendRight && legendSize.width > 0 ? legendSize.width + Style.legendGap : 0
        var right = pad + 6 + legendBand
        var frame = Frame(left: left, top: top, width: max(width - left - right, 20), height: plotHeight)
        var xTicks = PlotTicks(major: [], labels: [], minor: [])
        // Fit x ticks; if the end labels overhang the edges, widen the margins and fit again.
        for _ in 0..<3 {
            xTicks = fitXTicks(frame: frame, x: x)
            guard let first = xTicks.major.first, let last = xTicks.major.last else { break }
            let a = xAxis.transform(x.lower), b = xAxis.transform(x.upper)
            func px(_ v: Double) -> Double { frame.left + (xAxis.transform(v) - a) / (b - a) * frame.width }
            let firstHalf = SVGMarkup.textWidth(xTicks.labels.first!, fontSize: Style.tickFont) / 2
            let lastHalf = SVGMarkup.textWidth(xTicks.labels.last!, fontSize: Style.tickFont) / 2
            let overhangLeft = pad / 2 - (px(first) - firstHalf)
            let overhangRight = (px(last) + lastHalf) - (width - legendBand - pad / 2)
            guard overhangLeft > 0.5 || overhangRight > 0.5 else { break }
            if overhangLeft > 0.5 { left += overhangLeft }
            if overhangRight > 0.5 { right += overhangRight }
            frame = Frame(left: left, top: top, width: max(width - left - right, 20), height: plotHeight)
        }
        let xLabelFont = xAxis.label.isEmpty ? 0 : SVGMarkup.fittingSize(xAxis.label, preferred: Style.labelFont,
                                                                          minimum: 9, maxWidth: width - 2 * pad)
        return Layout(frame: frame, x: x, y: y, xTicks: xTicks, yTicks: yTicks,
                      xMinorGrid: pixelsPerDecade(xAxis, x, frame.width) >= 100,
                      yMinorGrid: yDecadePixels >= 100, xAxis: xAxis, yAxis: yAxis, legendOrigin: nil,
                      legendSize: legendSize, legendColumns: 1, legendNameWidth: legendNameWidth,
                      titleFont: titleFont, titleLines: titleLines, yLabelFont: yLabelFont, xLabelFont: xLabelFont,
                      baseWidth: width, baseHeight: height, canvasWidth: width, canvasHeight: height)
    }

    /// `text` split at the space that best balances the two lines' widths, or `nil` when it has no space.
    private static func splitInTwo(_ text: String) -> (String, String)? {
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        guard words.count > 1 else { return nil }
        let splits = (1..<words.count).map { k in
            (words[..<k].joined(separator: " "), words[k...].joined(separator: " "))
        }
        return splits.min { a, b in
            max(SVGMarkup.textWidth(a.0, fontSize: 1), SVGMarkup.textWidth(a.1, fontSize: 1))
                < max(SVGMarkup.textWidth(b.0, fontSize: 1), SVGMarkup.textWidth(b.1, fontSize: 1))
        }
    }

    /// Width and height of a legend box of `entries` rows filled into `columns` columns.
    private static func legendBox(entries: Int, columns: Int, nameWidth: Double) -> (width: Double, height: Double) {
        let c = Double(max(columns, 1))
        let rows = Double((entries + max(columns, 1) - 1) / max(columns, 1))
        let column = Style.sampleWidth + 6 + nameWidth
        return (width: 8 + c * column + (c - 1) * Style.legendColumnGap + 8,
                height: 6 + rows * Style.legendRowHeight + 4)
    }

    /// The layout with the legend right of the plot area, top aligned: the canvas is `legendWidth` + gap wider
    /// than `width` (so the plot area keeps the width it has with the legend inside), and taller if the legend
    /// is taller than the plot area.
    private func rightLegendLayout(width: Double, height: Double, x: (lower: Double, upper: Double),
                                   y: (lower: Double, upper: Double), legendWidth: Double) -> Layout {
        let grown = width + legendWidth + Style.legendGap
        var L = layout(width: grown, height: height, x: x, y: y, legendRight: true)
        let o = Point(x: L.frame.right + Style.legendGap, y: L.frame.top)
        L.legendOrigin = o
        L.baseWidth = width
        L.canvasHeight = max(height, o.y + L.legendSize.height + Style.pad)
        return L
    }

    /// `inside` with the legend centred below the plot, under the x axis title, in as many columns as fit the
    /// width; the canvas grows downwards to hold it.
    private func belowLegendLayout(_ inside: Layout) -> Layout {
        var L = inside
        let n = legendEntries.count
        let room = L.canvasWidth - 2 * Style.pad
        var columns = n
        while columns > 1,
              Self.legendBox(entries: n, columns: columns, nameWidth: L.legendNameWidth).width > room {
            columns -= 1
        }
        // Balance the rows: the fewest columns that still give the same number of rows.
        let rows = (n + columns - 1) / columns
        columns = (n + rows - 1) / rows
        let size = Self.legendBox(entries: n, columns: columns, nameWidth: L.legendNameWidth)
        L.legendColumns = columns
        L.legendSize = size
        let centred = L.frame.left + (L.frame.width - size.width) / 2
        let x = max(Style.pad, min(centred, L.canvasWidth - Style.pad - size.width))
        let o = Point(x: x, y: L.baseHeight - Style.pad + 6)
        L.legendOrigin = o
        L.canvasHeight = o.y + size.height + Style.pad
        L.canvasWidth = max(L.canvasWidth, o.x + size.width + Style.pad)
        return L
    }

    /// px per decade on a log axis (0 on a linear one).
    private func pixelsPerDecade(_ axis: PlotAxis, _ r: (lower: Double, upper: Double), _ length: Double) -> Double {
        guard axis.scale == .log10 else { return 0 }
        return length / max(Foundation.log10(r.upper) - Foundation.log10(r.lower), 1e-300)
    }

    /// The most x ticks (up to 10 linear, or every decade) whose labels stay `Style.labelGap` px apart.
    private func fitXTicks(frame: Frame, x: (lower: Double, upper: Double)) -> PlotTicks {
        let decadePixels = pixelsPerDecade(xAxis, x, frame.width)
        let start = xAxis.scale == .linear ? min(10, max(2, Int(frame.width / 32)))
                                           : min(60, max(2, Int(frame.width / 22)))
        let a = xAxis.transform(x.lower), b = xAxis.transform(x.upper)
        var ticks = PlotTicks(major: [], labels: [], minor: [])
        for count in stride(from: start, through: 1, by: -1) {
            ticks = PlotAxis.niceTicks(lower: x.lower, upper: x.upper, scale: xAxis.scale, maxCount: count,
                                       minorDecades: decadePixels >= 40)
            let pos = ticks.major.map { (xAxis.transform($0) - a) / (b - a) * frame.width }
            let half = ticks.labels.map { SVGMarkup.textWidth($0, fontSize: Style.tickFont) / 2 }
            let fits = zip(pos.indices.dropFirst(), pos.indices).allSatisfy { i, j in
                pos[i] - pos[j] >= half[i] + half[j] + Style.labelGap
            }
            if fits { return ticks }
        }
        return ticks
    }

    /// Top-left corner of the legend box in an inside slot, `Style.legendInset` from the frame.
    private func origin(of slot: InsideSlot, in L: Layout) -> Point {
        let f = L.frame, size = L.legendSize, inset = Style.legendInset
        let l = f.left + inset, r = f.right - inset - size.width, c = f.left + (f.width - size.width) / 2
        let t = f.top + inset, b = f.bottom - inset - size.height, m = f.top + (f.height - size.height) / 2
        switch slot {
        case .topRight: return Point(x: r, y: t)
        case .topLeft: return Point(x: l, y: t)
        case .bottomLeft: return Point(x: l, y: b)
        case .bottomRight: return Point(x: r, y: b)
        case .topCentre: return Point(x: c, y: t)
        case .bottomCentre: return Point(x: c, y: b)
        case .centreRight: return Point(x: r, y: m)
        case .centreLeft: return Point(x: l, y: m)
        }
    }

    /// Whether the legend box of `L` lies inside the plot area and keeps clear of every point, marker, dot and
    /// line segment drawn (by the largest marker or dot radius plus 2 px).
    private func legendIsClear(_ L: Layout, runs: [[[DataPoint]]]) -> Bool {
        guard let o = L.legendOrigin else { return true }
        let f = L.frame
        guard o.x >= f.left, o.y >= f.top, o.x + L.legendSize.width <= f.right,
              o.y + L.legendSize.height <= f.bottom else { return false }
        let reach = series.map { s in
            max(s.effectiveMarker == .none ? 0 : markerRadius(s) * 1.25, max(s.lineWidth, 0) * 1.5, 2)
        }.max() ?? 2
        let clearance = reach + 2
        let box = Frame(left: o.x - clearance, top: o.y - clearance, width: L.legendSize.width + 2 * clearance,
                        height: L.legendSize.height + 2 * clearance)
        for (s, seriesRuns) in zip(series, runs) {
            for run in seriesRuns {
                let pts = run.map(L.pixel)
                if pts.contains(where: { box.contains($0, tolerance: 0) }) { return false }
                if s.line != .none {
                    for (p, q) in zip(pts, pts.dropFirst()) where Self.clip(p, q, to: box) != nil { return false }
                }
            }
        }
        return true
    }

    /// The part of segment p→q inside `frame` (Liang–Barsky), or `nil` if none.
    static func clip(_ p: Point, _ q: Point, to frame: Frame) -> (Point, Point)? {
        let dx = q.x - p.x, dy = q.y - p.y
        var t0 = 0.0, t1 = 1.0
        for (denominator, numerator) in [(-dx, p.x - frame.left), (dx, frame.right - p.x),
                                         (-dy, p.y - frame.top), (dy, frame.bottom - p.y)] {
            if denominator == 0 {
                if numerator < 0 { return nil }  // parallel to this edge and outside it
            } else {
                let t = numerator / denominator
                if denominator < 0 { t0 = max(t0, t) } else { t1 = min(t1, t) }
                if t0 > t1 { return nil }
            }
        }
        // Unclipped ends are returned exactly, so the caller can tell a continuing line from a new sub-path.
        let a = t0 == 0 ? p : Point(x: p.x + t0 * dx, y: p.y + t0 * dy)
        let b = t1 == 1 ? q : Point(x: p.x + t1 * dx, y: p.y + t1 * dy)
        return (a, b)
    }

    // MARK: - Drawing

    /// The inner SVG of the plot (no root element), `plan.width` × `plan.height` px with its origin at (0, 0).
    func body(_ plan: Plan) -> String {
        draw(plan.layout, runs: plan.runs)
    }

    private func draw(_ L: Layout, runs: [[[DataPoint]]]) -> String {
        typealias M = SVGMarkup
        let f = L.frame
        let width = L.canvasWidth, height = L.baseHeight
        var out = ""

        // Grid: minor first, then major, then the frame over both.
        if showGrid {
            var minor = "", major = ""
            for v in L.xTicks.minor where L.xMinorGrid {
                minor += "M\(M.num(L.px(v))),\(M.num(f.top))V\(M.num(f.bottom))"
            }
            for v in L.yTicks.minor where L.yMinorGrid {
                minor += "M\(M.num(f.left)),\(M.num(L.py(v)))H\(M.num(f.right))"
            }
            for v in L.xTicks.major where abs(L.px(v) - f.left) > 0.5 && abs(L.px(v) - f.right) > 0.5 {
                major += "M\(M.num(L.px(v))),\(M.num(f.top))V\(M.num(f.bottom))"
            }
            for v in L.yTicks.major where abs(L.py(v) - f.top) > 0.5 && abs(L.py(v) - f.bottom) > 0.5 {
                major += "M\(M.num(f.left)),\(M.num(L.py(v)))H\(M.num(f.right))"
            }
            if !minor.isEmpty {
                out += "<path class=\"grid-minor\" d=\"\(minor)\" stroke=\"\(Style.minorGridColor)\" "
                    + "stroke-width=\"0.8\" fill=\"none\"/>\n"
            }
            if !major.isEmpty {
                out += "<path class=\"grid\" d=\"\(major)\" stroke=\"\(Style.gridColor)\" "
                    + "stroke-width=\"0.8\" fill=\"none\"/>\n"
            }
        }

        // Series.
        for (i, (s, seriesRuns)) in zip(series, runs).enumerated() {
            out += drawSeries(s, index: i, runs: seriesRuns, layout: L)
        }

        // Frame, ticks, tick labels.
        out += "<rect class=\"frame\" x=\"\(M.num(f.left))\" y=\"\(M.num(f.top))\" width=\"\(M.num(f.width))\" "
            + "height=\"\(M.num(f.height))\" fill=\"none\" stroke=\"\(Style.frameColor)\" stroke-width=\"1\"/>\n"
        var ticks = ""
        for v in L.xTicks.major { ticks += "M\(M.num(L.px(v))),\(M.num(f.bottom))v\(M.num(Style.tickLength))" }
        for v in L.yTicks.major { ticks += "M\(M.num(f.left)),\(M.num(L.py(v)))h\(M.num(-Style.tickLength))" }
        for v in L.xTicks.minor { ticks += "M\(M.num(L.px(v))),\(M.num(f.bottom))v\(M.num(Style.minorTickLength))" }
        for v in L.yTicks.minor { ticks += "M\(M.num(f.left)),\(M.num(L.py(v)))h\(M.num(-Style.minorTickLength))" }
        if !ticks.isEmpty {
            out += "<path class=\"ticks\" d=\"\(ticks)\" stroke=\"\(Style.frameColor)\" "
                + "stroke-width=\"1\" fill=\"none\"/>\n"
        }
        out += "<g class=\"tick-labels\">\n"
        let xLabelBaseline = f.bottom + Style.tickLength + 3 + Style.tickFont * 0.78
        for (v, label) in zip(L.xTicks.major, L.xTicks.labels) {
            out += M.text(label, x: L.px(v), y: xLabelBaseline, size: Style.tickFont)
        }
        for (v, label) in zip(L.yTicks.major, L.yTicks.labels) {
            out += M.text(label, x: f.left - Style.tickLength - 4, y: L.py(v) + Style.tickFont * 0.36,
                          size: Style.tickFont, anchor: "end")
        }
        out += "</g>\n"

        // Titles.
        if !title.isEmpty {
            for (k, line) in L.titleLines.enumerated() {
                let shown = M.truncated(line, maxWidth: width - 2 * Style.pad, fontSize: L.titleFont, bold: true)
                let half = M.textWidth(shown, fontSize: L.titleFont, bold: true) / 2
                let cx = min(max(f.left + f.width / 2, Style.pad + half), width - Style.pad - half)
                out += M.text(shown, x: cx, y: Style.pad + L.titleFont * (0.8 + 1.2 * Double(k)), size: L.titleFont,
                              bold: true, cssClass: "title")
            }
        }
        if !xAxis.label.isEmpty {
            let shown = M.truncated(xAxis.label, maxWidth: width - 2 * Style.pad, fontSize: L.xLabelFont)
            let half = M.textWidth(shown, fontSize: L.xLabelFont) / 2
            let cx = min(max(f.left + f.width / 2, Style.pad + half), width - Style.pad - half)
            out += M.text(shown, x: cx, y: height - Style.pad - L.xLabelFont * 0.22, size: L.xLabelFont,
                          cssClass: "x-label")
        }
        if !yAxis.label.isEmpty {
            let shown = M.truncated(yAxis.label, maxWidth: height - 2 * Style.pad, fontSize: L.yLabelFont)
            let half = M.textWidth(shown, fontSize: L.yLabelFont) / 2
            let cy = min(max(f.top + f.height / 2, Style.pad + half), height - Style.pad - half)
            let x = Style.pad + L.yLabelFont * 0.78
            out += M.text(shown, x: x, y: cy, size: L.yLabelFont, rotate: -90, cssClass: "y-label")
        }

        if let o = L.legendOrigin { out += drawLegend(at: o, layout: L) }
        return out
    }

    private func color(of s: PlotSeries, index: Int) -> String {
        SVGMarkup.escape(s.color ?? PlotSeries.palette[index % PlotSeries.palette.count])
    }

    private func drawSeries(_ s: PlotSeries, index: Int, runs: [[DataPoint]], layout L: Layout) -> String {
        typealias M = SVGMarkup
        let f = L.frame
        let c = color(of: s, index: index)
        let lw = max(s.lineWidth, 0)
        var out = "<g class=\"series\" data-name=\"\(M.escape(s.name))\">\n"
        if s.line != .none {
            var d = ""
            var dots = ""
            var pen: Point? = nil
            for run in runs {
                let pts = run.map(L.pixel)
                if pts.count == 1 {
                    if s.effectiveMarker == .none && f.contains(pts[0]) {
                        dots += Self.markerPath(.circle, at: pts[0], radius: max(lw * 1.5, 2))
                    }
                    continue
                }
                pen = nil
                for (p, q) in zip(pts, pts.dropFirst()) {
                    guard let (a, b) = Self.clip(p, q, to: f) else { pen = nil; continue }
                    if pen != a { d += "M\(M.num(a.x)),\(M.num(a.y))" }
                    d += " \(M.num(b.x)),\(M.num(b.y))"
                    pen = b == q ? b : nil
                }
            }
            if !d.isEmpty {
                var attrs = "fill=\"none\" stroke=\"\(c)\" stroke-width=\"\(M.num(lw))\" stroke-linejoin=\"round\""
                    + " stroke-linecap=\"round\""
                if let dash = s.dashArray { attrs += " stroke-dasharray=\"\(dash)\"" }
                out += "<path class=\"series-line\" d=\"\(d)\" \(attrs)/>\n"
            }
            if !dots.isEmpty { out += "<path class=\"series-dots\" d=\"\(dots)\" fill=\"\(c)\"/>\n" }
        }
        let marker = s.effectiveMarker
        if marker != .none {
            let every = s.markerStride
            let r = markerRadius(s)
            var d = ""
            for run in runs {
                for p in run where p.index % every == 0 {
                    let q = L.pixel(p)
                    if f.contains(q) { d += Self.markerPath(marker, at: q, radius: r) }
                }
            }
            if !d.isEmpty && marker == .cross {
                out += "<path class=\"series-markers\" d=\"\(d)\" \(markerPaint(marker, color: c, s))/>\n"
            } else if !d.isEmpty {
                // White rims first, then the fills: the rims still set markers off from lines beneath, but
                // overlapping markers of a dense series stay their colour instead of turning white.
                out += "<path class=\"series-marker-halo\" d=\"\(d)\" fill=\"none\" stroke=\"#ffffff\" "
                    + "stroke-width=\"1.4\"/>\n"
                out += "<path class=\"series-markers\" d=\"\(d)\" fill=\"\(c)\"/>\n"
            }
        }
        return out + "</g>\n"
    }

    private func markerRadius(_ s: PlotSeries) -> Double { 2.2 + 0.65 * max(s.lineWidth, 0) }

    private func markerPaint(_ marker: PlotSeries.Marker, color c: String, _ s: PlotSeries) -> String {
        marker == .cross
            ? "fill=\"none\" stroke=\"\(c)\" stroke-width=\"\(SVGMarkup.num(max(s.lineWidth, 1.2)))\""
            : "fill=\"\(c)\" stroke=\"#ffffff\" stroke-width=\"0.7\""
    }

    /// One marker as a closed sub-path centred at `p` (a cross as two strokes).
    static func markerPath(_ marker: PlotSeries.Marker, at p: Point, radius r: Double) -> String {
        typealias M = SVGMarkup
        let x = p.x, y = p.y
        switch marker {
        case .none:
            return ""
        case .circle:
            return "M\(M.num(x - r)),\(M.num(y))a\(M.num(r)),\(M.num(r)) 0 1,0 \(M.num(2 * r)),0"
                + "a\(M.num(r)),\(M.num(r)) 0 1,0 \(M.num(-2 * r)),0Z"
        case .square:
            let h = r * 0.9
            return "M\(M.num(x - h)),\(M.num(y - h))h\(M.num(2 * h))v\(M.num(2 * h))h\(M.num(-2 * h))Z"
        case .triangle:
            let t = r * 1.25
            return "M\(M.num(x)),\(M.num(y - t))L\(M.num(x + 0.866 * t)),\(M.num(y + 0.5 * t))"
                + "L\(M.num(x - 0.866 * t)),\(M.num(y + 0.5 * t))Z"
        case .diamond:
            let t = r * 1.25
            return "M\(M.num(x)),\(M.num(y - t))L\(M.num(x + t)),\(M.num(y))L\(M.num(x)),\(M.num(y + t))"
                + "L\(M.num(x - t)),\(M.num(y))Z"
        case .cross:
            let h = r * 0.85
            return "M\(M.num(x - h)),\(M.num(y - h))L\(M.num(x + h)),\(M.num(y + h))"
                + "M\(M.num(x - h)),\(M.num(y + h))L\(M.num(x + h)),\(M.num(y - h))"
        }
    }

    private func drawLegend(at o: Point, layout L: Layout) -> String {
        typealias M = SVGMarkup
        let (w, h) = L.legendSize
        let columnWidth = Style.sampleWidth + 6 + L.legendNameWidth + Style.legendColumnGap
        var out = "<g class=\"legend\">\n"
        out += "<rect x=\"\(M.num(o.x))\" y=\"\(M.num(o.y))\" width=\"\(M.num(w))\" height=\"\(M.num(h))\" rx=\"3\" "
            + "fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#bbbbbb\" stroke-width=\"0.8\"/>\n"
        let columns = max(L.legendColumns, 1)
        for (k, entry) in legendEntries.enumerated() {
            let s = series[entry.index]
            let c = color(of: s, index: entry.index)
            let (row, column) = (k / columns, k % columns)
            let cy = o.y + 6 + (Double(row) + 0.5) * Style.legendRowHeight
            let x0 = o.x + 8 + Double(column) * columnWidth, x1 = x0 + Style.sampleWidth
            if s.line != .none {
                var attrs = "stroke=\"\(c)\" stroke-width=\"\(M.num(max(s.lineWidth, 0)))\" stroke-linecap=\"round\""
                if let dash = s.dashArray { attrs += " stroke-dasharray=\"\(dash)\"" }
                out += "<path d=\"M\(M.num(x0)),\(M.num(cy))H\(M.num(x1))\" \(attrs)/>\n"
            }
            let marker = s.effectiveMarker
            if marker != .none {
                let d = Self.markerPath(marker, at: Point(x: (x0 + x1) / 2, y: cy), radius: markerRadius(s))
                out += "<path d=\"\(d)\" \(markerPaint(marker, color: c, s))/>\n"
            }
            let name = M.truncated(entry.name, maxWidth: L.legendNameWidth, fontSize: Style.legendFont)
            out += M.text(name, x: x1 + 6, y: cy + Style.legendFont * 0.36, size: Style.legendFont, anchor: "start")
        }
        return out + "</g>\n"
    }
}
