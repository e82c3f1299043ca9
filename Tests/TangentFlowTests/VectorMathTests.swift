import CKernels
import Foundation
import Testing

@testable import TangentFlow

/// The vectorised exp/log/tanh of `CKernels/vmath.c` (glibc libmvec, picked at run time) against the scalar libm
/// functions Swift calls: within glibc's documented 4 ulp on a sweep that crosses every branch of the vector
/// code (tiny, moderate, saturating arguments; ±0, ±∞, NaN) and lengths that leave a scalar tail.
@Suite struct VectorMathTests {
    static func ulpDistance(_ a: Double, _ b: Double) -> Double {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN ? 0 : .infinity }
        if a == b { return 0 }
        if a.isInfinite || b.isInfinite { return .infinity }
        return abs(a - b) / max(a.ulp, b.ulp)
    }

    /// Worst ulp distance of `vector` from `scalar` over prefixes of `values` (full length, one less, 7, 3).
    static func worstUlp(_ values: [Double], vector: (Int, UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void,
                         scalar: (Double) -> Double) -> (ulp: Double, at: Double) {
        var worst = (ulp: 0.0, at: 0.0)
        for count in [values.count, values.count - 1, 7, 3] where count > 0 {
            let x = Array(values.prefix(count))
            var y = [Double](repeating: .nan, count: count)
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in vector(count, xp.baseAddress!, yp.baseAddress!) }
            }
            for (xi, yi) in zip(x, y) {
                let d = ulpDistance(yi, scalar(xi))
                if d > worst.ulp { worst = (d, xi) }
            }
        }
        return worst
    }

    static var arguments: [Double] {
        var v: [Double] = [0, -0.0, 1e-300, -1e-300, 1e-17, -3e-9, 1e-5, .infinity, -.infinity, .nan]
        var rng = SeededGenerator(seed: 11)
        for _ in 0..<2000 {
            let magnitude = pow(10, Double.random(in: -4...2, using: &rng))
            v.append(Double.random(in: -1...1, using: &rng) * magnitude)
        }
        for k in -40...40 { v.append(Double(k) * 0.5) }
        return v
    }

    @Test func tanhMatchesLibmWithinFourUlp() {
        let w = Self.worstUlp(Self.arguments, vector: { ck_vtanh($0, $1, $2) }, scalar: { Foundation.tanh($0) })
        #expect(w.ulp <= 4, "tanh: \(w.ulp) ulp at x = \(w.at) (vmath level \(ck_vmath_level()))")
    }

    @Test func tanhWorksInPlaceAndSaturates() {
        var z: [Double] = [-800, -20, -1e-12, 0, 1e-12, 20, 800, 0.3, -0.3]
        let expected = z.map { Foundation.tanh($0) }
        let n = z.count
        z.withUnsafeMutableBufferPointer { ck_vtanh(n, $0.baseAddress!, $0.baseAddress!) }
        for (a, b) in zip(z, expected) { #expect(Self.ulpDistance(a, b) <= 4, "tanh in place: \(a) vs \(b)") }
        #expect(z[0] == -1 && z[6] == 1)
    }

    @Test func expAndLogMatchLibmWithinFourUlp() {
        let args = Self.arguments.filter { abs($0) < 700 || !$0.isFinite }
        let e = Self.worstUlp(args, vector: { ck_vexp($0, $1, $2) }, scalar: { Foundation.exp($0) })
        #expect(e.ulp <= 4, "exp: \(e.ulp) ulp at x = \(e.at)")
        let l = Self.worstUlp(args.map { abs($0) }, vector: { ck_vlog($0, $1, $2) }, scalar: { Foundation.log($0) })
        #expect(l.ulp <= 4, "log: \(l.ulp) ulp at x = \(l.at)")
    }
}
