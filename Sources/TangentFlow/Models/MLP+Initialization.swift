extension MLP {
    /// Initial parameters `θ₀` for this network and parametrisation, reproducible from `seed`:
    ///
    /// ```
    /// standard:  W_ij ~ N(0, 1/M_{ℓ−1}),  b = 0        (so zˡ has O(1) variance: 1/√fan-in)
    /// ntk:       W_ij ~ N(0, 1), b_i ~ N(0, 1)         (the scale sits in the forward pass)
    /// ```
    /// Layout as `MLP` (row-major `Wˡ`, then `bˡ`).
    public func initialParameters(seed: UInt64) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        var theta = [Double](repeating: 0, count: parameterCount)
        var k = 0
        for l in 1...depth {
            let fanIn = widths[l - 1]
            let std: Double
            switch parametrization {
            case .standard: std = 1 / Double(fanIn).squareRoot()
            case .ntk: std = 1
            }
            for _ in 0..<(widths[l] * fanIn) {
                theta[k] = std * rng.nextGaussian()
                k += 1
            }
            for _ in 0..<widths[l] {
                if case .ntk = parametrization { theta[k] = rng.nextGaussian() }
                k += 1
            }
        }
        return theta
    }
}
