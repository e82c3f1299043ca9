import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowDeepLinear
@testable import TangentFlowIO

/// Open problem 2 of file 002: DLN distances between endpoints of rank < d, by regularising to rank d and
/// shooting. Checked against the closed form (2.9) extended to singular endpoints with shared singular vectors,
/// against the regularised closed form at each ε (shooting forced), the Mirsky lower bound, and the certified bar.
@Suite struct RankDeficientDistanceTests {
    static func flatDistance(_ s0: [Double], _ s1: [Double], depth: Int) -> Double {
        let n = Double(depth)
        return n.squareRoot() * zip(s0, s1).map { pow(pow($1, 1 / n) - pow($0, 1 / n), 2) }.reduce(0, +).squareRoot()
    }

    /// One singular endpoint, shared frames, N = 2: shooting (forced) between the regularised endpoints reproduces
    /// the regularised closed form at every ε, the bar |L(ε) − d| ≤ √N(√k₀ + √k₁)(εs)^{1/N} holds and the error
    /// shrinks like ε^{1/N}, the interval holds the exact distance, and extrapolation beats the last level.
    @Test func sharedFrameSingularStartByShooting() throws {
        let depth = 2
        let u = DLN.orthogonal(2, seed: 301), v = DLN.orthogonal(2, seed: 302)
        let s0 = [1.5, 0.0], s1 = [0.6, 1.2]
        let w0 = DLN.compose(u, s0, v), w1 = DLN.compose(u, s1, v)
        let exact = Self.flatDistance(s0, s1, depth: depth)
        let r = try RankDeficientDistance(from: w0, to: w1, depth: depth, epsilons: [1e-1, 1e-2, 1e-3], method: .shooting)
        #expect(r.ranks.start == 1 && r.ranks.end == 2)
        let closed = try #require(r.closedForm)
        #expect(Swift.abs(closed - exact) <= 1e-12 * exact, "closed form \(closed) vs \(exact)")
        #expect(r.lowerBound <= exact * (1 + 1e-12))
        var lastError = Double.infinity
        for level in r.levels {
            #expect(level.method == .shooting)
            let regularised = Self.flatDistance([1.5, level.epsilon * 1.5], s1, depth: depth)
            #expect(Swift.abs(level.length - regularised) <= 1e-7 * regularised, "ε = \(level.epsilon): \(level.length) vs \(regularised)")
            let error = Swift.abs(level.length - exact)
            #expect(error <= level.bound, "ε = \(level.epsilon): error \(error) > bar \(level.bound)")
            #expect(error < lastError / 2, "ε = \(level.epsilon): error \(error) did not shrink (last \(lastError))")
            lastError = error
        }
        let (lower, upper) = r.interval
        #expect(lower <= exact && exact <= upper, "[\(lower), \(upper)] vs \(exact)")
        let extrapolated = try #require(r.extrapolated)
        #expect(Swift.abs(extrapolated - exact) < lastError / 5, "extrapolated \(extrapolated), exact \(exact), last error \(lastError)")
    }

    /// A null space common to both endpoints (shared frames, N = 3) is filled identically at both ends: the
    /// regularised endpoints still share a frame, the closed form applies at every ε and is exact (the ε-entries
    /// cancel), equal to the rank-1 distance √N|b^{1/N} − a^{1/N}|.
    @Test func commonNullSpaceIsExactAtEveryEpsilon() throws {
        let depth = 3
        let u = DLN.orthogonal(3, seed: 311), v = DLN.orthogonal(3, seed: 312)
        let w0 = DLN.compose(u, [2, 0.7, 0], v), w1 = DLN.compose(u, [0.5, 1.1, 0], v)
        let exact = Self.flatDistance([2, 0.7], [0.5, 1.1], depth: depth)
        let r = try RankDeficientDistance(from: w0, to: w1, depth: depth, epsilons: [1e-1, 1e-4])
        #expect(r.ranks.start == 2 && r.ranks.end == 2)
        for level in r.levels {
            #expect(level.method == .explicit, "ε = \(level.epsilon): the regularised endpoints left the shared frame")
            #expect(Swift.abs(level.length - exact) <= 1e-12 * exact, "ε = \(level.epsilon): \(level.length) vs \(exact)")
        }
        #expect(Swift.abs(try #require(r.closedForm) - exact) <= 1e-12 * exact)
    }

    /// No shared frames (a rank-1 start, a general invertible end, N = 2): no closed form, so the checks are the
    /// ones the method guarantees — every level at least the Mirsky bound of its own (lifted) endpoints, and
    /// L(ε) + δ(ε) at least that of the singular ones; the levels' bars overlapping (Cauchy); the interval non-empty
    /// and no wider than the last level's bar.
    @Test func generalSingularStartIsBracketed() throws {
        let depth = 2
        let w0 = DLN.compose(DLN.orthogonal(2, seed: 321), [1.3, 0], DLN.orthogonal(2, seed: 322))
        let w1 = try Matrix([[0.9, 0.4], [-0.3, 1.2]])
        let r = try RankDeficientDistance(from: w0, to: w1, depth: depth, epsilons: [1e-1, 1e-3])
        #expect(r.closedForm == nil)
        for level in r.levels {
            #expect(level.method == .shooting)
            let own = try RankDeficientDistance.lowerBound(level.start, level.end, depth: depth)
            #expect(level.length >= own * (1 - 1e-12), "ε = \(level.epsilon): \(level.length) below its endpoints' bound \(own)")
            #expect(level.length + level.bound >= r.lowerBound, "ε = \(level.epsilon): \(level.length) + \(level.bound) < \(r.lowerBound)")
            let shot = try #require(level.shooting)
            #expect(shot.hamiltonianDrift <= 1e-9 && shot.residual <= 1e-9)
        }
        for i in 0..<r.levels.count {
            for j in (i + 1)..<r.levels.count {
                let a = r.levels[i], b = r.levels[j]
                #expect(Swift.abs(a.length - b.length) <= a.bound + b.bound, "ε = \(a.epsilon), \(b.epsilon): \(a.length) vs \(b.length)")
            }
        }
        let (lower, upper) = r.interval
        #expect(lower <= upper, "empty interval [\(lower), \(upper)]")
        #expect(upper - lower <= 2 * r.levels.last!.bound * (1 + 1e-12))
    }

    /// The ingredient of the bar: the curve U diag(Σ_r, (t(εs)^{1/N})^N) Vᵀ from W to W_ε has length
    /// √N·√k·(εs)^{1/N}; integrated here with the metric (1.7) on t ∈ [10⁻³, 1] (geometric spacing, 4000 points:
    /// midpoint-rule error ~ (Δt/t)² ≈ 3e-6), so (1 − 10⁻³) of it.
    @Test func barPathHasTheStatedLength() throws {
        let depth = 3, e = 1e-3, c = pow(e, 1 / 3.0)
        let u = DLN.orthogonal(3, seed: 331), v = DLN.orthogonal(3, seed: 332)
        let points = (0...4000).map { idx -> Matrix in
            let t = pow(1e-3, 1 - Double(idx) / 4000)
            return DLN.compose(u, [1.4, pow(t * c, 3), pow(t * c, 3)], v)
        }
        let measured = try DeepLinearMetric.pathLengthAndEnergy(of: points, depth: depth).length
        let expected = (1 - 1e-3) * Double(depth).squareRoot() * 2.0.squareRoot() * c
        #expect(Swift.abs(measured - expected) <= 2e-5 * expected, "\(measured) vs \(expected)")
    }

    /// The Mirsky bound holds for shot geodesics between random invertible endpoints too.
    @Test func lowerBoundHoldsForShotGeodesics() throws {
        for seed in UInt64(341)...UInt64(343) {
            let a = DLN.spd(2, seed: seed, shift: 0.6), b = DLN.mul(DLN.orthogonal(2, seed: seed + 10), DLN.spd(2, seed: seed + 20, shift: 0.6))
            guard DenseOps.determinantSign(a) == DenseOps.determinantSign(b) else { continue }
            let d = try DeepLinearDistance(from: a, to: b, depth: 2, method: .shooting)
            let bound = try RankDeficientDistance.lowerBound(a, b, depth: 2)
            #expect(d.length >= bound * (1 - 1e-12), "seed \(seed): \(d.length) < \(bound)")
        }
    }

    @Test func refusals() throws {
        let id = DenseOps.identity(2), zero = Matrix(zerosRows: 2, cols: 2), sing = DenseOps.diagonal([1, 0])
        #expect(throws: TangentFlowError.self) { try RankDeficientDistance(from: id, to: DenseOps.diagonal([2, 1]), depth: 2, epsilons: [1e-2]) }
        #expect(throws: TangentFlowError.self) { try RankDeficientDistance(from: zero, to: zero, depth: 2, epsilons: [1e-2]) }
        #expect(throws: TangentFlowError.self) { try RankDeficientDistance(from: sing, to: id, depth: 2, epsilons: []) }
        #expect(throws: TangentFlowError.self) { try RankDeficientDistance(from: sing, to: id, depth: 2, epsilons: [0]) }
        #expect(throws: TangentFlowError.self) { try RankDeficientDistance(from: sing, to: id, depth: 2, epsilons: [2]) }
        #expect(throws: TangentFlowError.self) { try RankDeficientDistance(from: sing, to: id, depth: 0, epsilons: [1e-2]) }
        var bad = sing
        bad.elements[0] = .nan
        #expect(throws: TangentFlowError.self) { try RankDeficientDistance(from: bad, to: id, depth: 2, epsilons: [1e-2]) }
        #expect(throws: TangentFlowError.self) { try RankDeficientDistance(from: sing, to: DenseOps.identity(3), depth: 2, epsilons: [1e-2]) }
    }
}

/// `tangentflow dln distance --method regularized` against the closed form, and its refusals.
@Suite(.serialized) struct RankDeficientDistanceCLITests {
    @Test func regularizedDistanceBracketsTheClosedForm() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let u = DLN.orthogonal(2, seed: 351), v = DLN.orthogonal(2, seed: 352)
        try NpyFile.write(DLN.compose(u, [2.0, 0], v), to: dir + "/S.npy")
        try NpyFile.write(DLN.compose(u, [0.5, 0.8], v), to: dir + "/B.npy")
        let exact = RankDeficientDistanceTests.flatDistance([2.0, 0], [0.5, 0.8], depth: 2)
        let r = try CLIRunner.run(["dln", "distance", "--a", dir + "/S.npy", "--b", dir + "/B.npy", "--depth", "2", "--method", "regularized",
                                   "--epsilons", "1e-2,1e-4", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let res = try #require(object["results"] as? [String: Any])
        #expect(res["method"] as? String == "regularized")
        #expect(res["rank_a"] as? Int == 1 && res["rank_b"] as? Int == 2)
        let closed = try #require(res["closed_form"] as? Double)
        #expect(Swift.abs(closed - exact) <= 1e-12 * exact)
        let lower = try #require(res["lower"] as? Double), upper = try #require(res["upper"] as? Double)
        #expect(lower <= exact && exact <= upper, "[\(lower), \(upper)] vs \(exact)")
        // Shared frames: each level is the regularised closed form (its own ε-entry 2ε).
        let lengths = try #require(res["lengths"] as? [Double])
        for (e, length) in zip([1e-2, 1e-4], lengths) {
            let regularised = RankDeficientDistanceTests.flatDistance([2.0, 2 * e], [0.5, 0.8], depth: 2)
            #expect(Swift.abs(length - regularised) <= 1e-12 * regularised, "ε = \(e): \(length) vs \(regularised)")
        }

        let plain = try CLIRunner.run(["dln", "distance", "--a", dir + "/S.npy", "--b", dir + "/B.npy", "--depth", "2"])
        #expect(plain.status == 65)
        #expect(plain.stderr.contains("--method regularized"), "\(plain.stderr)")
        for bad in ["0", "1e-2,,1e-3", "2", "nan", "1,2,3,4,5,6,7,8,9"] {
            let b = try CLIRunner.run(["dln", "distance", "--a", dir + "/S.npy", "--b", dir + "/B.npy", "--method", "regularized", "--epsilons", bad])
            #expect(b.status == 64 && b.stderr.contains("--epsilons"), "--epsilons \(bad): \(b.status) \(b.stderr)")
        }
        let both = try CLIRunner.run(["dln", "distance", "--a", dir + "/B.npy", "--b", dir + "/B.npy", "--method", "regularized"])
        #expect(both.status == 65, "\(both.stderr)")
    }
}
