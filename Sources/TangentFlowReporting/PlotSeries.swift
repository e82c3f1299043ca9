// One data series of an SVGPlot: points, name, colour, line style, markers.

import Foundation
import TangentFlow

/// A named series of (x, y) points drawn as a line, markers, or both.
///
/// ```swift
/// let train = try PlotSeries(name: "train", x: steps, y: trainLoss)
/// let test = try PlotSeries(name: "test", x: steps, y: testLoss, line: .dashed, marker: .circle)
/// ```
///
/// Edge cases: points with a non-finite coordinate, or a coordinate ≤ 0 on a log axis, are skipped and the line
/// breaks there (it does not jump over the gap); a series with no drawable point still gets its legend entry.
/// A run of one drawable point between gaps is drawn as a dot when the series has no markers.
public struct PlotSeries: Sendable {
    /// How consecutive points are joined.
    public enum LineStyle: Sendable, Equatable, CaseIterable {
        /// A continuous line.
        case solid
        /// Dashes (about 6 px on, 4 px off at the default width; they scale with `lineWidth`).
        case dashed
        /// Dots (round caps).
        case dotted
        /// Alternating dash and dot.
        case dashDot
        /// No line: markers only (a scatter plot). A series with `.none` and no marker gets `.circle` markers.
        case none
    }

    /// The symbol drawn at each point.
    public enum Marker: Sendable, Equatable, CaseIterable {
        /// No marker.
        case none
        /// Filled circle.
        case circle
        /// Filled square.
        case square
        /// Filled triangle, pointing up.
        case triangle
        /// Filled diamond.
        case diamond
        /// Diagonal cross (stroked).
        case cross
    }

    /// The Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008), ordered for contrast on white: blue,
    /// vermillion, bluish green, reddish purple, orange, sky blue, black, yellow. Series without a colour take
    /// `palette[i % 8]`, `i` being their index in the plot.
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
                                 "#F0E442"]

    /// Legend text. May be empty, in which case the series has no legend entry.
    public var name: String
    /// x coordinates, parallel to `y`.
    public private(set) var x: [Double]
    /// y coordinates, parallel to `x`.
    public private(set) var y: [Double]
    /// Any SVG/CSS colour ("#D55E00", "teal"), or `nil` for the palette colour of the series' index.
    public var color: String?
    /// How points are joined.
    public var line: LineStyle
    /// Symbol at each point.
    public var marker: Marker
    /// Line width in px (markers scale with it). Default 1.8.
    public var lineWidth: Double
    /// Draw a marker at every `markerEvery`-th point (from the first). `nil` (default): every point of a scatter
    /// series (`line == .none`, whose markers are its only trace) or of a series with at most 40 points; else
    /// evenly spaced so about 30 are drawn.
    public var markerEvery: Int?

    /// A series from parallel coordinate arrays.
    ///
    /// - Parameters:
    ///   - name: legend text.
    ///   - x: x coordinates.
    ///   - y: y coordinates, one per x.
    ///   - color: SVG colour, or `nil` (default) for the palette.
    ///   - line: line style (default `.solid`).
    ///   - marker: marker (default `.none`).
    ///   - lineWidth: px (default 1.8).
    /// - Throws: `TangentFlowError.shapeMismatch` when `x.count != y.count`.
    public init(name: String, x: [Double], y: [Double], color: String? = nil, line: LineStyle = .solid,
                marker: Marker = .none, lineWidth: Double = 1.8) throws {
        guard x.count == y.count else {
            throw TangentFlowError.shapeMismatch(operation: "PlotSeries.init", expected: "\(x.count) y values",
                got: "\(y.count)")
        }
        self.name = name
        self.x = x
        self.y = y
        self.color = color
        self.line = line
        self.marker = marker
        self.lineWidth = lineWidth
    }

    /// A series of `y` against its index: x = 0, 1, 2, ….
    ///
    /// On a log x axis the first point (x = 0) has no position and is skipped; pass `x` explicitly to start at 1.
    ///
    /// - Parameters: as `init(name:x:y:color:line:marker:lineWidth:)`.
    public init(name: String, y: [Double], color: String? = nil, line: LineStyle = .solid, marker: Marker = .none,
                lineWidth: Double = 1.8) {
        self.name = name
        self.x = y.indices.map(Double.init)
        self.y = y
        self.color = color
        self.line = line
        self.marker = marker
        self.lineWidth = lineWidth
    }

    /// The marker actually drawn: `.circle` for a scatter series that names no marker.
    var effectiveMarker: Marker {
        line == .none && marker == .none ? .circle : marker
    }

    /// Indices of points that get a marker.
    var markerStride: Int {
        if let every = markerEvery { return max(every, 1) }
        return line == .none || x.count <= 40 ? 1 : Int((Double(x.count) / 30).rounded(.up))
    }

    /// SVG `stroke-dasharray` for the line style, scaled by the line width, or `nil` for solid.
    var dashArray: String? {
        let w = max(lineWidth, 0.5)
        switch line {
        case .solid, .none: return nil
        case .dashed: return "\(SVGMarkup.num(3.3 * w)) \(SVGMarkup.num(2.2 * w))"
        case .dotted: return "0 \(SVGMarkup.num(2.2 * w))"
        case .dashDot: return "\(SVGMarkup.num(3.3 * w)) \(SVGMarkup.num(1.7 * w)) 0 \(SVGMarkup.num(1.7 * w))"
        }
    }
}
