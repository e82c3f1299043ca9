// The (r, η) PDE of §4.2 of file 004 (Chizat & Bach's 2-homogeneous reduction), discretised by finite volumes on
// the circle. Derivation (the notes state the result only): a neuron w = (a, b) ∈ R^{1+D} of the trainable-second-
// layer network (§9) has ψ(w; x) = a σ(⟨b, x⟩), 2-homogeneous, so with w = rη, η ∈ S^D,
//     h(x) = (1/m) Σ_j ψ(w_j; x) = ∫ ψ(η; x) dν(η),    ν = (1/m) Σ_j r_j² δ_{η_j}.
// The particle flow in mean-field time, w_j' = −∇_w J(w_j | ν), J(w | ν) = (1/n) Σ_i e_i ψ(w; x_i) (the first
// variation of F = (1/(2n)) Σ_i e_i²), splits by homogeneity (∇(r² J(η)) = 2r J(η) η + r ∇_S J(η)) into
//     r' = −2 r J(η),   η' = −∇_S J(η)    ⇒    ∂_t ν = −4 J(η|ν) ν + div_S(ν ∇_S J(η|ν)).
// (The notes print the reaction term as −4J(η|ν_t) without the factor ν_t(η); the derivation, and the test
// against the particles, need it.)
//
// Here D = 1 (scalar inputs, no bias: the sphere is the circle), η = (cos φ, sin φ), ψ(φ; x) = cos φ σ(sin φ · x).

import Foundation
import TangentFlow

/// Finite-volume discretisation of the `(r, η)` PDE of §4.2 of file 004 on the circle `S¹`:
///
/// ```
/// ∂_t ν = −4 J ν + ∂_φ(ν ∂_φ J),   J(φ) = (1/n) Σ_i e_i ψ(φ; x_i),  ψ(φ; x) = cos φ · σ(sin φ · x),
/// e_i = h(x_i) − y_i,  h(x) = ∫ ψ(φ; x) dν(φ)
/// ```
/// Scheme (mass-conservative upwind, energy-dissipating): `N` cells of width `Δφ = 2π/N` centred at
/// `φ_k = (k + ½)Δφ`, cell masses `ν_k`;
///
/// ```
/// ν_k' = −4 J_k ν_k − (Φ_{k+½} − Φ_{k−½}),   Φ_{k+½} = (u⁺ ν_k + u⁻ ν_{k+1}) / Δφ,
/// u_{k+½} = −(J_{k+1} − J_k)/Δφ              (periodic indices)
/// ```
/// Postconditions of the semi-discrete scheme (exact, tested):
/// `(Σ ν_k)' = −4 Σ J_k ν_k` (transport conserves mass) and
/// `F' = Σ J_k ν_k' = −4 Σ J_k² ν_k − Σ_faces ((u⁺)² ν_k + (u⁻)² ν_{k+1}) ≤ 0`, the discrete form of
/// `F' = −4∫J² dν − ∫|∂_φ J|² dν`. First order in `Δφ`; positivity needs `Δt (max|u|/Δφ + 4 max|J|) ≤ 1`.
public struct CircleMeasurePDE: VectorField {
    /// Scalar inputs `x_i` (no augmentation: `D = 1`).
    public let inputs: [Double]
    /// Targets `y_i`.
    public let targets: [Double]
    /// Number of cells `N`.
    public let cells: Int

    /// `N ≥ 4` cells on the circle for the data `(x_i, y_i)`.
    /// - Throws: `.emptyInput`, `.shapeMismatch`, `.nonFinite`, `.invalidArgument` (`N < 4`).
    public init(inputs: [Double], targets: [Double], cells: Int) throws {
        let op = "CircleMeasurePDE"
        guard !inputs.isEmpty else { throw TangentFlowError.emptyInput(operation: op, argument: "inputs") }
        guard targets.count == inputs.count else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(inputs.count) targets (one per input)", got: "\(targets.count)")
        }
        try requireFinite(inputs, op, "inputs")
        try requireFinite(targets, op, "targets")
        try requireAtLeast(cells, 4, op, "cells")
        self.inputs = inputs
        self.targets = targets
        self.cells = cells
    }

    /// `Δφ = 2π/N`.
    public var width: Double { 2 * Double.pi / Double(cells) }
    /// The cell centres `φ_k = (k + ½)Δφ`.
    public var angles: [Double] { (0..<cells).map { (Double($0) + 0.5) * width } }

    /// `ψ(φ; x) = cos φ · σ(sin φ · x)`: a unit neuron `(a, b) = (cos φ, sin φ)`.
    public static func feature(_ phi: Double, _ x: Double) -> Double { cos(phi) * max(0, sin(phi) * x) }

    /// Network outputs `h(x_i) = Σ_k ν_k ψ(φ_k; x_i)`.
    /// - Throws: `.shapeMismatch` (length ≠ N), `.nonFinite`.
    public func outputs(_ nu: [Double]) throws -> [Double] {
        try check(nu, "CircleMeasurePDE.outputs")
        return forward(nu)
    }

    /// `F(ν) = (1/(2n)) Σ_i (h(x_i) − y_i)²`.
    /// - Throws: as `outputs`.
    public func energy(_ nu: [Double]) throws -> Double {
        try check(nu, "CircleMeasurePDE.energy")
        let h = forward(nu)
        var s = 0.0
        for i in 0..<inputs.count { s += (h[i] - targets[i]) * (h[i] - targets[i]) }
        return s / (2 * Double(inputs.count))
    }

    /// The potential `J_k = J(φ_k | ν)` at the cell centres (the first variation of `F`).
    /// - Throws: as `outputs`.
    public func potential(_ nu: [Double]) throws -> [Double] {
        try check(nu, "CircleMeasurePDE.potential")
        return potentialUnchecked(nu)
    }

    /// The scheme's dissipation `4 Σ J_k² ν_k + Σ_faces ((u⁺)² ν_k + (u⁻)² ν_{k+1})`, so that `F' = −dissipation`.
    /// - Throws: as `outputs`.
    public func dissipation(_ nu: [Double]) throws -> Double {
        try check(nu, "CircleMeasurePDE.dissipation")
        let j = potentialUnchecked(nu)
        var s = 0.0
        for k in 0..<cells {
            let next = (k + 1) % cells
            let u = -(j[next] - j[k]) / width
            s += 4 * j[k] * j[k] * nu[k] + (u > 0 ? u * u * nu[k] : u * u * nu[next])
        }
        return s
    }

    /// A time step that keeps the masses non-negative for explicit Euler at `ν`:
    /// `1 / (max|u|/Δφ + 4 max|J|)` (RK4 is stable below it as well for this linear-in-ν transport).
    /// - Throws: as `outputs`.
    public func stableStep(_ nu: [Double]) throws -> Double {
        try check(nu, "CircleMeasurePDE.stableStep")
        let j = potentialUnchecked(nu)
        var umax = 0.0, jmax = 0.0
        for k in 0..<cells {
            umax = max(umax, abs(j[(k + 1) % cells] - j[k]) / width)
            jmax = max(jmax, abs(j[k]))
        }
        let rate = umax / width + 4 * jmax
        return rate > 0 ? 1 / rate : .infinity
    }

    /// `ν' ` of the scheme (see the type's documentation).
    /// - Throws: as `outputs`.
    public func velocity(at s: Double, _ nu: [Double]) throws -> [Double] {
        try check(nu, "CircleMeasurePDE.velocity")
        let j = potentialUnchecked(nu)
        var flux = [Double](repeating: 0, count: cells)   // Φ_{k+½}
        for k in 0..<cells {
            let next = (k + 1) % cells
            let u = -(j[next] - j[k]) / width
            flux[k] = (u > 0 ? u * nu[k] : u * nu[next]) / width
        }
        return (0..<cells).map { k in -4 * j[k] * nu[k] - (flux[k] - flux[(k + cells - 1) % cells]) }
    }

    /// The discrete measure of `m` particles `w_j = (a_j, b_j)` (mean-field normalisation `1/m`): each particle's
    /// mass `r_j²/m` goes to the cell holding its angle `atan2(b_j, a_j)`. Exact for particles at the cell centres.
    /// - Throws: `.shapeMismatch` (a and b of different lengths), `.emptyInput`, `.nonFinite`.
    public func measure(ofParticles a: [Double], _ b: [Double]) throws -> [Double] {
        let op = "CircleMeasurePDE.measure"
        guard !a.isEmpty else { throw TangentFlowError.emptyInput(operation: op, argument: "a") }
        guard b.count == a.count else { throw TangentFlowError.shapeMismatch(operation: op, expected: "\(a.count) b's", got: "\(b.count)") }
        try requireFinite(a, op, "a")
        try requireFinite(b, op, "b")
        var nu = [Double](repeating: 0, count: cells)
        for i in 0..<a.count {
            var phi = atan2(b[i], a[i])
            if phi < 0 { phi += 2 * Double.pi }
            let k = min(cells - 1, Int(phi / width))
            nu[k] += (a[i] * a[i] + b[i] * b[i]) / Double(a.count)
        }
        return nu
    }

    // MARK: internals

    func check(_ nu: [Double], _ op: String) throws {
        guard nu.count == cells else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "\(cells) cell masses", got: "\(nu.count)")
        }
        try requireFinite(nu, op, "ν")
    }

    func forward(_ nu: [Double]) -> [Double] {
        let phi = angles
        return inputs.map { x in
            var h = 0.0
            for k in 0..<cells where nu[k] != 0 { h += nu[k] * Self.feature(phi[k], x) }
            return h
        }
    }

    func potentialUnchecked(_ nu: [Double]) -> [Double] {
        let h = forward(nu)
        let n = Double(inputs.count)
        let e = (0..<inputs.count).map { (h[$0] - targets[$0]) / n }
        return angles.map { phi in
            var s = 0.0
            for i in 0..<inputs.count { s += e[i] * Self.feature(phi, inputs[i]) }
            return s
        }
    }
}
