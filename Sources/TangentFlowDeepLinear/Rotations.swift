import Foundation
import TangentFlow

// Logarithm and exponential of rotations by symmetric eigendecompositions only (the module's one tool).
//
// A rotation Q (QᵀQ = I, det Q = 1) is normal, so C = (Q + Qᵀ)/2 and S = (Q − Qᵀ)/2 commute. On each invariant
// plane where Q turns by θ ∈ [0, π), C = cos θ·I and S = sin θ·J, so log Q = θJ = g(C)·S with g(c) = θ/sin θ,
// θ = arccos c (g(1) = 1). At θ = π the logarithm is not unique (S vanishes there and that plane is dropped: the
// result is then a logarithm of a nearby rotation, which is all the shooting's guess needs).
//
// For skew Ω, M = ΩᵀΩ = −Ω² is symmetric PSD with eigenvalues θ² (doubled) per plane, and
// exp(sΩ) = cos(s√M) + Ω·h(M), h(λ) = sin(s√λ)/√λ (h(0) = s).
enum Rotations {
    /// `log Q` for a rotation (skew result; planes turned by exactly π are dropped, see above).
    static func logarithm(_ q: Matrix, backend: KernelBackend) throws -> Matrix {
        let k = backend.kernels
        let c = DenseOps.combine(0.5, q, 0.5, q.transposed)
        let s = DenseOps.combine(0.5, q, -0.5, q.transposed)
        let spectrum = try SymmetricSpectrum(of: c, backend: backend)
        let g = try spectrum.applying(spectrum.values.map { value in
            let theta = Foundation.acos(Swift.min(1, Swift.max(-1, value)))
            if theta < 1e-4 { return 1 + theta * theta / 6 }
            let sine = Foundation.sin(theta)
            return sine > 1e-12 ? theta / sine : 0
        })
        let log = try DenseOps.mul(k, g, s)
        return DenseOps.combine(0.5, log, -0.5, log.transposed)
    }

    /// `exp(sΩ)` for skew `Ω` (an orthogonal matrix).
    static func exponential(_ omega: Matrix, scale s: Double, backend: KernelBackend) throws -> Matrix {
        let k = backend.kernels
        let m = DenseOps.symmetrized(try DenseOps.mul(k, omega, omega, ta: true))
        let spectrum = try SymmetricSpectrum(of: m, backend: backend)
        let roots = spectrum.values.map { Foundation.sqrt(Swift.max($0, 0)) }
        let cosine = try spectrum.applying(roots.map { Foundation.cos(s * $0) })
        let sinc = try spectrum.applying(roots.map { $0 < 1e-8 ? s * (1 - s * s * $0 * $0 / 6) : Foundation.sin(s * $0) / $0 })
        return DenseOps.add(cosine, try DenseOps.mul(k, omega, sinc))
    }
}
