import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowTruncation

/// The flows of Thm 3.2 (cluster separated) and Thm 5.1 (general), integrated with `CayleyStepper`: `R_ℓ` stays
/// on `O(Q)`, the cost decreases monotonically, Prop. 4.1's equilibria stay put, Prop. 4.2's collapse happens in
/// finite time and is followed by rate-1 convergence.
struct TruncationFlowTests {
    static func run(_ field: any VectorField, _ p: AdaptedParameters, to s1: Double, h: Double, method: CayleyStepper.Method = .heunEuler,
                    saveAt: SaveAt = .steps) throws -> FlowSolution {
        let sol = try integrate(field, stepper: CayleyStepper(method, orthogonalBlocks: p.orthogonalBlocks), controller: ConstantStepSize(h),
                                from: 0, to: s1, start: p.packed, saveAt: saveAt)
        #expect(sol.status == .success)
        return sol
    }

    static func params(_ y: [Double], like p: AdaptedParameters) throws -> AdaptedParameters {
        try AdaptedParameters(packed: y, width: p.width, layers: p.layerCount)
    }

    /// 4 000 Heun–Cayley steps of the general flow: `‖RᵀR − I‖_F` stays at rounding level. Each step multiplies
    /// by an orthogonal factor computed to a few ε, so the defect grows at most linearly: ≤ steps·2ε ≈ 1.8e-12
    /// (observed: ~1e-12 after 5 000 steps, a few 1e-13 here). Plain explicit Euler on the same field leaves
    /// `O(Q)` by `O(h²‖Ω‖²)` per step, until the field refuses the state.
    @Test func rotationsStayOrthogonal() throws {
        let data = TruncationFixtures.randomData(q: 3, clusters: 2, perCluster: 6, seed: 12)
        let cost = try EuclideanInputCost(data: data)
        let p = TruncationFixtures.randomAdapted(q: 3, layers: 2, seed: 13)
        let field = try GeneralTruncationFlow(cost: cost, layers: 2)
        let sol = try Self.run(field, p, to: 6, h: 1.5e-3, saveAt: .evenly(11, from: 0, to: 6))
        #expect(sol.stats.acceptedSteps >= 4000)
        let defect = try sol.states.map { try Self.params($0, like: p).orthogonalityDefect }.max()!
        #expect(defect <= Double(sol.stats.acceptedSteps) * 2 * Tolerance.eps, "max ‖RᵀR − I‖_F = \(defect)")
        // Plain Euler drifts off O(Q) (‖RᵀR − I‖_F reached 1.1e-5 here) until the field refuses the state (> 1e-8).
        do {
            _ = try integrate(field, stepper: .euler, controller: ConstantStepSize(1.5e-3), from: 0, to: 6, start: p.packed)
            Issue.record("plain Euler should leave O(Q)")
        } catch let e as TangentFlowError {
            #expect(e.description.contains("is not orthogonal"), "\(e)")
        }
    }

    /// Along every run the cost is non-increasing step by step (to rounding of the cost, 1e-14 relative), for the
    /// general flow on random problems and the effective flow on a separated one; and `dC/ds = −Σ(|β'|² + ‖Ω‖²_F)`
    /// (3.24–3.26) by a central difference of one Lie–Euler step of size ±h (error O(h) ≈ 1e-6 relative).
    @Test(arguments: [UInt64(1), 2, 3])
    func costDecreasesMonotonically(seed: UInt64) throws {
        let q = seed == 3 ? 3 : 2
        let data = TruncationFixtures.randomData(q: q, clusters: 2, perCluster: 8, seed: seed)
        let cost = try EuclideanInputCost(data: data)
        let p = TruncationFixtures.randomAdapted(q: q, layers: 2, seed: seed &+ 50)
        let field = try GeneralTruncationFlow(cost: cost, layers: 2)
        let sol = try Self.run(field, p, to: 4, h: 4e-3)
        let costs = try sol.states.map { try cost.value(Self.params($0, like: p)) }
        for k in 1..<costs.count {
            #expect(costs[k] <= costs[k - 1] * (1 + 1e-14), "step \(k): \(costs[k - 1]) → \(costs[k])")
        }
        #expect(costs.last! < costs.first!)
        // Dissipation identity at the start.
        let g = try cost.adaptedGradient(p)
        let dissipation = g.shifts.flatMap { $0 }.reduce(0) { $0 + $1 * $1 } + g.omegas.reduce(0) { $0 + $1.frobeniusNorm * $1.frobeniusNorm }
        let stepper = CayleyStepper(.euler, orthogonalBlocks: p.orthogonalBlocks)
        let h = 1e-7
        let fwd = try cost.value(Self.params(stepper.step(field, at: 0, p.packed, size: h, f0: nil).y, like: p))
        let bwd = try cost.value(Self.params(stepper.step(field, at: 0, p.packed, size: -h, f0: nil).y, like: p))
        let dcds = (fwd - bwd) / (2 * h)
        #expect(Swift.abs(dcds + dissipation) <= 1e-6 * dissipation, "dC/ds = \(dcds), −Σ|grad|² = \(-dissipation)")
    }

    /// In the cluster-separated regime the effective flow (Cor. 3.5) and the general flow (Thm 5.1) are the same
    /// ODE: integrated with the same steps they agree to rounding (1e-11 after 1 000 steps) while separation holds.
    @Test func effectiveFlowEqualsGeneralFlowWhenSeparated() throws {
        let (cost, p) = try TruncationCostTests.separatedProblem()
        let effective = ClusterSeparatedFlow(cost: cost)
        let general = try GeneralTruncationFlow(cost: cost, layers: 2)
        let a = try Self.run(effective, p, to: 2, h: 2e-3, saveAt: .evenly(5, from: 0, to: 2))
        let b = try Self.run(general, p, to: 2, h: 2e-3, saveAt: .evenly(5, from: 0, to: 2))
        for (ya, yb) in zip(a.states, b.states) {
            #expect(try effective.clusterSeparationHolds(Self.params(ya, like: p)))
            #expect(relativeError(ya, yb) <= 1e-11)
        }
        let costs = try a.states.map { try cost.value(Self.params($0, like: p)) }
        #expect(costs.last! < 0.9 * costs.first!, "the effective flow should make progress: \(costs)")
    }

    /// Prop. 4.1: data fully untruncated (any β), or fully truncated with `β = −ỹ`, is an equilibrium: the state does
    /// not move over s ∈ [0, 10]. Fully truncated with `β ≠ −ỹ` is *not* (the printed proof misses `β' = −(β + ỹ)`):
    /// there `R` stays put (`Ω = 0`) while `β + ỹ` decays at rate 1 exactly.
    @Test func equilibriaStayPut() throws {
        let r = TruncationFixtures.rotation(0.7)
        let data = TruncationFixtures.clusters(centres: [[0, 0]], labels: [[5, 4]], perCluster: 15, spread: 0.4, seed: 4)
        let cost = try EuclideanInputCost(data: data)
        let flow = ClusterSeparatedFlow(cost: cost)
        let yt = cost.pulledBackLabels[0]
        // Untruncated: Rβ large positive puts every u = R(x + β) in R^Q_+.
        let up = try AdaptedParameters(rotations: [r], shifts: [TruncationAlgebra.applyTransposed(r, [10, 10])])
        // Fully truncated at β = −ỹ: needs R(x − ỹ) ≤ 0 for every point.
        let rDown = try Matrix.identity(2)
        let down = try AdaptedParameters(rotations: [rDown], shifts: [yt.map { -$0 }])
        #expect(try ClusterMoments(points: data.clusters[0], rotation: rDown, shift: down.shifts[0]).truncatedFractions == [1, 1])
        for p in [up, down] {
            let sol = try Self.run(flow, p, to: 10, h: 1e-2, saveAt: .endpoints)
            #expect(relativeError(sol.finalState, p.packed) <= 1e-15, "\(p) moved to \(sol.finalState)")
        }
        // Fully truncated, β ≠ −ỹ: R fixed, |β + ỹ| = e^{−s}|β(0) + ỹ|. Heun's factor 1 − h + h²/2 misses e^{−h}
        // by h³/6 relative per step: 300 steps of h = 1e-2 → 5.0e-5 relative; allow 6e-5.
        let off = try AdaptedParameters(rotations: [rDown], shifts: [yt.map { -$0 - 1 }])
        let sol = try Self.run(flow, off, to: 3, h: 1e-2, saveAt: .endpoints)
        let end = try Self.params(sol.finalState, like: off)
        #expect(relativeError(end.rotations[0].elements, rDown.elements) <= 1e-15)
        let ratio = hypot(end.shifts[0][0] + yt[0], end.shifts[0][1] + yt[1]) / hypot(1, 1)
        #expect(Swift.abs(ratio / exp(-3) - 1) <= 6e-5, "ratio/e^{-3} − 1 = \(ratio / exp(-3) - 1)")
    }

    /// Prop. 4.2, with its assumptions measured along the run: mass concentration `J₀^⊥ > 1 − η₀` (4.14) and a small
    /// off-diagonal first moment `∫|u| < η₁` (4.15), with `η₀, η₁ < 1/10`, and `R(x − ỹ) < 0` for every point, so
    /// that the whole cluster lies in `R^Q_−` once `β` is near `−ỹ` (4.16). Then: the estimate (4.28)
    /// `|b̃(s)| ≤ e^{−s(1−η₀−η₁')}|b̃(0)|` holds; the cluster is fully truncated at a finite `s₁`; from then on
    /// `Ω = 0` and `R` is constant; the cluster is collapsed to the point `−β`; and
    /// `|β + ỹ| = e^{−(s−s₁)}|β(s₁) + ỹ|` (rate 1; Heun with h = 2e-3 reproduces `e^{−h}` to h³/6 per step, so the
    /// fitted rate is 1 within h²/6 ≈ 7e-7; allow 2e-6).
    @Test func collapseInFiniteTimeThenRateOne() throws {
        let data = TruncationFixtures.clusters(centres: [[0, 0]], labels: [[3, 3]], perCluster: 40, spread: 0.3, seed: 8)
        let cost = try EuclideanInputCost(data: data)
        let r = TruncationFixtures.rotation(0.3)
        let p = try AdaptedParameters(rotations: [r], shifts: [TruncationAlgebra.applyTransposed(r, [-0.5, -0.55])])
        let flow = ClusterSeparatedFlow(cost: cost)
        let yt = cost.pulledBackLabels[0]
        for i in 0..<data.clusters[0].rows {
            let u = TruncationAlgebra.apply(r, zip(data.point(cluster: 0, i), yt).map { $0 - $1 })
            #expect(u.allSatisfy { $0 < 0 }, "(4.16) needs R(x − ỹ) < 0")
        }
        let m0 = try ClusterMoments(points: data.clusters[0], rotation: r, shift: p.shifts[0])
        #expect(m0.truncatedFractions.allSatisfy { $0 > 0.9 && $0 < 1 }, "J₀^⊥ = \(m0.truncatedFractions)")
        #expect(m0.sectors.count >= 2, "some mass must start in an off-diagonal sector")
        let sol = try Self.run(flow, p, to: 5, h: 2e-3)
        let states = try sol.states.map { try Self.params($0, like: p) }
        let k1 = try #require(try states.firstIndex { try ClusterMoments(points: data.clusters[0], rotation: $0.rotations[0], shift: $0.shifts[0]).truncatedFractions == [1, 1] })
        let s1 = sol.times[k1]
        #expect(s1 > 0 && s1 < 3, "collapse time s₁ = \(s1)")
        // The assumptions along the run up to s₁, and the estimate (4.28).
        var eta0 = 0.0, eta1 = 0.0
        for q in states[...k1] {
            let m = try ClusterMoments(points: data.clusters[0], rotation: q.rotations[0], shift: q.shifts[0])
            eta0 = Swift.max(eta0, 1 - m.truncatedFractions.min()!)
            eta1 = Swift.max(eta1, Self.offDiagonalFirstMoment(data.clusters[0], q))
        }
        #expect(eta0 < 0.1 && eta1 < 0.1, "η₀ = \(eta0), η₁ = \(eta1)")
        let b0 = hypot(p.shifts[0][0] + yt[0], p.shifts[0][1] + yt[1])
        let decay = 1 - eta0 - 1.1 * b0 * eta1
        #expect(decay > 0)
        for (s, q) in zip(sol.times, states) {
            let b = hypot(q.shifts[0][0] + yt[0], q.shifts[0][1] + yt[1])
            #expect(b <= exp(-s * decay) * b0 * (1 + 1e-12), "(4.28) at s = \(s)")
        }
        func residual(_ q: AdaptedParameters) -> Double { hypot(q.shifts[0][0] + yt[0], q.shifts[0][1] + yt[1]) }
        for k in k1..<states.count {
            #expect(relativeError(states[k].rotations[0], states[k1].rotations[0]) <= 1e-15, "R moved after s₁ at s = \(sol.times[k])")
            #expect(try ClusterMoments(points: data.clusters[0], rotation: states[k].rotations[0], shift: states[k].shifts[0]).truncatedFractions == [1, 1])
        }
        let rate = -log(residual(states.last!) / residual(states[k1])) / (sol.times.last! - s1)
        #expect(Swift.abs(rate - 1) <= 2e-6, "rate after collapse = \(rate)")
        let rateBefore = -log(residual(states[k1]) / residual(states[0])) / s1
        #expect(rateBefore < 1, "before collapse the rate J₀^⊥ < 1: \(rateBefore)")
        // Collapsed: every point is mapped to −β.
        let net = try states.last!.network()
        for i in 0..<data.clusters[0].rows {
            let t = try net.truncate(data.point(cluster: 0, i), layer: 1)
            #expect(Swift.abs(t[0] + states.last!.shifts[0][0]) <= 1e-13 && Swift.abs(t[1] + states.last!.shifts[0][1]) <= 1e-13)
        }
    }

    /// `∫_{R^Q \ (R^Q_+ ∪ R^Q_−)} |u| dμ∘a⁻¹` (4.15): the mean of `|u_i|` over points in off-diagonal sectors.
    static func offDiagonalFirstMoment(_ cluster: Matrix, _ q: AdaptedParameters) -> Double {
        var sum = 0.0
        for i in 0..<cluster.rows {
            let u = TruncationAlgebra.apply(q.rotations[0], zip(cluster.row(i), q.shifts[0]).map(+))
            if u.contains(where: { $0 > 0 }) && u.contains(where: { $0 <= 0 }) { sum += hypot(u[0], u[1]) }
        }
        return sum / Double(cluster.rows)
    }

    /// One layer, points in all four sectors at distance ≥ 1 from the boundaries; over flow time 0.1 the flow
    /// moves them by ~0.2, so no point changes sector (the field is smooth along the way).
    static func smoothOneLayerProblem() throws -> (EuclideanInputCost, AdaptedParameters, GeneralTruncationFlow) {
        let r = TruncationFixtures.rotation(0.3)
        var rng = SeededGenerator(seed: 31)
        let us = [[2.0, 2], [-2, 2], [2, -2], [-2, -2], [1.5, -2.5], [-2.5, 1.5]]
        let xs = us.map { u in TruncationAlgebra.applyTransposed(r, u.map { $0 + 0.3 * rng.nextGaussian() }) }
        let cost = try EuclideanInputCost(data: try ClusteredTrainingData(clusters: [try Matrix(xs)], labels: [[1, 2]]))
        let p = try AdaptedParameters(rotations: [r], shifts: [[0, 0]])
        let field = try GeneralTruncationFlow(cost: cost, layers: 1)
        return (cost, p, field)
    }

    /// Heun–Cayley is second order on a stretch where no point changes sector (smooth field): errors against a
    /// fine reference fall by ≈4 per halving of h (observed order in [1.8, 2.2]).
    @Test func heunCayleyIsSecondOrder() throws {
        let (cost, p, field) = try Self.smoothOneLayerProblem()
        let end = 0.1
        // Every point's activation pattern at every layer of the chain: equal at both ends and in between means
        // the field is smooth along the way.
        func pattern(_ y: [Double]) throws -> [[Bool]] {
            let net = try Self.params(y, like: p).network()
            return cost.data.clusters.indices.flatMap { j in
                (0..<cost.data.clusters[j].rows).flatMap { i in TruncationTape(net, cost.data.point(cluster: j, i)).preactivations.map { $0.map { $0 > 0 } } }
            }
        }
        let path = try Self.run(field, p, to: end, h: end / 64, saveAt: .steps)
        #expect(try path.states.allSatisfy { try pattern($0) == pattern(p.packed) }, "a point changed sector: pick a shorter interval")
        let reference = try Self.run(field, p, to: end, h: end / 2048, saveAt: .endpoints).finalState
        let errors = try [8, 16, 32].map { n in relativeError(try Self.run(field, p, to: end, h: end / Double(n), saveAt: .endpoints).finalState, reference) }
        for k in 1..<errors.count {
            let order = log2(errors[k - 1] / errors[k])
            #expect(order > 1.8 && order < 2.2, "observed order \(order), errors \(errors)")
        }
    }

    /// Heun–Cayley's embedded Lie–Euler estimate drives `PIController`. On a smooth stretch (no point changes
    /// sector; the problem of `heunCayleyIsSecondOrder`) with rtol 1e-6 the steps are ~1e-3 (error ∝ h²), and the
    /// result is within 1e-5 relative of a fine fixed-step run (local errors ≤ tol, ≲ 100 steps); `R` stays
    /// orthogonal to ≤ steps·2ε. (With crossings the controller is dominated by rejections; see `CayleyStepper`.)
    @Test func adaptiveStepping() throws {
        let (_, p, field) = try Self.smoothOneLayerProblem()
        let adaptive = try integrate(field, stepper: CayleyStepper(.heunEuler, orthogonalBlocks: p.orthogonalBlocks),
                                     controller: PIController(rtol: 1e-6, atol: 1e-9), from: 0, to: 0.1, start: p.packed, maxSteps: 5000)
        #expect(adaptive.status == .success)
        let steps = adaptive.stats.acceptedSteps + adaptive.stats.rejectedSteps
        #expect(try Self.params(adaptive.finalState, like: p).orthogonalityDefect <= Double(steps) * 2 * Tolerance.eps)
        let reference = try Self.run(field, p, to: 0.1, h: 0.1 / 2048, saveAt: .endpoints)
        #expect(relativeError(adaptive.finalState, reference.finalState) <= 1e-5,
                "error \(relativeError(adaptive.finalState, reference.finalState)), \(adaptive.stats.acceptedSteps) accepted, \(adaptive.stats.rejectedSteps) rejected")
    }

    /// Bad input: a layout that does not fit, a wrong packed length.
    @Test func badInputThrows() throws {
        let p = TruncationFixtures.randomAdapted(q: 2, layers: 1, seed: 1)
        let cost = try EuclideanInputCost(data: TruncationFixtures.randomData(q: 2, clusters: 1, perCluster: 3, seed: 1))
        let stepper = CayleyStepper(.euler, orthogonalBlocks: [OrthogonalBlock(offset: 4, size: 2)])
        #expect(throws: TangentFlowError.self) { try stepper.step(ClusterSeparatedFlow(cost: cost), at: 0, p.packed, size: 0.1, f0: nil) }
        #expect(throws: TangentFlowError.self) { try ClusterSeparatedFlow(cost: cost).velocity(at: 0, [1, 2, 3]) }
        #expect(throws: TangentFlowError.self) { try GeneralTruncationFlow(cost: cost, layers: 0) }
        #expect(throws: TangentFlowError.self) { try AdaptedParameters(packed: [.nan, 0, 1, 0, 0, 1], width: 2, layers: 1) }
        // A packed state whose R is not orthogonal is refused where it is used (Rᵀ would not be R⁻¹).
        #expect(throws: TangentFlowError.self) { try ClusterSeparatedFlow(cost: cost).velocity(at: 0, [0, 0, 1, 0, 0.5, 1]) }
    }
}
