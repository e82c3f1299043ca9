// SIMD vector kernels shared by the pure-Swift SVD, eigensolver and Cholesky (level-1 BLAS in Swift).

/// `Σ x_i y_i`.
@inline(__always)
func vectorDot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int) -> Double {
    let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
    var a0 = SIMD4<Double>(), a1 = SIMD4<Double>()
    var i = 0
    while i + 8 <= n {
        a0 += rx.loadUnaligned(fromByteOffset: 8 * i, as: SIMD4<Double>.self)
            * ry.loadUnaligned(fromByteOffset: 8 * i, as: SIMD4<Double>.self)
        a1 += rx.loadUnaligned(fromByteOffset: 8 * i + 32, as: SIMD4<Double>.self)
            * ry.loadUnaligned(fromByteOffset: 8 * i + 32, as: SIMD4<Double>.self)
        i += 8
    }
    var s = (a0 + a1).sum()
    while i < n {
        s += x[i] * y[i]
        i += 1
    }
    return s
}

/// `y += α x`.
@inline(__always)
func vectorAxpy(_ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
    let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
    var i = 0
    while i + 4 <= n {
        let v = ry.loadUnaligned(fromByteOffset: 8 * i, as: SIMD4<Double>.self)
            + alpha * rx.loadUnaligned(fromByteOffset: 8 * i, as: SIMD4<Double>.self)
        ry.storeBytes(of: v, toByteOffset: 8 * i, as: SIMD4<Double>.self)
        i += 4
    }
    while i < n {
        y[i] += alpha * x[i]
        i += 1
    }
}

/// `[x y] := [x y] [[c, s], [−s, c]]`, i.e. `x := c x − s y`, `y := s x + c y`.
@inline(__always)
func vectorRotate(_ x: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int,
                       c: Double, s: Double) {
    let rx = UnsafeMutableRawPointer(x), ry = UnsafeMutableRawPointer(y)
    var i = 0
    while i + 4 <= n {
        let a = rx.loadUnaligned(fromByteOffset: 8 * i, as: SIMD4<Double>.self)
        let b = ry.loadUnaligned(fromByteOffset: 8 * i, as: SIMD4<Double>.self)
        rx.storeBytes(of: c * a - s * b, toByteOffset: 8 * i, as: SIMD4<Double>.self)
        ry.storeBytes(of: s * a + c * b, toByteOffset: 8 * i, as: SIMD4<Double>.self)
        i += 4
    }
    while i < n {
        let a = x[i], b = y[i]
        x[i] = c * a - s * b
        y[i] = s * a + c * b
        i += 1
    }
}
