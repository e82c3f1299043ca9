@testable import TangentFlow

/// Small deterministic problems shared by the tests.
enum Fixtures {
    /// A random `rows×cols` Gaussian matrix.
    static func gaussian(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix {
        var rng = SeededGenerator(seed: seed)
        return try! Matrix.gaussian(rows: rows, cols: cols, using: &rng)
    }

    /// A random `rows×cols` matrix of exact rank `rank` (product of Gaussian factors).
    static func lowRank(_ rows: Int, _ cols: Int, rank: Int, seed: UInt64) -> Matrix {
        if rank == 0 { return Matrix(zerosRows: rows, cols: cols) }
        let a = gaussian(rows, rank, seed: seed)
        let b = gaussian(rank, cols, seed: seed &+ 1)
        return try! SwiftBackend().multiply(a, transposeA: false, b, transposeB: false)
    }

    /// A small MLP, its parameters and inputs.
    static func smallMLP(
        widths: [Int] = [3, 7, 5, 2], activation: Activation = .tanh, samples: Int = 4, seed: UInt64 = 7,
        parametrization: MLP.Parametrization = .standard
    ) -> (MLP, [Double], Matrix) {
        let net = try! MLP(widths: widths, activation: activation, parametrization: parametrization)
        var theta = net.initialParameters(seed: seed)
        // Non-zero biases so that bias paths are exercised in the standard parametrisation too.
        var rng = SeededGenerator(seed: seed &+ 99)
        for l in 1...net.depth {
            let off = net.weightOffset(layer: l) + widths[l] * widths[l - 1]
            for r in 0..<widths[l] { theta[off + r] += 0.3 * rng.nextGaussian() }
        }
        let x = gaussian(samples, widths[0], seed: seed &+ 3)
        return (net, theta, x)
    }
}

/// Relative error `‖a − b‖_F / max(‖b‖_F, tiny)`.
func relativeError(_ a: Matrix, _ b: Matrix) -> Double {
    precondition(a.rows == b.rows && a.cols == b.cols, "shape \(a.shapeString) vs \(b.shapeString)")
    var diff = a
    for k in 0..<diff.elements.count { diff.elements[k] -= b.elements[k] }
    return diff.frobeniusNorm / Swift.max(b.frobeniusNorm, Double.leastNormalMagnitude)
}

/// Relative error of vectors.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    relativeError(Matrix.column(a), Matrix.column(b))
}

/// Named tolerances, in units of ε = 2.2e-16 scaled by problem size where noted.
enum Tolerance {
    static let eps = Double.ulpOfOne
    /// Two backends computing the same small product-of-sums (kernels of depth ≤ 4, sizes ≤ 100).
    static let backendAgreement = 1e-12
    /// Structured NTK vs `DDᵀ` (issue #11: 1e-12 relative in float64).
    static let gram = 1e-12
    /// Central finite differences with step h ≈ ε^{1/3}: truncation O(h²) ≈ 1e-11 times third derivatives.
    static let finiteDifference = 1e-7
}
