import Foundation
import TangentFlow

/// Small multiples of heat maps of densities on a regular n×n grid, as one hand-written SVG (SVGPlot draws
/// lines and markers only). Each panel is scaled to its own maximum; optional markers (teacher neurons) and
/// dots (particles) are drawn on top.
struct HeatmapPanels {
    struct Panel {
        let title: String
        /// `values[i1 + n·i2]`, first coordinate along x.
        let values: [Double]
        /// Points drawn as small dots, in data coordinates.
        var dots: [(Double, Double)] = []
    }

    let pointsPerAxis: Int
    let lower: Double
    let upper: Double
    let title: String
    let xLabel: String
    let yLabel: String
    var markers: [(Double, Double)] = []
    var panels: [Panel] = []
    var columns = 3
    let size = 220.0

    /// Viridis at 9 stops (matplotlib), linearly interpolated.
    static let viridis: [(Double, Double, Double)] = [
        (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141), (39, 173, 129), (92, 200, 99),
        (170, 220, 50), (253, 231, 37),
    ]

    static func colour(_ t: Double) -> String {
        let u = min(1, max(0, t.isFinite ? t : 0)) * Double(viridis.count - 1)
        let k = min(Int(u), viridis.count - 2)
        let f = u - Double(k)
        let (a, b) = (viridis[k], viridis[k + 1])
        func mix(_ x: Double, _ y: Double) -> Int { Int((x + f * (y - x)).rounded()) }
        return String(format: "#%02x%02x%02x", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    func render() -> String {
        let rows = (panels.count + columns - 1) / columns
        let (padLeft, padTop, gap, titleHeight) = (50.0, 56.0, 50.0, 22.0)
        let width = padLeft + Double(columns) * (size + gap)
        let height = padTop + Double(rows) * (size + gap + titleHeight) + 10
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(width / 2)\" y=\"24\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">\(SVGMarkup.escape(title))</text>\n"
        let n = pointsPerAxis
        let cell = size / Double(n)
        let span = upper - lower
        for (index, panel) in panels.enumerated() {
            let x0 = padLeft + Double(index % columns) * (size + gap)
            let y0 = padTop + Double(index / columns) * (size + gap + titleHeight) + titleHeight
            s += "<text x=\"\(x0 + size / 2)\" y=\"\(y0 - 6)\" text-anchor=\"middle\" font-size=\"13\">\(SVGMarkup.escape(panel.title))</text>\n"
            let top = panel.values.max() ?? 1
            for i2 in 0..<n {
                for i1 in 0..<n {
                    let v = panel.values[i1 + n * i2]
                    let x = x0 + Double(i1) * cell, y = y0 + Double(n - 1 - i2) * cell
                    s += String(format: "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%@\"/>\n",
                                x, y, cell + 0.3, cell + 0.3, Self.colour(top > 0 ? v / top : 0))
                }
            }
            // Data coordinates → panel pixels (cell centres at the grid points).
            func px(_ a: Double, _ b: Double) -> (Double, Double) {
                (x0 + cell / 2 + (a - lower) / span * (size - cell), y0 + size - cell / 2 - (b - lower) / span * (size - cell))
            }
            for d in panel.dots {
                let (x, y) = px(d.0, d.1)
                if x >= x0, x <= x0 + size, y >= y0, y <= y0 + size {
                    s += String(format: "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"1.3\" fill=\"white\" fill-opacity=\"0.8\"/>\n", x, y)
                }
            }
            for m in markers {
                let (x, y) = px(m.0, m.1)
                s += String(format: "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"6\" fill=\"none\" stroke=\"#D55E00\" stroke-width=\"2\"/>\n", x, y)
            }
            s += "<rect x=\"\(x0)\" y=\"\(y0)\" width=\"\(size)\" height=\"\(size)\" fill=\"none\" stroke=\"#333\"/>\n"
            s += "<text x=\"\(x0 + size / 2)\" y=\"\(y0 + size + 16)\" text-anchor=\"middle\" font-size=\"11\">\(SVGMarkup.escape(xLabel)) ∈ [\(fmt(lower)), \(fmt(upper))]</text>\n"
            s += "<text x=\"\(x0 - 8)\" y=\"\(y0 + size / 2)\" text-anchor=\"middle\" font-size=\"11\" transform=\"rotate(-90 \(x0 - 8) \(y0 + size / 2))\">\(SVGMarkup.escape(yLabel))</text>\n"
        }
        s += "</svg>\n"
        return s
    }

    private func fmt(_ v: Double) -> String { String(format: "%g", v) }
}
