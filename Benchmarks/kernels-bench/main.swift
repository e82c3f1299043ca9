import Foundation
import TangentFlow

#if DEBUG
let build = "debug"
#else
let build = "release"
#endif

let options: BenchOptions
do {
    options = try BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch let e as BenchUsageError {
    FileHandle.standardError.write("Error: \(e.message)\nUsage: kernels-bench [--filter <names>] [--sizes <sweep>] [--repeat <n>] [--threads <n>] [--json <file>] [--quick] [--c-only]\n  See 'kernels-bench --help' for more information.\n".data(using: .utf8)!)
    exit(64)
}

if build == "debug" {
    print("WARNING: debug build — C is compiled at -O0 and Swift unoptimised; numbers are meaningless. Use: swift run -c release kernels-bench")
}
RuntimeInfo.retainFreedMemory()
if options.threads > 0 { RuntimeInfo.setThreads(options.threads) }
let info = RuntimeInfo.current
print("kernels-bench  build=\(build)  blas_core=\(info.blasCore) (\(info.selection.rawValue))  blas_threads=\(info.blasThreads)  omp_threads=\(info.openMPThreads)")

let reps = options.repeats ?? (options.quick ? 3 : 7)
var records: [BenchRecord] = []
var peak: Double? = nil
let widths = [22, 18, 17, 11, 11, 9, 8, 9]
print(tableRow(["case", "size", "path", "median_s", "min_s", "GFLOP/s", "%peak", "c_speedup"], widths))
var notes: [String] = []
var failures = 0

for bc in try allCases(options) {
    var checked = false
    let cResult = try bc.c()
    if let sw = bc.swift, !options.skipSwift {
        let r = try sw()
        let err = relativeDifference(cResult, r)
        checked = true
        if !(err <= bc.tolerance) {
            print("DISAGREE \(bc.name) \(bc.size): C vs Swift relative difference \(err) > \(bc.tolerance); not timed")
            failures += 1
            continue
        }
    }
    func record(_ path: String, _ t: (median: Double, min: Double), _ n: Int) -> BenchRecord {
        let gf = bc.flops.map { $0 / t.min / 1e9 }
        return BenchRecord(
            case: bc.name, size: bc.size, path: path, median_s: t.median, min_s: t.min, reps: n,
            threads: path == "swift" ? 1 : info.openMPThreads, blas_core: info.blasCore, gflops: gf, build: build,
            frac_dgemm_peak: gf.flatMap { g in peak.map { g / $0 } }, checked: checked, note: nil)
    }
    var rows: [BenchRecord] = []
    let tc = try measure(reps: reps) { _ = try bc.c() }
    rows.append(record("c", tc, reps))
    if bc.name == "dgemm-peak" { peak = rows[0].gflops; rows[0].frac_dgemm_peak = 1 }
    for (label, body) in bc.variants { rows.append(record(label, try measure(reps: reps, body), reps)) }
    if let sw = bc.swift, !options.skipSwift {
        let n = min(reps, bc.swiftReps ?? reps)
        rows.append(record("swift", try measure(reps: n, warmup: n > 1, { _ = try sw() }), n))
    }
    let swiftMedian = rows.first { $0.path == "swift" }?.median_s
    for r in rows {
        let speed = r.path == "c" ? swiftMedian.map { String(format: "%.1fx", $0 / r.median_s) } ?? "" : ""
        print(tableRow([
            r.case, r.size, r.path, String(format: "%.5f", r.median_s), String(format: "%.5f", r.min_s),
            r.gflops.map { String(format: "%.1f", $0) } ?? "", r.frac_dgemm_peak.map { String(format: "%.0f%%", 100 * $0) } ?? "", speed,
        ], widths))
    }
    if bc.name.hasPrefix("flow") {
        for k in rows.indices { rows[k].note = "steps \(lastFlowStats.acceptedSteps) (+\(lastFlowStats.rejectedSteps) rejected), \(lastFlowStats.fieldEvaluations) field evaluations" }
        print("  \(rows[0].note!)")
    }
    if bc.name == "sinkhorn-grid", let r = lastSinkhorn {
        let note = "iterations \(r.totalIterations), ω \(String(format: "%.3f", r.overRelaxation)), marginal errors \(String(format: "%.1e", r.marginalErrorA)), \(String(format: "%.1e", r.marginalErrorB)), exact fallbacks \(r.exactFallbacks)"
        rows[0].note = note
        print("  \(note)")
    }
    records += rows
    if let note = bc.note, !notes.contains(note) { notes.append(note) }
}
if !notes.isEmpty { print("\nNotes:\n" + notes.map { "  - " + $0 }.joined(separator: "\n")) }
if let path = options.jsonPath {
    try writeJSON(records, to: path)
    print("wrote \(records.count) records to \(path)")
}
if failures > 0 {
    print("\(failures) case(s) where the C and Swift paths disagree")
    exit(1)
}
