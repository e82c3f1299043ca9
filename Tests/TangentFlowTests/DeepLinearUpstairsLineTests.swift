import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowDeepLinear

/// Lemma 2.2 (straight lines upstairs stay balanced) and the construction (3.64)–(3.73) of the proof of Thm 2.3,
/// checked directly against Thm 3.10: the line is balanced and horizontal, its image is (2.9), lengths agree.
@Suite struct DeepLinearUpstairsLineTests {
    /// `X_p = R_p Σ^{1/N} R_{p−1}ᵀ` for explicit frames `R_0..R_N`.
    static func network(_ frames: [Matrix], _ sigma: [Double]) throws -> DeepLinearNetwork {
        let n = frames.count - 1
        let root = sigma.map { pow($0, 1 / Double(n)) }
        return try DeepLinearNetwork(factors: (1...n).map { DLN.compose(frames[$0], root, frames[$0 - 1]) })
    }

    /// Lemma 2.2(1)/(3.51): the formula `2t(1−t)S_p` equals the defects of the line computed directly from its
    /// factors, for balanced endpoints whose relative rotations `O_p = Q_pᵀR_p` differ (so `S_p ≠ 0`).
    @Test(arguments: [2, 3, 4]) func lineDefectsMatchTheDirectComputation(_ depth: Int) throws {
        let qs = (0...depth).map { DLN.orthogonal(3, seed: 100 + UInt64($0)) }
        let rs = (0...depth).map { DLN.orthogonal(3, seed: 200 + UInt64($0)) }
        let x = try Self.network(qs, [2, 1, 0.5]), y = try Self.network(rs, [0.7, 1.5, 3])
        #expect(try x.balancednessDefects().allSatisfy { $0.maxAbs <= 1e-13 })
        let line = try UpstairsLine(from: x, to: y)
        let s = try line.balancednessDefects()
        #expect(s.map(\.maxAbs).max()! > 1e-2, "the relative rotations differ: the line is not balanced")
        for t in [0.25, 0.5, 0.9] {
            let direct = try line.network(at: t).balancednessDefects()
            for (p, (a, b)) in zip(direct, s).enumerated() {
                #expect(DenseOps.sub(a, DenseOps.scale(2 * t * (1 - t), b)).maxAbs <= 1e-13, "t = \(t), p = \(p + 1)")
            }
        }
    }

    /// Lemma 2.2(2): one relative rotation `O` for all `p` (`R_p = Q_p O`) makes every `S_p` vanish, the line is
    /// balanced at every `t` and its factors stay invertible.
    @Test func constantRelativeRotationGivesBalancedLines() throws {
        let depth = 3
        let qs = (0...depth).map { DLN.orthogonal(3, seed: 300 + UInt64($0)) }
        let o = DLN.orthogonal(3, seed: 399)
        let x = try Self.network(qs, [2, 1, 0.5]), y = try Self.network(qs.map { DLN.mul($0, o) }, [0.7, 1.5, 3])
        let line = try UpstairsLine(from: x, to: y)
        #expect(try line.relativeBalancednessDefect() <= 1e-14)
        for t in stride(from: 0.0, through: 1.0, by: 0.125) {
            let n = try line.network(at: t)
            #expect(try n.balancednessDefects().allSatisfy { $0.maxAbs <= 1e-12 }, "t = \(t)")
            for f in n.factors { #expect(try CBackend().svd(f).singularValues.last! > 0.1, "factor invertible at t = \(t)") }
        }
    }

    /// (3.64)–(3.73) with Thm 3.10, for shared singular vectors: the line is balanced, its velocity horizontal at
    /// every t (vertical part ≤ 1e-12), its image is the closed form (2.9) (an independent formula), and the
    /// upstairs length equals √N‖Σ_1^{1/N} − Σ_0^{1/N}‖_F; random interior frames Q_p change none of this.
    @Test(arguments: [2, 3, 5]) func theorem23ConstructionIsAHorizontalGeodesic(_ depth: Int) throws {
        let (w0, w1, _, _) = DeepLinearGeodesicTests.sharedPair()
        let qs = (1..<depth).map { DLN.orthogonal(3, seed: 500 + UInt64($0)) }
        let line = try UpstairsLine.theorem23(from: w0, to: w1, depth: depth, orthogonals: qs)
        let explicit = try SharedSingularVectorGeodesic(from: w0, to: w1, depth: .finite(depth))
        #expect(try line.relativeBalancednessDefect() <= 1e-14)
        for t in [0.0, 0.3, 0.5, 1.0] {
            #expect(try line.horizontalDefect(at: t) <= 1e-12, "vertical part at t = \(t)")
            #expect(DLN.close(try line.endToEnd(at: t), try explicit.point(at: t)) <= 1e-13, "φ(X(t)) at t = \(t)")
        }
        #expect(Swift.abs(line.length - explicit.length!) <= 1e-13 * explicit.length!)
    }

    /// The paper's claim after (3.73) fails without shared singular vectors: for two SPD endpoints (R = I, the
    /// "symmetric" case of Rem. 2.4) with non-commuting polar parts, the line (3.66)→(3.70) with `O = U_0ᵀU_1` is
    /// balanced (Lemma 2.2(2)) but not horizontal — its vertical part is of order 0.1, so Thm 3.10 does not apply.
    @Test func symmetricNonCommutingEndpointsGiveAVerticalLine() throws {
        let a = DLN.spd(3, seed: 31, shift: 0.8), b = DLN.spd(3, seed: 32, shift: 0.8)
        let c = CBackend()
        let sa = try c.svd(a), sb = try c.svd(b)
        let depth = 3
        // X_p = Q_p Σ_a^{1/N} Q_{p−1}ᵀ with all Q = U_a (= V_a for SPD), Y with R_p = U_b = Q_p·O.
        let x = try Self.network(Array(repeating: sa.u, count: depth + 1), sa.singularValues)
        let y = try Self.network(Array(repeating: sb.u, count: depth + 1), sb.singularValues)
        let xa = try x.endToEnd(), yb = try y.endToEnd()
        #expect(DLN.close(xa, a) <= 1e-13 && DLN.close(yb, b) <= 1e-13)
        let line = try UpstairsLine(from: x, to: y)
        #expect(try line.relativeBalancednessDefect() <= 1e-14)
        let vertical = try line.horizontalDefect(at: 0)
        #expect(vertical > 1e-2, "vertical part \(vertical)")
    }

    @Test func mismatchedEndpointsAreRefused() throws {
        let x = try DeepLinearNetwork.balanced(endToEnd: DenseOps.identity(3), depth: 2)
        let y = try DeepLinearNetwork.balanced(endToEnd: DenseOps.identity(3), depth: 3)
        #expect(throws: TangentFlowError.self) { try UpstairsLine(from: x, to: y) }
        #expect(throws: TangentFlowError.self) { try UpstairsLine(from: x, to: x).horizontalDefect(at: 0) }
    }
}
