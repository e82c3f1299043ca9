internal import CDistributed
import Foundation
import TangentFlow

/// The MPI job this process belongs to. Call `start()` once before anything else distributed and `finish()`
/// before exiting. MPI calls are made from the calling thread only (`MPI_THREAD_FUNNELED`).
public enum Distributed {
    /// This process's rank and the number of ranks (after `start()`).
    nonisolated(unsafe) public private(set) static var rank = 0
    nonisolated(unsafe) public private(set) static var size = 1

    /// Initialises MPI (if it is not already) and records `rank` and `size`.
    public static func start() throws {
        var r: Int32 = 0, s: Int32 = 1
        try check(cd_init(&r, &s), "Distributed.start")
        rank = Int(r)
        size = Int(s)
    }

    /// Leaves BLACS and finalises MPI.
    public static func finish() { cd_finalize() }

    /// Ends every rank at once (only for states no agreement can recover).
    public static func abort(code: Int32) -> Never {
        cd_abort(code)
        exit(code)
    }

    /// COLLECTIVE. Runs `body` on every rank, then agrees: if it threw on any rank, every rank throws the
    /// `DistributedError` of the lowest failing rank (message prefixed `rank r:`), so no rank waits forever in a
    /// later collective for one that gave up.
    public static func agree<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        var result: T?
        var message = ""
        do { result = try body() } catch { message = "\(error)" }
        let st = cd_agree(result == nil ? -22 : 0, message)
        if st != 0 { throw DistributedError(status: Int(st), message: String(cString: cd_last_error()), operation: operation) }
        return result!
    }

    /// COLLECTIVE. As `agree(_:_:)`, but a rank's failure carries `code(error)` (non-zero; a caller's own status,
    /// e.g. an exit status), and every rank throws a `DistributedError` whose `status` is the lowest failing rank's
    /// code and whose message is `"rank r: \(error)"`.
    public static func agree<T>(_ operation: String, code: (any Error) -> Int32, _ body: () throws -> T) throws -> T {
        var result: T?
        var message = ""
        var status: Int32 = 0
        do { result = try body() } catch {
            message = "\(error)"
            status = code(error)
            if status == 0 { status = Int32(CD_EINPUT) }
        }
        let st = cd_agree(status, message)
        if st != 0 { throw DistributedError(status: Int(st), message: String(cString: cd_last_error()), operation: operation) }
        return result!
    }

    /// COLLECTIVE. `values` from rank `root` on every rank (the count must agree: send it first).
    public static func broadcast(_ values: inout [Double], root: Int = 0) throws {
        let n = values.count
        try values.withUnsafeMutableBufferPointer { try check(cd_broadcast($0.baseAddress, n, Int32(root)), "broadcast") }
    }

    /// COLLECTIVE. Integers from rank `root` on every rank.
    public static func broadcast(_ values: inout [Int], root: Int = 0) throws {
        var longs = values.map { CLong($0) }
        let n = longs.count
        try longs.withUnsafeMutableBufferPointer { try check(cd_broadcast_longs($0.baseAddress, n, Int32(root)), "broadcast") }
        values = longs.map { Int($0) }
    }

    /// COLLECTIVE. A matrix from rank `root` on every rank (shape sent first).
    public static func broadcast(_ m: Matrix?, root: Int = 0) throws -> Matrix {
        var shape = [m?.rows ?? 0, m?.cols ?? 0]
        try broadcast(&shape, root: root)
        var e = m?.elements ?? [Double](repeating: 0, count: shape[0] * shape[1])
        try broadcast(&e, root: root)
        return try Matrix(rows: shape[0], cols: shape[1], columnMajor: e)
    }

    /// COLLECTIVE. The element-wise sum of `values` over the ranks, bitwise the same on every rank (reduced at
    /// rank 0, then broadcast). The count must agree.
    public static func sum(_ values: [Double]) throws -> [Double] {
        var out = [Double](repeating: 0, count: values.count)
        try values.withUnsafeBufferPointer { pin in
            try out.withUnsafeMutableBufferPointer { try check(cd_sum(pin.baseAddress, $0.baseAddress, values.count), "sum") }
        }
        return out
    }

    /// COLLECTIVE. Throws the same `DistributedError` on every rank unless `values` are bitwise identical on every
    /// rank (a 64-bit hash compared): "`what` differs between ranks".
    public static func requireSameEverywhere(_ values: [Double], _ what: String, operation: String) throws {
        var same: Int32 = 0
        try values.withUnsafeBufferPointer { try check(cd_same_everywhere($0.baseAddress, values.count, &same), operation) }
        if same == 0 {
            throw DistributedError(status: Int(CD_EINPUT), message: "\(what) differs between ranks (every rank must hold the same copy)",
                                   operation: operation)
        }
    }

    /// COLLECTIVE. Peak resident memory of every rank, bytes (`getrusage`), on every rank.
    public static func peakMemory() throws -> [Double] {
        var out = [Double](repeating: 0, count: size)
        try out.withUnsafeMutableBufferPointer { try check(cd_peak_rss($0.baseAddress), "peakMemory") }
        return out
    }

    /// Wall-clock seconds (`MPI_Wtime`).
    public static var time: Double { cd_wtime() }

    static func check(_ status: Int32, _ operation: String) throws {
        guard status != 0 else { return }
        var text = String(cString: cd_last_error())
        if text.isEmpty { text = CKernelStatus.description(status) }
        throw DistributedError(status: Int(status), message: text, operation: operation)
    }
}
