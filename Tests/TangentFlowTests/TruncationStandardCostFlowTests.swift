import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowTruncation

/// §8 (collapsed data: conservation law, decay bound, corrected propagators) and §9 (closed form (9.10)).
struct TruncationStandardCostFlowTests {
    static func random(_ q: Int, seed: UInt64, scale: Double) -> Matrix {
        var m = Fixtures.gaussian(q, q, seed: seed)
        for k in 0..<m.elements.count { m.elements[k] *= scale }
        return m
    }

    /// (8.6–8.7) are minus the gradient of `½‖WB + Y‖²` (central differences, `Tolerance.finiteDifference`: the cost
    /// is a quartic polynomial, truncation error h²·|C'''| ≈ 1e-11).
    @Test func fieldIsTheNegativeGradient() throws {
        let flow = try CollapsedDataFlow(labels: Self.random(3, seed: 1, scale: 1))
        let y = try flow.pack(shifts: Self.random(3, seed: 2, scale: 1), weight: Self.random(3, seed: 3, scale: 1))
        let v = try flow.velocity(at: 0, y)
        let fd = try (0..<y.count).map { k in
            try TruncationFixtures.central(1e-6) { e in
                var y2 = y
                y2[k] += e
                return try flow.cost(y2)
            }
        }
        TruncationCostTests.fdCheck(v.map { -$0 }, fd, "(8.6–8.7)")
    }

    /// Prop. 8.3 and Thm 8.4, both signs of `I(0)`: `I = BBᵀ − WᵀW` is conserved to the integrator's tolerance
    /// (dopri5, rtol = atol = 1e-11 → drift ≲ 1e-9 relative to ‖I‖ over s ∈ [0, 4]), and the cost stays under
    /// `e^{−2λ₀s}C̃(0)` (8.27) at every saved time (slack 1e-9 relative for the same reason).
    @Test(arguments: [true, false])
    func conservationAndDecayBound(positive: Bool) throws {
        let q = 3
        let flow = try CollapsedDataFlow(labels: Self.random(q, seed: 11, scale: 1))
        // I(0) > 0: B dominates (B = 2·1 + small, W small); I(0) < 0: the other way round.
        var big = try Matrix.identity(q)
        for k in 0..<big.elements.count { big.elements[k] = 2 * big.elements[k] + 0.2 * Self.random(q, seed: 12, scale: 1).elements[k] }
        let small = Self.random(q, seed: 13, scale: 0.3)
        let y0 = try positive ? flow.pack(shifts: big, weight: small) : flow.pack(shifts: small, weight: big)
        let gap = try #require(try flow.spectralGap(y0))
        #expect(gap > 1)
        let sol = try integrate(flow, stepper: .dopri5, controller: PIController(rtol: 1e-11, atol: 1e-11), from: 0, to: 4, start: y0,
                                saveAt: .evenly(41, from: 0, to: 4))
        #expect(sol.status == .success)
        let i0 = try flow.conservedMatrix(y0)
        let c0 = try flow.cost(y0)
        for (s, y) in zip(sol.times, sol.states) {
            #expect(relativeError(try flow.conservedMatrix(y), i0) <= 1e-9, "I drifted at s = \(s)")
            let bound = try #require(try flow.decayBound(start: y0, at: s))
            let c = try flow.cost(y)
            #expect(c <= bound * (1 + 1e-9), "s = \(s): C̃ = \(c) > bound \(bound)")
        }
        #expect(try flow.cost(sol.finalState) < 1e-6 * c0)
    }

    /// (8.11) with the corrected propagators `∂U_W = −WWᵀU_W`, `∂U_B = −U_B BᵀB`: `WB + Y = U_W(WB + Y)(0)U_B`.
    /// The printed (8.9) (`−U_B BBᵀ`, `−WᵀW U_W`) misses by O(1).
    @Test func correctedPropagators() throws {
        let q = 2
        let flow = try CollapsedDataFlow(labels: Self.random(q, seed: 21, scale: 1))
        struct Augmented: VectorField {
            let flow: CollapsedDataFlow
            let printed: Bool
            func velocity(at s: Double, _ y: [Double]) throws -> [Double] {
                let n = flow.width * flow.width
                let (b, w) = try flow.unpack(Array(y[0..<(2 * n)]))
                let uw = Matrix(uncheckedRows: flow.width, cols: flow.width, elements: Array(y[(2 * n)..<(3 * n)]))
                let ub = Matrix(uncheckedRows: flow.width, cols: flow.width, elements: Array(y[(3 * n)...]))
                let wwt = printed ? TruncationAlgebra.multiply(w, w, transposeA: true) : TruncationAlgebra.multiply(w, w, transposeB: true)
                let btb = printed ? TruncationAlgebra.multiply(b, b, transposeB: true) : TruncationAlgebra.multiply(b, b, transposeA: true)
                let duw = TruncationAlgebra.scale(TruncationAlgebra.multiply(wwt, uw), -1)
                let dub = TruncationAlgebra.scale(TruncationAlgebra.multiply(ub, btb), -1)
                return try flow.velocity(at: s, Array(y[0..<(2 * n)])) + duw.elements + dub.elements
            }
        }
        let b0 = Self.random(q, seed: 22, scale: 1), w0 = Self.random(q, seed: 23, scale: 1)
        let eye = try Matrix.identity(q)
        let start = try flow.pack(shifts: b0, weight: w0) + eye.elements + eye.elements
        let e0 = TruncationAlgebra.add(TruncationAlgebra.multiply(w0, b0), flow.labels)
        var misses: [Double] = []
        for printed in [false, true] {
            let sol = try integrate(Augmented(flow: flow, printed: printed), stepper: .dopri5, controller: PIController(rtol: 1e-11, atol: 1e-12),
                                    from: 0, to: 1.5, start: start)
            let y = sol.finalState, n = q * q
            let (b, w) = try flow.unpack(Array(y[0..<(2 * n)]))
            let e = TruncationAlgebra.add(TruncationAlgebra.multiply(w, b), flow.labels)
            let uw = Matrix(uncheckedRows: q, cols: q, elements: Array(y[(2 * n)..<(3 * n)]))
            let ub = Matrix(uncheckedRows: q, cols: q, elements: Array(y[(3 * n)...]))
            misses.append(relativeError(TruncationAlgebra.multiply(TruncationAlgebra.multiply(uw, e0), ub), e))
        }
        #expect(misses[0] <= 1e-8, "corrected propagators: relative miss \(misses[0])")
        #expect(misses[1] > 1e-2, "printed propagators should miss: \(misses[1])")
    }

    /// Thm 9.1: the closed form (9.10) through the symmetric exponential equals dopri5 integration of (9.7)
    /// (rtol = atol = 1e-12 → agreement ≲ 1e-9 relative), for both normalisations; the limit (9.12) equals
    /// `Y_ext X⁺` from the package's SVD pseudoinverse (uniform weights) and zeroes the gradient (both).
    @Test(arguments: ClusteredOutputFlow.Normalization.allCases)
    func closedFormMatchesIntegration(_ normalization: ClusteredOutputFlow.Normalization) throws {
        let data = TruncationFixtures.clusters(centres: [[1, 0, 0], [0, 2, 0], [0, 0, 1.5]], labels: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
                                               perCluster: 4, spread: 0.4, seed: 3)
        let flow = try ClusteredOutputFlow(data: data, normalization: normalization)
        let w0 = Self.random(3, seed: 4, scale: 1)
        let times = [0.5, 2, 8, 20]
        let sol = try integrate(flow, stepper: .dopri5, controller: PIController(rtol: 1e-12, atol: 1e-12), from: 0, to: 20, start: w0.elements,
                                saveAt: .times(times))
        for (s, y) in zip(sol.times, sol.states) {
            let closed = try flow.closedForm(start: w0, at: s)
            #expect(relativeError(closed.elements, y) <= 1e-9, "s = \(s)")
        }
        #expect(try flow.velocity(at: 0, flow.limit.elements).map(Swift.abs).max()! <= 1e-13)
        #expect(relativeError(try flow.closedForm(start: w0, at: 1e4), flow.limit) <= 1e-14)
        if normalization == .uniform {
            let x = try Matrix(rows: 3, cols: 12, columnMajor: data.clusters.flatMap { c in (0..<c.rows).flatMap { c.row($0) } })
            let yExt = try Matrix(rows: 3, cols: 12, columnMajor: data.labels.flatMap { l in (0..<4).flatMap { _ in l } })
            let viaPinv = TruncationAlgebra.multiply(yExt, try pseudoinverse(of: x))
            #expect(relativeError(flow.limit, viaPinv) <= 1e-12)
        }
        let costs = try times.map { try flow.cost(flow.closedForm(start: w0, at: $0)) }
        #expect(zip(costs, costs.dropFirst()).allSatisfy { $0 >= $1 })
    }

    @Test func badInputThrows() throws {
        // All inputs on a line: XXᵀ singular (9.9).
        let line = try ClusteredTrainingData(clusters: [try Matrix([[1, 2], [2, 4]]), try Matrix([[-1, -2]])], labels: [[1, 0], [0, 1]])
        do {
            _ = try ClusteredOutputFlow(data: line, normalization: .uniform)
            Issue.record("singular XXᵀ must throw")
        } catch let e as TangentFlowError {
            #expect(e.description.contains("XXᵀ is not invertible"), "\(e)")
        }
        #expect(throws: TangentFlowError.self) { try CollapsedDataFlow(labels: try Matrix(rows: 2, cols: 3)) }
        let flow = try CollapsedDataFlow(labels: try Matrix.identity(2))
        #expect(throws: TangentFlowError.self) { try flow.cost([1, 2, 3]) }
        #expect(throws: TangentFlowError.self) { try flow.pack(shifts: try Matrix.identity(2), weight: try Matrix.identity(3)) }
    }
}
