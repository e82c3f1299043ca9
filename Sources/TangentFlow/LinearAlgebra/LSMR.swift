import Foundation

/// Stopping settings of `LSMR.solve`. Each `nil` takes the value tied to the dense route's rank cut-off
/// `tol_D = max(m, n)·ε·σ_max` (MATH.md §2) for an `m×n` operator:
///
/// ```
/// atol = btol = max(m, n)·ε        the normal residual a truncated SVD solution itself may leave:
///                                  ‖Aᵀr‖ ≤ tol_D‖r‖ ≤ max(m, n)·ε·‖A‖‖r‖
/// conlim      = 1 / (max(m, n)·ε)  = σ_max / tol_D: stop once the Krylov estimate of cond(A) passes the cut-off
/// maxIterations = max(10·min(m, n), 100)
/// ```
public struct LSMROptions: Sendable, Equatable {
    /// Relative accuracy of `A` (Fong & Saunders' `atol`): the least-squares test `‖Aᵀr‖ ≤ atol·‖A‖‖r‖`.
    public var atol: Double?
    /// Relative accuracy of `b` (`btol`): the consistent test `‖r‖ ≤ btol·‖b‖ + atol·‖A‖‖x‖`.
    public var btol: Double?
    /// Condition limit: stop when the estimate of `cond(A)` exceeds it.
    public var conlim: Double?
    /// Iteration cap; reaching it before a test holds is `LSMRStop.iterationLimit`.
    public var maxIterations: Int?

    /// Options; `nil` entries are tied to the dense cut-off (see the type's documentation).
    public init(atol: Double? = nil, btol: Double? = nil, conlim: Double? = nil, maxIterations: Int? = nil) {
        self.atol = atol
        self.btol = btol
        self.conlim = conlim
        self.maxIterations = maxIterations
    }

    /// The values used for an `m×n` operator.
    public func resolved(rows m: Int, cols n: Int) -> (atol: Double, btol: Double, conlim: Double, maxIterations: Int) {
        let cut = Double(Swift.max(m, n, 1)) * Double.ulpOfOne
        return (atol ?? cut, btol ?? cut, conlim ?? 1 / cut, maxIterations ?? Swift.max(10 * Swift.min(m, n), 100))
    }

    /// Throws `.invalidArgument` for a negative or non-finite tolerance, a condition limit below 1 or a cap below 1.
    func validate(_ operation: String) throws {
        for (name, v) in [("atol", atol), ("btol", btol)] {
            if let v, !(v.isFinite && v >= 0) {
                throw TangentFlowError.invalidArgument(operation: operation, reason: "\(name) must be finite and ≥ 0 (got \(v))")
            }
        }
        if let c = conlim, !(c >= 1) {
            throw TangentFlowError.invalidArgument(operation: operation, reason: "conlim must be ≥ 1 or +∞ (got \(c))")
        }
        if let k = maxIterations, k < 1 {
            throw TangentFlowError.invalidArgument(operation: operation, reason: "maxIterations must be ≥ 1 (got \(k))")
        }
    }
}

/// Why `LSMR.solve` stopped (Fong & Saunders' `istop`, same numbering as `scipy.sparse.linalg.lsmr`).
public enum LSMRStop: Int, Sendable, CaseIterable {
    /// `x = 0` is the solution (`b = 0` or `Aᵀb = 0`).
    case zeroSolution = 0
    /// `‖r‖ ≤ btol·‖b‖ + atol·‖A‖‖x‖`: `Ax = b` holds to the tolerances.
    case consistent = 1
    /// `‖Aᵀr‖ ≤ atol·‖A‖‖r‖`: a least-squares solution to the tolerances.
    case leastSquares = 2
    /// The estimate of `cond(A)` passed `conlim`: the rest of the spectrum lies below the cut-off.
    case conditionLimit = 3
    /// The consistent test with `btol = atol = ε`.
    case consistentAtMachinePrecision = 4
    /// The least-squares test with `atol = ε`.
    case leastSquaresAtMachinePrecision = 5
    /// The condition estimate reached `1/ε`.
    case conditionAtMachinePrecision = 6
    /// `maxIterations` reached first.
    case iterationLimit = 7

    /// Every stop but `.iterationLimit`.
    public var converged: Bool { self != .iterationLimit }
}

/// What `LSMR.solve` returns: the iterate and Fong & Saunders' estimates at the last iteration.
public struct LSMRResult: Sendable {
    /// `x_k`, the approximation of `A⁺b`.
    public let solution: [Double]
    /// Why the iteration stopped.
    public let stop: LSMRStop
    /// Iterations made (each is one `A v` and one `Aᵀu`; one more `Aᵀb` before the first).
    public let iterations: Int
    /// Estimate of `‖b − A x_k‖`.
    public let residualNorm: Double
    /// Estimate of `‖Aᵀ(b − A x_k)‖` (exact in exact arithmetic: `|ζ̄_{k+1}|`).
    public let normalResidualNorm: Double
    /// Estimate of `‖A‖_F` from the bidiagonalisation so far (≥ the largest singular value it has seen).
    public let operatorNormEstimate: Double
    /// Estimate of `cond(A)` on the Krylov subspace.
    public let conditionEstimate: Double
    /// `‖x_k‖`.
    public let solutionNorm: Double

    /// `‖Aᵀr‖ / (‖A‖‖r‖)`, the quantity the least-squares test compares with `atol` (0 when `r = 0`).
    public var relativeNormalResidual: Double {
        let d = operatorNormEstimate * residualNorm
        return d > 0 ? normalResidualNorm / d : 0
    }
}

/// LSMR (Fong & Saunders, "LSMR: an iterative algorithm for sparse least-squares problems", SIAM J. Sci. Comput.
/// 33 (2011), arXiv 1006.0758): MINRES on the normal equations `AᵀA x = Aᵀb` by Golub–Kahan bidiagonalisation of
/// `A`, so `‖Aᵀr_k‖` decreases monotonically, and `A` is used only through `A v` and `Aᵀu`. Started at `x₀ = 0`,
/// the iterates stay in `ran(Aᵀ)`, so the limit is the minimum-norm least-squares solution `A⁺b`, with or without
/// full rank (Appendix A of 2408.01517).
///
/// Stopping rule (checked after every iteration, with `r = b − Ax`):
/// ```
/// consistent:      ‖r‖   ≤ btol·‖b‖ + atol·‖A‖‖x‖
/// least squares:   ‖Aᵀr‖ ≤ atol·‖A‖‖r‖
/// condition:       cond(A) estimate ≥ conlim
/// ```
/// (and the same tests at machine precision), the estimates being Fong & Saunders' recurrences. This
/// implementation follows `scipy.sparse.linalg.lsmr` with `damp = 0` and `x₀ = 0` line by line and stops on the
/// same iteration. Work per iteration: one product each way plus `O(m + n)`; memory `O(m + n)`.
public enum LSMR {
    /// `x ≈ A⁺b` for the `m×n` operator given by `apply` (`v ∈ R^n ↦ Av ∈ R^m`) and `adjoint` (`u ↦ Aᵀu`).
    /// - Throws: `.shapeMismatch` for a `b` or a product of the wrong length; `.nonFinite` for NaN/±∞ in `b`;
    ///   `.invalidArgument` for bad options; what the products throw. Reaching the cap is not an error here
    ///   (`stop == .iterationLimit`).
    public static func solve(
        rows m: Int, cols n: Int, _ b: [Double], options: LSMROptions = LSMROptions(),
        apply: ([Double]) throws -> [Double], adjoint: ([Double]) throws -> [Double]
    ) throws -> LSMRResult {
        let op = "LSMR"
        try options.validate(op)
        guard m >= 1, n >= 1, b.count == m else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "b of length m = \(m) (m, n ≥ 1; n = \(n))", got: "\(b.count)")
        }
        if let k = b.firstIndex(where: { !$0.isFinite }) {
            throw TangentFlowError.nonFinite(operation: op, argument: "b", row: k, column: 0)
        }
        let (atol, btol, conlim, maxIterations) = options.resolved(rows: m, cols: n)
        func A(_ v: [Double]) throws -> [Double] {
            let y = try apply(v)
            guard y.count == m else { throw TangentFlowError.shapeMismatch(operation: op, expected: "A v of length \(m)", got: "\(y.count)") }
            return y
        }
        func At(_ u: [Double]) throws -> [Double] {
            let y = try adjoint(u)
            guard y.count == n else { throw TangentFlowError.shapeMismatch(operation: op, expected: "Aᵀu of length \(n)", got: "\(y.count)") }
            return y
        }

        var x = [Double](repeating: 0, count: n)
        let normb = euclideanNorm(b)
        var beta = normb
        var u = b
        var v = [Double](repeating: 0, count: n)
        var alpha = 0.0
        if beta > 0 {
            scale(&u, 1 / beta)
            v = try At(u)
            alpha = euclideanNorm(v)
        }
        if alpha > 0 { scale(&v, 1 / alpha) }

        var zetabar = alpha * beta, alphabar = alpha
        var rho = 1.0, rhobar = 1.0, cbar = 1.0, sbar = 0.0
        var h = v
        var hbar = [Double](repeating: 0, count: n)
        var betadd = beta, betad = 0.0, rhodold = 1.0, tautildeold = 0.0, thetatilde = 0.0, zeta = 0.0, d = 0.0
        var normA2 = alpha * alpha, maxrbar = 0.0, minrbar = 1e100
        var normA = normA2.squareRoot(), condA = 1.0, normx = 0.0
        let ctol = conlim > 0 ? 1 / conlim : 0
        var normr = beta, normar = alpha * beta
        var itn = 0
        func result(_ stop: LSMRStop) -> LSMRResult {
            LSMRResult(solution: x, stop: stop, iterations: itn, residualNorm: normr, normalResidualNorm: normar,
                       operatorNormEstimate: normA, conditionEstimate: condA, solutionNorm: normx)
        }
        if normar == 0 || normb == 0 { return result(.zeroSolution) }

        var stop = LSMRStop.iterationLimit
        while itn < maxIterations {
            itn += 1
            // Bidiagonalisation: β u ← A v − α u, α v ← Aᵀu − β v.
            let av = try A(v)
            for i in 0..<m { u[i] = av[i] - alpha * u[i] }
            beta = euclideanNorm(u)
            if beta > 0 {
                scale(&u, 1 / beta)
                let atu = try At(u)
                for j in 0..<n { v[j] = atu[j] - beta * v[j] }
                alpha = euclideanNorm(v)
                if alpha > 0 { scale(&v, 1 / alpha) }
            }
            // Rotations (damp = 0).
            let (chat, shat, alphahat) = symOrtho(alphabar, 0)
            let rhoold = rho
            let (c, s, rhoNew) = symOrtho(alphahat, beta)
            rho = rhoNew
            let thetanew = s * alpha
            alphabar = c * alpha
            let rhobarold = rhobar, zetaold = zeta
            let thetabar = sbar * rho, rhotemp = cbar * rho
            (cbar, sbar, rhobar) = symOrtho(cbar * rho, thetanew)
            zeta = cbar * zetabar
            zetabar = -sbar * zetabar
            // h̄, x, h.
            let fh = -(thetabar * rho / (rhoold * rhobarold)), fx = zeta / (rho * rhobar), fv = -(thetanew / rho)
            for j in 0..<n {
                hbar[j] = h[j] + fh * hbar[j]
                x[j] += fx * hbar[j]
                h[j] = v[j] + fv * h[j]
            }
            // ‖r‖ estimate.
            let betaacute = chat * betadd, betacheck = -shat * betadd
            let betahat = c * betaacute
            betadd = -s * betaacute
            let thetatildeold = thetatilde
            let (ctildeold, stildeold, rhotildeold) = symOrtho(rhodold, thetabar)
            thetatilde = stildeold * rhobar
            rhodold = ctildeold * rhobar
            betad = -stildeold * betad + ctildeold * betahat
            tautildeold = (zetaold - thetatildeold * tautildeold) / rhotildeold
            let taud = (zeta - thetatilde * tautildeold) / rhodold
            d += betacheck * betacheck
            normr = (d + (betad - taud) * (betad - taud) + betadd * betadd).squareRoot()
            // ‖A‖, cond(A), ‖Aᵀr‖, ‖x‖ estimates.
            normA2 += beta * beta
            normA = normA2.squareRoot()
            normA2 += alpha * alpha
            maxrbar = Swift.max(maxrbar, rhobarold)
            if itn > 1 { minrbar = Swift.min(minrbar, rhobarold) }
            condA = Swift.max(maxrbar, rhotemp) / Swift.min(minrbar, rhotemp)
            normar = Swift.abs(zetabar)
            normx = euclideanNorm(x)
            // The tests, later ones taking precedence (as in Fong & Saunders).
            let test1 = normr / normb
            let test2 = normA * normr != 0 ? normar / (normA * normr) : Double.infinity
            let test3 = 1 / condA
            let t1 = test1 / (1 + normA * normx / normb)
            let rtol = btol + atol * normA * normx / normb
            var istop: LSMRStop? = nil
            if 1 + test3 <= 1 { istop = .conditionAtMachinePrecision }
            if 1 + test2 <= 1 { istop = .leastSquaresAtMachinePrecision }
            if 1 + t1 <= 1 { istop = .consistentAtMachinePrecision }
            if test3 <= ctol { istop = .conditionLimit }
            if test2 <= atol { istop = .leastSquares }
            if test1 <= rtol { istop = .consistent }
            if let istop {
                stop = istop
                break
            }
        }
        return result(stop)
    }

    /// A stable Givens rotation `(c, s, r)` with `[c s; −s c][a; b] = [r; 0]`, `r ≥ 0` (SymOrtho of
    /// Choi, Paige & Saunders, as in SciPy's `_sym_ortho`).
    static func symOrtho(_ a: Double, _ b: Double) -> (c: Double, s: Double, r: Double) {
        if b == 0 { return (sign(a), 0, Swift.abs(a)) }
        if a == 0 { return (0, sign(b), Swift.abs(b)) }
        if Swift.abs(b) > Swift.abs(a) {
            let tau = a / b
            let s = sign(b) / (1 + tau * tau).squareRoot()
            return (s * tau, s, b / s)
        }
        let tau = b / a
        let c = sign(a) / (1 + tau * tau).squareRoot()
        return (c, c * tau, a / c)
    }

    private static func sign(_ a: Double) -> Double { a > 0 ? 1 : (a < 0 ? -1 : 0) }

    private static func scale(_ a: inout [Double], _ s: Double) {
        for i in a.indices { a[i] *= s }
    }

    /// `‖a‖₂` without overflow or underflow (the package's `scaledNorm`).
    private static func euclideanNorm(_ a: [Double]) -> Double { scaledNorm(a) }
}
