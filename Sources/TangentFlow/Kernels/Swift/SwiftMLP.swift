// The pure-Swift MLP kernels: deliberately a *different* route from the C layer where one exists, so that
// the cross-checks in the tests compare two derivations, not one written twice:
//   JVP  — forward-mode tangent propagation  Ż^ℓ = a_ℓ(Ẇ_ℓ h^{ℓ−1} + W_ℓ ḣ^{ℓ−1}) + c_ℓ ḃ_ℓ,  ḣ^ℓ = σ'(z^ℓ) ∘ Ż^ℓ
//        (C: contraction of stored sensitivities);
//   VJP  — reverse-mode back-propagation of the cotangent (C: contraction of stored sensitivities);
//   Jacobian — row by row, one outer product per layer (C: column by column);
//   NTK  — full Σ_ℓ C^ℓ ∘ (δ^ℓ δ^ℓᵀ) products (C: fused panels, symmetric half).

/// Per-layer forward quantities of the pure-Swift path, samples as rows.
struct SwiftMLPPass {
    /// `h[ℓ]`, ℓ = 0..L−1: layer inputs (`h[0] = X`).
    var h: [Matrix] = []
    /// `dsig[ℓ]`, ℓ = 1..L−1: `σ'(z^ℓ)` (index 0 unused).
    var dsig: [Matrix] = []
    /// Network output `z^L` (N×Q).
    var out = Matrix(zerosRows: 0, cols: 0)
    /// Weights `W_ℓ` (M_ℓ×M_{ℓ−1}) and biases, ℓ = 1..L at index ℓ−1.
    var weights: [Matrix] = []
    var biases: [[Double]] = []
    var a: [Double] = []
    var c: [Double] = []

    init(_ model: MLP, theta: [Double], x: Matrix) {
        let w = model.widths
        a = model.weightScales
        c = model.biasScales
        for l in 1...model.depth {
            let off = model.weightOffset(layer: l)
            let wl = Array(theta[off..<(off + w[l] * w[l - 1])])
            weights.append(Matrix(uncheckedRows: w[l], cols: w[l - 1], elements: Matrix.transposeStorage(wl, rows: w[l - 1], cols: w[l])))
            biases.append(Array(theta[(off + w[l] * w[l - 1])..<(off + w[l] * (w[l - 1] + 1))]))
        }
        h = [x]
        dsig = [Matrix(zerosRows: 0, cols: 0)]
        for l in 1...model.depth {
            var z = swiftMultiply(h[l - 1], transposeA: false, weights[l - 1], transposeB: true)
            let n = z.rows
            for r in 0..<z.cols {
                let bias = c[l - 1] * biases[l - 1][r]
                for i in 0..<n { z.elements[i + r * n] = a[l - 1] * z.elements[i + r * n] + bias }
            }
            if l == model.depth {
                out = z
            } else {
                var d = z
                for k in 0..<z.elements.count {
                    (z.elements[k], d.elements[k]) = model.activation.valueAndDerivative(z.elements[k])
                }
                h.append(z)
                dsig.append(d)
            }
        }
    }

    /// Sensitivities `δ^ℓ` ((NQ)×M_ℓ, row i·Q+q), ℓ = 1..L (δ^L is the identity block per sample).
    func sensitivities(_ model: MLP) -> [Matrix] {
        let n = out.rows, q = model.outputDimension, L = model.depth
        var delta = [Matrix](repeating: Matrix(zerosRows: 0, cols: 0), count: L + 1)
        var dl = Matrix(zerosRows: n * q, cols: q)
        for i in 0..<n { for k in 0..<q { dl.elements[(i * q + k) + k * n * q] = 1 } }
        delta[L] = dl
        if L >= 2 {
            for l in stride(from: L, to: 1, by: -1) {
                var prev = swiftMultiply(delta[l], transposeA: false, weights[l - 1], transposeB: false)
                let m = prev.cols
                for r in 0..<m {
                    for i in 0..<n {
                        let s = a[l - 1] * dsig[l - 1].elements[i + r * n]
                        for k in 0..<q { prev.elements[(i * q + k) + r * n * q] *= s }
                    }
                }
                delta[l - 1] = prev
            }
        }
        return delta
    }
}

func swiftMLPJacobian(_ model: MLP, theta: [Double], x: Matrix) -> Matrix {
    let pass = SwiftMLPPass(model, theta: theta, x: x)
    let delta = pass.sensitivities(model)
    let n = x.rows, q = model.outputDimension, qn = n * q, w = model.widths
    var d = Matrix(zerosRows: qn, cols: model.parameterCount)
    for i in 0..<n {
        for k in 0..<q {
            let row = i * q + k
            for l in 1...model.depth {
                let off = model.weightOffset(layer: l)
                for r in 0..<w[l] {
                    let dl = delta[l].elements[row + r * qn]
                    if dl == 0 { continue }
                    for c in 0..<w[l - 1] {
                        d.elements[row + (off + r * w[l - 1] + c) * qn] = pass.a[l - 1] * dl * pass.h[l - 1].elements[i + c * n]
                    }
                    d.elements[row + (off + w[l] * w[l - 1] + r) * qn] = pass.c[l - 1] * dl
                }
            }
        }
    }
    return d
}

func swiftMLPJVP(_ model: MLP, theta: [Double], x: Matrix, v: Matrix) -> Matrix {
    let pass = SwiftMLPPass(model, theta: theta, x: x)
    let n = x.rows, q = model.outputDimension, w = model.widths
    var out = Matrix(zerosRows: n * q, cols: v.cols)
    for b in 0..<v.cols {
        var hdot = Matrix(zerosRows: n, cols: w[0])
        for l in 1...model.depth {
            let off = model.weightOffset(layer: l) + b * v.rows
            let vw = Matrix(
                uncheckedRows: w[l], cols: w[l - 1],
                elements: Matrix.transposeStorage(Array(v.elements[off..<(off + w[l] * w[l - 1])]), rows: w[l - 1], cols: w[l]))
            let vb = v.elements[(off + w[l] * w[l - 1])..<(off + w[l] * (w[l - 1] + 1))]
            var zdot = swiftMultiply(pass.h[l - 1], transposeA: false, vw, transposeB: true)
            let wh = swiftMultiply(hdot, transposeA: false, pass.weights[l - 1], transposeB: true)
            for r in 0..<w[l] {
                let bias = pass.c[l - 1] * vb[vb.startIndex + r]
                for i in 0..<n {
                    let k = i + r * n
                    zdot.elements[k] = pass.a[l - 1] * (zdot.elements[k] + wh.elements[k]) + bias
                }
            }
            if l < model.depth {
                for k in 0..<zdot.elements.count { zdot.elements[k] *= pass.dsig[l].elements[k] }
                hdot = zdot
            } else {
                for i in 0..<n { for k in 0..<q { out.elements[(i * q + k) + b * n * q] = zdot.elements[i + k * n] } }
            }
        }
    }
    return out
}

func swiftMLPVJP(_ model: MLP, theta: [Double], x: Matrix, u: Matrix) -> Matrix {
    swiftMLPVJP(model, pass: SwiftMLPPass(model, theta: theta, x: x), u: u)
}

/// `Dᵀ·U` on a recorded pass (reverse mode, see the file header).
func swiftMLPVJP(_ model: MLP, pass: SwiftMLPPass, u: Matrix) -> Matrix {
    let n = pass.h[0].rows, q = model.outputDimension, w = model.widths
    var out = Matrix(zerosRows: model.parameterCount, cols: u.cols)
    for b in 0..<u.cols {
        // E = ∂⟨u, f⟩/∂z^L, samples as rows.
        var e = Matrix(zerosRows: n, cols: q)
        for i in 0..<n { for k in 0..<q { e.elements[i + k * n] = u.elements[(i * q + k) + b * u.rows] } }
        for l in stride(from: model.depth, through: 1, by: -1) {
            let off = model.weightOffset(layer: l) + b * model.parameterCount
            let gw = swiftMultiply(e, transposeA: true, pass.h[l - 1], transposeB: false)  // M_ℓ × M_{ℓ−1}
            for r in 0..<w[l] {
                for c in 0..<w[l - 1] { out.elements[off + r * w[l - 1] + c] = pass.a[l - 1] * gw.elements[r + c * w[l]] }
                var s = 0.0
                for i in 0..<n { s += e.elements[i + r * n] }
                out.elements[off + w[l] * w[l - 1] + r] = pass.c[l - 1] * s
            }
            if l > 1 {
                var prev = swiftMultiply(e, transposeA: false, pass.weights[l - 1], transposeB: false)
                for k in 0..<prev.elements.count { prev.elements[k] *= pass.a[l - 1] * pass.dsig[l - 1].elements[k] }
                e = prev
            }
        }
    }
    return out
}

func swiftMLPNTK(_ model: MLP, theta: [Double], x1: Matrix, x2: Matrix?) -> Matrix {
    swiftMLPNTK(model, SwiftMLPPass(model, theta: theta, x: x1), x2.map { SwiftMLPPass(model, theta: theta, x: $0) })
}

/// `Θ(X₁, X₂)` on recorded passes (`p2 == nil`: `X₂ = X₁`), full products per layer (see the file header).
func swiftMLPNTK(_ model: MLP, _ p1: SwiftMLPPass, _ p2Given: SwiftMLPPass?) -> Matrix {
    let p2 = p2Given ?? p1
    let d1 = p1.sensitivities(model)
    let d2 = p2Given == nil ? d1 : p2.sensitivities(model)
    let q = model.outputDimension, n1 = p1.h[0].rows, n2 = p2.h[0].rows
    var g = Matrix(zerosRows: q * n1, cols: q * n2)
    for l in 1...model.depth {
        let hh = swiftMultiply(p1.h[l - 1], transposeA: false, p2.h[l - 1], transposeB: true)
        let ss = swiftMultiply(d1[l], transposeA: false, d2[l], transposeB: true)
        let a2 = p1.a[l - 1] * p1.a[l - 1], c2 = p1.c[l - 1] * p1.c[l - 1]
        for col in 0..<(q * n2) {
            for row in 0..<(q * n1) {
                let cij = a2 * hh.elements[row / q + (col / q) * n1] + c2
                g.elements[row + col * q * n1] += cij * ss.elements[row + col * q * n1]
            }
        }
    }
    return g
}
