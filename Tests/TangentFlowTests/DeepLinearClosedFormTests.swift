import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowDeepLinear

/// Closed forms beyond (2.9): the rotation case (commuting normal factors) and the symmetric-endpoint case of
/// Rem. 2.4, each checked against the Hamiltonian's equations (Thm 2.1) and against shooting.
@Suite struct DeepLinearClosedFormTests {
    /// A rotation of R³ by angle θ about a fixed axis, conjugated by a random orthogonal matrix.
    static func rotation(_ theta: Double) -> Matrix {
        let c = cos(theta), s = sin(theta)
        let r = try! Matrix([[c, -s, 0], [s, c, 0], [0, 0, 1]])
        let q = DLN.orthogonal(3, seed: 77)
        return DLN.mul(DLN.mul(q, r), q, tb: true)
    }

    /// The rotation case I → Q: endpoints exact, the Hamiltonian residual at the level of the difference error
    /// (≤ 1e-6, vs ~0.1 for a non-geodesic below), length √N·√8·sin(θ/2N) (one rotation plane), constant speed,
    /// and shooting (an independent solver, started from the straight segment) reproduces every point to 1e-7.
    @Test(arguments: [1, 2, 3, 5]) func rotationCaseSolvesTheGeodesicEquations(_ depth: Int) throws {
        let theta = 2.0
        let q = Self.rotation(theta)
        let geo = try CommutingNormalGeodesic.rotation(q, depth: depth)
        #expect(DLN.close(try geo.point(at: 0), DenseOps.identity(3)) <= 1e-14)
        #expect(DLN.close(try geo.point(at: 1), q) <= 1e-12)
        let expected = Double(depth).squareRoot() * 8.0.squareRoot() * sin(theta / (2 * Double(depth)))
        #expect(Swift.abs(geo.length - expected) <= 1e-12 * expected, "length \(geo.length) vs \(expected)")
        let ham = try DeepLinearHamiltonian(depth: depth, width: 3)
        for t in [0.2, 0.5, 0.8] {
            let r = try ham.geodesicEquationResidual(curve: geo.point(at:), velocity: geo.velocity(at:), at: t)
            #expect(r <= 1e-6, "residual \(r) at t = \(t)")
            let speed = try DeepLinearMetric(at: geo.point(at: t), depth: depth).norm(geo.velocity(at: t))
            #expect(Swift.abs(speed - geo.length) <= 1e-10 * geo.length)
        }
        let shot = try shootGeodesic(from: DenseOps.identity(3), to: q, depth: depth, points: 5, options: .init(initialGuess: .straightLine))
        for (k, t) in shot.times.enumerated() { #expect(DLN.close(shot.points[k], try geo.point(at: t)) <= 1e-7, "t = \(t)") }
        #expect(Swift.abs(shot.length - geo.length) <= 1e-7 * geo.length)
        if depth > 1 {
            // The geodesic leaves the orthogonal group: W(½) is normal with eigenvalues 1 and ((1 + e^{±iθ/N})/2)^N,
            // so σ_min(W(½)) = cos(θ/2N)^N < 1.
            let mid = try CBackend().svd(geo.point(at: 0.5)).singularValues.last!
            #expect(Swift.abs(mid - pow(cos(theta / (2 * Double(depth))), Double(depth))) <= 1e-12)
        }
    }

    /// General commuting normal factors with frames U, V (scaled rotations; total angle N·0.8 < π, so shooting's
    /// polar guess starts on this branch): same checks against the Hamiltonian and shooting; diagonal factors
    /// reproduce (2.9).
    @Test func commutingNormalFactorsWithFrames() throws {
        let depth = 3
        let u = DLN.orthogonal(3, seed: 81), v = DLN.orthogonal(3, seed: 82)
        let m0 = DenseOps.scale(1.3, DenseOps.identity(3))
        let m1 = DenseOps.scale(0.8, try CommutingNormalGeodesic.rotation(Self.rotation(0.8), depth: 1).m1)
        let geo = try CommutingNormalGeodesic(u: u, m0: m0, m1: m1, v: v, depth: depth)
        let ham = try DeepLinearHamiltonian(depth: depth, width: 3)
        #expect(try ham.geodesicEquationResidual(curve: geo.point(at:), velocity: geo.velocity(at:), at: 0.4) <= 1e-6)
        let shot = try shootGeodesic(from: geo.point(at: 0), to: geo.point(at: 1), depth: depth, points: 3)
        #expect(DLN.close(shot.points[1], try geo.point(at: 0.5)) <= 1e-7)
        let diag = try CommutingNormalGeodesic(u: u, m0: DenseOps.diagonal([1.2, 1, 0.6]), m1: DenseOps.diagonal([0.9, 1.4, 1.1]), v: v, depth: depth)
        let shared = try SharedSingularVectorGeodesic(from: diag.point(at: 0), to: diag.point(at: 1), depth: .finite(depth))
        #expect(DLN.close(try diag.point(at: 0.3), try shared.point(at: 0.3)) <= 1e-12)
        #expect(Swift.abs(diag.length - shared.length!) <= 1e-12)
    }

    /// Refusals: non-normal or non-commuting factors, a segment through a singular matrix, a rotation by π.
    @Test func refusals() throws {
        let id = DenseOps.identity(3)
        let shear = try Matrix([[1, 1, 0], [0, 1, 0], [0, 0, 1]])
        #expect(throws: TangentFlowError.self) { try CommutingNormalGeodesic(u: id, m0: id, m1: shear, v: id, depth: 2) }
        #expect(throws: TangentFlowError.self) {
            try CommutingNormalGeodesic(u: id, m0: DenseOps.diagonal([1, 2, 3]), m1: DLN.spd(3, seed: 5), v: id, depth: 2)
        }
        #expect(throws: TangentFlowError.self) { try CommutingNormalGeodesic(u: id, m0: id, m1: DenseOps.diagonal([1, -1, 1]), v: id, depth: 2) }
        #expect(throws: TangentFlowError.self) { try CommutingNormalGeodesic.rotation(Self.rotation(Double.pi), depth: 2) }
        #expect(throws: TangentFlowError.self) { try CommutingNormalGeodesic.rotation(DenseOps.diagonal([1, 1, -1]), depth: 2) }
    }

    /// Rem. 2.4, symmetric endpoints: (2.8) as printed, `((1−t)A^{1/N} + tB^{1/N})^N`, solves the geodesic
    /// equations when A and B commute (and then equals shooting), but not otherwise: residual ≥ 1e-2, shooting
    /// finds a curve with the same endpoints and strictly lower energy (integrated along both, 401 points).
    @Test func symmetricEndpointFormulaHoldsOnlyForCommutingEndpoints() throws {
        let depth = 3
        let ham = try DeepLinearHamiltonian(depth: depth, width: 3)
        let q = DLN.orthogonal(3, seed: 91)
        let a = DLN.mul(DLN.mul(q, DenseOps.diagonal([2, 1, 0.5])), q, tb: true)
        let b = DLN.mul(DLN.mul(q, DenseOps.diagonal([0.6, 1.5, 2.5])), q, tb: true)
        let commuting = try PolarFactorCurve(from: a, to: b, depth: depth)
        #expect(try ham.geodesicEquationResidual(curve: commuting.point(at:), velocity: commuting.velocity(at:), at: 0.5) <= 1e-6)
        let shot = try shootGeodesic(from: a, to: b, depth: depth, points: 5)
        for (k, t) in shot.times.enumerated() { #expect(DLN.close(shot.points[k], try commuting.point(at: t)) <= 1e-7) }

        let c = DLN.spd(3, seed: 41, shift: 0.8), d = DLN.spd(3, seed: 42, shift: 0.8)
        let curve = try PolarFactorCurve(from: c, to: d, depth: depth)
        #expect(DLN.close(try curve.point(at: 1), d) <= 1e-12)
        let residual = try ham.geodesicEquationResidual(curve: curve.point(at:), velocity: curve.velocity(at:), at: 0.5)
        #expect(residual >= 1e-2, "residual \(residual)")
        let geodesic = try shootGeodesic(from: c, to: d, depth: depth, points: 401)
        let candidate = try DeepLinearMetric.pathLengthAndEnergy(of: curve.points(count: 401), depth: depth)
        let shotEnergy = try DeepLinearMetric.pathLengthAndEnergy(of: geodesic.points, depth: depth)
        #expect(Swift.abs(shotEnergy.energy - geodesic.energy) <= 1e-4 * geodesic.energy)
        #expect(geodesic.energy < candidate.energy * (1 - 1e-4), "geodesic energy \(geodesic.energy) vs (2.8) \(candidate.energy)")
        // Different polar rotations: the right-left rotation condition fails and the curve is refused.
        #expect(throws: TangentFlowError.self) { try PolarFactorCurve(from: c, to: DLN.mul(Self.rotation(0.5), d), depth: depth) }
    }
}

/// The geodesic-vs-flow comparison against closed forms: endpoints with shared singular vectors keep the flow in
/// the shared frame, where the metric in the coordinates u_i = σ_i^{1/N} is N·(Euclidean) (from (2.9)), so the
/// flow's length is √N Σ_k |u_{k+1} − u_k| and the geodesic's √N |u(T) − u(0)| — independent of A_{N,W}⁻¹.
@Suite struct GeodesicVersusFlowTests {
    @Test func sharedFrameLengthsMatchTheFlatCoordinates() throws {
        let depth = 2
        let u = DLN.orthogonal(3, seed: 61), v = DLN.orthogonal(3, seed: 62)
        let w0 = DLN.compose(u, [0.5, 0.8, 1.2], v), y = DLN.compose(u, [2.0, 0.4, 1.5], v)
        let c = try GeodesicVersusFlow.compare(from: w0, target: y, depth: depth, time: 2, flowPoints: 801, fractions: 11)
        #expect(c.geodesicMethod == .explicit)
        let flow = try solveEndToEndFlow(from: w0, energy: .squaredLoss(target: y), depth: depth, time: 2, points: 801)
        let coords = try flow.points.map { try DenseOps.project(DLN.c, u, $0, v) }.map { m in (0..<3).map { pow(m[$0, $0], 1 / Double(depth)) } }
        var flat = 0.0
        for k in 0..<(coords.count - 1) { flat += scaledNorm(zip(coords[k + 1], coords[k]).map { $0 - $1 }) }
        flat *= Double(depth).squareRoot()
        let chord = Double(depth).squareRoot() * scaledNorm(zip(coords.last!, coords[0]).map { $0 - $1 })
        #expect(Swift.abs(c.flowLength - flat) <= 1e-5 * flat, "\(c.flowLength) vs \(flat)")
        #expect(Swift.abs(c.geodesicLength - chord) <= 1e-10 * chord)
        #expect(c.ratio > 1.001, "the singular values move at different rates: ratio \(c.ratio)")
    }
}
