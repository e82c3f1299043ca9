import Foundation

/// A tally of the LSMR solves of a matrix-free route (`PseudoinverseRoute.matrixFree`) over a run: how many, their
/// iterations, the worst final residuals and the stop reasons. Shared by reference (the route is copied into every
/// field), safe to record from several threads. Two logs are equal only if they are the same object.
public final class KrylovSolveLog: @unchecked Sendable, Equatable {
    private let lock = NSLock()
    private var _solves = 0, _iterations = 0, _maxIterations = 0
    private var _worstRelativeNormalResidual = 0.0, _worstRelativeResidual = 0.0
    private var _stops: [LSMRStop: Int] = [:]

    /// An empty log.
    public init() {}

    /// Adds one solve of `D θ = r` with `‖r‖ = rhsNorm`.
    public func record(_ r: LSMRResult, rhsNorm: Double) {
        lock.lock()
        defer { lock.unlock() }
        _solves += 1
        _iterations += r.iterations
        _maxIterations = Swift.max(_maxIterations, r.iterations)
        _worstRelativeNormalResidual = Swift.max(_worstRelativeNormalResidual, r.relativeNormalResidual)
        if rhsNorm > 0 { _worstRelativeResidual = Swift.max(_worstRelativeResidual, r.residualNorm / rhsNorm) }
        _stops[r.stop, default: 0] += 1
    }

    /// Solves recorded.
    public var solves: Int { lock.withLock { _solves } }
    /// Iterations summed over the solves (each one `D v` and one `Dᵀu`).
    public var totalIterations: Int { lock.withLock { _iterations } }
    /// Largest iteration count of one solve.
    public var maxIterations: Int { lock.withLock { _maxIterations } }
    /// Largest final `‖Dᵀr_k‖/(‖D‖‖r_k‖)` (the least-squares test's quantity).
    public var worstRelativeNormalResidual: Double { lock.withLock { _worstRelativeNormalResidual } }
    /// Largest final `‖r_k‖/‖r‖` (the consistent test's quantity; not small when `r ∉ ran(D)`).
    public var worstRelativeResidual: Double { lock.withLock { _worstRelativeResidual } }
    /// Solves per stop reason.
    public var stops: [LSMRStop: Int] { lock.withLock { _stops } }

    /// Identity.
    public static func == (a: KrylovSolveLog, b: KrylovSolveLog) -> Bool { a === b }
}

extension TrainingProblem {
    /// The matrix-free NTK operator at `θ` (`Kernels.mlpNTKOperator`), keeping the layer sensitivities (fewer
    /// GEMMs per product) when they take at most half the memory available, else recomputing them.
    public func ntkOperator(_ theta: [Double]) throws -> any NTKOperator {
        let keep = MemoryBudget.product(
            CBackend.ntkOperatorDoubles(model, samples: samples, keepSensitivities: true), MemoryLayout<Double>.stride)
            .map { $0 <= MemoryBudget.availableBytes / 2 } ?? false
        return try backend.kernels.mlpNTKOperator(model, theta: theta, inputs: inputs, keepSensitivities: keep)
    }

    /// `D⁺g` by LSMR on the operator at `θ` (`MatrixFreePseudoinverse.solve`), recorded in `log`.
    func matrixFreeApply(_ theta: [Double], _ g: [Double], options: LSMROptions, log: KrylovSolveLog) throws -> [Double] {
        let r = try MatrixFreePseudoinverse.solve(ntkOperator(theta), g, options: options)
        log.record(r, rhsNorm: norm2(g))
        return r.solution
    }

    /// `P_ran(D) v = D D⁺ v` by LSMR on the operator at `θ`, recorded in `log`.
    func matrixFreeProjectOntoRange(_ theta: [Double], _ v: [Double], options: LSMROptions, log: KrylovSolveLog) throws -> [Double] {
        let (p, r) = try MatrixFreePseudoinverse.projectOntoRange(ntkOperator(theta), v, options: options)
        log.record(r, rhsNorm: norm2(v))
        return p
    }
}
