import Foundation

/// One result row; the JSON keys are the stable schema fixed in issue #11 (plus size, build, checked).
struct BenchRecord: Codable {
    var `case`: String
    var size: String
    var path: String
    var median_s: Double
    var min_s: Double
    var reps: Int
    var threads: Int
    var blas_core: String
    var gflops: Double?
    var build: String
    var frac_dgemm_peak: Double?
    var checked: Bool
    var note: String?
}

func writeJSON(_ records: [BenchRecord], to path: String) throws {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    try enc.encode(records).write(to: URL(fileURLWithPath: path))
}

/// Aligned table row.
func tableRow(_ cols: [String], _ widths: [Int]) -> String {
    zip(cols, widths).map { c, w in c.count >= w ? c : c + String(repeating: " ", count: w - c.count) }.joined(separator: " ")
}
