// Tests of the pure-Swift dense kernels (Kernels/Swift/): swiftMultiply, swiftGram, swiftSVD,
// swiftSymmetricEigen, swiftCholeskySolve. Each is checked against an independent truth: a naive triple loop,
// closed forms, or the defining identities (reconstruction, orthonormality, residual), never against another
// kernel of this folder except where that kernel was itself checked first (gram vs multiply).
//
// Tolerances are named (`LATolerance`) and scaled by ε and size. Their constants are the ratio thresholds of the
// LAPACK test suites (e.g. `dchkbd`/`ddrvst`: ratio = error / (size·ε·‖A‖) < 30), so they are not tuned to the
// implementation. Helpers are private to this file (prefixed `la`) so they cannot clash with other test files.

import Foundation  // cos and pow for closed forms in the tests only; the kernels use the stdlib alone
import Testing
@testable import TangentFlow

// MARK: - Support

/// Uniform entries in [−1, 1) from the package's deterministic generator.
private extension SeededGenerator {
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 * 2 - 1 }
    mutating func matrix(_ rows: Int, _ cols: Int) -> Matrix {
        Matrix(uncheckedRows: rows, cols: cols, elements: (0..<(rows * cols)).map { _ in uniform() })
    }
}

/// Named tolerances, all in units of ε = `Double.ulpOfOne` times a size.
private enum LATolerance {
    static let eps = Double.ulpOfOne
    /// Two summation orders of a length-`k` dot product each err by at most `k·ε·Σ|a_ip b_pj|` (Higham, eq. 3.5),
    /// so they differ by at most twice that.
    static func product(innerDimension k: Int) -> Double { 2 * Double(max(k, 1)) * eps }
    /// LAPACK test-suite threshold on `error / (size·ε·scale)` ratios.
    static let ratioThreshold = 30.0
    /// Backward error or loss of orthogonality allowed for a factorisation of a matrix of the given size.
    static func factorisation(size: Int) -> Double { ratioThreshold * Double(max(size, 1)) * eps }
}

/// `op(A)·op(B)` by the textbook triple loop, plus the entrywise magnitude `|op(A)|·|op(B)|`.
private func laNaiveProduct(_ a: Matrix, _ ta: Bool, _ b: Matrix, _ tb: Bool) -> (product: Matrix, magnitude: Matrix) {
    let m = ta ? a.cols : a.rows, k = ta ? a.rows : a.cols, n = tb ? b.rows : b.cols
    var c = Matrix(zerosRows: m, cols: n)
    var mag = Matrix(zerosRows: m, cols: n)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0, t = 0.0
            for p in 0..<k {
                let x = ta ? a[p, i] : a[i, p]
                let y = tb ? b[j, p] : b[p, j]
                s += x * y
                t += abs(x * y)
            }
            c[i, j] = s
            mag[i, j] = t
        }
    }
    return (c, mag)
}

private func laProduct(_ a: Matrix, _ b: Matrix) -> Matrix { laNaiveProduct(a, false, b, false).product }

private func laDifference(_ a: Matrix, _ b: Matrix) -> Matrix {
    Matrix(uncheckedRows: a.rows, cols: a.cols, elements: zip(a.elements, b.elements).map { $0 - $1 })
}

private func laIdentity(_ n: Int) -> Matrix {
    var m = Matrix(zerosRows: n, cols: n)
    for i in 0..<n { m[i, i] = 1 }
    return m
}

/// `‖QᵀQ − I‖_F` for the columns of `q`.
private func laOrthonormalityError(columnsOf q: Matrix) -> Double {
    laDifference(laNaiveProduct(q, true, q, false).product, laIdentity(q.cols)).frobeniusNorm
}

/// `A · diag(d)` (scales column j by d_j).
private func laScaleColumns(_ a: Matrix, _ d: [Double]) -> Matrix {
    var r = a
    for j in 0..<a.cols {
        for i in 0..<a.rows { r[i, j] *= d[j] }
    }
    return r
}

/// A random orthogonal `n×n` matrix as a product of `n` Householder reflectors `I − 2vvᵀ/vᵀv` (built here, not
/// by any kernel under test).
private func laRandomOrthogonal(_ n: Int, _ rng: inout SeededGenerator) -> Matrix {
    var q = laIdentity(n)
    for _ in 0..<n {
        let v = (0..<n).map { _ in rng.uniform() }
        let vv = v.reduce(0) { $0 + $1 * $1 }
        // q := q (I − 2vvᵀ/vᵀv)
        for i in 0..<n {
            var qv = 0.0
            for t in 0..<n { qv += q[i, t] * v[t] }
            for t in 0..<n { q[i, t] -= 2 * qv * v[t] / vv }
        }
    }
    return q
}

/// `Q diag(λ) Qᵀ`, symmetrised exactly.
private func laSymmetricWithSpectrum(_ lambda: [Double], _ rng: inout SeededGenerator) -> Matrix {
    let n = lambda.count
    let q = laRandomOrthogonal(n, &rng)
    var a = laNaiveProduct(laScaleColumns(q, lambda), false, q, true).product
    for j in 0..<n {
        for i in 0..<j {
            let s = 0.5 * (a[i, j] + a[j, i])
            a[i, j] = s
            a[j, i] = s
        }
    }
    return a
}

// MARK: - Multiply and Gram

/// A product shape `op(A): m×k`, `op(B): k×n`.
struct LAProductShape: Sendable, CustomTestStringConvertible {
    let m: Int, k: Int, n: Int
    var testDescription: String { "\(m)×\(k)·\(k)×\(n)" }
}

/// Degenerate dimensions, single entries, and sizes crossing every block edge of the engine
/// (MR = 8, NR = 4, KC = 256, MC = 128, NC = 2048).
private let laProductShapes: [LAProductShape] = [
    .init(m: 0, k: 0, n: 0), .init(m: 0, k: 3, n: 4), .init(m: 3, k: 0, n: 4), .init(m: 3, k: 4, n: 0),
    .init(m: 1, k: 1, n: 1), .init(m: 1, k: 7, n: 1), .init(m: 7, k: 1, n: 5), .init(m: 8, k: 4, n: 4),
    .init(m: 9, k: 5, n: 3), .init(m: 17, k: 33, n: 11), .init(m: 64, k: 64, n: 64),
    .init(m: 130, k: 257, n: 9), .init(m: 131, k: 513, n: 23), .init(m: 5, k: 3, n: 2053),
]

@Test("swiftMultiply agrees with the triple loop", arguments: laProductShapes, [(false, false), (true, false), (false, true), (true, true)])
func swiftMultiplyMatchesNaive(_ shape: LAProductShape, _ transposes: (Bool, Bool)) {
    var rng = SeededGenerator(seed: UInt64(shape.m * 1_000_003 + shape.k * 1009 + shape.n) &+ (transposes.0 ? 7 : 0) &+ (transposes.1 ? 13 : 0))
    let (ta, tb) = transposes
    let a = ta ? rng.matrix(shape.k, shape.m) : rng.matrix(shape.m, shape.k)
    let b = tb ? rng.matrix(shape.n, shape.k) : rng.matrix(shape.k, shape.n)
    let got = swiftMultiply(a, transposeA: ta, b, transposeB: tb)
    let (expected, magnitude) = laNaiveProduct(a, ta, b, tb)
    #expect(got.rows == shape.m && got.cols == shape.n, "shape \(got.shapeString), expected \(shape.m)×\(shape.n)")
    guard got.rows == shape.m && got.cols == shape.n else { return }
    let tol = LATolerance.product(innerDimension: shape.k)
    var worst = (ratio: 0.0, i: 0, j: 0)
    for j in 0..<shape.n {
        for i in 0..<shape.m {
            let err = abs(got[i, j] - expected[i, j])
            let ratio = magnitude[i, j] == 0 ? (err == 0 ? 0 : .infinity) : err / (tol * magnitude[i, j])
            if ratio > worst.ratio { worst = (ratio, i, j) }
        }
    }
    let (i, j) = (worst.i, worst.j)
    #expect(worst.ratio <= 1,
            "\(shape) tA=\(ta) tB=\(tb): at (\(i), \(j)) expected \(shape.m * shape.n > 0 ? expected[i, j] : 0), got \(shape.m * shape.n > 0 ? got[i, j] : 0), error/(tolerance·|A||B|) = \(worst.ratio)")
}

@Test("swiftMultiply with a zero inner dimension is the zero matrix")
func swiftMultiplyEmptySum() {
    let a = Matrix(zerosRows: 3, cols: 0), b = Matrix(zerosRows: 0, cols: 4)
    let c = swiftMultiply(a, transposeA: false, b, transposeB: false)
    #expect(c.rows == 3 && c.cols == 4 && c.elements.allSatisfy { $0 == 0 })
}

@Test("swiftGram equals multiply(D, Dᵀ) and is exactly symmetric",
      arguments: [(0, 5), (5, 0), (1, 1), (1, 9), (13, 7), (8, 300), (130, 300), (257, 40)])
func swiftGramMatchesMultiply(_ rows: Int, _ cols: Int) {
    var rng = SeededGenerator(seed: UInt64(rows * 7919 + cols))
    let d = rng.matrix(rows, cols)
    let g = swiftGram(d)
    #expect(g.rows == rows && g.cols == rows)
    guard g.rows == rows && g.cols == rows else { return }
    let (expected, magnitude) = laNaiveProduct(d, false, d, true)
    let reference = swiftMultiply(d, transposeA: false, d, transposeB: true)
    let tol = LATolerance.product(innerDimension: cols)
    var worstNaive = 0.0, worstMultiply = 0.0, asymmetric = 0
    for j in 0..<rows {
        for i in 0..<rows {
            let scale = tol * magnitude[i, j]
            worstNaive = max(worstNaive, abs(g[i, j] - expected[i, j]) / max(scale, .leastNormalMagnitude))
            worstMultiply = max(worstMultiply, abs(g[i, j] - reference[i, j]) / max(scale, .leastNormalMagnitude))
            if g[i, j] != g[j, i] { asymmetric += 1 }  // exact: the upper triangle is a copy by construction
        }
    }
    #expect(worstNaive <= 1, "gram \(rows)×\(cols) vs triple loop: error/(tolerance·|D||Dᵀ|) = \(worstNaive)")
    #expect(worstMultiply <= 1, "gram \(rows)×\(cols) vs swiftMultiply: error/(tolerance·|D||Dᵀ|) = \(worstMultiply)")
    #expect(asymmetric == 0, "gram \(rows)×\(cols): \(asymmetric) entries differ from their mirror")
}

// MARK: - SVD

/// Checks every postcondition of a thin SVD of `a`; returns the factors for further checks.
@discardableResult
private func laCheckSVD(_ a: Matrix, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> SVD {
    let m = a.rows, n = a.cols, r = min(m, n)
    let f = try swiftSVD(a)
    #expect(f.u.rows == m && f.u.cols == r && f.vt.rows == r && f.vt.cols == n && f.singularValues.count == r,
            "\(label): shapes U \(f.u.shapeString), s \(f.singularValues.count), Vt \(f.vt.shapeString) for A \(m)×\(n)",
            sourceLocation: sourceLocation)
    guard f.u.rows == m, f.u.cols == r, f.vt.rows == r, f.vt.cols == n, f.singularValues.count == r else { return f }
    let s = f.singularValues
    #expect(s.allSatisfy { $0 >= 0 && $0.isFinite }, "\(label): singular values \(s) not all finite and ≥ 0",
            sourceLocation: sourceLocation)
    #expect(zip(s, s.dropFirst()).allSatisfy { $0 >= $1 }, "\(label): singular values \(s) not descending",
            sourceLocation: sourceLocation)
    let size = max(m, n)
    let tol = LATolerance.factorisation(size: size)
    let normA = a.frobeniusNorm
    let reconstruction = laProduct(laScaleColumns(f.u, s), f.vt)
    let backward = laDifference(reconstruction, a).frobeniusNorm
    #expect(backward <= tol * normA,
            "\(label): ‖UΣVᵀ − A‖_F = \(backward), tolerance \(tol * normA) (‖A‖_F = \(normA))",
            sourceLocation: sourceLocation)
    let uLoss = laOrthonormalityError(columnsOf: f.u)
    let vLoss = laOrthonormalityError(columnsOf: f.vt.transposed)
    #expect(uLoss <= tol, "\(label): ‖UᵀU − I‖_F = \(uLoss), tolerance \(tol)", sourceLocation: sourceLocation)
    #expect(vLoss <= tol, "\(label): ‖VᵀV − I‖_F = \(vLoss), tolerance \(tol)", sourceLocation: sourceLocation)
    return f
}

/// Expects `got` to match `expected` entrywise within `tol` (absolute).
private func laExpectValues(_ got: [Double], _ expected: [Double], tolerance tol: Double, _ label: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(got.count == expected.count, "\(label): \(got.count) values, expected \(expected.count)",
            sourceLocation: sourceLocation)
    for (k, (g, e)) in zip(got, expected).enumerated() {
        #expect(abs(g - e) <= tol, "\(label): value \(k) expected \(e), got \(g), error \(abs(g - e)), tolerance \(tol)",
                sourceLocation: sourceLocation)
    }
}

struct LAMatrixShape: Sendable, CustomTestStringConvertible {
    let rows: Int, cols: Int
    var testDescription: String { "\(rows)×\(cols)" }
}

@Test("swiftSVD of random matrices: tall, wide, square, vectors, block edges",
      arguments: [LAMatrixShape(rows: 1, cols: 1), .init(rows: 1, cols: 6), .init(rows: 6, cols: 1),
                  .init(rows: 2, cols: 2), .init(rows: 5, cols: 3), .init(rows: 3, cols: 5),
                  .init(rows: 30, cols: 30), .init(rows: 50, cols: 20), .init(rows: 20, cols: 50),
                  .init(rows: 97, cols: 64), .init(rows: 40, cols: 120)])
func swiftSVDRandom(_ shape: LAMatrixShape) throws {
    var rng = SeededGenerator(seed: UInt64(shape.rows * 131 + shape.cols))
    try laCheckSVD(rng.matrix(shape.rows, shape.cols), "random \(shape.testDescription)")
}

@Test("swiftSVD of empty matrices has r = 0", arguments: [LAMatrixShape(rows: 0, cols: 0), .init(rows: 0, cols: 5), .init(rows: 5, cols: 0)])
func swiftSVDEmpty(_ shape: LAMatrixShape) throws {
    let f = try swiftSVD(Matrix(zerosRows: shape.rows, cols: shape.cols))
    #expect(f.singularValues.isEmpty)
    #expect(f.u.rows == shape.rows && f.u.cols == 0, "U is \(f.u.shapeString)")
    #expect(f.vt.rows == 0 && f.vt.cols == shape.cols, "Vt is \(f.vt.shapeString)")
}

@Test("swiftSVD of the zero matrix: all values 0, factors orthonormal",
      arguments: [LAMatrixShape(rows: 1, cols: 1), .init(rows: 7, cols: 4), .init(rows: 4, cols: 7), .init(rows: 5, cols: 5)])
func swiftSVDZero(_ shape: LAMatrixShape) throws {
    let f = try laCheckSVD(Matrix(zerosRows: shape.rows, cols: shape.cols), "zero \(shape.testDescription)")
    #expect(f.singularValues.allSatisfy { $0 == 0 }, "zero matrix: singular values \(f.singularValues)")
}

@Test("swiftSVD closed forms: 1×1, diagonal, 2×2")
func swiftSVDClosedForms() throws {
    let eps = LATolerance.eps
    // 1×1: s = |a|.
    let one = try laCheckSVD(Matrix(uncheckedRows: 1, cols: 1, elements: [-3]), "1×1")
    laExpectValues(one.singularValues, [3], tolerance: 0, "1×1")
    // Diagonal (with a sign, an unsorted order and a zero): s = sorted |d_i|, exactly up to rounding of 1 ulp.
    var d = Matrix(zerosRows: 5, cols: 4)
    for (i, v) in [3.0, -7.0, 0.5, 0].enumerated() { d[i, i] = v }
    let diag = try laCheckSVD(d, "diagonal 5×4")
    laExpectValues(diag.singularValues, [7, 3, 0.5, 0], tolerance: LATolerance.factorisation(size: 5) * 7, "diagonal 5×4")
    // [[3, 0], [4, 5]]: AᵀA = [[25, 20], [20, 25]] has eigenvalues 45 and 5, so s = (3√5, √5).
    let two = try laCheckSVD(try Matrix([[3, 0], [4, 5]]), "2×2")
    let five = 5.0.squareRoot()
    laExpectValues(two.singularValues, [3 * five, five], tolerance: 4 * eps * 3 * five, "2×2")
}

@Test("swiftSVD of a rank-1 outer product u vᵀ has one value |u||v|", arguments: [LAMatrixShape(rows: 9, cols: 6), .init(rows: 6, cols: 9), .init(rows: 8, cols: 8)])
func swiftSVDRankOne(_ shape: LAMatrixShape) throws {
    var rng = SeededGenerator(seed: 99 &+ UInt64(shape.rows))
    let u = (0..<shape.rows).map { _ in rng.uniform() }
    let v = (0..<shape.cols).map { _ in rng.uniform() }
    let a = laProduct(Matrix.column(u), Matrix(uncheckedRows: 1, cols: shape.cols, elements: v))
    let f = try laCheckSVD(a, "rank-1 \(shape.testDescription)")
    let norm = scaledNorm(u) * scaledNorm(v)
    let tol = LATolerance.factorisation(size: max(shape.rows, shape.cols)) * norm
    var expected = [Double](repeating: 0, count: min(shape.rows, shape.cols))
    expected[0] = norm
    laExpectValues(f.singularValues, expected, tolerance: tol, "rank-1 \(shape.testDescription)")
}

@Test("swiftSVD of rank-deficient and prescribed-spectrum matrices",
      arguments: [LAMatrixShape(rows: 40, cols: 30), .init(rows: 30, cols: 40), .init(rows: 25, cols: 25)])
func swiftSVDKnownSpectrum(_ shape: LAMatrixShape) throws {
    var rng = SeededGenerator(seed: 2024 &+ UInt64(shape.rows * 3 + shape.cols))
    let (m, n) = (shape.rows, shape.cols)
    let r = min(m, n)
    // A = Q1[:, :r] diag(σ) Q2[:, :r]ᵀ with σ spanning 1…1e-12 geometrically and five exact zeros (rank r − 5).
    var sigma = (0..<r).map { k in pow(10, -12 * Double(k) / Double(r - 6)) }
    for k in (r - 5)..<r { sigma[k] = 0 }
    let q1 = laRandomOrthogonal(m, &rng), q2 = laRandomOrthogonal(n, &rng)
    let u = Matrix(uncheckedRows: m, cols: r, elements: Array(q1.elements[0..<(m * r)]))
    let v = Matrix(uncheckedRows: n, cols: r, elements: Array(q2.elements[0..<(n * r)]))
    let a = laNaiveProduct(laScaleColumns(u, sigma), false, v, true).product
    let f = try laCheckSVD(a, "spectrum \(shape.testDescription)")
    // Weyl: |σ_i(A + E) − σ_i(A)| ≤ ‖E‖₂, and A itself carries rounding of order size·ε·σ_max.
    laExpectValues(f.singularValues, sigma, tolerance: LATolerance.factorisation(size: max(m, n)) * sigma[0],
                   "spectrum \(shape.testDescription)")
}

@Test("swiftSVD with exactly zero columns or rows completes the factors", arguments: [false, true])
func swiftSVDZeroColumns(_ wide: Bool) throws {
    var rng = SeededGenerator(seed: 11)
    var a = rng.matrix(9, 6)
    for i in 0..<9 {
        a[i, 1] = 0
        a[i, 4] = 0
    }
    if wide { a = a.transposed }
    let f = try laCheckSVD(a, "two zero \(wide ? "rows" : "columns")")
    // Rank 4 exactly: the two smallest singular values are zero (the zero columns are isolated by the pivoting).
    #expect(f.singularValues[4] == 0 && f.singularValues[5] == 0, "trailing values \(f.singularValues.suffix(2))")
}

@Test("swiftSVD is scale-invariant at the extremes of the exponent range", arguments: [1e-300, 1e-160, 1e160, 1e300])
func swiftSVDExtremeScale(_ scale: Double) throws {
    var rng = SeededGenerator(seed: 5)
    let base = rng.matrix(12, 7)
    let a = Matrix(uncheckedRows: 12, cols: 7, elements: base.elements.map { $0 * scale })
    let f = try laCheckSVD(a, "scaled by \(scale)")
    let g = try swiftSVD(base)
    let tol = LATolerance.factorisation(size: 12)
    for (x, y) in zip(f.singularValues, g.singularValues) {
        #expect(abs(x / scale - y) <= tol * g.singularValues[0], "scale \(scale): σ/scale = \(x / scale), unscaled \(y)")
    }
}

// MARK: - Symmetric eigen

@discardableResult
private func laCheckEigen(_ a: Matrix, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) throws
    -> SymmetricEigen {
    let n = a.rows
    let f = try swiftSymmetricEigen(a)
    #expect(f.values.count == n && f.vectors.rows == n && f.vectors.cols == n,
            "\(label): \(f.values.count) values, vectors \(f.vectors.shapeString), expected n = \(n)",
            sourceLocation: sourceLocation)
    guard f.values.count == n, f.vectors.rows == n, f.vectors.cols == n else { return f }
    #expect(zip(f.values, f.values.dropFirst()).allSatisfy { $0 <= $1 }, "\(label): values \(f.values) not ascending",
            sourceLocation: sourceLocation)
    let tol = LATolerance.factorisation(size: n)
    let normA = a.frobeniusNorm
    let residual = laDifference(laProduct(a, f.vectors), laScaleColumns(f.vectors, f.values)).frobeniusNorm
    #expect(residual <= tol * normA, "\(label): ‖AV − VΛ‖_F = \(residual), tolerance \(tol * normA)",
            sourceLocation: sourceLocation)
    let loss = laOrthonormalityError(columnsOf: f.vectors)
    #expect(loss <= tol, "\(label): ‖VᵀV − I‖_F = \(loss), tolerance \(tol)", sourceLocation: sourceLocation)
    return f
}

@Test("swiftSymmetricEigen of random symmetric matrices", arguments: [1, 2, 3, 4, 10, 57, 130])
func swiftSymmetricEigenRandom(_ n: Int) throws {
    var rng = SeededGenerator(seed: UInt64(n) &* 31)
    let x = rng.matrix(n, n)
    var a = x
    for j in 0..<n { for i in 0..<n { a[i, j] = x[i, j] + x[j, i] } }
    try laCheckEigen(a, "random symmetric \(n)")
}

@Test("swiftSymmetricEigen recovers a prescribed spectrum, with repeated eigenvalues")
func swiftSymmetricEigenKnownSpectrum() throws {
    var rng = SeededGenerator(seed: 77)
    let spectra: [[Double]] = [
        [-2, 1, 1, 1, 3, 3, 5],
        [4, 4, 4, 4, 4, 4],  // a multiple of the identity after rotation
        (0..<40).map { Double($0 % 7) - 3 },  // seven values, each repeated
        [1e-8, 1, 1e4, -1e4, 0, 0],
    ]
    for lambda in spectra {
        let a = laSymmetricWithSpectrum(lambda, &rng)
        let f = try laCheckEigen(a, "spectrum \(lambda.count)")
        // Weyl: |λ_i(A + E) − λ_i(A)| ≤ ‖E‖₂; A and the computation each carry n·ε·max|λ|.
        let scale = lambda.map(abs).max()!
        laExpectValues(f.values, lambda.sorted(), tolerance: LATolerance.factorisation(size: lambda.count) * scale,
                       "spectrum \(lambda.count)")
    }
}

@Test("swiftSymmetricEigen edge cases: empty, 1×1, zero, diagonal, tridiagonal, extreme scales")
func swiftSymmetricEigenEdgeCases() throws {
    let empty = try swiftSymmetricEigen(Matrix(zerosRows: 0, cols: 0))
    #expect(empty.values.isEmpty && empty.vectors.rows == 0 && empty.vectors.cols == 0)

    let single = try laCheckEigen(Matrix(uncheckedRows: 1, cols: 1, elements: [-2.5]), "1×1")
    laExpectValues(single.values, [-2.5], tolerance: 0, "1×1")
    #expect(abs(single.vectors[0, 0]) == 1)

    let zero = try laCheckEigen(Matrix(zerosRows: 6, cols: 6), "zero 6×6")
    #expect(zero.values.allSatisfy { $0 == 0 }, "zero matrix: values \(zero.values)")

    var diag = Matrix(zerosRows: 5, cols: 5)
    for (i, v) in [3.0, -1, 0, 3, 2].enumerated() { diag[i, i] = v }
    let dg = try laCheckEigen(diag, "diagonal")
    laExpectValues(dg.values, [-1, 0, 2, 3, 3], tolerance: LATolerance.factorisation(size: 5) * 3, "diagonal")

    // Tridiagonal T = tridiag(1, 2, 1) of order n: λ_k = 2 − 2cos(kπ/(n+1)) = 4 sin²(kπ/(2(n+1))).
    let n = 20
    var t = Matrix(zerosRows: n, cols: n)
    for i in 0..<n {
        t[i, i] = 2
        if i + 1 < n { t[i, i + 1] = 1; t[i + 1, i] = 1 }
    }
    let tf = try laCheckEigen(t, "tridiagonal 20")
    let exact = (1...n).map { k in 2 - 2 * cos(Double(k) * Double.pi / Double(n + 1)) }
    laExpectValues(tf.values, exact, tolerance: LATolerance.factorisation(size: n) * 4, "tridiag(1, 2, 1) of order 20")

    var rng = SeededGenerator(seed: 3)
    for scale in [1e-300, 1e300] {
        let a = laSymmetricWithSpectrum([1, -2, 3, 0.5, 4], &rng)
        let scaled = Matrix(uncheckedRows: 5, cols: 5, elements: a.elements.map { $0 * scale })
        let f = try laCheckEigen(scaled, "scaled by \(scale)")
        laExpectValues(f.values.map { $0 / scale }, [-2, 0.5, 1, 3, 4], tolerance: LATolerance.factorisation(size: 5) * 4,
                       "scaled by \(scale)")
    }
}

// MARK: - Cholesky

@Test("swiftCholeskySolve residual on SPD systems", arguments: [1, 2, 5, 33, 150])
func swiftCholeskySolveResidual(_ n: Int) throws {
    var rng = SeededGenerator(seed: UInt64(n) &+ 4242)
    let x = rng.matrix(n, n)
    var a = laNaiveProduct(x, false, x, true).product
    for i in 0..<n { a[i, i] += 1 }  // λ_min ≥ 1
    for nrhs in [1, 3] {
        let b = rng.matrix(n, nrhs)
        let sol = try swiftCholeskySolve(a, b)
        #expect(sol.rows == n && sol.cols == nrhs)
        let residual = laDifference(laProduct(a, sol), b).frobeniusNorm
        let tol = LATolerance.factorisation(size: n) * a.frobeniusNorm * sol.frobeniusNorm
        #expect(residual <= tol, "n = \(n), \(nrhs) rhs: ‖AX − B‖_F = \(residual), tolerance \(tol)")
    }
}

@Test("swiftCholeskySolve with a known solution of a diagonal system")
func swiftCholeskySolveDiagonal() throws {
    var a = Matrix(zerosRows: 3, cols: 3)
    for (i, v) in [4.0, 9, 0.25].enumerated() { a[i, i] = v }
    let b = try Matrix([[8, 4], [27, 9], [1, 0.5]])
    let sol = try swiftCholeskySolve(a, b)
    laExpectValues(sol.elements, try Matrix([[2, 1], [3, 1], [4, 2]]).elements, tolerance: 4 * LATolerance.eps * 4,
                   "diagonal system")
}

@Test("swiftCholeskySolve edge cases: n = 0, no right-hand sides")
func swiftCholeskySolveEmpty() throws {
    let none = try swiftCholeskySolve(Matrix(zerosRows: 0, cols: 0), Matrix(zerosRows: 0, cols: 3))
    #expect(none.rows == 0 && none.cols == 3)
    let noRHS = try swiftCholeskySolve(laIdentity(4), Matrix(zerosRows: 4, cols: 0))
    #expect(noRHS.rows == 4 && noRHS.cols == 0)
    #expect(throws: TangentFlowError.notPositiveDefinite(operation: "choleskySolve", minor: 1)) {
        try swiftCholeskySolve(Matrix(zerosRows: 2, cols: 2), Matrix(zerosRows: 2, cols: 0))
    }
}

struct LANonSPDCase: Sendable, CustomTestStringConvertible {
    let name: String
    let rows: [[Double]]
    let minor: Int
    var testDescription: String { name }
}

@Test("swiftCholeskySolve names the first leading minor that is not positive definite", arguments: [
    LANonSPDCase(name: "zero", rows: [[0, 0], [0, 0]], minor: 1),
    LANonSPDCase(name: "negative first pivot", rows: [[-1, 0], [0, 1]], minor: 1),
    LANonSPDCase(name: "indefinite 2×2 block", rows: [[1, 2, 0], [2, 1, 0], [0, 0, 1]], minor: 2),
    LANonSPDCase(name: "singular PSD (exact zero pivot)", rows: [[1, 1], [1, 1]], minor: 2),
    LANonSPDCase(name: "negative third diagonal", rows: [[1, 0, 0, 0], [0, 2, 0, 0], [0, 0, -1, 0], [0, 0, 0, 4]], minor: 3),
    LANonSPDCase(name: "NaN pivot", rows: [[1, 0], [0, .nan]], minor: 2),
    LANonSPDCase(name: "infinite pivot", rows: [[.infinity, 0], [0, 1]], minor: 1),
])
func swiftCholeskySolveRejects(_ c: LANonSPDCase) throws {
    let a = try Matrix(c.rows)
    let b = Matrix(zerosRows: a.rows, cols: 1)
    #expect(throws: TangentFlowError.notPositiveDefinite(operation: "choleskySolve", minor: c.minor), "\(c.name)") {
        try swiftCholeskySolve(a, b)
    }
}
