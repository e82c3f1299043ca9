import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowDeepLinear

/// The deep linear network: product map, balancedness, upstairs and end-to-end flows, `A_{N,W}` ((1.1)–(1.8) and
/// Thm 1.1 in file 002).
@Suite struct DeepLinearNetworkTests {
    /// (1.5): the balanced parametrisation with arbitrary orthogonal `Q_p` multiplies back to `W` and is balanced.
    /// Tolerance 1e-12: products of N = 4 factors of norm ~2 (each `Σ^{1/N}` is well scaled).
    @Test func balancedParametrisationReproducesW() throws {
        let w = Fixtures.gaussian(4, 4, seed: 21)
        let qs = (0..<3).map { DLN.orthogonal(4, seed: 30 + UInt64($0)) }
        let net = try DeepLinearNetwork.balanced(endToEnd: w, depth: 4, orthogonals: qs)
        #expect(DLN.close(try net.endToEnd(), w) <= 1e-12)
        for (p, defect) in try net.balancednessDefects().enumerated() { #expect(defect.maxAbs <= 1e-12, "defect \(p + 1)") }
        // A non-orthogonal Q is rejected.
        #expect(throws: TangentFlowError.self) { try DeepLinearNetwork.balanced(endToEnd: w, depth: 2, orthogonals: [Fixtures.gaussian(4, 4, seed: 1)]) }
    }

    /// (1.3): the upstairs gradient equals the gradient of `E(W_N⋯W_1)` by central differences (h = 1e-6,
    /// quadratic energy: the error is rounding only, ~ε/h ≈ 1e-10; tolerance 1e-7).
    @Test func upstairsGradientMatchesFiniteDifferences() throws {
        let factors = (0..<3).map { Fixtures.gaussian(3, 3, seed: 40 + UInt64($0)) }
        let net = try DeepLinearNetwork(factors: factors)
        let energy = try DeepLinearEnergy.squaredLoss(target: Fixtures.gaussian(3, 3, seed: 49))
        let grads = try net.upstairsGradient(energy)
        let h = 1e-6
        for p in 0..<3 {
            for idx in 0..<9 {
                var fp = factors, fm = factors
                fp[p].elements[idx] += h
                fm[p].elements[idx] -= h
                let ep = try energy.value!(DeepLinearNetwork(factors: fp).endToEnd())
                let em = try energy.value!(DeepLinearNetwork(factors: fm).endToEnd())
                let fd = (ep - em) / (2 * h)
                #expect(Swift.abs(grads[p].elements[idx] - fd) <= 1e-7 * Swift.max(1, Swift.abs(fd)), "W_\(p + 1)[\(idx)]")
            }
        }
    }

    /// (1.4): the balancedness defects are conserved by the upstairs flow, from an unbalanced start. RK4 preserves
    /// this quadratic invariant only up to its global error O(h⁴): the change must be small (≤ 1e-4 against defects
    /// of size > 0.5) and shrink ~16× when h halves (fourth order; accepted ratio ≥ 10), so it is integration error.
    @Test func balancednessDefectIsConserved() throws {
        let factors = (0..<3).map { DenseOps.scale(0.7, Fixtures.gaussian(3, 3, seed: 50 + UInt64($0))) }
        let net = try DeepLinearNetwork(factors: factors)
        let energy = try DeepLinearEnergy.squaredLoss(target: Fixtures.gaussian(3, 3, seed: 59))
        let field = try DeepLinearUpstairsFlow(depth: 3, width: 3, energy: energy)
        let before = try net.balancednessDefects()
        #expect(before.map(\.maxAbs).max()! > 0.5, "the start is genuinely unbalanced")
        var changes: [Double] = []
        for steps in [100, 200] {
            let sol = try integrate(field, stepper: .rk4, controller: ConstantStepSize(1.0 / Double(steps)), from: 0, to: 1,
                                    start: DeepLinearUpstairsFlow.state(of: net))
            let end = try field.network(from: sol.finalState)
            let after = try end.balancednessDefects()
            changes.append((0..<2).map { DenseOps.sub(after[$0], before[$0]).maxAbs }.max()!)
            #expect(DLN.close(try end.endToEnd(), try net.endToEnd()) > 0.05, "the flow moved")
            #expect(try energy.value!(end.endToEnd()) < energy.value!(net.endToEnd()), "gradient flow decreases the energy")
        }
        #expect(changes[0] <= 1e-4 && changes[0] / changes[1] >= 10, "defect changes \(changes)")
    }

    /// Issue #5 item 2: on the balanced manifold, the product of the upstairs flow equals the end-to-end flow
    /// `W' = −A_{N,W}(∇E)`; for the velocities (exact identity, 1e-12) and for the integrated curves (Dopri5 with
    /// rtol = atol = 1e-12 on both: global errors ~1e-11; tolerance 1e-9). Also with a user-supplied gradient closure.
    @Test(arguments: [1, 2, 3, 5]) func productOfUpstairsFlowIsEndToEndFlow(_ depth: Int) throws {
        let w0 = DenseOps.add(DenseOps.identity(3), DenseOps.scale(0.4, Fixtures.gaussian(3, 3, seed: 61)))
        let target = Fixtures.gaussian(3, 3, seed: 62)
        let qs = (0..<(depth - 1)).map { DLN.orthogonal(3, seed: 70 + UInt64($0)) }
        let net = try DeepLinearNetwork.balanced(endToEnd: w0, depth: depth, orthogonals: qs)
        // A non-quadratic energy through the closure API: E = ¼‖W − Y‖⁴, ∇E = ‖W − Y‖²(W − Y).
        let quartic = DeepLinearEnergy(gradient: { w in
            let r = DenseOps.sub(w, target)
            return DenseOps.scale(pow(r.frobeniusNorm, 2), r)
        })
        for energy in [try DeepLinearEnergy.squaredLoss(target: target), quartic] {
            let up = try DeepLinearUpstairsFlow(depth: depth, width: 3, energy: energy)
            let down = try EndToEndFlow(depth: depth, width: 3, energy: energy)
            let upVelocity = DenseOps.unflatten(try up.velocity(at: 0, DeepLinearUpstairsFlow.state(of: net)), count: depth, order: 3)
            let pushed = try net.differential(upVelocity)
            let direct = Matrix(uncheckedRows: 3, cols: 3, elements: try down.velocity(at: 0, w0.elements))
            #expect(DLN.close(pushed, direct) <= 1e-12, "velocity, N = \(depth)")
            let control = try PIController(rtol: 1e-12, atol: 1e-12)
            let a = try integrate(up, stepper: .dopri5, controller: control, from: 0, to: 0.5, start: DeepLinearUpstairsFlow.state(of: net))
            let b = try integrate(down, stepper: .dopri5, controller: control, from: 0, to: 0.5, start: w0.elements)
            let product = try up.network(from: a.finalState).endToEnd()
            #expect(DLN.close(product, Matrix(uncheckedRows: 3, cols: 3, elements: b.finalState)) <= 1e-9, "curves, N = \(depth)")
        }
    }

    /// (1.8): `A_{N,W}` in the singular bases equals the sum of fractional powers formed independently by dsyevd
    /// of `WWᵀ` and `WᵀW`; the inverse inverts it; `g_W` is symmetric and positive. Tolerance 1e-11: fractional
    /// powers of `WWᵀ` (κ(WWᵀ) ≈ 1e2) by eigendecomposition.
    @Test(arguments: KernelBackend.allCases) func metricOperatorMatchesDefinition(_ backend: KernelBackend) throws {
        let w = DenseOps.add(DenseOps.scale(2, DenseOps.identity(4)), Fixtures.gaussian(4, 4, seed: 81))
        let z = Fixtures.gaussian(4, 4, seed: 82), z2 = Fixtures.gaussian(4, 4, seed: 83)
        for n in [1, 2, 3, 6] {
            let metric = try DeepLinearMetric(at: w, depth: n, backend: backend)
            let wwt = DLN.mul(w, w, tb: true), wtw = DLN.mul(w, w, ta: true)
            var sum = Matrix(zerosRows: 4, cols: 4)
            for p in 1...n {
                let left = try matrixFunction(.power(Double(n - p) / Double(n)), of: wwt)
                let right = try matrixFunction(.power(Double(p - 1) / Double(n)), of: wtw)
                sum = DenseOps.add(sum, DLN.mul(DLN.mul(left, z), right))
            }
            let got = try metric.apply(z)
            #expect(DLN.close(got, sum) <= 1e-11, "A_{\(n),W}(Z) (\(backend))")
            #expect(DLN.close(try metric.applyInverse(got), z) <= 1e-12, "A⁻¹A = id, N = \(n)")
            let g12 = try metric.inner(z, z2), g21 = try metric.inner(z2, z)
            #expect(Swift.abs(g12 - g21) <= 1e-12 * Swift.abs(g12) + 1e-14, "g_W symmetric")
            #expect(try metric.inner(z, z) > 0)
            #expect(Swift.abs(try metric.inner(z, z) - DenseOps.inner(z, try metric.applyInverse(z))) <= 1e-12 * (try metric.inner(z, z)))
            if n == 1 { #expect(DLN.close(got, z) <= 1e-13, "A_{1,W} = id") }
        }
    }

    /// Thm 1.1 / Lemma 3.11: the horizontal lift satisfies `dφ(lift) = Z` and `Σ‖Ẇ_p‖² = g_W(Z, Z)` (isometry), and
    /// lifts are orthogonal to vertical vectors (`dφ(V) = 0`, built from `Ẇ_{p+1} = W_{p+1}K, Ẇ_p = −KW_p`).
    @Test func horizontalLiftIsAnIsometry() throws {
        let w = DenseOps.add(DenseOps.scale(1.5, DenseOps.identity(3)), Fixtures.gaussian(3, 3, seed: 91))
        let qs = (0..<3).map { DLN.orthogonal(3, seed: 92 + UInt64($0)) }
        let net = try DeepLinearNetwork.balanced(endToEnd: w, depth: 4, orthogonals: qs)
        let z = Fixtures.gaussian(3, 3, seed: 99)
        let lift = try net.horizontalLift(z)
        #expect(DLN.close(try net.differential(lift), z) <= 1e-12)
        let upstairs = lift.reduce(0) { $0 + pow($1.frobeniusNorm, 2) }
        let downstairs = try DeepLinearMetric(at: w, depth: 4).inner(z, z)
        #expect(Swift.abs(upstairs - downstairs) <= 1e-11 * downstairs, "‖lift‖² = \(upstairs), g_W(Z,Z) = \(downstairs)")
        // A vertical vector: insert K and −K between factors 2 and 3 (p = 2): W_3' = W_3 K, W_2' = −K W_2.
        let kk = DenseOps.combine(1, Fixtures.gaussian(3, 3, seed: 7), -1, Fixtures.gaussian(3, 3, seed: 7).transposed)
        var vertical = (0..<4).map { _ in Matrix(zerosRows: 3, cols: 3) }
        vertical[2] = DLN.mul(net.factors[2], kk)
        vertical[1] = DenseOps.scale(-1, DLN.mul(kk, net.factors[1]))
        #expect(try net.differential(vertical).maxAbs <= 1e-12, "vertical")
        let dot = zip(lift, vertical).reduce(0) { $0 + DenseOps.inner($1.0, $1.1) }
        #expect(Swift.abs(dot) <= 1e-11 * upstairs.squareRoot() * vertical.reduce(0) { $0 + $1.frobeniusNorm }, "horizontal ⟂ vertical")
    }

    /// Bad inputs: singular W for the inverse (message names σ_min), depth 0, mismatched factors, NaN.
    @Test func badInputsThrowClearErrors() throws {
        var singular = Fixtures.gaussian(3, 3, seed: 5)
        for i in 0..<3 { singular[i, 2] = singular[i, 0] + singular[i, 1] }
        let metric = try DeepLinearMetric(at: singular, depth: 3)
        _ = try metric.apply(DenseOps.identity(3))  // A itself is defined at rank-deficient W
        #expect {
            try metric.applyInverse(DenseOps.identity(3))
        } throws: { ($0 as? TangentFlowError)?.description.contains("smallest singular value is σ_min") == true }
        #expect(throws: TangentFlowError.self) { try DeepLinearMetric(at: DenseOps.identity(3), depth: 0) }
        #expect(throws: TangentFlowError.self) { try DeepLinearNetwork(factors: [DenseOps.identity(3), DenseOps.identity(2)]) }
        #expect(throws: TangentFlowError.self) { try DeepLinearNetwork(factors: []) }
        var nan = DenseOps.identity(2)
        nan[0, 1] = .infinity
        #expect(throws: TangentFlowError.self) { try DeepLinearMetric(at: nan, depth: 2) }
        let bad = DeepLinearEnergy(gradient: { _ in DenseOps.identity(2) })
        #expect(throws: TangentFlowError.self) { try DeepLinearNetwork(factors: [DenseOps.identity(3)]).upstairsGradient(bad) }
    }
}
