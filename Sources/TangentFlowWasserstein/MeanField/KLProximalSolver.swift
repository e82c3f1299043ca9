import Foundation
import TangentFlow

// prox^{KL}_{σf}(p̄) = argmin_{p ≥ 0} σ f(p) + KL(p | p̄) for the quadratic f(p) = (1/(2n))|Φp − y|², in the log
// domain, by Newton's method on its n-dimensional dual (n = samples ≪ K = grid points).
//
// Derivation. Write r = Φp. Fenchel duality with φ(r) = (σ/(2n))|r − y|², φ*(z) = (n/(2σ))|z|² + ⟨z, y⟩ and
// KL(·|p̄)*(s) = Σ p̄_k (e^{s_k} − 1) gives the strictly convex dual
//     D(z) = (n/(2σ))|z|² + ⟨z, y⟩ + Σ_k p̄_k e^{−(Φᵀz)_k},
//     ∇D(z) = (n/σ) z + y − Φ p(z),   ∇²D(z) = (n/σ) I + Φ diag(p(z)) Φᵀ,   p(z) = p̄ ⊙ e^{−Φᵀz},
// and at the optimum z = (σ/n)(Φp − y), i.e. log p = log p̄ − σ ∇f(p): the primal optimality condition. Newton
// with Armijo backtracking on D converges from any start (D strictly convex, coercive); each iteration costs
// O(K n²) plus an n×n Cholesky. Everything is carried as log p̄ and log p, so masses far below the smallest
// double are fine.

/// Log-domain KL-proximal operator of the grid energy's quadratic, solved on the dual.
struct KLProximalSolver: Sendable {
    /// `Φ`, `n×K`, column-major (column k = features of grid point k).
    let features: Matrix
    /// `y`.
    let targets: [Double]
    /// `σ > 0` (τ/γ in the JKO step).
    let sigma: Double

    /// Result of one solve.
    struct Solution {
        /// `log p`.
        var logP: [Double]
        /// Newton iterations used.
        var iterations: Int
        /// `‖∇D(z)‖_∞ = ‖(n/σ)z + y − Φp‖_∞` at the end.
        var residual: Double
        /// Whether `residual ≤ tolerance`.
        var converged: Bool
    }

    /// `log p` of `prox^{KL}_{σf}(p̄)` given `log p̄`; `z` is the dual warm start, updated in place.
    func solve(logPrior: [Double], dual z: inout [Double], tolerance: Double, maxIterations: Int) -> Solution {
        let n = targets.count, count = logPrior.count
        let phi = features.elements
        let ratio = Double(n) / sigma
        func logWeights(_ z: [Double]) -> [Double] {
            (0..<count).map { k in
                var s = 0.0
                for j in 0..<n { s += phi[j + k * n] * z[j] }
                return logPrior[k] - s
            }
        }
        func dualValue(_ z: [Double], _ logP: [Double]) -> Double {
            var v = 0.0
            for j in 0..<n { v += ratio / 2 * z[j] * z[j] + z[j] * targets[j] }
            for l in logP where l > -.infinity { v += exp(l) }
            return v
        }
        var logP = logWeights(z)
        var value = dualValue(z, logP)
        if !value.isFinite {   // a warm start that overflows e^{−Φᵀz}: D is finite at z = 0
            z = [Double](repeating: 0, count: n)
            logP = logWeights(z)
            value = dualValue(z, logP)
        }
        var iterations = 0
        while true {
            let p = logP.map { exp($0) }
            // ∇D = (n/σ)z + y − Φp.
            var grad = (0..<n).map { ratio * z[$0] + targets[$0] }
            for k in 0..<count where p[k] != 0 { for j in 0..<n { grad[j] -= phi[j + k * n] * p[k] } }
            let residual = grad.reduce(0) { max($0, abs($1)) }
            if residual <= tolerance { return Solution(logP: logP, iterations: iterations, residual: residual, converged: true) }
            if iterations >= maxIterations || !residual.isFinite {
                return Solution(logP: logP, iterations: iterations, residual: residual, converged: false)
            }
            // H = (n/σ)I + Φ diag(p) Φᵀ; solve H δ = −∇D.
            var h = Matrix(zerosRows: n, cols: n)
            for a in 0..<n { h.elements[a + a * n] = ratio }
            for k in 0..<count where p[k] != 0 {
                for b in 0..<n {
                    let fb = phi[b + k * n] * p[k]
                    if fb == 0 { continue }
                    for a in 0..<n { h.elements[a + b * n] += phi[a + k * n] * fb }
                }
            }
            guard let delta = try? swiftCholeskySolve(h, Matrix.column(grad.map { -$0 })).elements else {
                return Solution(logP: logP, iterations: iterations, residual: residual, converged: false)
            }
            var slope = 0.0
            for j in 0..<n { slope += grad[j] * delta[j] }
            // Armijo backtracking on D (a few ulps of slack once the decrease is below D's rounding). Near the
            // solution the decrease 1e-4·t·|slope| falls below the rounding of D itself (a sum of `count` terms),
            // where Armijo cannot be tested; there a step that halves the residual ‖∇D‖∞ is accepted instead.
            var t = 1.0
            while true {
                let trial = (0..<n).map { z[$0] + t * delta[$0] }
                let trialLogP = logWeights(trial)
                let trialValue = dualValue(trial, trialLogP)
                var accept = trialValue.isFinite && trialValue <= value + 1e-4 * t * slope + 8 * .ulpOfOne * abs(value)
                if !accept && trialValue.isFinite && -slope <= Double(count + n) * .ulpOfOne * abs(value) {
                    var trialGrad = (0..<n).map { ratio * trial[$0] + targets[$0] }
                    for k in 0..<count where trialLogP[k] > -.infinity {
                        let pk = exp(trialLogP[k])
                        for j in 0..<n { trialGrad[j] -= phi[j + k * n] * pk }
                    }
                    accept = trialGrad.reduce(0) { max($0, abs($1)) } <= 0.5 * residual
                }
                if accept {
                    z = trial
                    logP = trialLogP
                    value = trialValue
                    break
                }
                t /= 2
                if t < 1e-12 { return Solution(logP: logP, iterations: iterations, residual: residual, converged: false) }
            }
            iterations += 1
        }
    }
}
