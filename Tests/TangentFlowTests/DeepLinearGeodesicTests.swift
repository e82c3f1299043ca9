import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowDeepLinear

/// DLN geodesics: the Hamiltonian (3.39), the explicit shared-singular-vector formula (2.9)–(2.10), and the
/// shooting solver for arbitrary endpoints (Thm 2.1; open problem 1 of file 002).
@Suite struct DeepLinearGeodesicTests {
    /// Endpoints sharing singular vectors: `W_i = U Σ_i Vᵀ` with random orthogonal `U`, `V`.
    static func sharedPair(_ d: Int = 3, seed: UInt64 = 1) -> (Matrix, Matrix, Matrix, Matrix) {
        let u = DLN.orthogonal(d, seed: seed), v = DLN.orthogonal(d, seed: seed &+ 1)
        let s0 = [3.0, 1.2, 0.5].prefix(d).map { $0 }, s1 = [0.8, 2.5, 1.4].prefix(d).map { $0 }
        return (DLN.compose(u, s0, v), DLN.compose(u, s1, v), u, v)
    }

    /// Thm 2.1: `∂H/∂W` and `∂H/∂P` against central differences of `H` (h = 1e-6; H is smooth and O(10), so the
    /// error is rounding ~ε·H/h ≈ 1e-9; tolerance 1e-7 relative).
    @Test(arguments: [1, 2, 3, 4]) func hamiltonianPartialsMatchFiniteDifferences(_ depth: Int) throws {
        let w = DenseOps.add(DenseOps.scale(1.5, DenseOps.identity(3)), Fixtures.gaussian(3, 3, seed: 11))
        let p = Fixtures.gaussian(3, 3, seed: 12)
        let ham = try DeepLinearHamiltonian(depth: depth, width: 3)
        let (dP, dW) = try ham.partials(w, p)
        let h = 1e-6
        for idx in 0..<9 {
            var wp = w, wm = w, pp = p, pm = p
            wp.elements[idx] += h
            wm.elements[idx] -= h
            pp.elements[idx] += h
            pm.elements[idx] -= h
            let fdW = (try ham.value(wp, p) - ham.value(wm, p)) / (2 * h)
            let fdP = (try ham.value(w, pp) - ham.value(w, pm)) / (2 * h)
            #expect(Swift.abs(dW.elements[idx] - fdW) <= 1e-7 * Swift.max(1, Swift.abs(fdW)), "∂H/∂W[\(idx)], N = \(depth)")
            #expect(Swift.abs(dP.elements[idx] - fdP) <= 1e-7 * Swift.max(1, Swift.abs(fdP)), "∂H/∂P[\(idx)], N = \(depth)")
        }
    }

    /// (2.9): endpoints, constant speed equal to the stated length (velocity measured in `g_W` at several t),
    /// the length again by integrating the metric along 801 points (midpoint rule, error O(K⁻²) ≈ 1e-6;
    /// tolerance 1e-5), the analytic velocity against central differences, and N = 1 is the straight segment.
    @Test(arguments: [1, 2, 4, 7]) func explicitGeodesicClosedForms(_ depth: Int) throws {
        let (w0, w1, _, _) = Self.sharedPair()
        let geo = try SharedSingularVectorGeodesic(from: w0, to: w1, depth: .finite(depth))
        let start = try geo.point(at: 0), end = try geo.point(at: 1)
        #expect(DLN.close(start, w0) <= 1e-13 && DLN.close(end, w1) <= 1e-13)
        let length = try #require(geo.length)
        for t in [0.0, 0.3, 0.75, 1.0] {
            let speed = try DeepLinearMetric(at: geo.point(at: t), depth: depth).norm(geo.velocity(at: t))
            #expect(Swift.abs(speed - length) <= 1e-11 * length, "speed at t = \(t): \(speed) vs \(length)")
            let h = 1e-6
            let fd = DenseOps.scale(1 / (2 * h), DenseOps.sub(try geo.point(at: t + h), try geo.point(at: t - h)))
            #expect(DLN.close(try geo.velocity(at: t), fd) <= 1e-7)
        }
        let integrated = try DeepLinearMetric.pathLengthAndEnergy(of: geo.points(count: 801), depth: depth)
        #expect(Swift.abs(integrated.length - length) <= 1e-5 * length, "∫‖Ẇ‖ = \(integrated.length) vs \(length)")
        #expect(Swift.abs(integrated.energy - geo.energy!) <= 1e-5 * geo.energy!)
        if depth == 1 {
            #expect(DLN.close(try geo.point(at: 0.4), DenseOps.combine(0.6, w0, 0.4, w1)) <= 1e-13)
        }
    }

    /// (2.10): as N grows, the explicit geodesic converges to `U Σ_0^{1−t} Σ_1^t Vᵀ`; the error decays like 1/N
    /// (the next term of the Bernoulli-mean expansion), checked at N = 10³ and 10⁴.
    @Test func infiniteDepthLimit() throws {
        let (w0, w1, _, _) = Self.sharedPair()
        let limit = try SharedSingularVectorGeodesic(from: w0, to: w1, depth: .infinite)
        #expect(limit.length == nil)
        var errors: [Double] = []
        for n in [1000, 10000] {
            let g = try SharedSingularVectorGeodesic(from: w0, to: w1, depth: .finite(n))
            errors.append(DLN.close(try g.point(at: 0.37), try limit.point(at: 0.37)))
            #expect(Swift.abs(g.length! * Double(n).squareRoot() - limit.infiniteDepthScaledLength) <= 10 / Double(n) * limit.infiniteDepthScaledLength)
        }
        #expect(errors[0] < 1e-3 && errors[1] < errors[0] / 8, "errors \(errors)")
        #expect(DLN.close(try limit.point(at: 1), w1) <= 1e-13)
    }

    /// Repeated singular values: `W₀ = U diag(2, 2, 1) Vᵀ` has a non-unique frame; `W₁` shares singular vectors with
    /// it only after a rotation inside the repeated block, so W₀'s own SVD may not diagonalise W₁ but W₁'s does.
    @Test func explicitGeodesicWithRepeatedSingularValues() throws {
        let u = DLN.orthogonal(3, seed: 51), v = DLN.orthogonal(3, seed: 52)
        let c = cos(0.7), s = sin(0.7)
        let block = try Matrix([[c, -s, 0], [s, c, 0], [0, 0, 1]])
        let w0 = DLN.compose(u, [2, 2, 1], v)
        let w1 = DLN.compose(DLN.mul(u, block), [3, 0.5, 1.5], DLN.mul(v, block))
        let geo = try SharedSingularVectorGeodesic(from: w0, to: w1, depth: .finite(3))
        let start = try geo.point(at: 0), end = try geo.point(at: 1)
        #expect(DLN.close(start, w0) <= 1e-13 && DLN.close(end, w1) <= 1e-13)
        #expect(Set(geo.sigma1.map { ($0 * 1e6).rounded() }) == Set([3e6, 0.5e6, 1.5e6]))
    }

    /// The explicit formula refuses endpoints that do not share singular vectors, naming the off-diagonal size.
    @Test func explicitFormulaRejectsGeneralEndpoints() throws {
        let a = DenseOps.add(DenseOps.identity(3), DenseOps.scale(0.3, Fixtures.gaussian(3, 3, seed: 2)))
        let b = DenseOps.add(DenseOps.identity(3), DenseOps.scale(0.3, Fixtures.gaussian(3, 3, seed: 3)))
        #expect {
            try SharedSingularVectorGeodesic(from: a, to: b, depth: .finite(2))
        } throws: { ($0 as? TangentFlowError)?.description.contains("do not share singular vectors") == true }
        // Shared frame but a sign flip (det changes sign): refused as well.
        let (w0, _, u, v) = Self.sharedPair()
        #expect(throws: TangentFlowError.self) { try SharedSingularVectorGeodesic(from: w0, to: DLN.compose(u, [1, -1, 1], v), depth: .finite(2)) }
    }

    /// Shooting reproduces the explicit geodesic where it applies, started from the straight-segment guess so that
    /// Newton has real work to do. RK4 with 64 steps: integration error ~1e-9; tolerance 1e-7 on every point.
    /// `H` is conserved along the curve (RK4 drift ~1e-10; tolerance 1e-8) and the length matches (2.9).
    @Test(arguments: [1, 2, 3]) func shootingReproducesExplicitGeodesic(_ depth: Int) throws {
        let (w0, w1, _, _) = Self.sharedPair()
        let explicit = try SharedSingularVectorGeodesic(from: w0, to: w1, depth: .finite(depth))
        for guess in [ShootingInitialGuess.straightLine, .logarithmic] {
            let shot = try shootGeodesic(from: w0, to: w1, depth: depth, points: 5, options: .init(steps: 64, initialGuess: guess))
            for (k, t) in shot.times.enumerated() {
                #expect(DLN.close(shot.points[k], try explicit.point(at: t)) <= 1e-7, "N = \(depth), t = \(t), guess \(guess)")
            }
            #expect(shot.hamiltonianDrift <= 1e-8, "drift \(shot.hamiltonianDrift)")
            #expect(Swift.abs(shot.length - explicit.length!) <= 1e-7 * explicit.length!, "length \(shot.length) vs \(explicit.length!)")
            if case .logarithmic = guess { #expect(shot.iterations <= 2, "the log-type guess is exact here: \(shot.iterations) iterations") }
            if case .straightLine = guess, depth > 1 { #expect(shot.iterations >= 2, "Newton had work to do: \(shot.iterations) iterations") }
        }
    }

    /// Arbitrary endpoints (no shared singular vectors), N = 3: the shot curve ends at W₁, conserves H, its length
    /// equals the metric integrated along it, it is shorter than the non-geodesic `((1−t)A^{1/N} + tB^{1/N})^N`
    /// between SPD endpoints, and perturbing interior points (keeping the ends) raises the discrete energy.
    @Test func shootingBetweenGeneralEndpoints() throws {
        let a = DLN.spd(3, seed: 7, shift: 0.6), b = DLN.spd(3, seed: 8, shift: 0.6)
        let n = 3
        let shot = try shootGeodesic(from: a, to: b, depth: n, points: 41, options: .init(steps: 80))
        #expect(DLN.close(shot.points.last!, b) <= 1e-10)
        #expect(shot.hamiltonianDrift <= 1e-7)
        let path = try DeepLinearMetric.pathLengthAndEnergy(of: shot.points, depth: n)
        #expect(Swift.abs(path.length - shot.length) <= 2e-3 * shot.length, "∫‖Ẇ‖ = \(path.length) vs √(2H) = \(shot.length)")
        // The naive curve, densely sampled.
        let ra = try matrixFunction(.power(1 / Double(n)), of: a), rb = try matrixFunction(.power(1 / Double(n)), of: b)
        let naive = try (0...400).map { k -> Matrix in
            let t = Double(k) / 400
            return try matrixFunction(.power(Double(n)), of: DenseOps.combine(1 - t, ra, t, rb))
        }
        let naiveLength = try DeepLinearMetric.pathLengthAndEnergy(of: naive, depth: n).length
        #expect(shot.length < naiveLength, "geodesic \(shot.length) vs naive \(naiveLength)")
        // Perturb interior points by ε·sin(πt)·B and compare discrete energies on the same grid.
        let bump = Fixtures.gaussian(3, 3, seed: 9)
        for eps in [1e-2, -1e-2] {
            let perturbed = shot.points.enumerated().map { k, w in DenseOps.combine(1, w, eps * sin(Double.pi * shot.times[k]), bump) }
            let e = try DeepLinearMetric.pathLengthAndEnergy(of: perturbed, depth: n).energy
            #expect(e > path.energy, "ε = \(eps): \(e) vs \(path.energy)")
        }
    }

    /// Rotations by symmetric eigendecompositions: `exp(sΩ)` is orthogonal with `exp(0) = I`, `log(exp(K)) = K` for
    /// skew K with rotation angles < π, and `exp(log Q) = Q` for a random rotation (tolerance 1e-12: a few
    /// eigendecompositions of well-conditioned 4×4 matrices; log near angle π loses accuracy, not used here).
    @Test func rotationLogarithmAndExponential() throws {
        let g = Fixtures.gaussian(4, 4, seed: 41)
        let k = DenseOps.combine(0.4, g, -0.4, g.transposed)  // angles well below π
        let q = try Rotations.exponential(k, scale: 1, backend: .c)
        #expect(DLN.close(DLN.mul(q, q, ta: true), DenseOps.identity(4)) <= 1e-13)
        #expect(DLN.close(try Rotations.exponential(k, scale: 0, backend: .c), DenseOps.identity(4)) <= 1e-15)
        #expect(DLN.close(try Rotations.logarithm(q, backend: .c), k) <= 1e-12)
        // The exponential's derivative in s at 0 is Ω (central differences, h = 1e-6, error ~1e-10).
        let fd = DenseOps.scale(1 / 2e-6, DenseOps.sub(try Rotations.exponential(k, scale: 1e-6, backend: .c), try Rotations.exponential(k, scale: -1e-6, backend: .c)))
        #expect(DLN.close(fd, k) <= 1e-8)
        var rotation = DLN.orthogonal(4, seed: 42)
        if DenseOps.determinantSign(rotation) < 0 { for i in 0..<4 { rotation[i, 0] = -rotation[i, 0] } }
        let log = try Rotations.logarithm(rotation, backend: .c)
        #expect(DenseOps.sub(log, DenseOps.scale(-1, log.transposed)).maxAbs <= 1e-14, "skew")
        #expect(DLN.close(try Rotations.exponential(log, scale: 1, backend: .c), rotation) <= 1e-12)
    }

    /// The polar path of the shooting's guess and continuation: `C(0) = W₀`, `C(1) = W₁`, `C'(0)` against central
    /// differences (the log-type guess), and for shared singular vectors `C` is the explicit geodesic.
    @Test func polarPathEndpointsAndVelocity() throws {
        let a = DenseOps.add(DenseOps.identity(3), Fixtures.gaussian(3, 3, seed: 43))
        let b = Self.sameComponent(DenseOps.add(DenseOps.identity(3), Fixtures.gaussian(3, 3, seed: 44)), as: a)
        for n in [1, 3] {
            let path = try PolarPath(DeepLinearMetric(at: a, depth: n), DeepLinearMetric(at: b, depth: n), depth: n, backend: .c)
            let start = try path.point(at: 0), end = try path.point(at: 1)
            #expect(DLN.close(start, a) <= 1e-12 && DLN.close(end, b) <= 1e-11, "N = \(n)")
            let h = 1e-6
            let fd = DenseOps.scale(1 / (2 * h), DenseOps.sub(try path.point(at: h), try path.point(at: -h)))
            #expect(DLN.close(try path.initialVelocity, fd) <= 1e-7, "C'(0), N = \(n)")
        }
        let (w0, w1, _, _) = Self.sharedPair()
        let path = try PolarPath(DeepLinearMetric(at: w0, depth: 3), DeepLinearMetric(at: w1, depth: 3), depth: 3, backend: .c)
        let explicit = try SharedSingularVectorGeodesic(from: w0, to: w1, depth: .finite(3))
        #expect(DLN.close(try path.point(at: 0.4), try explicit.point(at: 0.4)) <= 1e-12)
    }

    /// Continuation along the polar path lands on the same geodesic as the direct solve (tolerance 1e-7: both are
    /// RK4 curves refined to a drift of H below 1e-9): forced (`.always`), and as the rescue of a hopeless initial
    /// covector (`1e3·I`, whose trajectory runs off), which without continuation is an error.
    @Test func continuationReachesTheSameGeodesic() throws {
        let a = DenseOps.add(DenseOps.identity(3), Fixtures.gaussian(3, 3, seed: 45))
        let b = Self.sameComponent(DenseOps.add(DenseOps.identity(3), Fixtures.gaussian(3, 3, seed: 46)), as: a)
        let reference = try shootGeodesic(from: a, to: b, depth: 2, points: 5)
        #expect(reference.continuationStages == 0 && reference.hamiltonianDrift <= 1e-9)
        let forced = try shootGeodesic(from: a, to: b, depth: 2, points: 5, options: .init(continuation: .always))
        let bad = GeodesicShootingOptions(initialGuess: .covector(DenseOps.scale(1e3, DenseOps.identity(3))))
        let rescued = try shootGeodesic(from: a, to: b, depth: 2, points: 5, options: bad)
        #expect(rescued.continuationStages > 0 && forced.continuationStages > 0, "stages \(rescued.continuationStages), \(forced.continuationStages); iterations \(rescued.iterations) vs \(reference.iterations)")
        for k in 0..<5 {
            #expect(DLN.close(forced.points[k], reference.points[k]) <= 1e-7, "forced, point \(k)")
            #expect(DLN.close(rescued.points[k], reference.points[k]) <= 1e-7, "rescued, point \(k)")
        }
        var off = bad
        off.continuation = .never
        #expect(throws: TangentFlowError.self) { try shootGeodesic(from: a, to: b, depth: 2, points: 5, options: off) }
    }

    /// `b`, with its first column negated if needed so that `det b` has the sign of `det a`.
    static func sameComponent(_ b: Matrix, as a: Matrix) -> Matrix {
        guard DenseOps.determinantSign(a) != DenseOps.determinantSign(b) else { return b }
        var out = b
        for i in 0..<b.rows { out[i, 0] = -out[i, 0] }
        return out
    }

    /// Shooting's bad inputs: endpoints in different components of GL(d), a singular endpoint, too few points.
    @Test func shootingRejectsBadEndpoints() throws {
        let a = DenseOps.identity(2)
        #expect {
            try shootGeodesic(from: a, to: DenseOps.diagonal([1, -1]), depth: 2)
        } throws: { ($0 as? TangentFlowError)?.description.contains("different components") == true }
        #expect {
            try shootGeodesic(from: a, to: DenseOps.diagonal([1, 0]), depth: 2)
        } throws: { ($0 as? TangentFlowError)?.description.contains("σ_min") == true }
        #expect(throws: TangentFlowError.self) { try shootGeodesic(from: a, to: a, depth: 2, points: 1) }
        #expect(throws: TangentFlowError.self) { try shootGeodesic(from: a, to: a, depth: 0) }
    }
}
