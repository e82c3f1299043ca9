import Foundation

/// Wall-clock seconds of `body`, monotonic clock.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
}

/// One warm-up, then `reps` timed runs; returns (median, min).
func measure(reps: Int, warmup: Bool = true, _ body: () throws -> Void) rethrows -> (median: Double, min: Double) {
    if warmup { try body() }
    var ts: [Double] = []
    for _ in 0..<reps { ts.append(try seconds(body)) }
    ts.sort()
    let median = ts.count % 2 == 1 ? ts[ts.count / 2] : 0.5 * (ts[ts.count / 2 - 1] + ts[ts.count / 2])
    return (median, ts[0])
}
