import Foundation

@testable import TangentFlow
@testable import TangentFlowTruncation

/// Deterministic problems and finite-difference helpers for the truncation tests (file 003).
enum TruncationFixtures {
    /// A 2-D rotation by `angle`.
    static func rotation(_ angle: Double) -> Matrix {
        try! Matrix([[cos(angle), -sin(angle)], [sin(angle), cos(angle)]])
    }

    /// A random orthogonal `q×q` matrix (`UVᵀ` of a Gaussian matrix's SVD).
    static func orthogonal(_ q: Int, seed: UInt64) -> Matrix {
        let svd = try! CBackend().svd(Fixtures.gaussian(q, q, seed: seed))
        return TruncationAlgebra.multiply(svd.u, svd.vt)
    }

    /// Gaussian clusters: cluster `j` centred at `centres[j]` with spread `spread`, labels `labels[j]`.
    static func clusters(centres: [[Double]], labels: [[Double]], perCluster: Int, spread: Double, seed: UInt64) -> ClusteredTrainingData {
        var rng = SeededGenerator(seed: seed)
        let q = centres[0].count
        let cs = centres.map { c in
            try! Matrix(rows: perCluster, cols: q, rowMajor: (0..<perCluster).flatMap { _ in (0..<q).map { c[$0] + spread * rng.nextGaussian() } })
        }
        return try! ClusteredTrainingData(clusters: cs, labels: labels)
    }

    /// Random data: `k` clusters of `perCluster` Gaussian points in `R^q`, random labels.
    static func randomData(q: Int, clusters k: Int, perCluster: Int, seed: UInt64) -> ClusteredTrainingData {
        var rng = SeededGenerator(seed: seed)
        let centres = (0..<k).map { _ in (0..<q).map { _ in rng.nextGaussian() } }
        let labels = (0..<k).map { _ in (0..<q).map { _ in 2 * rng.nextGaussian() } }
        return clusters(centres: centres, labels: labels, perCluster: perCluster, spread: 1, seed: seed &+ 1)
    }

    /// Random adapted parameters: `L` random rotations, Gaussian shifts of scale `shiftScale`.
    static func randomAdapted(q: Int, layers: Int, shiftScale: Double = 0.5, seed: UInt64) -> AdaptedParameters {
        var rng = SeededGenerator(seed: seed)
        let rs = (0..<layers).map { orthogonal(q, seed: seed &+ UInt64(10 + $0)) }
        let bs = (0..<layers).map { _ in (0..<q).map { _ in shiftScale * rng.nextGaussian() } }
        return try! AdaptedParameters(rotations: rs, shifts: bs)
    }

    /// A random well-conditioned `q×q` matrix `I + 0.3·G`.
    static func generalWeight(_ q: Int, seed: UInt64) -> Matrix {
        var w = Fixtures.gaussian(q, q, seed: seed)
        for k in 0..<w.elements.count { w.elements[k] *= 0.3 }
        for i in 0..<q { w[i, i] += 1 }
        return w
    }

    /// The Givens rotation `exp(ε(E_ab − E_ba))`.
    static func givens(_ q: Int, _ a: Int, _ b: Int, _ eps: Double) -> Matrix {
        var g = try! Matrix.identity(q)
        g[a, a] = cos(eps)
        g[b, b] = cos(eps)
        g[a, b] = sin(eps)
        g[b, a] = -sin(eps)
        return g
    }

    /// Central difference `(f(h) − f(−h))/(2h)`.
    static func central(_ h: Double, _ f: (Double) throws -> Double) rethrows -> Double {
        (try f(h) - f(-h)) / (2 * h)
    }

    /// The `Ω` that finite differences of `cost` along `R_ℓ ← exp(ε(E_ab − E_ba))R_ℓ` imply:
    /// `dC/dε = Tr(AΩ) = −2Ω_ab`, so `Ω_ab = −½ dC/dε` (Lemma 6.1).
    static func omegaByFiniteDifferences(_ p: AdaptedParameters, layer l: Int, h: Double = 1e-6, _ cost: (AdaptedParameters) throws -> Double) throws -> Matrix {
        let q = p.width
        var o = Matrix(zerosRows: q, cols: q)
        for a in 0..<q {
            for b in (a + 1)..<q {
                let d = try central(h) { e in
                    var pe = p
                    pe.rotations[l] = TruncationAlgebra.multiply(givens(q, a, b, e), p.rotations[l])
                    return try cost(pe)
                }
                o[a, b] = -0.5 * d
                o[b, a] = 0.5 * d
            }
        }
        return o
    }

    /// `∂C/∂β^{(ℓ)}` by central differences.
    static func shiftGradientByFiniteDifferences(_ p: AdaptedParameters, layer l: Int, h: Double = 1e-6, _ cost: (AdaptedParameters) throws -> Double) throws -> [Double] {
        try (0..<p.width).map { r in
            try central(h) { e in
                var pe = p
                pe.shifts[l][r] += e
                return try cost(pe)
            }
        }
    }
}
