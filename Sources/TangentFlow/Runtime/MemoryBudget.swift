import Foundation

/// Fail-fast memory checks: an operation whose output or workspace would not fit is refused with
/// `.insufficientMemory` naming the size, before anything is allocated.
public enum MemoryBudget {
    /// Bytes that may be allocated now: the operating system's `MemAvailable` (physical memory elsewhere), and
    /// no more than the address-space limit (`ulimit -v`, RLIMIT_AS) leaves beyond the process's current size.
    public static var availableBytes: Int {
        var available = Int(ProcessInfo.processInfo.physicalMemory)
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
                let fields = line.split(separator: " ")
                if fields.count >= 2, let kib = Int(fields[1]) { available = kib * 1024 }
            }
        }
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur < UInt(Int.max) {
            var used = 0
            if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
               let pages = Int(statm.split(separator: " ").first ?? "") {
                used = pages * Int(sysconf(Int32(_SC_PAGESIZE)))
            }
            // Keep a margin for thread stacks and the libraries' own buffers.
            let left = Int(limit.rlim_cur) - used - (256 << 20)
            available = Swift.min(available, Swift.max(0, left))
        }
        return available
    }

    /// Throws `.insufficientMemory` (naming `operation`) if `bytes` exceed `availableBytes`; call it before
    /// allocating anything a user's size choice controls. `nil` (a size that overflowed `Int`, from `product` or
    /// `sum`) is always refused.
    public static func require(bytes: Int?, operation: String) throws {
        let available = availableBytes
        guard let bytes, bytes <= available else {
            throw TangentFlowError.insufficientMemory(operation: operation, bytesNeeded: bytes ?? Int.max, bytesAvailable: available)
        }
    }

    /// `a·b·…`, or nil when a factor is nil or negative or the product overflows `Int`.
    public static func product(_ factors: Int?...) -> Int? {
        var p = 1
        for f in factors {
            guard let f, f >= 0 else { return nil }
            let (r, o) = p.multipliedReportingOverflow(by: f)
            if o { return nil }
            p = r
        }
        return p
    }

    /// `a + b + …`, or nil when a term is nil or negative or the sum overflows `Int`.
    public static func sum(_ terms: Int?...) -> Int? {
        var total = 0
        for t in terms {
            guard let t, t >= 0 else { return nil }
            let (r, o) = total.addingReportingOverflow(t)
            if o { return nil }
            total = r
        }
        return total
    }

    /// Throws `.insufficientMemory` if `doubles` float64 values (plus `extraBytes`) exceed the available memory.
    package static func require(doubles: Int, extraBytes: Int = 0, operation: String) throws {
        let need = sum(product(doubles, MemoryLayout<Double>.stride), extraBytes)
        // Reading /proc/meminfo costs ~20 µs — more than a small product. Requests under 64 MiB cannot be
        // the one that exhausts memory in a way this check could usefully report, so skip the read for them.
        if let need, need < 64 << 20 { return }
        try require(bytes: need, operation: operation)
    }
}
