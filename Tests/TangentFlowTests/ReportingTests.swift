// Tests for the Reporting module: CSVTable round trips (parsed back from the written text), nice ticks,
// SVGPlot / SVGFigure output parsed as XML (well-formed, titles, labels, legend, one line per series, log-axis
// skipping, escaping, a legend box that never covers a drawn point or line), SVGHeatmap colour bars, and the PNG
// written beside every SVG.

import Foundation
import Testing
@testable import TangentFlow
@testable import TangentFlowReporting

#if canImport(FoundationXML)
import FoundationXML
#endif

// MARK: - Helpers (private to this file)

/// RFC 4180 reader for the round trip: fields split on `,`, quoted fields may hold `,`, `""` and newlines.
private func parseCSV(_ text: String) -> [[String]] {
    var rows: [[String]] = []
    var row: [String] = []
    var field = ""
    var inQuotes = false
    var chars = Array(text)[...]
    while let c = chars.popFirst() {
        if inQuotes {
            if c == "\"" {
                if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { inQuotes = false }
            } else {
                field.append(c)
            }
        } else if c == "\"" {
            inQuotes = true
        } else if c == "," {
            row.append(field)
            field = ""
        } else if c == "\n" || c == "\r\n" {
            row.append(field)
            rows.append(row)
            row = []
            field = ""
        } else {
            field.append(c)
        }
    }
    if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
    return rows
}

/// A number as CSV readers take it: Swift's parser, plus NumPy/pandas spellings of the non-finite values.
private func parseNumber(_ s: String) -> Double? {
    switch s {
    case "nan": return .nan
    case "inf": return .infinity
    case "-inf": return -.infinity
    default: return Double(s)
    }
}

/// One parsed XML element: name, attributes, text directly inside it, and its ancestors' names.
private struct ParsedElement {
    var name: String
    var attributes: [String: String]
    var text: String
    var ancestors: [String]
    /// `class` attributes of the ancestors, innermost last.
    var ancestorClasses: [String]
    /// Sum of the ancestors' `translate(x,y)` transforms: add it to the element's coordinates for document ones.
    var offset: (x: Double, y: Double) = (0, 0)
}

/// Parses `xml` with Foundation's XMLParser; `nil` when it is not well-formed.
private func parseXML(_ xml: String) -> [ParsedElement]? {
    final class Collector: NSObject, XMLParserDelegate {
        var elements: [ParsedElement] = []
        var stack: [Int] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            let ancestors = stack.map { elements[$0].name }
            let classes = stack.map { elements[$0].attributes["class"] ?? "" }
            var offset: (x: Double, y: Double) = stack.last.map { elements[$0].offset } ?? (0, 0)
            if let t = attributes["transform"], t.hasPrefix("translate(") {
                let xy = t.dropFirst("translate(".count).dropLast().split(separator: ",").compactMap { Double($0) }
                if xy.count == 2 { offset = (offset.x + xy[0], offset.y + xy[1]) }
            }
            elements.append(ParsedElement(name: name, attributes: attributes, text: "", ancestors: ancestors,
                                       ancestorClasses: classes, offset: offset))
            stack.append(elements.count - 1)
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let top = stack.last { elements[top].text += string }
        }
    }
    let parser = XMLParser(data: Data(xml.utf8))
    let collector = Collector()
    parser.delegate = collector
    return parser.parse() ? collector.elements : nil
}

/// Number of sub-paths (`M` commands) in an SVG path `d`.
private func subpathCount(_ d: String) -> Int { d.filter { $0 == "M" }.count }

private enum ReportingFixtures {
    static let steps = (0...100).map(Double.init)

    /// Log-y loss plot with two series and a series with no finite point.
    static func lossPlot() throws -> SVGPlot {
        var plot = SVGPlot(title: "Loss", xLabel: "step", yLabel: "loss (MSE)", yScale: .log10)
        plot.add(try PlotSeries(name: "train", x: steps, y: steps.map { exp(-$0 / 4) }))
        plot.add(try PlotSeries(name: "test", x: steps, y: steps.map { 1e-6 + exp(-$0 / 8) }, line: .dashed,
                                marker: .circle))
        plot.add(try PlotSeries(name: "diverged", x: [0, 1], y: [.nan, .infinity]))
        return plot
    }

    static func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "/tangentflow-reporting-\(ProcessInfo.processInfo.processIdentifier)-\(name)"
    }
}

// MARK: - CSVTable

@Test func csvRoundTripKeepsEveryNumberAndString() throws {
    let numbers: [Double] = [0, -0.0, 0.1, 1.0 / 3, .pi, 1e-300, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                             -2.5e17, .nan, .infinity, -.infinity]
    let names = ["plain", "with, comma", "with \"quotes\"", "multi\nline", " padded ", "ünïcödé ∂θ", ""]
    var table = try CSVTable(columns: ["name", "value", "value, squared"], kinds: [.text, .number, .number])
    for (i, x) in numbers.enumerated() {
        try table.append(cells: [.text(names[i % names.count]), .number(x), .number(x * x)])
    }
    let path = ReportingFixtures.temporaryPath("roundtrip.csv")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try table.write(to: path)
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text == table.render())

    let rows = parseCSV(text)
    #expect(rows.count == numbers.count + 1)
    #expect(rows[0] == ["name", "value", "value, squared"])
    for (i, x) in numbers.enumerated() {
        let row = rows[i + 1]
        #expect(row.count == 3, "row \(i): \(row)")
        #expect(row[0] == names[i % names.count], "row \(i) name")
        for (field, expected) in zip(row[1...], [x, x * x]) {
            let got = try #require(parseNumber(field), "row \(i): '\(field)' does not parse")
            #expect(got.bitPattern == expected.bitPattern || (got.isNaN && expected.isNaN),
                    "row \(i): wrote \(expected), read back '\(field)' = \(got)")
        }
    }
}

@Test func csvFormatsNonFiniteAndQuotesPerRFC4180() {
    #expect(CSVTable.format(.nan) == "nan")
    #expect(CSVTable.format(-Double.nan) == "nan")
    #expect(CSVTable.format(.signalingNaN) == "nan")
    #expect(CSVTable.format(.infinity) == "inf")
    #expect(CSVTable.format(-.infinity) == "-inf")
    #expect(CSVTable.format(0.1) == "0.1")
    #expect(CSVTable.quoted("a,b") == "\"a,b\"")
    #expect(CSVTable.quoted("say \"hi\"") == "\"say \"\"hi\"\"\"")
    #expect(CSVTable.quoted("two\r\nlines") == "\"two\r\nlines\"")
    #expect(CSVTable.quoted("plain") == "plain")
}

@Test func csvNumericTableRendersHeaderAndRows() throws {
    var table = CSVTable(columns: ["step", "loss"])
    try table.append([0, 0.5])
    try table.append([1, 0.25])
    #expect(table.render() == "step,loss\n0.0,0.5\n1.0,0.25\n")
    #expect(CSVTable(columns: ["a"]).render() == "a\n")
}

@Test func csvRejectsWrongRows() throws {
    var numeric = CSVTable(columns: ["a", "b"])
    #expect(throws: TangentFlowError.shapeMismatch(operation: "CSVTable.append", expected: "2 fields", got: "3")) {
        try numeric.append([1, 2, 3])
    }
    #expect(throws: TangentFlowError.self) { try numeric.append(cells: [.number(1), .text("x")]) }
    #expect(numeric.rows.isEmpty, "a failed append must leave the table unchanged")

    var mixed = try CSVTable(columns: ["name", "x"], kinds: [.text, .number])
    #expect(throws: TangentFlowError.self) { try mixed.append([1, 2]) }
    #expect(throws: TangentFlowError.self) { try mixed.append(cells: [.number(1), .number(2)]) }
    #expect(throws: TangentFlowError.self) { try CSVTable(columns: ["a"], kinds: [.text, .number]) }
}

@Test func csvWriteToMissingDirectoryThrowsIO() throws {
    let path = "/nonexistent-tangentflow-dir/x.csv"
    do {
        try CSVTable(columns: ["a"]).write(to: path)
        Issue.record("write to \(path) did not throw")
    } catch let TangentFlowError.io(p, reason) {
        #expect(p == path)
        #expect(reason.contains("does not exist"), "reason: \(reason)")
    }
}

// MARK: - Ticks

@Test(arguments: 6...10)
func linearTicksOnUnitInterval(maxCount: Int) {
    let t = PlotAxis.niceTicks(lower: 0, upper: 1, scale: .linear, maxCount: maxCount)
    #expect(t.major == [0, 0.2, 0.4, 0.6, 0.8, 1.0], "maxCount \(maxCount)")
    #expect(t.labels == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
}

@Test func linearTicksFollowOneTwoFiveSteps() {
    // (lower, upper, maxCount) → expected ticks.
    let cases: [(Double, Double, Int, [Double], [String])] = [
        (0, 1, 11, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
         ["0.0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1.0"]),
        (-3.7, 12.2, 8, [-2, 0, 2, 4, 6, 8, 10, 12], ["-2", "0", "2", "4", "6", "8", "10", "12"]),
        (0, 2e-4, 6, [0, 5e-5, 1e-4, 1.5e-4, 2e-4], ["0", "5e-5", "1e-4", "1.5e-4", "2e-4"]),
        (1e6, 5e6, 6, [1e6, 2e6, 3e6, 4e6, 5e6], ["1e6", "2e6", "3e6", "4e6", "5e6"]),
        (1, 1 + 2e-6, 5, [1, 1.0000005, 1.000001, 1.0000015, 1.000002],
         ["1.0000000", "1.0000005", "1.0000010", "1.0000015", "1.0000020"]),
        (-250, -20, 6, [-250, -200, -150, -100, -50], ["-250", "-200", "-150", "-100", "-50"]),
    ]
    for (lo, hi, n, major, labels) in cases {
        let t = PlotAxis.niceTicks(lower: lo, upper: hi, scale: .linear, maxCount: n)
        #expect(t.major == major, "[\(lo), \(hi)] maxCount \(n)")
        #expect(t.labels == labels, "[\(lo), \(hi)] maxCount \(n)")
        #expect(t.minor.isEmpty)
    }
}

@Test func logTicksAreDecades() {
    let t = PlotAxis.niceTicks(lower: 3e-9, upper: 2e-2, scale: .log10, maxCount: 10)
    #expect(t.major == [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2])
    #expect(t.labels == ["1e-8", "1e-7", "1e-6", "1e-5", "1e-4", "1e-3", "1e-2"])
    #expect(t.minor.contains(5e-9) && t.minor.contains(2e-2) && t.minor.contains(3e-5))
    #expect(t.minor.allSatisfy { $0 >= 3e-9 && $0 <= 2e-2 })

    // Too many decades for maxCount: every 2nd decade labelled, the others minor.
    let sparse = PlotAxis.niceTicks(lower: 3e-9, upper: 2e-2, scale: .log10, maxCount: 4)
    #expect(sparse.major == [1e-8, 1e-6, 1e-4, 1e-2])
    #expect(sparse.minor == [1e-7, 1e-5, 1e-3])

    // Decades between 0.01 and 1000 are written plainly.
    let plain = PlotAxis.niceTicks(lower: 0.005, upper: 2000, scale: .log10, maxCount: 10)
    #expect(plain.labels == ["0.01", "0.1", "1", "10", "100", "1000"])

    // Two decades inside: 1-2-5 mantissas when they fit, else the decades.
    let two = PlotAxis.niceTicks(lower: 8e-18, upper: 3e-16, scale: .log10, maxCount: 8)
    #expect(two.labels == ["1e-17", "2e-17", "5e-17", "1e-16", "2e-16"])
    #expect(two.major == [1e-17, 2e-17, 5e-17, 1e-16, 2e-16])
    #expect(PlotAxis.niceTicks(lower: 8e-18, upper: 3e-16, scale: .log10, maxCount: 3).labels == ["1e-17", "1e-16"])
    #expect(PlotAxis.niceTicks(lower: 1.5e-17, upper: 3e-16, scale: .log10, maxCount: 3).labels == ["1e-16"])

    // No decade inside: mantissas 1…9.
    let short = PlotAxis.niceTicks(lower: 1.9, upper: 8.4, scale: .log10, maxCount: 10)
    #expect(short.major == [2, 3, 4, 5, 6, 7, 8])
    #expect(short.labels == ["2", "3", "4", "5", "6", "7", "8"])
}

@Test func ticksOfDegenerateRangesAreEmpty() {
    for (lo, hi, scale) in [(1.0, 1.0, PlotAxis.Scale.linear), (2, 1, .linear), (.nan, 1, .linear),
                            (0, 1, .log10), (-1, 1, .log10), (1, .infinity, .log10)] {
        let t = PlotAxis.niceTicks(lower: lo, upper: hi, scale: scale, maxCount: 8)
        #expect(t.major.isEmpty && t.minor.isEmpty, "[\(lo), \(hi)] \(scale)")
    }
}

@Test func decimalLabelsAreBuiltFromIntegers() {
    #expect(PlotAxis.decimalLabel(mantissa: 6, exponent: -1, scientific: false) == "0.6")
    #expect(PlotAxis.decimalLabel(mantissa: 15, exponent: -3, scientific: false) == "0.015")
    #expect(PlotAxis.decimalLabel(mantissa: 10, exponent: -1, scientific: false, minimumDecimals: 1) == "1.0")
    #expect(PlotAxis.decimalLabel(mantissa: 0, exponent: -2, scientific: false, minimumDecimals: 2) == "0.00")
    #expect(PlotAxis.decimalLabel(mantissa: -25, exponent: 2, scientific: false) == "-2500")
    #expect(PlotAxis.decimalLabel(mantissa: 25, exponent: -8, scientific: true) == "2.5e-7")
    #expect(PlotAxis.decimalLabel(mantissa: 300, exponent: 4, scientific: true) == "3e6")
}

// MARK: - Axis ranges

@Test func axisRangesPadDataAndHonourBounds() {
    let linear = PlotAxis().range(for: [0, 10, .nan, .infinity])
    #expect(linear.lower == -0.4 && linear.upper == 10.4)
    let log = PlotAxis(scale: .log10).range(for: [1e-4, 1, 0, -3])
    #expect(abs(log.lower - pow(10, -4.16)) <= 1e-12 && abs(log.upper - pow(10, 0.16)) <= 1e-12)
    let fixed = PlotAxis(lowerBound: 0).range(for: [1, 2])
    #expect(fixed.lower == 0 && abs(fixed.upper - 2.04) <= 1e-12)
    let empty = PlotAxis(scale: .log10).range(for: [-1, 0])
    #expect(empty.lower == 1 && empty.upper == 10)
    #expect(throws: TangentFlowError.self) { try PlotAxis(scale: .log10, lowerBound: 0).validate() }
    #expect(throws: TangentFlowError.self) { try PlotAxis(lowerBound: 2, upperBound: 1).validate() }
}

// MARK: - SVGPlot

@Test func svgIsWellFormedWithTitleLabelsLegendAndOneLinePerSeries() throws {
    let plot = try ReportingFixtures.lossPlot()
    let svg = plot.render()
    let elements = try #require(parseXML(svg), "SVG is not well-formed XML")
    #expect(elements.first?.name == "svg")
    #expect(elements.first?.attributes["xmlns"] == "http://www.w3.org/2000/svg")

    let texts = elements.filter { $0.name == "text" }
    #expect(texts.contains { $0.attributes["class"] == "title" && $0.text == "Loss" })
    #expect(texts.contains { $0.attributes["class"] == "x-label" && $0.text == "step" })
    #expect(texts.contains { $0.attributes["class"] == "y-label" && $0.text == "loss (MSE)" })
    let legendTexts = texts.filter { $0.ancestorClasses.contains("legend") }.map(\.text)
    #expect(legendTexts == ["train", "test", "diverged"])

    // One series group per series; a line path for each series with points, none for the all-NaN one.
    let groups = elements.filter { $0.name == "g" && $0.attributes["class"] == "series" }
    #expect(groups.map { $0.attributes["data-name"] } == ["train", "test", "diverged"])
    let lines = elements.filter { $0.name == "path" && $0.attributes["class"] == "series-line" }
    #expect(lines.count == 2)
    #expect(lines.allSatisfy { subpathCount($0.attributes["d"] ?? "") == 1 })
    #expect(lines[1].attributes["stroke-dasharray"] != nil, "the dashed series is dashed")
    let markers = elements.filter { $0.name == "path" && $0.attributes["class"] == "series-markers" }
    #expect(markers.count == 1)

    // Colours from the Okabe–Ito palette in order.
    #expect(lines.map { $0.attributes["stroke"] } == [PlotSeries.palette[0], PlotSeries.palette[1]])
    // Log ticks are decades labelled 1e-k.
    let tickLabels = texts.filter { $0.ancestorClasses.contains("tick-labels") }.map(\.text)
    #expect(tickLabels.contains("1e-6") && tickLabels.contains("1e0"))
    #expect(!svg.contains("nan") && !svg.contains("inf"), "no non-finite number reaches the SVG")
}

@Test func logAxisSkipsNonPositiveValuesAndBreaksTheLine() throws {
    var plot = SVGPlot(title: "skip", yScale: .log10)
    // Drawable: indices 0, 1 | 4 | 6, 7 (2 is 0, 3 negative, 5 NaN).
    plot.add(try PlotSeries(name: "s", x: [0, 1, 2, 3, 4, 5, 6, 7], y: [1, 0.1, 0, -1, 0.01, .nan, 1e-3, 1e-4],
                            marker: .square))
    let elements = try #require(parseXML(plot.render()))
    let line = try #require(elements.first { $0.attributes["class"] == "series-line" })
    #expect(subpathCount(line.attributes["d"]!) == 2, "runs [0, 1] and [6, 7]; the lone point 4 has a marker")
    let markers = try #require(elements.first { $0.attributes["class"] == "series-markers" })
    #expect(subpathCount(markers.attributes["d"]!) == 5)

    // The y range spans only the positive data.
    let ticks = elements.filter { $0.name == "text" && $0.ancestorClasses.contains("tick-labels") }.map(\.text)
    #expect(ticks.contains("1e-4") && ticks.contains("1e0") && !ticks.contains("1e-5"))
}

@Test func lonePointsWithoutMarkersAreDots() throws {
    var plot = SVGPlot()
    plot.add(try PlotSeries(name: "s", x: [0, 1, 2, 3], y: [1, .nan, 2, 3]))
    let elements = try #require(parseXML(plot.render()))
    #expect(elements.filter { $0.attributes["class"] == "series-dots" }.count == 1)
    #expect(elements.filter { $0.attributes["class"] == "series-line" }.count == 1)
}

@Test func textIsEscaped() throws {
    var plot = SVGPlot(title: "a <b> & 'c' \"d\"", xLabel: "x<&>", yLabel: "bell\u{7}")
    plot.add(try PlotSeries(name: "<&>", x: [0, 1], y: [0, 1]))
    let svg = plot.render()
    #expect(svg.contains("a &lt;b&gt; &amp; &apos;c&apos; &quot;d&quot;"))
    #expect(svg.contains("x&lt;&amp;&gt;"))
    let elements = try #require(parseXML(svg), "escaped SVG must stay well-formed")
    #expect(elements.contains { $0.attributes["class"] == "title" && $0.text == "a <b> & 'c' \"d\"" })
    #expect(elements.contains { $0.attributes["class"] == "x-label" && $0.text == "x<&>" })
    #expect(elements.contains { $0.attributes["class"] == "series" && $0.attributes["data-name"] == "<&>" })
    #expect(elements.contains { $0.attributes["class"] == "y-label" && $0.text == "bell\u{FFFD}" })
}

@Test func autoLegendAvoidsData() throws {
    // A line rising from bottom left to top right, with data crowding the right: the legend goes top left.
    var plot = SVGPlot()
    plot.add(try PlotSeries(name: "rising", x: (0...20).map(Double.init), y: (0...20).map { Double($0 * $0) }))
    let elements = try #require(parseXML(plot.render()))
    let frame = try #require(elements.first { $0.attributes["class"] == "frame" })
    let box = try #require(elements.first { $0.name == "rect" && $0.ancestorClasses.last == "legend" })
    let frameLeft = Double(frame.attributes["x"]!)!, frameTop = Double(frame.attributes["y"]!)!
    let boxLeft = Double(box.attributes["x"]!)!, boxTop = Double(box.attributes["y"]!)!
    #expect(abs(boxLeft - (frameLeft + 6)) <= 0.01 && abs(boxTop - (frameTop + 6)) <= 0.01,
            "legend at (\(boxLeft), \(boxTop)), frame at (\(frameLeft), \(frameTop))")
}

@Test func legendFallsOutsideWhenEveryCornerHoldsData() throws {
    var plot = SVGPlot()
    let grid = (0..<400).map { Double($0 % 20) }
    plot.add(try PlotSeries(name: "dense", x: grid, y: (0..<400).map { Double($0 / 20) }, line: .none))
    let elements = try #require(parseXML(plot.render()))
    let frame = try #require(elements.first { $0.attributes["class"] == "frame" })
    let frameRight = Double(frame.attributes["x"]!)! + Double(frame.attributes["width"]!)!
    let box = try #require(elements.first { $0.name == "rect" && $0.ancestorClasses.last == "legend" })
    #expect(Double(box.attributes["x"]!)! > frameRight)
}

/// A rectangle in document px.
private struct Box {
    var left, top, right, bottom: Double

    func contains(_ p: (x: Double, y: Double), margin: Double = 0) -> Bool {
        p.x >= left - margin && p.x <= right + margin && p.y >= top - margin && p.y <= bottom + margin
    }

    /// Whether segment a→b meets the box: an end inside, or a crossing of one of the four edges.
    func meets(_ a: (x: Double, y: Double), _ b: (x: Double, y: Double)) -> Bool {
        if contains(a) || contains(b) { return true }
        func cross(_ o: (x: Double, y: Double), _ p: (x: Double, y: Double), _ q: (x: Double, y: Double)) -> Double {
            (p.x - o.x) * (q.y - o.y) - (p.y - o.y) * (q.x - o.x)
        }
        let corners = [(x: left, y: top), (x: right, y: top), (x: right, y: bottom), (x: left, y: bottom)]
        for k in 0..<4 {
            let (c, d) = (corners[k], corners[(k + 1) % 4])
            let d1 = cross(c, d, a), d2 = cross(c, d, b), d3 = cross(a, b, c), d4 = cross(a, b, d)
            if d1 * d2 <= 0 && d3 * d4 <= 0 { return true }
        }
        return false
    }
}

/// What the legend check found in a rendered plot or figure, all in document px.
private struct LegendCheck {
    var legends: [Box] = []
    /// Line vertices (each a data point) and line segments.
    var vertices: [(x: Double, y: Double)] = []
    var segments: [((x: Double, y: Double), (x: Double, y: Double))] = []
    /// Circle markers: centre and radius.
    var markers: [(x: Double, y: Double, r: Double)] = []
    var documentSize = (width: 0.0, height: 0.0)

    /// Everything a legend box covers: points, marker discs and segments, described for the failure message.
    var violations: [String] {
        var out: [String] = []
        for (k, box) in legends.enumerated() {
            for v in vertices where box.contains(v, margin: 1) { out.append("legend \(k) covers point \(v)") }
            for m in markers where box.contains((m.x, m.y), margin: m.r) {
                out.append("legend \(k) covers marker at (\(m.x), \(m.y))")
            }
            for (a, b) in segments where box.meets(a, b) { out.append("legend \(k) crosses segment \(a)–\(b)") }
            if box.left < 0 || box.top < 0 || box.right > documentSize.width || box.bottom > documentSize.height {
                out.append("legend \(k) at \(box) sticks out of the \(documentSize) document")
            }
        }
        return out
    }
}

/// Reads legend boxes and drawn data out of an SVG: `series-line` paths ("Mx,y x,y …", each vertex a data
/// point) and circle `series-markers` ("Mx−r,y a r,r …"), shifted by their cells' translations.
private func legendCheck(_ svg: String) throws -> LegendCheck {
    let elements = try #require(parseXML(svg), "SVG is not well-formed")
    var check = LegendCheck()
    check.documentSize = (Double(elements[0].attributes["width"] ?? "") ?? 0,
                          Double(elements[0].attributes["height"] ?? "") ?? 0)
    for e in elements {
        let (dx, dy) = e.offset
        if e.name == "rect" && e.ancestorClasses.last == "legend" {
            let x = Double(e.attributes["x"]!)! + dx, y = Double(e.attributes["y"]!)! + dy
            check.legends.append(Box(left: x, top: y, right: x + Double(e.attributes["width"]!)!,
                                     bottom: y + Double(e.attributes["height"]!)!))
        }
        if e.attributes["class"] == "series-line" {
            for subpath in e.attributes["d"]!.split(separator: "M") {
                let pts = subpath.split(separator: " ").map { pair -> (x: Double, y: Double) in
                    let xy = pair.split(separator: ",").map { Double($0)! }
                    return (xy[0] + dx, xy[1] + dy)
                }
                check.vertices += pts
                check.segments += zip(pts, pts.dropFirst()).map { ($0, $1) }
            }
        }
        if e.attributes["class"] == "series-markers" {
            for shape in e.attributes["d"]!.split(separator: "M") {
                // "x−r,y" then "a r,r 0 1,0 2r,0a…Z"
                let head = shape.split(separator: "a")
                let xy = head[0].split(separator: ",").map { Double($0)! }
                let r = Double(head[1].split(separator: ",")[0])!
                check.markers.append((xy[0] + r + dx, xy[1] + dy, r))
            }
        }
    }
    return check
}

/// Adversarial data for the legend: each case fills the places a legend usually goes.
private enum LegendFixtures {
    /// A scatter cloud filling the top-right quarter (the default corner) and a rising line.
    static func topRightCrowded() throws -> SVGPlot {
        var plot = SVGPlot(title: "top right crowded", xLabel: "x", yLabel: "y")
        let xs: [Double] = (0..<100).map { 0.6 + 0.04 * Double($0 % 10) }
        let ys: [Double] = (0..<100).map { 0.6 + 0.04 * Double($0 / 10) }
        plot.add(try PlotSeries(name: "cloud", x: xs, y: ys, line: .none))
        plot.add(try PlotSeries(name: "trend", x: [0, 0.5, 1], y: [0, 0.2, 0.45]))
        return plot
    }

    /// Points everywhere: every inside slot holds data.
    static func everywhere(names: [String] = ["grid"]) throws -> SVGPlot {
        var plot = SVGPlot(title: "everywhere", xLabel: "x", yLabel: "y")
        for (k, name) in names.enumerated() {
            let n = 24
            let xs = (0..<(n * n)).map { Double($0 % n) + 0.3 * Double(k) }
            let ys = (0..<(n * n)).map { Double($0 / n) }
            plot.add(try PlotSeries(name: name, x: xs, y: ys, line: .none))
        }
        return plot
    }

    /// `waves()` at 300 × 200 px.
    static func smallWaves() throws -> SVGPlot {
        var plot = try waves()
        plot.width = 300
        plot.height = 200
        return plot
    }

    /// Eight sine waves of different phases crossing the whole plot area.
    static func waves() throws -> SVGPlot {
        var plot = SVGPlot(title: "waves", xLabel: "t", yLabel: "sin")
        let t = (0...200).map { Double($0) / 200 * 4 * .pi }
        for k in 0..<8 {
            plot.add(try PlotSeries(name: "phase \(k)", x: t, y: t.map { sin($0 + Double(k) * .pi / 4) }))
        }
        return plot
    }
}

@Test func legendCheckDetectsALegendOverData() throws {
    // The checker must be able to fail: a legend forced into the crowded corner covers data.
    var plot = try LegendFixtures.topRightCrowded()
    plot.legend = .topRight
    let check = try legendCheck(plot.render())
    #expect(check.legends.count == 1)
    #expect(!check.violations.isEmpty, "a top-right legend over the top-right cloud went unnoticed")
}

@Test func legendNeverCoversAnyDataPoint() throws {
    let longNames = ["a rather long legend entry naming run one", "another long entry for the second run"]
    let cases: [(String, SVGPlot)] = [
        ("top right crowded", try LegendFixtures.topRightCrowded()),
        ("everywhere", try LegendFixtures.everywhere()),
        ("everywhere, long names", try LegendFixtures.everywhere(names: longNames)),
        ("waves", try LegendFixtures.waves()),
        ("small waves", try LegendFixtures.smallWaves()),
    ]
    for (name, plot) in cases {
        let check = try legendCheck(plot.render())
        #expect(check.legends.count == 1, "\(name): one legend")
        // Every finite data point is drawn (as a vertex or a marker), so the check saw all of them.
        let points = plot.series.map(\.x.count).reduce(0, +)
        #expect(check.vertices.count + check.markers.count == points, "\(name): drawn points")
        #expect(check.violations.isEmpty, "\(name): \(check.violations.prefix(3))")
    }
}

@Test func legendOutsideGrowsTheCanvasNotThePlotArea() throws {
    for plot in [try LegendFixtures.everywhere(), try LegendFixtures.everywhere(names: ["a rather long legend "
        + "entry naming run one", "another long entry for the second run"])] {
        let elements = try #require(parseXML(plot.render()))
        let root = elements[0]
        let width = Double(root.attributes["width"]!)!, height = Double(root.attributes["height"]!)!
        #expect(width > plot.width || height > plot.height, "the outside legend gets room of its own")
        // The plot area is as large as with the legend hidden.
        var hidden = plot
        hidden.legend = .hidden
        let plain = try #require(parseXML(hidden.render()))
        let frame = try #require(elements.first { $0.attributes["class"] == "frame" })
        let plainFrame = try #require(plain.first { $0.attributes["class"] == "frame" })
        #expect(abs(Double(frame.attributes["width"]!)! - Double(plainFrame.attributes["width"]!)!) <= 1)
        #expect(frame.attributes["height"] == plainFrame.attributes["height"])
    }
}

@Test func figureLegendsNeverCoverData() throws {
    let plots = [try LegendFixtures.topRightCrowded(), try LegendFixtures.everywhere(), try LegendFixtures.waves(),
                 try ReportingFixtures.lossPlot()]
    let fig = try SVGFigure(plots: plots, columns: 2, title: "legends", cellWidth: 420, cellHeight: 300)
    let check = try legendCheck(fig.render())
    #expect(check.legends.count == 4)
    #expect(check.violations.isEmpty, "\(check.violations.prefix(3))")
    // Cells do not overlap: each legend lies in its own cell's column band.
    let elements = try #require(parseXML(fig.render()))
    let cells = elements.filter { $0.attributes["class"] == "cell" }.map(\.offset)
    #expect(cells.count == 4 && cells[1].x > 420 - 1e-9 && cells[2].y > 300)
}

@Test func clipKeepsTheVisiblePartOfASegment() throws {
    let f = SVGPlot.Frame(left: 0, top: 0, width: 10, height: 10)
    let (a, b) = try #require(SVGPlot.clip(.init(x: -5, y: 5), .init(x: 5, y: 5), to: f))
    #expect(a == .init(x: 0, y: 5) && b == .init(x: 5, y: 5))
    #expect(SVGPlot.clip(.init(x: -5, y: -1), .init(x: 15, y: -1), to: f) == nil)
}

@Test func seriesAndPlotValidation() throws {
    #expect(throws: TangentFlowError.shapeMismatch(operation: "PlotSeries.init", expected: "2 y values", got: "1")) {
        try PlotSeries(name: "s", x: [1, 2], y: [1])
    }
    var plot = SVGPlot(xScale: .log10)
    plot.xAxis.lowerBound = -1
    #expect(throws: TangentFlowError.self) { try plot.write(to: ReportingFixtures.temporaryPath("bad.svg")) }
    #expect(parseXML(plot.render()) != nil, "render() ignores the invalid bound")
}

@Test func extremeInputsRenderWithoutTrapping() throws {
    let extremes: [Double] = [-.greatestFiniteMagnitude, .greatestFiniteMagnitude, .leastNonzeroMagnitude, 0, 1,
                              -1e308, 1e308]
    for scale in PlotAxis.Scale.allCases {
        var plot = SVGPlot(title: "extremes", xScale: scale, yScale: scale, width: .infinity, height: -5)
        plot.add(try PlotSeries(name: "x", x: extremes, y: extremes.reversed(), marker: .diamond))
        var lone = try PlotSeries(name: "lone", x: [1], y: [1], marker: .cross)
        lone.markerEvery = 0
        plot.add(lone)
        #expect(parseXML(plot.render()) != nil, "\(scale)")
        plot.legend = .hidden  // an outside legend would grow the drawing beyond the clamped size
        let elements = try #require(parseXML(plot.render()), "\(scale)")
        #expect(elements.first?.attributes["width"] == "100000" && elements.first?.attributes["height"] == "90")
        #expect(throws: TangentFlowError.self) { try plot.validate() }
    }
    var empty = SVGPlot()
    empty.legend = .hidden
    #expect(parseXML(empty.render()) != nil)
}

@Test func plotWritesItsRenderedText() throws {
    let plot = try ReportingFixtures.lossPlot()
    let path = ReportingFixtures.temporaryPath("plot.svg")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try plot.write(to: path, png: false)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == plot.render())
    #expect(!FileManager.default.fileExists(atPath: SVGFile.pngPath(forSVG: path)), "png: false writes no PNG")
}

// MARK: - SVGFigure

@Test func figureLaysOutPlotsInAGrid() throws {
    let loss = try ReportingFixtures.lossPlot()
    var fig = try SVGFigure(rows: 2, columns: 2, title: "Figure & co", cellWidth: 400, cellHeight: 300)
    try fig.place(loss, row: 0, column: 0)
    try fig.place(loss, row: 1, column: 1)
    #expect(throws: TangentFlowError.self) { try fig.place(loss, row: 2, column: 0) }
    #expect(fig.plot(row: 0, column: 1) == nil && fig.plot(row: 1, column: 1) != nil)

    let elements = try #require(parseXML(fig.render()))
    #expect(elements.first?.attributes["width"] == "800" && elements.first?.attributes["height"] == "634")
    let cells = elements.filter { $0.attributes["class"] == "cell" }
    #expect(cells.map { $0.attributes["transform"] } == ["translate(0,34)", "translate(400,334)"])
    #expect(elements.contains { $0.attributes["class"] == "figure-title" && $0.text == "Figure & co" })
    #expect(elements.filter { $0.attributes["class"] == "series-line" }.count == 4)

    let filled = try SVGFigure(plots: [loss, loss, loss], columns: 2)
    #expect(filled.rows == 2 && filled.plot(row: 1, column: 0) != nil && filled.plot(row: 1, column: 1) == nil)
    #expect(throws: TangentFlowError.self) { try SVGFigure(rows: 0, columns: 1) }
}

// MARK: - SVGHeatmap

@Test func heatmapHasAColourBarWithTheExtremeValues() throws {
    var heat = SVGHeatmap(pointsPerAxis: 3, lower: -1, upper: 1, title: "densities", xLabel: "slope a",
                          yLabel: "bias b", valueLabel: "density p")
    // Panel 0 on [0, 2.5]; panel 1 has a negative value, so its bar starts there; panel 2 is tiny.
    heat.panels.append(.init(title: "first", values: [0, 0.5, 1, 1.5, 2, 2.5, 1, 1, 1]))
    heat.panels.append(.init(title: "second", values: [-1, 0, 1, 2, 3, 2, 1, 0, 1]))
    heat.panels.append(.init(title: "third", values: [0, 3e-6, 1.5e-5, 0, 0, 0, 0, 0, 0]))
    let expected: [(bottom: String, middle: String, top: String)] = [("0", "1.25", "2.5"), ("-1", "1", "3"),
                                                                    ("0", "7.5e-6", "1.5e-5")]
    let svg = heat.render()
    let elements = try #require(parseXML(svg), "heat map SVG is not well-formed")

    // One gradient, running upwards from viridis' dark end to its yellow end.
    let gradient = try #require(elements.first { $0.name == "linearGradient" })
    let id = try #require(gradient.attributes["id"])
    #expect(Double(gradient.attributes["y1"] ?? "")! > Double(gradient.attributes["y2"] ?? "")!, "bottom to top")
    let stops = elements.filter { $0.name == "stop" }
    #expect(stops.first?.attributes["stop-color"] == "#440154" && stops.last?.attributes["stop-color"] == "#fde725")

    let bars = elements.filter { $0.name == "g" && $0.attributes["class"] == "colorbar" }
    #expect(bars.count == 3, "one colour bar per panel")
    let barRects = elements.filter { $0.name == "rect" && $0.ancestorClasses.last == "colorbar" }
    #expect(barRects.count == 3)
    for rect in barRects {
        #expect(rect.attributes["fill"] == "url(#\(id))")
        #expect(Double(rect.attributes["height"]!)! > 4 * Double(rect.attributes["width"]!)!, "a vertical bar")
    }
    // Tick labels of each bar, bottom (largest y) to top, and the quantity's name.
    let ticks = elements.filter { $0.name == "text" && $0.ancestorClasses.last == "colorbar" }
    let tickLabels = ticks.filter { $0.attributes["class"] == "colorbar-tick" }
    #expect(tickLabels.count == 9)
    for (k, want) in expected.enumerated() where tickLabels.count == 9 {
        let mine = tickLabels[(3 * k)..<(3 * k + 3)].sorted { Double($0.attributes["y"]!)! > Double($1.attributes["y"]!)! }
        #expect(mine.map(\.text) == [want.bottom, want.middle, want.top], "panel \(k)")
    }
    #expect(bars.map { $0.attributes["data-max"] } == ["2.5", "3.0", "1.5e-05"])
    #expect(bars.map { $0.attributes["data-min"] } == ["0.0", "-1.0", "0.0"])
    #expect(ticks.filter { $0.attributes["class"] == "colorbar-label" }.map(\.text) == Array(repeating: "density p",
                                                                                            count: 3))
    // The cells use the bar's scale: panel 0's largest value is the bar's top colour, its zero the bottom one.
    let panel0 = elements.filter { $0.name == "rect" && $0.ancestorClasses.last == "panel" }.prefix(9)
    #expect(panel0.map { $0.attributes["fill"] }.filter { $0 == "#fde725" }.count == 1)
    #expect(panel0.first?.attributes["fill"] == "#440154")
    #expect(!svg.contains("nan") && !svg.contains("inf"))
}

@Test func heatmapValidatesItsGrid() throws {
    var heat = SVGHeatmap(pointsPerAxis: 3, lower: 0, upper: 1, title: "", xLabel: "x", yLabel: "y")
    heat.panels.append(.init(title: "short", values: [1, 2, 3]))
    #expect(throws: TangentFlowError.self) { try heat.validate() }
    #expect(parseXML(heat.render()) != nil, "render() draws missing values as non-finite")
    heat.panels = [.init(title: "all NaN", values: Array(repeating: .nan, count: 9))]
    try heat.validate()
    let elements = try #require(parseXML(heat.render()))
    let labels = elements.filter { $0.attributes["class"] == "colorbar-tick" }.map(\.text)
    #expect(labels == ["0", "0.5", "1"], "no finite value: a bar on [0, 1] over grey cells")
    heat.lower = 2
    #expect(throws: TangentFlowError.self) { try heat.validate() }
}

// MARK: - PNG beside the SVG

/// Whether `rsvg-convert` is on the PATH (the PNG tests that need it are skipped otherwise).
private let rsvgConvertInstalled: Bool = {
    (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
        FileManager.default.isExecutableFile(atPath: "\($0)/rsvg-convert")
    }
}()

/// A fresh empty folder for one test.
private func scratchFolder(_ name: String) throws -> String {
    let dir = ReportingFixtures.temporaryPath(name)
    try? FileManager.default.removeItem(atPath: dir)
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Width and height from a PNG's IHDR chunk, or `nil` when the bytes are not a PNG.
private func pngSize(_ path: String) -> (width: Int, height: Int)? {
    guard let data = FileManager.default.contents(atPath: path), data.count >= 24,
          Array(data.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { return nil }
    let b = Array(data[16..<24])
    func be(_ i: Int) -> Int { b[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
    return (be(0), be(4))
}

/// Files in `dir` that look like leftover temporaries (hidden, with "tmp" in the name).
private func leftoverTemporaries(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix(".") && $0.contains("tmp") }
}

@Test(.enabled(if: rsvgConvertInstalled, "needs rsvg-convert (librsvg2-bin)"))
func everySVGWriterPutsATwiceSizePNGBesideIt() throws {
    let dir = try scratchFolder("png")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var heat = SVGHeatmap(pointsPerAxis: 4, lower: 0, upper: 1, title: "heat", xLabel: "x", yLabel: "y")
    heat.panels.append(.init(title: "p", values: (0..<16).map(Double.init)))
    let plot = try ReportingFixtures.lossPlot()
    let figure = try SVGFigure(plots: [plot, plot], columns: 2, title: "two")
    let writers: [(String, String, (String) throws -> SVGFile.PNGOutcome)] = [
        ("plot.svg", plot.render(), { try plot.write(to: $0) }),
        ("figure.svg", figure.render(), { try figure.write(to: $0) }),
        ("heat.svg", heat.render(), { try heat.write(to: $0) }),
    ]
    for (name, svg, write) in writers {
        let path = "\(dir)/\(name)"
        let outcome = try write(path)
        let png = "\(dir)/\(name.dropLast(4)).png"
        #expect(outcome == .written(path: png), "\(name): \(outcome)")
        let root = try #require(parseXML(try String(contentsOfFile: path, encoding: .utf8))?.first)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == svg)
        let svgWidth = Double(root.attributes["width"]!)!, svgHeight = Double(root.attributes["height"]!)!
        let size = try #require(pngSize(png), "\(name): no PNG")
        #expect(abs(Double(size.width) - 2 * svgWidth) <= 1 && abs(Double(size.height) - 2 * svgHeight) <= 1,
                "\(name): PNG \(size) for an SVG of \(svgWidth) × \(svgHeight)")
    }
    #expect(leftoverTemporaries(dir).isEmpty)
}

/// Writes an executable shell script `name` into `dir` that records its arguments in `dir/args.txt`, writes
/// `output` to the file after `-o`, and exits with `status`.
private func fakeConverter(_ dir: String, _ name: String, output: String, status: Int) throws -> String {
    let path = "\(dir)/\(name)"
    let script = """
        #!/bin/sh
        printf '%s\\n' "$@" > "\(dir)/args.txt"
        printf '\(output)' > "$4"
        exit \(status)

        """
    try Data(script.utf8).write(to: URL(fileURLWithPath: path))
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    return path
}

@Test func missingOrFailingConverterSkipsThePNGAndKeepsTheOldOne() throws {
    let dir = try scratchFolder("png-skip")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let svg = "\(dir)/plot.svg", png = "\(dir)/plot.png"
    try SVGFile.write(try ReportingFixtures.lossPlot().render(), to: svg, png: false)
    #expect(!FileManager.default.fileExists(atPath: png))

    let missing = SVGFile.writePNG(besideSVG: svg, converter: "tangentflow-no-such-converter")
    #expect(missing.path == nil)
    if case .skipped = missing {} else { Issue.record("a missing converter gave \(missing)") }
    #expect(!FileManager.default.fileExists(atPath: png))

    // A converter that writes half a file and fails: the earlier PNG stays, the half file is removed.
    try Data("old".utf8).write(to: URL(fileURLWithPath: png))
    let failing = try fakeConverter(dir, "failing-converter", output: "partial", status: 1)
    let failed = SVGFile.writePNG(besideSVG: svg, converter: failing)
    if case .skipped = failed {} else { Issue.record("a failing converter gave \(failed)") }
    #expect(FileManager.default.contents(atPath: png) == Data("old".utf8))
    #expect(leftoverTemporaries(dir).isEmpty, "\(leftoverTemporaries(dir))")

    // The converter is asked for 2× into a hidden temporary file in the same folder, renamed over the PNG.
    let working = try fakeConverter(dir, "working-converter", output: "new", status: 0)
    let written = SVGFile.writePNG(besideSVG: svg, converter: working)
    #expect(written == .written(path: png))
    #expect(FileManager.default.contents(atPath: png) == Data("new".utf8))
    let args = try String(contentsOfFile: "\(dir)/args.txt", encoding: .utf8).split(separator: "\n").map(String.init)
    #expect(args.count == 5 && args[0] == "-z" && args[1] == "2" && args[2] == "-o" && args[4] == svg, "\(args)")
    if args.count == 5 {
        let temporary = (args[3] as NSString).lastPathComponent
        #expect(((args[3] as NSString).deletingLastPathComponent as NSString).standardizingPath
                    == (dir as NSString).standardizingPath)
        #expect(temporary.hasPrefix(".") && temporary.contains("tmp"), "temporary file \(temporary)")
    }
    #expect(leftoverTemporaries(dir).isEmpty)
    #expect(SVGFile.pngPath(forSVG: "a/b.SVG") == "a/b.png" && SVGFile.pngPath(forSVG: "c") == "c.png")
}
