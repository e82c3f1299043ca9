// Heat maps of values on a regular square grid (densities of a flow over a parameter plane, typically) as small
// multiples in one SVG document, each panel with its own colour bar.
//
// Goals, in priority order:
// 1. Never misleading: each panel's colours run from min(0, smallest value) to its largest value, and its colour
//    bar says so with labelled bottom, middle and top values; cells without a finite value are grey, not a colour.
// 2. Readable on a slide: axis ticks and labels on every panel, the quantity named on every colour bar, text
//    sized for a 2× PNG.
// 3. Well-formed SVG written by hand, like SVGPlot (one gradient definition, shared by every colour bar).

import Foundation
import TangentFlow

/// Small multiples of heat maps on a regular `pointsPerAxis` × `pointsPerAxis` grid over
/// [`lower`, `upper`]², in a grid of panels `columns` wide, each with a vertical colour bar.
///
/// ```swift
/// var heat = SVGHeatmap(pointsPerAxis: 41, lower: -3, upper: 3, title: "Density along the flow",
///                       xLabel: "slope a", yLabel: "bias b", valueLabel: "density p")
/// heat.markers = [(1, 0.5)]
/// heat.panels.append(.init(title: "t = 0", values: p0))
/// try heat.write(to: "results/density.svg")   // and density.png
/// ```
///
/// Drawing:
/// - Cell (i₁, i₂) shows `values[i₁ + n·i₂]`, centred on grid point (lower + i₁·h, lower + i₂·h),
///   h = (upper − lower)/(n − 1); the first coordinate runs along x, the second up along y.
/// - Colours: viridis, each panel on its own scale from min(0, its smallest finite value) (bottom of its colour
///   bar) to its largest finite value (top), the bar labelled at bottom, middle and top; non-finite values are
///   drawn grey (`#bbbbbb`).
/// - `dots` (e.g. particles) are small white dots, `markers` (e.g. teacher neurons) orange rings, both in data
///   coordinates; those outside the panel are not drawn.
///
/// Edge cases: a panel with no finite value is drawn grey with a bar on [0, 1]; a panel whose values are all
/// equal gets a bar on [min(0, v), v] (or [v, v + 1] when v ≤ 0); missing values (fewer than n²) are drawn as
/// non-finite. `render()` never fails; `validate()` and `write(to:png:)` reject such inputs.
public struct SVGHeatmap: Sendable {
    /// One heat map of the grid.
    public struct Panel: Sendable {
        /// Drawn above the panel.
        public var title: String
        /// One value per grid point, `values[i₁ + n·i₂]`, first coordinate along x.
        public var values: [Double]
        /// Points drawn as small white dots, in data coordinates `(x, y)`.
        public var dots: [(Double, Double)]

        /// A panel.
        ///
        /// - Parameters:
        ///   - title: drawn above the panel.
        ///   - values: `pointsPerAxis²` values, first coordinate fastest.
        ///   - dots: points drawn as dots, in data coordinates (default none).
        public init(title: String, values: [Double], dots: [(Double, Double)] = []) {
            self.title = title
            self.values = values
            self.dots = dots
        }
    }

    /// Grid points along each axis, n.
    public var pointsPerAxis: Int
    /// Data coordinate of the first grid point on both axes.
    public var lower: Double
    /// Data coordinate of the last grid point on both axes.
    public var upper: Double
    /// Title above all panels (empty: none).
    public var title: String
    /// Title of each panel's x axis, e.g. "slope a".
    public var xLabel: String
    /// Title of each panel's y axis, e.g. "bias b".
    public var yLabel: String
    /// Name of the quantity the colours show, written beside every colour bar, e.g. "density p".
    public var valueLabel: String
    /// Points drawn as orange rings on every panel, in data coordinates `(x, y)`.
    public var markers: [(Double, Double)] = []
    /// The heat maps, in reading order.
    public var panels: [Panel] = []
    /// Panels per row (default 3).
    public var columns = 3
    /// Side of each heat map in px (default 220).
    public var panelSize = 220.0

    /// A heat map figure with no panels yet.
    ///
    /// - Parameters:
    ///   - pointsPerAxis: grid points per axis, n ≥ 2.
    ///   - lower: first grid coordinate.
    ///   - upper: last grid coordinate, above `lower`.
    ///   - title: overall title (empty for none).
    ///   - xLabel: x axis title of every panel.
    ///   - yLabel: y axis title of every panel.
    ///   - valueLabel: name of the coloured quantity, beside every colour bar (default "density").
    public init(pointsPerAxis: Int, lower: Double, upper: Double, title: String, xLabel: String, yLabel: String,
                valueLabel: String = "density") {
        self.pointsPerAxis = pointsPerAxis
        self.lower = lower
        self.upper = upper
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.valueLabel = valueLabel
    }

    /// Checks what `render()` would otherwise repair silently.
    ///
    /// - Throws: `TangentFlowError.invalidArgument` when `pointsPerAxis < 2`, the bounds are not finite with
    ///   `lower < upper`, `columns < 1`, `panelSize` is outside 40…4000 px, or a panel has other than
    ///   `pointsPerAxis²` values.
    public func validate() throws {
        guard pointsPerAxis >= 2, pointsPerAxis <= 100_000 else {
            throw TangentFlowError.invalidArgument(operation: "SVGHeatmap",
                reason: "pointsPerAxis is \(pointsPerAxis); use 2…100000")
        }
        guard lower.isFinite, upper.isFinite, lower < upper else {
            throw TangentFlowError.invalidArgument(operation: "SVGHeatmap",
                reason: "bounds [\(lower), \(upper)] must be finite with lower < upper")
        }
        guard columns >= 1 else {
            throw TangentFlowError.invalidArgument(operation: "SVGHeatmap", reason: "columns is \(columns); use 1 or more")
        }
        guard panelSize >= 40, panelSize <= 4000 else {
            throw TangentFlowError.invalidArgument(operation: "SVGHeatmap",
                reason: "panelSize \(panelSize) px is outside 40…4000")
        }
        for (k, panel) in panels.enumerated() where panel.values.count != pointsPerAxis * pointsPerAxis {
            throw TangentFlowError.shapeMismatch(operation: "SVGHeatmap panel \(k) ('\(panel.title)')",
                expected: "\(pointsPerAxis * pointsPerAxis) values", got: "\(panel.values.count)")
        }
    }

    /// Viridis (matplotlib) at 9 stops, from 0 (dark purple) to 1 (yellow).
    static let viridis: [(Double, Double, Double)] = [
        (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141), (39, 173, 129), (92, 200, 99),
        (170, 220, 50), (253, 231, 37),
    ]

    /// The viridis colour at `t` ∈ [0, 1] (clamped; NaN reads as 0) as `#rrggbb`, linear between the 9 stops.
    static func colour(_ t: Double) -> String {
        let u = min(1, max(0, t.isFinite ? t : 0)) * Double(viridis.count - 1)
        let k = min(Int(u), viridis.count - 2)
        let f = u - Double(k)
        let (a, b) = (viridis[k], viridis[k + 1])
        func mix(_ x: Double, _ y: Double) -> Int { Int((x + f * (y - x)).rounded()) }
        return String(format: "#%02x%02x%02x", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    /// The colour range of a panel: (min(0, smallest finite value), largest finite value), widened to a
    /// non-empty range as the type's edge cases describe.
    static func colourRange(_ values: [Double]) -> (lower: Double, upper: Double) {
        let finite = values.filter(\.isFinite)
        guard let hi = finite.max(), let lo = finite.min() else { return (0, 1) }
        let bottom = min(0, lo)
        return hi > bottom ? (bottom, hi) : (bottom, bottom + 1)
    }

    /// A colour-bar label: 3 significant digits, plain between 0.001 and 10⁴, else `1.5e-5` style; `0` for zero.
    static func barLabel(_ v: Double) -> String {
        guard v != 0, v.isFinite else { return v.isFinite ? "0" : "\(v)" }
        let a = abs(v)
        if a >= 1e-3 && a < 1e4 {
            let decimals = max(0, 2 - Int(Foundation.log10(a).rounded(.down)))
            var s = String(format: "%.\(decimals)f", v)
            if s.contains(".") {
                while s.hasSuffix("0") { s.removeLast() }
                if s.hasSuffix(".") { s.removeLast() }
            }
            return s
        }
        let parts = String(format: "%.2e", v).split(separator: "e")
        var mantissa = String(parts[0])
        while mantissa.hasSuffix("0") { mantissa.removeLast() }
        if mantissa.hasSuffix(".") { mantissa.removeLast() }
        return mantissa + "e" + String(Int(parts[1]) ?? 0)
    }

    // Layout constants, px.
    private enum Style {
        static let titleFont = 16.0
        static let panelTitleFont = 13.0
        static let labelFont = 12.0
        static let tickFont = 10.5
        static let pad = 12.0
        static let tickLength = 4.0
        static let barGap = 10.0
        static let barWidth = 12.0
        static let panelGap = 22.0
        static let gradientID = "tf-heatmap-viridis"
    }

    /// The figure as a standalone SVG document (UTF-8 text).
    ///
    /// Never fails: invalid settings are repaired (`pointsPerAxis` raised to 2, bad bounds read as [0, 1],
    /// `columns` raised to 1, `panelSize` clamped to 40…4000 px, missing values drawn as non-finite).
    public func render() -> String {
        typealias M = SVGMarkup
        let n = max(pointsPerAxis, 2)
        let (lo, hi) = lower.isFinite && upper.isFinite && lower < upper ? (lower, upper) : (0.0, 1.0)
        let columns = max(self.columns, 1)
        let size = min(max(panelSize.isFinite ? panelSize : 220, 40), 4000)
        let cell = size / Double(n)
        // Grid point → px inside a panel whose top-left corner is (x0, y0): cell centres on the grid points.
        func px(_ a: Double, _ x0: Double) -> Double { x0 + cell / 2 + (a - lo) / (hi - lo) * (size - cell) }
        func py(_ b: Double, _ y0: Double) -> Double { y0 + size - cell / 2 - (b - lo) / (hi - lo) * (size - cell) }

        // Axis ticks shared by every panel, and the colour-bar labels of each panel.
        let ticks = PlotAxis.niceTicks(lower: lo, upper: hi, scale: .linear, maxCount: max(2, Int(size / 45)))
        let ranges = panels.map { Self.colourRange($0.values) }
        let barLabels = ranges.map { r in [r.lower, (r.lower + r.upper) / 2, r.upper].map(Self.barLabel) }

        // Horizontal budget of one panel: y title, y tick labels, ticks, map, bar, bar labels, value title.
        let yTickWidth = ticks.labels.map { M.textWidth($0, fontSize: Style.tickFont) }.max() ?? 0
        let barLabelWidth = barLabels.joined().map { M.textWidth($0, fontSize: Style.tickFont) }.max() ?? 0
        let leftBand = (yLabel.isEmpty ? 0 : Style.labelFont + 6) + yTickWidth + 3 + Style.tickLength
        let barBand = Style.barGap + Style.barWidth + Style.tickLength + 3 + barLabelWidth
            + (valueLabel.isEmpty ? 0 : 6 + Style.labelFont)
        let blockWidth = leftBand + size + barBand + Style.panelGap
        let topBand = Style.panelTitleFont + 10
        let bottomBand = Style.tickLength + 3 + Style.tickFont + (xLabel.isEmpty ? 0 : 6 + Style.labelFont) + 14
        let blockHeight = topBand + size + bottomBand
        let rows = max((panels.count + columns - 1) / columns, 1)
        let shownColumns = Double(min(columns, max(panels.count, 1)))
        let width = 2 * Style.pad + shownColumns * blockWidth - Style.panelGap
        let titleFont = title.isEmpty ? 0 : M.fittingSize(title, preferred: Style.titleFont, minimum: 10,
                                                          maxWidth: width - 2 * Style.pad, bold: true)
        let titleBand = title.isEmpty ? 0 : titleFont + 14
        let height = Style.pad + titleBand + Double(rows) * blockHeight

        var s = "<defs><linearGradient id=\"\(Style.gradientID)\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
        for (k, _) in Self.viridis.enumerated() {
            let t = Double(k) / Double(Self.viridis.count - 1)
            s += "<stop offset=\"\(M.num(t))\" stop-color=\"\(Self.colour(t))\"/>"
        }
        s += "</linearGradient></defs>\n"
        if !title.isEmpty {
            let shown = M.truncated(title, maxWidth: width - 2 * Style.pad, fontSize: titleFont, bold: true)
            s += M.text(shown, x: width / 2, y: Style.pad + titleFont * 0.85, size: titleFont, bold: true,
                        cssClass: "title")
        }
        for (index, panel) in panels.enumerated() {
            let x0 = Style.pad + Double(index % columns) * blockWidth + leftBand
            let y0 = Style.pad + titleBand + Double(index / columns) * blockHeight + topBand
            s += "<g class=\"panel\">\n"
            let shownTitle = M.truncated(panel.title, maxWidth: size + barBand, fontSize: Style.panelTitleFont)
            s += M.text(shownTitle, x: x0 + size / 2, y: y0 - 7, size: Style.panelTitleFont, cssClass: "panel-title")

            // Cells.
            let range = ranges[index]
            for i2 in 0..<n {
                for i1 in 0..<n {
                    let k = i1 + n * i2
                    let v = k < panel.values.count ? panel.values[k] : .nan
                    let fill = v.isFinite ? Self.colour((v - range.lower) / (range.upper - range.lower)) : "#bbbbbb"
                    s += "<rect x=\"\(M.num(x0 + Double(i1) * cell))\" y=\"\(M.num(y0 + Double(n - 1 - i2) * cell))\" "
                        + "width=\"\(M.num(cell + 0.3))\" height=\"\(M.num(cell + 0.3))\" fill=\"\(fill)\"/>\n"
                }
            }
            for (a, b) in panel.dots {
                let (x, y) = (px(a, x0), py(b, y0))
                if x >= x0, x <= x0 + size, y >= y0, y <= y0 + size {
                    s += "<circle cx=\"\(M.num(x))\" cy=\"\(M.num(y))\" r=\"1.3\" fill=\"#ffffff\" fill-opacity=\"0.8\"/>\n"
                }
            }
            for (a, b) in markers {
                let (x, y) = (px(a, x0), py(b, y0))
                if x >= x0, x <= x0 + size, y >= y0, y <= y0 + size {
                    s += "<circle cx=\"\(M.num(x))\" cy=\"\(M.num(y))\" r=\"6\" fill=\"none\" stroke=\"#D55E00\" "
                        + "stroke-width=\"2\"/>\n"
                }
            }
            s += "<rect class=\"frame\" x=\"\(M.num(x0))\" y=\"\(M.num(y0))\" width=\"\(M.num(size))\" "
                + "height=\"\(M.num(size))\" fill=\"none\" stroke=\"#333333\"/>\n"

            // Axes: ticks and labels below and left of the map.
            var tickPath = ""
            for v in ticks.major {
                tickPath += "M\(M.num(px(v, x0))),\(M.num(y0 + size))v\(M.num(Style.tickLength))"
                tickPath += "M\(M.num(x0)),\(M.num(py(v, y0)))h\(M.num(-Style.tickLength))"
            }
            if !tickPath.isEmpty { s += "<path d=\"\(tickPath)\" stroke=\"#333333\" fill=\"none\"/>\n" }
            let xTickBaseline = y0 + size + Style.tickLength + 3 + Style.tickFont * 0.78
            for (v, label) in zip(ticks.major, ticks.labels) {
                s += M.text(label, x: px(v, x0), y: xTickBaseline, size: Style.tickFont)
                s += M.text(label, x: x0 - Style.tickLength - 3, y: py(v, y0) + Style.tickFont * 0.36,
                            size: Style.tickFont, anchor: "end")
            }
            if !xLabel.isEmpty {
                let shown = M.truncated(xLabel, maxWidth: size + leftBand, fontSize: Style.labelFont)
                s += M.text(shown, x: x0 + size / 2, y: xTickBaseline + 6 + Style.labelFont, size: Style.labelFont,
                            cssClass: "x-label")
            }
            if !yLabel.isEmpty {
                let shown = M.truncated(yLabel, maxWidth: size, fontSize: Style.labelFont)
                let x = x0 - leftBand + Style.labelFont * 0.8
                s += M.text(shown, x: x, y: y0 + size / 2, size: Style.labelFont, rotate: -90, cssClass: "y-label")
            }

            // Colour bar: the gradient, ticks at bottom, middle and top, their values, the quantity's name.
            let bx = x0 + size + Style.barGap
            s += "<g class=\"colorbar\" data-min=\"\(range.lower)\" data-max=\"\(range.upper)\">\n"
            s += "<rect class=\"colorbar-gradient\" x=\"\(M.num(bx))\" y=\"\(M.num(y0))\" "
                + "width=\"\(M.num(Style.barWidth))\" height=\"\(M.num(size))\" fill=\"url(#\(Style.gradientID))\" "
                + "stroke=\"#333333\" stroke-width=\"0.8\"/>\n"
            let tickX = bx + Style.barWidth
            var barTicks = ""
            for (j, label) in barLabels[index].enumerated() {
                let y = y0 + size - Double(j) / 2 * size
                barTicks += "M\(M.num(tickX)),\(M.num(y))h\(M.num(Style.tickLength))"
                s += M.text(label, x: tickX + Style.tickLength + 3, y: y + Style.tickFont * 0.36, size: Style.tickFont,
                            anchor: "start", cssClass: "colorbar-tick")
            }
            s += "<path d=\"\(barTicks)\" stroke=\"#333333\" fill=\"none\"/>\n"
            if !valueLabel.isEmpty {
                let shown = M.truncated(valueLabel, maxWidth: size, fontSize: Style.labelFont)
                let x = tickX + Style.tickLength + 3 + barLabelWidth + 6 + Style.labelFont * 0.8
                s += M.text(shown, x: x, y: y0 + size / 2, size: Style.labelFont, rotate: -90,
                            cssClass: "colorbar-label")
            }
            s += "</g>\n</g>\n"
        }
        return M.document(width: width, height: height, title: title, body: s)
    }

    /// Validates, then writes `render()` to `path` atomically and, with `png`, a PNG copy at twice the size
    /// beside it (`SVGFile.write(_:to:png:)`).
    ///
    /// - Parameters:
    ///   - path: the SVG file; its folder must exist.
    ///   - png: also write the PNG (default `true`).
    /// - Returns: what became of the PNG; a missing or failing `rsvg-convert` skips it without throwing.
    /// - Throws: `TangentFlowError` from `validate()`; `TangentFlowError.io(path:reason:)` when the SVG cannot be
    ///   written.
    @discardableResult
    public func write(to path: String, png: Bool = true) throws -> SVGFile.PNGOutcome {
        try validate()
        return try SVGFile.write(render(), to: path, png: png)
    }
}
