import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein

/// W₂ between particle sets: exact by assignment, exact in 1-D by sorting, and sliced.
struct WassersteinTransportTests {
    @Test(arguments: [1, 5, 40])
    func oneDimensionalAssignmentSortingAndSlicedAgree(m: Int) throws {
        let a = Fixtures.gaussian(m, 1, seed: 21), b = Fixtures.gaussian(m, 1, seed: 22)
        let sorted = try EmpiricalWasserstein.squaredDistance1D(a.elements, b.elements)
        let exact = try EmpiricalWasserstein.squaredDistance(a, b).value
        // In 1-D every direction is ±1, so each slice is the sorted distance itself.
        let sliced = try SlicedWasserstein.squaredDistance(a, b, directions: 7, seed: 1)
        // Same m squared differences summed in different orders: a few m·ε relative.
        let tol = 4 * Double(m) * .ulpOfOne * sorted
        #expect(abs(exact - sorted) <= tol, "assignment \(exact) vs sorting \(sorted)")
        #expect(abs(sliced - sorted) <= tol, "sliced \(sliced) vs sorting \(sorted)")
    }

    @Test func slicedIsBelowExactAndSeeded() throws {
        let a = Fixtures.gaussian(30, 3, seed: 4), b = Fixtures.gaussian(30, 3, seed: 5)
        let exact = try EmpiricalWasserstein.squaredDistance(a, b).value
        let s1 = try SlicedWasserstein.squaredDistance(a, b, directions: 200, seed: 9)
        let s2 = try SlicedWasserstein.squaredDistance(a, b, directions: 200, seed: 9)
        #expect(s1 == s2, "same seed, same value")
        // Each projection is 1-Lipschitz, so each slice is ≤ W₂² (here with the exact optimal plan's cost).
        #expect(s1 <= exact * (1 + 1e-12), "SW₂² = \(s1) > W₂² = \(exact)")
        #expect(s1 > 0)
        // A pure translation: W₂² = |c|², and SW₂² = |c|²/d in expectation (E⟨θ, c⟩² = |c|²/d); 200 directions
        // give ~10 % Monte-Carlo error.
        var shifted = a
        for i in 0..<30 { shifted[i, 0] += 2 }
        let t = try EmpiricalWasserstein.squaredDistance(a, shifted)
        #expect(abs(t.value - 4) <= 1e-13 && t.permutation == Array(0..<30))
        let st = try SlicedWasserstein.squaredDistance(a, shifted, directions: 2000, seed: 3)
        #expect(abs(st - 4.0 / 3) <= 0.1, "SW₂² of a translation by 2 in R³: \(st), expected ≈ 4/3")
    }

    @Test func rejectsBadParticleSets() throws {
        let a = Fixtures.gaussian(4, 2, seed: 1)
        #expect(throws: TangentFlowError.self) { try EmpiricalWasserstein.squaredDistance(a, Fixtures.gaussian(5, 2, seed: 1)) }
        #expect(throws: TangentFlowError.self) { try EmpiricalWasserstein.squaredDistance1D([1, 2], [1]) }
        #expect(throws: TangentFlowError.emptyInput(operation: "EmpiricalWasserstein.squaredDistance1D", argument: "a")) {
            try EmpiricalWasserstein.squaredDistance1D([], [])
        }
        #expect(throws: TangentFlowError.nonFinite(operation: "EmpiricalWasserstein.squaredDistance1D", argument: "b", row: 1, column: 0)) {
            try EmpiricalWasserstein.squaredDistance1D([1, 2], [0, .nan])
        }
        #expect(throws: TangentFlowError.invalidArgument(operation: "SlicedWasserstein.squaredDistance", reason: "directions must be ≥ 1, got 0")) {
            try SlicedWasserstein.squaredDistance(a, a, directions: 0, seed: 1)
        }
    }
}
