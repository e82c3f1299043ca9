import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowDeepLinear

/// Bures–Wasserstein geometry (§3.2 of file 002): Lyapunov operator, geometric mean, geodesic (3.12), distance,
/// and the submersion `M ↦ MMᵀ`.
@Suite struct DeepLinearBuresWassersteinTests {
    /// (3.8): `A L_A(X) + L_A(X) A = X`, and `L_A(X)` is symmetric for symmetric X. Tolerance 1e-12 (κ(A) ≈ 30).
    @Test(arguments: KernelBackend.allCases) func lyapunovSolvesItsEquation(_ backend: KernelBackend) throws {
        let a = DLN.spd(5, seed: 1), x = DLN.symmetric(5, seed: 2)
        let y = try BuresWasserstein.lyapunov(a, x, backend: backend)
        #expect(DLN.close(DenseOps.add(DLN.mul(a, y), DLN.mul(y, a)), x) <= 1e-12)
        #expect(DenseOps.sub(y, y.transposed).maxAbs <= 1e-13)
    }

    /// (3.9–3.10), Lemma 3.4: `A # B` solves the Riccati equation `X A⁻¹ X = B` (checked as `X A⁻¹ X` with `A⁻¹`
    /// from Cholesky, an independent route), is symmetric positive definite, and `A # B = B # A`, `A # A = A`,
    /// `(A # B)⁻¹ = A⁻¹ # B⁻¹`. Tolerance 1e-11 (κ ≈ 1e2, several eigendecompositions).
    @Test func geometricMeanSolvesRiccati() throws {
        let a = DLN.spd(4, seed: 3), b = DLN.spd(4, seed: 4, shift: 0.1)
        let x = try BuresWasserstein.geometricMean(a, b)
        let aInvX = try DLN.c.choleskySolve(a, x)
        #expect(DLN.close(DLN.mul(x, aInvX), b) <= 1e-11, "X A⁻¹ X = B")
        #expect(DLN.close(x, try BuresWasserstein.geometricMean(b, a)) <= 1e-11, "symmetric mean")
        #expect(DLN.close(try BuresWasserstein.geometricMean(a, a), a) <= 1e-12)
        #expect(try SymmetricSpectrum(of: x).values.first! > 0)
        let inv = { (m: Matrix) in try DLN.c.choleskySolve(m, DenseOps.identity(4)) }
        let meanOfInverses = try BuresWasserstein.geometricMean(inv(a), inv(b))
        #expect(DLN.close(try inv(x), meanOfInverses) <= 1e-10)
    }

    /// (3.12): endpoints, `T A T = B`, `T = A⁻¹ # B`, the expanded form against the product form
    /// `((1−t)I + tT) A ((1−t)I + tT)`, and every point SPD.
    @Test func geodesicEndpointsAndTransport() throws {
        let a = DLN.spd(5, seed: 5), b = DLN.spd(5, seed: 6)
        let geo = try BuresWassersteinGeodesic(from: a, to: b)
        #expect(DLN.close(geo.point(at: 0), a) <= 1e-15 && DLN.close(geo.point(at: 1), b) <= 1e-15)
        let t = geo.transport
        #expect(DLN.close(DLN.mul(DLN.mul(t, a), t), b) <= 1e-11, "TAT = B")
        let aInv = try DLN.c.choleskySolve(a, DenseOps.identity(5))
        #expect(DLN.close(t, try BuresWasserstein.geometricMean(aInv, b)) <= 1e-10, "T = A⁻¹ # B")
        for s in [0.2, 0.5, 0.9] {
            let m = DenseOps.combine(1 - s, DenseOps.identity(5), s, t)
            #expect(DLN.close(geo.point(at: s), DLN.mul(DLN.mul(m, a), m)) <= 1e-12, "t = \(s)")
            #expect(try SymmetricSpectrum(of: geo.point(at: s)).values.first! > 0)
        }
    }

    /// The distance three ways: the trace formula, `min_R ‖A^{1/2} − B^{1/2}R‖_F` with the minimiser `R` from the
    /// polar factor of `(B^{1/2})ᵀA^{1/2}` (SVD, an independent route), and the length of the geodesic by
    /// integrating `g_γ(γ', γ')^{1/2}` (Simpson, 200 panels, error ~1e-10). Also the commuting closed form
    /// `‖A^{1/2} − B^{1/2}‖_F` and random rotations R never doing better.
    @Test func distanceThreeWays() throws {
        let a = DLN.spd(4, seed: 7), b = DLN.spd(4, seed: 8)
        let geo = try BuresWassersteinGeodesic(from: a, to: b)
        let d = geo.distance
        let ra = try matrixFunction(.squareRoot, of: a), rb = try matrixFunction(.squareRoot, of: b)
        let svd = try DLN.c.svd(DLN.mul(rb, ra, ta: true))  // Bᐟ²ᵀ A^{1/2} = U Σ Vᵀ, optimal R = U Vᵀ
        let r = DLN.mul(svd.u, svd.vt)
        let viaPolar = DenseOps.sub(ra, DLN.mul(rb, r)).frobeniusNorm
        #expect(Swift.abs(viaPolar - d) <= 1e-11 * d, "min over R: \(viaPolar) vs \(d)")
        for seed in 20..<25 {
            let q = DLN.orthogonal(4, seed: UInt64(seed))
            #expect(DenseOps.sub(ra, DLN.mul(rb, q)).frobeniusNorm >= d - 1e-12)
        }
        // Simpson on the speed: the metric is ½ tr(L_γ(γ') γ').
        let panels = 200
        var integral = 0.0
        for k in 0...panels {
            let t = Double(k) / Double(panels)
            let g = geo.point(at: t), v = geo.velocity(at: t)
            let speed = try BuresWasserstein.metric(at: g, v, v).squareRoot()
            integral += speed * (k == 0 || k == panels ? 1 : (k % 2 == 1 ? 4 : 2))
        }
        integral /= 3 * Double(panels)
        #expect(Swift.abs(integral - d) <= 1e-9 * d, "length by the metric \(integral) vs d = \(d)")
        // Commuting matrices: d = ‖A^{1/2} − B^{1/2}‖_F.
        let q = DLN.orthogonal(4, seed: 30)
        let ca = DLN.compose(q, [1, 2, 3, 4], q), cb = DLN.compose(q, [4, 0.5, 2, 9], q)
        let expected = scaledNorm(zip([1.0, 2, 3, 4], [4.0, 0.5, 2, 9]).map { $0.squareRoot() - $1.squareRoot() })
        #expect(Swift.abs(try BuresWasserstein.distance(ca, cb) - expected) <= 1e-12 * expected)
        #expect(try BuresWasserstein.distance(a, a) <= 1e-7)  // √(rounding of tr) ~ √ε·‖A‖
    }

    /// The Hamiltonian form of §3.2: with `H = 2tr(PAP)`, `A' = 2(AP + PA)`, `P' = −2P²` and `T = I + 2P(0)`,
    /// RK4 integration from `P(0) = (T − I)/2` lands on `B` (RK4, 200 steps: error ~1e-10).
    @Test func hamiltonianFormReachesB() throws {
        let a = DLN.spd(3, seed: 11), b = DLN.spd(3, seed: 12)
        let geo = try BuresWassersteinGeodesic(from: a, to: b)
        struct BWField: VectorField {
            func velocity(at s: Double, _ y: [Double]) throws -> [Double] {
                let m = DenseOps.unflatten(y, count: 2, order: 3)
                let ap = DLN.mul(m[0], m[1]), pp = DLN.mul(m[1], m[1])
                return DenseOps.scale(2, DenseOps.add(ap, ap.transposed)).elements + DenseOps.scale(-2, pp).elements
            }
        }
        let p0 = DenseOps.scale(0.5, DenseOps.sub(geo.transport, DenseOps.identity(3)))
        let sol = try integrate(BWField(), stepper: .rk4, controller: ConstantStepSize(1.0 / 200), from: 0, to: 0.5, start: geo.start.elements + p0.elements)
        let mid = Matrix(uncheckedRows: 3, cols: 3, elements: Array(sol.finalState[0..<9]))
        #expect(DLN.close(mid, geo.point(at: 0.5)) <= 1e-9)
    }

    /// The submersion `φ(M) = MMᵀ` (Thm 1.1, Lemma 3.11 for BW): the horizontal lift `Y = L_{MMᵀ}(X)M` satisfies
    /// `dφ(Y) = X`, `‖Y‖²_F = g_{MMᵀ}(X, X)`, `YM⁻¹` symmetric, and is orthogonal to vertical vectors `KM⁻ᵀ`
    /// (K skew), which `dφ` kills. Also `dφ` shrinks a non-horizontal vector: `g(dφ(Y'), dφ(Y')) ≤ ‖Y'‖²`.
    @Test func submersionIsAnIsometryOnHorizontalVectors() throws {
        let m = DenseOps.add(DenseOps.scale(2, DenseOps.identity(4)), Fixtures.gaussian(4, 4, seed: 13))
        let a = DenseOps.symmetrized(DLN.mul(m, m, tb: true))
        let x = DLN.symmetric(4, seed: 14)
        let y = try BuresWasserstein.horizontalLift(at: m, x)
        #expect(DLN.close(try BuresWasserstein.differential(at: m, y), x) <= 1e-12)
        let g = try BuresWasserstein.metric(at: a, x, x)
        #expect(Swift.abs(pow(y.frobeniusNorm, 2) - g) <= 1e-11 * g, "‖Y‖² = \(pow(y.frobeniusNorm, 2)), g = \(g)")
        let mInv = try Pseudoinverse(of: m).matrix
        let h = DLN.mul(y, mInv)
        #expect(DenseOps.sub(h, h.transposed).maxAbs <= 1e-11 * h.maxAbs, "Y M⁻¹ symmetric")
        let gk = Fixtures.gaussian(4, 4, seed: 15)
        let k = DenseOps.sub(gk, gk.transposed)
        let vertical = DLN.mul(k, mInv, tb: true)
        #expect(try BuresWasserstein.differential(at: m, vertical).maxAbs <= 1e-12 * vertical.maxAbs * m.maxAbs)
        #expect(Swift.abs(DenseOps.inner(y, vertical)) <= 1e-11 * y.frobeniusNorm * vertical.frobeniusNorm)
        let general = Fixtures.gaussian(4, 4, seed: 16)
        let image = try BuresWasserstein.differential(at: m, general)
        #expect(try BuresWasserstein.metric(at: a, image, image) <= pow(general.frobeniusNorm, 2) * (1 + 1e-12))
    }

    /// Bad inputs: non-SPD (indefinite, singular), non-symmetric, mismatched shapes, NaN — clear errors.
    @Test func badInputsThrowClearErrors() throws {
        let a = DLN.spd(3, seed: 1)
        #expect {
            try BuresWassersteinGeodesic(from: a, to: DenseOps.diagonal([1, -2, 3]))
        } throws: { ($0 as? TangentFlowError)?.description.contains("B must be symmetric positive definite") == true }
        #expect {
            try BuresWasserstein.geometricMean(DenseOps.diagonal([1, 0, 3]), a)
        } throws: { ($0 as? TangentFlowError)?.description.contains("λ_min = 0") == true }
        #expect(throws: TangentFlowError.self) { try BuresWasserstein.distance(a, Fixtures.gaussian(3, 3, seed: 2)) }
        #expect(throws: TangentFlowError.self) { try BuresWasserstein.distance(a, DLN.spd(2, seed: 2)) }
        var nan = a
        nan[0, 0] = .nan
        #expect(throws: TangentFlowError.self) { try BuresWasserstein.lyapunov(nan, a) }
        #expect(throws: TangentFlowError.self) { try BuresWassersteinGeodesic(from: a, to: a).points(count: 1) }
    }
}
