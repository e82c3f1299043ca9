import CommandLineSupport
import Foundation
import TangentFlowIO
import TangentFlow
import TangentFlowIO
import TangentFlowWasserstein
import TangentFlowReporting

/// Output folder of one experiment: CSV tables, SVG figures (through the demo's writer, which adds PNG copies)
/// and hand-written SVG (heat maps).
struct ExperimentOutput {
    let directory: String
    private(set) var files: [String] = []

    init(directory: String) throws {
        self.directory = directory
        try makeDirectory(directory)
    }

    mutating func write(_ table: CSVTable, _ name: String) throws {
        try table.write(to: "\(directory)/\(name)")
        files.append(name)
    }

    mutating func write(_ figure: SVGFigure, _ name: String) throws {
        try Demo(outputDirectory: directory, backend: .c).writePlot(figure, name, &files)
    }

    /// A matrix as `.npy` (atomic, through `NpyFile`).
    mutating func write(npy m: Matrix, _ name: String) throws {
        try NpyFile.write(m, to: "\(directory)/\(name)")
        files.append(name)
    }

    mutating func write(svg text: String, _ name: String) throws {
        let path = "\(directory)/\(name)"
        let png = try SVGFile.write(text, to: path)  // atomic, plus the 2× PNG when rsvg-convert is installed
        files.append(name)
        if let png = png.fileName { files.append(png) }
    }

    /// Writes `json` to `name` (atomically).
    mutating func write(json: JSONValue, _ name: String) throws {
        try AtomicFile.write(text: json.text + "\n", to: "\(directory)/\(name)")
        files.append(name)
    }

    /// Lists a file written by other means (e.g. `.npy` through `NpyFile`, which writes atomically).
    mutating func listFile(_ name: String) { files.append(name) }

    /// The run's recorded results (the same object as `results` in `--json` and `run.json`) as `name`, a JSON
    /// summary beside the tables and plots; written atomically.
    mutating func writeSummary(_ report: RunReport, _ name: String) throws {
        try AtomicFile.write(text: JSONValue.object(report.recordedResults).text + "\n", to: "\(directory)/\(name)")
        files.append(name)
    }

    func printFiles(since start: Date) {
        print("\nFiles written to \(directory)/:")
        for f in files { print("  \(f)") }
        print(String(format: "\nDone in %.1f s.", Date().timeIntervalSince(start)))
    }
}
