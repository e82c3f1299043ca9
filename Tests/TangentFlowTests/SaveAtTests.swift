import Foundation
import Testing

@testable import TangentFlow

/// `SaveAt.evenly` ends exactly at its end time, so `integrate` accepts it.
@Suite struct SaveAtTests {
    @Test func evenlyEndsExactlyAtTheEndTime() throws {
        // 0 + (0.1·3)/3 = 0.10000000000000002 in floating point: one past the end time.
        guard case let .times(ts) = SaveAt.evenly(4, from: 0, to: 0.1) else { Issue.record("not .times"); return }
        #expect(ts.last == 0.1 && ts.first == 0 && ts.count == 4)
        let (problem, theta0) = try FlowTheoremTests.fullRankProblem()
        let sol = try integrate(StandardFlow(problem: problem), stepper: .rk4, controller: ConstantStepSize(0.025), from: 0, to: 0.1,
                                start: theta0, saveAt: .evenly(4, from: 0, to: 0.1))
        #expect(sol.status == .success && sol.times.count == 4)
    }
}
