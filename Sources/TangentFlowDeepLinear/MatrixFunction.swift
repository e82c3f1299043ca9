import Foundation
import TangentFlow

/// A scalar function `f` lifted to symmetric matrices by functional calculus ((3.29) in file 002):
///
/// ```
/// S = U diag(λ) Uᵀ   ⟹   f(S) = U diag(f(λ)) Uᵀ
/// Df(S)[E] = U (F ∘ (UᵀEU)) Uᵀ,   F_ij = (f(λ_i) − f(λ_j))/(λ_i − λ_j),  F_ii = f'(λ_i)      (3.30–3.31)
/// ```
/// `F` is the matrix of first divided differences (Daleckii–Krein; (2.1) of file 002 is its case `f(x) = x^a`).
/// The named functions compute `F_ij` in a cancellation-free form (e.g. `λ_j^{a−1}·expm1(a u)/expm1(u)`,
/// `u = log(λ_i/λ_j)`, for powers), accurate to a few ulps for close or repeated eigenvalues. A `custom`
/// function uses the quotient when `|λ_i − λ_j| > 1e-8·max(1, |λ_i|, |λ_j|)` and `f'(λ_i)` otherwise (MATH.md §4),
/// which is accurate to about `1e-8` relative there.
///
/// Edge cases: powers with a non-integer or negative exponent, `log` and the inverse square root need `λ > 0`;
/// `sqrt` accepts `λ ≥ 0` (its derivative needs `λ > 0`). Violations throw `.invalidArgument` naming `λ_min`.
public struct MatrixFunction: Sendable {
    /// Where the eigenvalues of the argument must lie.
    public enum Domain: Sendable, Equatable {
        /// Any real eigenvalue.
        case real
        /// `λ ≥ 0`.
        case nonNegative
        /// `λ > 0`.
        case positive
    }

    /// A short name for messages (`"x^0.5"`, `"log"`).
    public let name: String
    /// `f`.
    public let value: @Sendable (Double) -> Double
    /// `f'`.
    public let derivative: @Sendable (Double) -> Double
    /// Eigenvalue domain of `f(S)`.
    public let domain: Domain
    /// Eigenvalue domain of `Df(S)` (stricter for `sqrt` at 0).
    public let derivativeDomain: Domain
    /// `(f(x) − f(y))/(x − y)`, with the limit `f'(x)` at `x = y`.
    let dividedDifference: @Sendable (Double, Double) -> Double

    /// A user-supplied smooth function with its derivative; divided differences by the quotient, switching to
    /// `f'` for eigenvalues closer than `1e-8` relative (see the type's documentation).
    public static func custom(
        name: String, domain: Domain = .real, value: @escaping @Sendable (Double) -> Double,
        derivative: @escaping @Sendable (Double) -> Double
    ) -> MatrixFunction {
        MatrixFunction(name: name, value: value, derivative: derivative, domain: domain, derivativeDomain: domain) { x, y in
            let scale = Swift.max(1, Swift.abs(x), Swift.abs(y))
            return Swift.abs(x - y) > 1e-8 * scale ? (value(x) - value(y)) / (x - y) : derivative(x)
        }
    }

    /// `f(x) = x^a`, `x > 0` (or `x ≥ 0` for `a ≥ 0` in the value; `a = 0` gives the identity matrix, and its
    /// derivative is 0). The fractional powers `(WWᵀ)^{(N−p)/N}` of (1.8) in file 002.
    public static func power(_ a: Double) -> MatrixFunction {
        let integer = a >= 0 && a == a.rounded()
        let valueDomain: Domain = integer ? .real : (a > 0 ? .nonNegative : .positive)
        return MatrixFunction(
            name: "x^\(a)", value: { a == 0 ? 1 : Foundation.pow($0, a) },
            derivative: { a == 0 ? 0 : a * Foundation.pow($0, a - 1) }, domain: valueDomain,
            derivativeDomain: integer ? .real : .positive
        ) { x, y in
            if a == 0 { return 0 }
            if a == 1 { return 1 }
            if x > 0, y > 0 {
                // (x^a − y^a)/(x − y) = y^{a−1}·(r^a − 1)/(r − 1), r = x/y = e^u: no cancellation for x ≈ y.
                let u = Foundation.log(x) - Foundation.log(y)
                if u == 0 { return a * Foundation.pow(y, a - 1) }
                return Foundation.pow(y, a - 1) * Foundation.expm1(a * u) / Foundation.expm1(u)
            }
            // Integer powers at non-positive arguments: x^a − y^a = (x − y) Σ_k x^k y^{a−1−k}.
            let n = Int(a)
            var s = 0.0
            for k in 0..<n { s += Foundation.pow(x, Double(k)) * Foundation.pow(y, Double(n - 1 - k)) }
            return s
        }
    }

    /// `f(x) = √x`, `x ≥ 0` (derivative `x > 0`).
    public static let squareRoot: MatrixFunction = {
        MatrixFunction(
            name: "sqrt", value: { Foundation.sqrt(Swift.max($0, 0)) }, derivative: { 0.5 / Foundation.sqrt($0) },
            domain: .nonNegative, derivativeDomain: .positive
        ) { x, y in 1 / (Foundation.sqrt(x) + Foundation.sqrt(y)) }
    }()

    /// `f(x) = x^{−1/2}`, `x > 0`.
    public static let inverseSquareRoot: MatrixFunction = {
        MatrixFunction(
            name: "x^-0.5", value: { 1 / Foundation.sqrt($0) }, derivative: { -0.5 / ($0 * Foundation.sqrt($0)) },
            domain: .positive, derivativeDomain: .positive
        ) { x, y in
            let sx = Foundation.sqrt(x), sy = Foundation.sqrt(y)
            // (1/√x − 1/√y)/(x − y) = −1/(√x√y(√x + √y)).
            return -1 / (sx * sy * (sx + sy))
        }
    }()

    /// `f(x) = log x`, `x > 0`.
    public static let logarithm = MatrixFunction(
        name: "log", value: { Foundation.log($0) }, derivative: { 1 / $0 }, domain: .positive, derivativeDomain: .positive
    ) { x, y in
        if x == y { return 1 / x }
        // log(x/y)/(x − y) = log1p((x − y)/y)/(x − y).
        let d = x - y
        return Foundation.log1p(d / y) / d
    }

    /// `f(x) = eˣ`, any real `x`.
    public static let exponential = MatrixFunction(
        name: "exp", value: { Foundation.exp($0) }, derivative: { Foundation.exp($0) }, domain: .real, derivativeDomain: .real
    ) { x, y in
        if x == y { return Foundation.exp(x) }
        // (eˣ − eʸ)/(x − y) = e^{min}·expm1(|x − y|)/|x − y|.
        let lo = Swift.min(x, y), d = Swift.abs(x - y)
        return Foundation.exp(lo) * Foundation.expm1(d) / d
    }

    /// Throws unless every eigenvalue lies in `domain`.
    func check(_ values: [Double], _ domain: Domain, _ op: String) throws {
        guard let lmin = values.min() else { return }
        let lmax = values.max() ?? lmin
        switch domain {
        case .real: return
        case .nonNegative where lmin >= 0: return
        case .positive where lmin > 0: return
        default:
            let need = domain == .positive ? "positive definite" : "positive semidefinite"
            throw TangentFlowError.invalidArgument(
                operation: op,
                reason: "\(name) needs a symmetric \(need) matrix, but its smallest eigenvalue is λ_min = \(lmin) (λ_max = \(lmax))")
        }
    }
}

/// `f(S)` for symmetric `S` by one symmetric eigendecomposition (dsyevd on the C path), (3.29) in file 002.
/// - Throws: `.shapeMismatch`, `.nonFinite`, `.notSymmetric`, `.invalidArgument` (eigenvalue outside `f`'s domain).
public func matrixFunction(_ f: MatrixFunction, of s: Matrix, backend: KernelBackend = .c) throws -> Matrix {
    try SymmetricSpectrum(of: s, backend: backend).apply(f)
}

/// The Fréchet derivative `Df(S)[E]` of a matrix function at symmetric `S` in a symmetric direction `E`
/// (Daleckii–Krein, (3.30–3.31) in file 002).
/// - Throws: as `matrixFunction`, and `.shapeMismatch` if `E` is not the size of `S`.
public func matrixFunctionDerivative(_ f: MatrixFunction, at s: Matrix, direction e: Matrix, backend: KernelBackend = .c) throws -> Matrix {
    try SymmetricSpectrum(of: s, backend: backend).derivative(f, direction: e)
}
