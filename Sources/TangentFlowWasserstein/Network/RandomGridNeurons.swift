// The initialisation of the notes' §1.1 experiment (Mercklé, file 004): "Initialization is a random grid, with an
// output norm close to zero". Neurons sit on a jittered regular grid of the parameter plane; every grid point
// carries one neuron of each output sign, jittered independently, so the two nearly cancel and the network's
// output starts close to zero whatever the grid's extent.

import TangentFlow

/// A random-grid initialisation of a two-layer ReLU network with fixed signs (§1.1 of Mercklé, *Wasserstein
/// gradient flow of two-layer ReLU networks*, 2024).
///
/// ```
/// grid:    g_{kl} = (−R + 2R k/(q−1),  −R + 2R l/(q−1)),   k, l = 0 … q−1   (neuron (a, b) acts as max(0, a x + b))
/// neurons: w_{kl}^± = g_{kl} + jitter · h · u^±_{kl},      u ~ Uniform[−½, ½]²,  h = 2R/(q−1) the spacing
/// signs:   α = +1 for w^+, −1 for w^−                        (m = 2q² neurons)
/// output:  f(x) = Σ_{kl} max(0, ⟨w^+_{kl}, x⟩) − max(0, ⟨w^−_{kl}, x⟩),  |f(x)| ≤ Σ_{kl} |⟨w^+_{kl} − w^−_{kl}, x⟩|
/// ```
/// so the output is `O(jitter · h · q²)` and zero for `jitter = 0` (the bound in the last line is what "output norm
/// close to zero" means here). Rows `2(k + q·l)` and `2(k + q·l) + 1` hold `w^+_{kl}` and `w^−_{kl}`.
public struct RandomGridNeurons: Sendable {
    /// Neurons, `m×2`, one per row (slope, bias).
    public let neurons: Matrix
    /// Output signs `α_i`, alternating `+1, −1`.
    public let signs: [Double]
    /// Grid points per axis `q`.
    public let pointsPerAxis: Int
    /// Grid half-width `R`.
    public let extent: Double

    /// The random grid of `q×q` points on `[−R, R]²`, each point carrying a `+` and a `−` neuron jittered by
    /// `jitter · h` (equation in the type's documentation), drawn from `seed`.
    ///
    /// - Parameters:
    ///   - pointsPerAxis: `q ≥ 2`.
    ///   - extent: `R > 0`, finite.
    ///   - jitter: `≥ 0`, finite, as a fraction of the spacing `h`.
    ///   - seed: the generator's seed.
    /// - Throws: `.invalidArgument` for `q < 2`, `q > 64`, `R ≤ 0`, a negative or non-finite jitter.
    public init(pointsPerAxis q: Int, extent: Double, jitter: Double, seed: UInt64) throws {
        let op = "RandomGridNeurons"
        try requireAtLeast(q, 2, op, "pointsPerAxis")
        guard q <= 64 else { throw TangentFlowError.invalidArgument(operation: op, reason: "pointsPerAxis must be ≤ 64 (8,192 neurons), got \(q)") }
        try requirePositive(extent, op, "extent R")
        try requireNonNegative(jitter, op, "jitter")
        let h = 2 * extent / Double(q - 1)
        var rng = SeededGenerator(seed: seed)
        let m = 2 * q * q
        var w = [Double](repeating: 0, count: 2 * m)
        for l in 0..<q {
            for k in 0..<q {
                let (a, b) = (-extent + h * Double(k), -extent + h * Double(l))
                for s in 0..<2 {
                    let i = 2 * (k + q * l) + s
                    w[i] = a + jitter * h * (rng.nextUniform() - 0.5)
                    w[i + m] = b + jitter * h * (rng.nextUniform() - 0.5)
                }
            }
        }
        self.neurons = Matrix(uncheckedRows: m, cols: 2, elements: w)
        self.signs = (0..<m).map { $0 % 2 == 0 ? 1 : -1 }
        self.pointsPerAxis = q
        self.extent = extent
    }
}
