import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowDeepLinear
import TangentFlowIO
import TangentFlowReporting

/// `tangentflow dln geodesic-vs-flow -o DIR`: gradient-flow trajectories against geodesics between the same
/// endpoints (open problem 3 of *Geodesics in the Deep Linear Network*).
let dlnGeodesicVersusFlowCommand = CommandSpec(
    name: "geodesic-vs-flow",
    abstract: "Experiment: gradient-flow paths vs DLN geodesics between the same endpoints, N = 1, 2, 3, 4 (CSV + SVG).",
    discussion: """
        Fixed 3×3 endpoints: the end-to-end flow W' = −A_{N,W}(W − Y) of E = ½‖W − Y‖²_F runs from W₀ to time T;
        the geodesic joins W₀ and W(T) (shooting, Thm 2.1). Both are compared at equal fractions τ of arc length:
        ratio = (flow length ∫‖W'‖_g ds) / (geodesic length √(2H)) and deviation = max_τ ‖W_flow(τ) − γ(τ)‖_F /
        ‖W(T) − W₀‖_F. Headline: for N = 1 the flow is the straight segment, a geodesic (ratio 1, deviation 0);
        for N ≥ 2 it is not (ratio > 1, deviation of order 0.1). Writes DIR/geodesic-vs-flow.csv (per N and τ),
        DIR/geodesic-vs-flow-summary.csv (per N), DIR/geodesic-vs-flow.svg and DIR/run.json (results: ratios).
        """,
    options: [
        OptionSpec(name: "depths", value: "N,N,…", help: "Depths to compare (each 1…64).", defaultValue: "1,2,3,4"),
        OptionSpec(name: "time", value: "T", help: "Flow time.", defaultValue: "6", kind: .real(lower: 0, upper: 1000, openLower: true)),
        OptionSpec(name: "fractions", value: "K", help: "Arc-length fractions compared.", defaultValue: "41", kind: .integer(2...10_000)),
        OptionSpec(name: "output", short: "o", value: "DIR", help: "Output folder.", defaultValue: "tangentflow-dln-geodesic-vs-flow", kind: .outputFolder),
    ],
    examples: ["tangentflow dln geodesic-vs-flow -o dln-vs-flow", "tangentflow dln geodesic-vs-flow --depths 1,2 --time 3 --json -o dln-vs-flow"],
    run: { p in
        let text = try p.required("depths")
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.count <= 8, parts.allSatisfy({ $0 != nil && (1...64).contains($0!) }) else {
            throw UsageError.invalid("depths", text, expected: "1 to 8 comma-separated integers in 1…64")
        }
        let depths = parts.map { $0! }
        let time = try p.double("time"), fractions = try p.int("fractions")
        let dir = try p.required("output")
        let (w0, y) = try geodesicVersusFlowEndpoints()
        Progress.shared.begin("dln geodesic-vs-flow")
        defer { Progress.shared.end() }
        var comparisons: [GeodesicVersusFlow.Comparison] = []
        for n in depths {
            comparisons.append(try GeodesicVersusFlow.compare(from: w0, target: y, depth: n, time: time, fractions: fractions))
        }
        var table = CSVTable(columns: ["depth", "tau", "flow_distance_to_target", "geodesic_distance_to_target", "flow_minus_geodesic"])
        var summary = CSVTable(columns: ["depth", "flow_length", "geodesic_length", "ratio", "deviation", "final_energy"])
        for c in comparisons {
            for (k, tau) in c.fractions.enumerated() {
                try table.append([Double(c.depth), tau, DenseOps.sub(c.flowPoints[k], y).frobeniusNorm, DenseOps.sub(c.geodesicPoints[k], y).frobeniusNorm,
                                  DenseOps.sub(c.flowPoints[k], c.geodesicPoints[k]).frobeniusNorm])
            }
            try summary.append([Double(c.depth), c.flowLength, c.geodesicLength, c.ratio, c.deviation, c.finalEnergy])
            p.report.say(String(format: "N = %d: flow length %.6f, geodesic length %.6f, ratio %.6f, deviation %.4f, E(W(T)) = %.3e (%@)",
                                c.depth, c.flowLength, c.geodesicLength, c.ratio, c.deviation, c.finalEnergy, c.geodesicMethod.rawValue as NSString))
            p.report.record("ratio_N\(c.depth)", c.ratio)
            p.report.record("deviation_N\(c.depth)", c.deviation)
        }
        try table.write(to: "\(dir)/geodesic-vs-flow.csv")
        try summary.write(to: "\(dir)/geodesic-vs-flow-summary.csv")
        let styles: [PlotSeries.LineStyle] = [.solid, .dashed, .dotted, .solid]
        var toTarget: [PlotSeries] = [], gaps: [PlotSeries] = []
        for (j, c) in comparisons.enumerated() {
            let color = PlotSeries.palette[j % PlotSeries.palette.count]
            toTarget.append(try PlotSeries(name: "flow, N = \(c.depth)", x: c.fractions, y: c.flowPoints.map { DenseOps.sub($0, y).frobeniusNorm }, color: color, line: .solid))
            toTarget.append(try PlotSeries(name: "geodesic, N = \(c.depth)", x: c.fractions, y: c.geodesicPoints.map { DenseOps.sub($0, y).frobeniusNorm }, color: color, line: .dashed))
            gaps.append(try PlotSeries(name: String(format: "N = %d (length ratio %.4f)", c.depth, c.ratio), x: c.fractions,
                                       y: zip(c.flowPoints, c.geodesicPoints).map { DenseOps.sub($0, $1).frobeniusNorm }, color: color, line: styles[j % styles.count]))
        }
        let figure = try SVGFigure(plots: [
            SVGPlot(title: "distance to the target ‖W − Y‖_F", xAxis: PlotAxis(label: "fraction of arc length τ"), yAxis: PlotAxis(label: "‖W − Y‖_F"), series: toTarget),
            SVGPlot(title: "flow minus geodesic ‖W_flow(τ) − γ(τ)‖_F", xAxis: PlotAxis(label: "fraction of arc length τ"), yAxis: PlotAxis(label: "‖W_flow − γ‖_F"), series: gaps),
        ], columns: 2, title: "Gradient flow vs geodesic between the same endpoints (deep linear network, d = 3)")
        try figure.write(to: "\(dir)/geodesic-vs-flow.svg")
        p.report.say("wrote \(dir)/geodesic-vs-flow.csv, geodesic-vs-flow-summary.csv and geodesic-vs-flow.svg")
    })

/// The fixed endpoints of `dln geodesic-vs-flow`: `W₀` (σ ≈ 0.4–0.8) and the target `Y` (σ ≈ 1–2.4), both with
/// positive determinant and no shared singular vectors.
func geodesicVersusFlowEndpoints() throws -> (Matrix, Matrix) {
    (try Matrix([[0.7, 0.2, 0.0], [-0.1, 0.5, 0.1], [0.05, 0.0, 0.8]]), try Matrix([[1.5, -0.4, 0.3], [0.6, 1.2, 0.0], [-0.2, 0.5, 2.0]]))
}
