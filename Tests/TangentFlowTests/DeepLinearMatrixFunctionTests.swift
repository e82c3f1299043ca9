import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowDeepLinear

/// Test helpers of the DeepLinear tests (kept in this file; the Support folder is shared).
enum DLN {
    static let c = CBackend()

    /// A random SPD matrix `GGᵀ + shift·I` (eigenvalues ≥ shift).
    static func spd(_ d: Int, seed: UInt64, shift: Double = 0.5) -> Matrix {
        let g = Fixtures.gaussian(d, d, seed: seed)
        var a = try! c.multiply(g, transposeA: false, g, transposeB: true)
        for i in 0..<d { a[i, i] += shift }
        return DenseOps.symmetrized(a)
    }

    /// A random symmetric matrix.
    static func symmetric(_ d: Int, seed: UInt64) -> Matrix {
        let g = Fixtures.gaussian(d, d, seed: seed)
        return DenseOps.combine(0.5, g, 0.5, g.transposed)
    }

    /// A random orthogonal matrix (the `U` of a Gaussian matrix's SVD).
    static func orthogonal(_ d: Int, seed: UInt64) -> Matrix { try! c.svd(Fixtures.gaussian(d, d, seed: seed)).u }

    /// `U diag(s) Vᵀ`.
    static func compose(_ u: Matrix, _ s: [Double], _ v: Matrix) -> Matrix { try! DenseOps.synthesize(c, u, s, v) }

    static func mul(_ a: Matrix, _ b: Matrix, ta: Bool = false, tb: Bool = false) -> Matrix { try! DenseOps.mul(c, a, b, ta: ta, tb: tb) }

    /// `max |a − b|` relative to `max(1, max |b|)`.
    static func close(_ a: Matrix, _ b: Matrix) -> Double {
        DenseOps.sub(a, b).maxAbs / Swift.max(1, b.maxAbs)
    }

    /// A diagonal matrix with a repeated eigenvalue, rotated: `Q diag(values) Qᵀ`.
    static func rotatedDiagonal(_ values: [Double], seed: UInt64) -> Matrix {
        let q = orthogonal(values.count, seed: seed)
        return DenseOps.symmetrized(compose(q, values, q))
    }
}

/// Matrix functions of symmetric matrices and the Daleckii–Krein derivative ((3.29–3.31) in file 002).
@Suite struct DeepLinearMatrixFunctionTests {
    /// Identities between functions: √S·√S = S, exp(log S) = S, S^a S^b = S^{a+b}, S^{−1/2} S S^{−1/2} = I.
    /// Tolerance 1e-12: each side is a few eigendecompositions of a well-conditioned 5×5 (κ ≈ 30): ~κ·ε·d.
    @Test(arguments: KernelBackend.allCases) func functionIdentities(_ backend: KernelBackend) throws {
        let s = DLN.spd(5, seed: 3)
        let root = try matrixFunction(.squareRoot, of: s, backend: backend)
        #expect(DLN.close(DLN.mul(root, root), s) <= 1e-12, "√S² vs S (\(backend))")
        let log = try matrixFunction(.logarithm, of: s, backend: backend)
        #expect(DLN.close(try matrixFunction(.exponential, of: log, backend: backend), s) <= 1e-12, "exp(log S) (\(backend))")
        let a = try matrixFunction(.power(0.3), of: s, backend: backend), b = try matrixFunction(.power(0.45), of: s, backend: backend)
        #expect(DLN.close(DLN.mul(a, b), try matrixFunction(.power(0.75), of: s, backend: backend)) <= 1e-12)
        let inv = try matrixFunction(.inverseSquareRoot, of: s, backend: backend)
        #expect(DLN.close(DLN.mul(DLN.mul(inv, s), inv), DenseOps.identity(5)) <= 1e-12)
        #expect(DLN.close(try matrixFunction(.power(1), of: s, backend: backend), s) <= 1e-13)
        #expect(DLN.close(try matrixFunction(.power(0), of: s, backend: backend), DenseOps.identity(5)) <= 1e-13)
    }

    /// Closed forms on a diagonal matrix: f acts entry by entry.
    @Test func diagonalClosedForm() throws {
        let vals = [0.25, 1.0, 4.0, 9.0]
        let f = try matrixFunction(.power(1.5), of: DenseOps.diagonal(vals))
        for i in 0..<4 { #expect(Swift.abs(f[i, i] - pow(vals[i], 1.5)) <= 1e-14 * pow(vals[i], 1.5)) }
        #expect(DenseOps.maxOffDiagonal(f) <= 1e-14)
    }

    /// `Df(S)[E]` against central differences `(f(S + hE) − f(S − hE))/(2h)`, for each named function, with distinct
    /// and with repeated eigenvalues. h = 1e-5: truncation h²·‖f'''‖ ≈ 1e-10, rounding ε/h ≈ 1e-11; tolerance 1e-7.
    @Test(arguments: [0, 1]) func daleckiiKreinMatchesFiniteDifferences(_ repeated: Int) throws {
        let s = repeated == 1 ? DLN.rotatedDiagonal([0.7, 0.7, 2.0, 2.0 + 1e-12], seed: 11) : DLN.spd(4, seed: 5)
        let e = DLN.symmetric(4, seed: 6)
        let h = 1e-5
        let functions: [MatrixFunction] = [
            .squareRoot, .inverseSquareRoot, .logarithm, .exponential, .power(0.25), .power(-0.6), .power(3),
            .custom(name: "sin", value: { sin($0) }, derivative: { cos($0) }),
        ]
        for f in functions {
            let got = try matrixFunctionDerivative(f, at: s, direction: e)
            let plus = try matrixFunction(f, of: DenseOps.combine(1, s, h, e)), minus = try matrixFunction(f, of: DenseOps.combine(1, s, -h, e))
            let fd = DenseOps.scale(1 / (2 * h), DenseOps.sub(plus, minus))
            let err = DLN.close(got, fd)
            #expect(err <= 1e-7, "\(f.name), repeated = \(repeated): error \(err)")
        }
    }

    /// The cancellation-free divided differences of the named functions agree with the generic rule of MATH.md §4
    /// (quotient, or f' below 1e-8 relative) to the generic rule's own accuracy (~1e-8 near coincident eigenvalues).
    @Test func namedAndGenericDividedDifferencesAgree() throws {
        let spectrum = SymmetricSpectrum(values: [0.3, 0.3 + 1e-9, 1.1, 5.0], vectors: DenseOps.identity(4), backend: .c)
        for a in [0.5, 0.25, 1.75, -1.0] {
            let named = try spectrum.dividedDifferences(.power(a))
            let generic = try spectrum.dividedDifferences(.custom(name: "x^a", domain: .positive, value: { pow($0, a) }, derivative: { a * pow($0, a - 1) }))
            #expect(DLN.close(named, generic) <= 1e-7, "a = \(a)")
        }
        let logNamed = try spectrum.dividedDifferences(.logarithm)
        #expect(Swift.abs(logNamed[0, 1] - 1 / 0.3) <= 1e-8)
    }

    /// Bad inputs: a non-SPD matrix for log, a non-symmetric matrix, NaN, a non-square direction.
    @Test func badInputsThrowClearErrors() throws {
        let indefinite = DenseOps.diagonal([1, -0.5, 2])
        #expect {
            try matrixFunction(.logarithm, of: indefinite)
        } throws: { ($0 as? TangentFlowError)?.description.contains("smallest eigenvalue is λ_min = -0.5") == true }
        #expect(throws: TangentFlowError.self) { try matrixFunction(.squareRoot, of: Fixtures.gaussian(3, 3, seed: 1)) }
        var nan = DLN.spd(3, seed: 2)
        nan[1, 1] = .nan
        #expect(throws: TangentFlowError.self) { try matrixFunction(.exponential, of: nan) }
        #expect(throws: TangentFlowError.self) {
            try matrixFunctionDerivative(.exponential, at: DLN.spd(3, seed: 2), direction: Fixtures.gaussian(2, 3, seed: 1))
        }
        // sqrt of a singular PSD matrix is fine; its derivative is not.
        let psd = DenseOps.diagonal([0, 1, 4])
        #expect(DLN.close(try matrixFunction(.squareRoot, of: psd), DenseOps.diagonal([0, 1, 2])) <= 1e-15)
        #expect(throws: TangentFlowError.self) { try matrixFunctionDerivative(.squareRoot, at: psd, direction: psd) }
    }
}
