/// One generic stepper for every explicit Runge–Kutta tableau (`.euler`, `.rk4`, `.dopri5`).
public struct ExplicitRungeKutta: Stepper {
    /// The method.
    public let tableau: ButcherTableau

    /// A stepper for `tableau`.
    public init(_ tableau: ButcherTableau) { self.tableau = tableau }

    /// Order of the propagated solution.
    public var order: Int { tableau.order }
    /// Order of the embedded error estimate (`nil`: none).
    public var errorOrder: Int? { tableau.errorOrder }

    /// One step from `(s, y)` of size `h`, see `Stepper.step(_:at:_:size:f0:)`.
    public func step(_ field: any VectorField, at s: Double, _ y: [Double], size h: Double, f0: [Double]?) throws -> StepResult {
        let stages = tableau.b.count
        var k: [[Double]] = []
        k.reserveCapacity(stages)
        var evaluations = 0
        for i in 0..<stages {
            if i == 0, let f0 {
                k.append(f0)
                continue
            }
            var yi = y
            for (j, aij) in tableau.a[i].enumerated() where aij != 0 {
                let hk = h * aij
                let kj = k[j]
                for p in 0..<yi.count { yi[p] += hk * kj[p] }
            }
            k.append(try field.velocity(at: s + tableau.c[i] * h, yi))
            evaluations += 1
        }
        var y1 = y
        for (i, bi) in tableau.b.enumerated() where bi != 0 {
            let hb = h * bi
            let ki = k[i]
            for p in 0..<y1.count { y1[p] += hb * ki[p] }
        }
        var err: [Double]? = nil
        if let e = tableau.e {
            var v = [Double](repeating: 0, count: y.count)
            for (i, ei) in e.enumerated() where ei != 0 {
                let he = h * ei
                let ki = k[i]
                for p in 0..<v.count { v[p] += he * ki[p] }
            }
            err = v
        }
        return StepResult(y: y1, error: err, fLast: tableau.fsal ? k[stages - 1] : nil, evaluations: evaluations)
    }
}

extension Stepper where Self == ExplicitRungeKutta {
    /// Explicit Euler (gradient descent with a constant step).
    public static var euler: ExplicitRungeKutta { ExplicitRungeKutta(.euler) }
    /// Classical RK4.
    public static var rk4: ExplicitRungeKutta { ExplicitRungeKutta(.rk4) }
    /// Dormand–Prince 5(4).
    public static var dopri5: ExplicitRungeKutta { ExplicitRungeKutta(.dopri5) }
}
