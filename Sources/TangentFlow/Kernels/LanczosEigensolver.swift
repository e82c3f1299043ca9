internal import CKernels

/// What a matrix-free Lanczos eigensolve returns (`MatrixFreeEigensolver.lanczos`).
public struct LanczosResult: Sendable {
    /// The Ritz values that met the tolerance, ascending (at most `requested`).
    public let values: [Double]
    /// Their orthonormal Ritz vectors as columns (`n × values.count`).
    public let vectors: Matrix
    /// Eigenpairs asked for.
    public let requested: Int
    /// Applications of the operator.
    public let products: Int
    /// Implicit restarts made.
    public let restarts: Int
    /// ARPACK's `dsaupd` exit code: 0 converged, 1 restart cap reached, 3 no shifts could be applied.
    public let arpackInfo: Int

    /// Whether every requested pair converged.
    public var converged: Bool { values.count >= requested }
}

/// Eigenpairs of a large symmetric operator known only through products `y = A x`.
public enum MatrixFreeEigensolver {
    /// The `count` algebraically largest (`largest`) or smallest eigenpairs of the symmetric `n×n` operator `apply`
    /// by the implicitly restarted Lanczos method (Lehoucq & Sorensen, ARPACK-ng `dsaupd`/`dseupd`, mode 1) with a
    /// basis of `subspace` vectors (`count < subspace ≤ n`), stopping when every wanted Ritz pair `(θ, z)` has
    /// `‖A z − θ z‖ ≤ tolerance·|θ|` or after `maxRestarts` restarts (then `converged` is false and only the
    /// pairs that met the tolerance are returned). Deterministic: the start vector is `start` (length `n`), or a
    /// fixed pseudo-random one when `nil`.
    ///
    /// One solve runs at a time in a process (ARPACK keeps Fortran state); `apply` must not start another.
    /// - Throws: `.invalidArgument` for sizes out of range; whatever `apply` throws (the solve stops there);
    ///   `.lapackFailure(routine: "dsaupd/dseupd", …)` for an ARPACK error.
    public static func lanczos(
        order n: Int, count: Int, subspace: Int, largest: Bool, tolerance: Double, maxRestarts: Int, start: [Double]? = nil,
        apply: (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) throws -> Void
    ) throws -> LanczosResult {
        let op = "lanczos"
        guard n >= 2, count >= 1, count < subspace, subspace <= n else {
            throw TangentFlowError.invalidArgument(
                operation: op, reason: "needs 1 ≤ count < subspace ≤ order (count \(count), subspace \(subspace), order \(n))")
        }
        guard tolerance.isFinite, tolerance >= 0, maxRestarts >= 1 else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "tolerance must be finite and ≥ 0 and maxRestarts ≥ 1")
        }
        if let start, start.count != n || !start.allSatisfy(\.isFinite) || !start.contains(where: { $0 != 0 }) {
            throw TangentFlowError.invalidArgument(operation: op, reason: "the start vector must have \(n) finite entries, not all 0")
        }
        let basis = MemoryBudget.sum(MemoryBudget.product(n, subspace + count + 4), subspace * (subspace + 9))
        try MemoryBudget.require(bytes: MemoryBudget.product(basis, 8), operation: "lanczos: Lanczos basis of \(subspace) vectors of length \(n)")
        var values = [Double](repeating: 0, count: count)
        var vectors = [Double](repeating: 0, count: n * count)
        var report = ck_eigs_report()
        let status: Int32 = try withoutActuallyEscaping(apply) { f in
            let box = LanczosCallbackBox(f, n: n)
            let callback: ck_linear_map = { x, y, ctx in
                let box = Unmanaged<LanczosCallbackBox>.fromOpaque(ctx!).takeUnretainedValue()
                do {
                    try box.apply(UnsafeBufferPointer(start: x, count: box.n), UnsafeMutableBufferPointer(start: y, count: box.n))
                    return 0
                } catch {
                    box.error = error
                    return 1
                }
            }
            let st = values.withUnsafeMutableBufferPointer { pv in
                vectors.withUnsafeMutableBufferPointer { pz in
                    (start ?? []).withUnsafeBufferPointer { v0 in
                        ck_eigs_symmetric(n, count, subspace, largest ? 1 : 0, tolerance, maxRestarts, start == nil ? nil : v0.baseAddress,
                                          callback, Unmanaged.passUnretained(box).toOpaque(), pv.baseAddress, pz.baseAddress, n, &report)
                    }
                }
            }
            if let e = box.error { throw e }
            return st
        }
        if status == CK_EARPACK {
            throw TangentFlowError.lapackFailure(routine: "dsaupd/dseupd", info: Int(report.arpack_info))
        }
        try TangentFlowError.check(status, operation: op)
        let c = report.converged
        return LanczosResult(
            values: Array(values.prefix(c)), vectors: Matrix(uncheckedRows: n, cols: c, elements: Array(vectors.prefix(n * c))),
            requested: count, products: report.products, restarts: report.restarts, arpackInfo: Int(report.arpack_info))
    }
}

/// The caller's operator and the first error it threw, reached from the C callback through its context pointer.
private final class LanczosCallbackBox {
    let apply: (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) throws -> Void
    let n: Int
    var error: (any Error)?

    init(_ apply: @escaping (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) throws -> Void, n: Int) {
        self.apply = apply
        self.n = n
    }
}
