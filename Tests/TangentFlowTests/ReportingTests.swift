// Tests for the Reporting module: CSVTable round trips (parsed back from the written text), nice ticks, and
// SVGPlot / SVGFigure output parsed as XML (well-formed, titles, labels, legend, one line per series, log-axis
// skipping, escaping, legend placement).

import Foundation
import Testing
@testable import TangentFlow

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
            elements.append(ParsedElement(name: name, attributes: attributes, text: "", ancestors: ancestors,
                                       ancestorClasses: classes))
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
        #expect(reason.contains("No such file"), "reason: \(reason)")
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
    try plot.write(to: path)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == plot.render())
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
