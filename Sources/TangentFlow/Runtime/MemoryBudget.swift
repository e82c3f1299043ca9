import Foundation

/// Fail-fast memory checks: an operation whose output or workspace would not fit is refused with
/// `.insufficientMemory` naming the size, before anything is allocated.
public enum MemoryBudget {
    /// Bytes the operating system reports as available now (`MemAvailable` on Linux; physical memory elsewhere).
    public static var availableBytes: Int {
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
                let fields = line.split(separator: " ")
                if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
            }
        }
        return Int(ProcessInfo.processInfo.physicalMemory)
    }

    /// Throws `.insufficientMemory` if `doubles` float64 values (plus `extraBytes`) exceed the available memory.
    static func require(doubles: Int, extraBytes: Int = 0, operation: String) throws {
        let (bytes, overflow) = doubles.multipliedReportingOverflow(by: MemoryLayout<Double>.stride)
        let need = overflow ? Int.max : bytes &+ extraBytes
        // Reading /proc/meminfo costs ~20 µs — more than a small product. Requests under 64 MiB cannot be
        // the one that exhausts memory in a way this check could usefully report, so skip the read for them.
        if !overflow, need < 64 << 20 { return }
        let available = availableBytes
        if overflow || need > available {
            throw TangentFlowError.insufficientMemory(operation: operation, bytesNeeded: need, bytesAvailable: available)
        }
    }
}
