/// A small, fast, reproducible random number generator (xoshiro256**, seeded through SplitMix64), so that
/// `--seed S` gives the same parameters and data on every machine and Swift version.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose whole stream is determined by `seed`.
    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    /// A uniform double in `[0, 1)` with 53 random bits.
    public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A standard normal sample (Box–Muller; the first of each pair is used).
    public mutating func nextGaussian() -> Double {
        var u = nextUniform()
        while u == 0 { u = nextUniform() }
        let v = nextUniform()
        return (-2 * u.log).squareRoot() * cospi2(v)
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

private extension Double {
    var log: Double { Foundation.log(self) }
}

private func cospi2(_ v: Double) -> Double { Foundation.cos(2 * Double.pi * v) }

import Foundation

extension Matrix {
    /// A `rows×cols` matrix of independent standard normal entries from `generator`.
    /// - Throws: `.invalidArgument` for a negative dimension.
    public static func gaussian(rows: Int, cols: Int, using generator: inout SeededGenerator) throws -> Matrix {
        var m = try Matrix(rows: rows, cols: cols)
        for k in 0..<m.elements.count { m.elements[k] = generator.nextGaussian() }
        return m
    }
}
