// Pure-Swift matrix multiply and Gram matrix: the second opinion for the C backend's dgemm/dsyrk and the
// baseline in kernels-bench. Goals, in order: exact agreement with the definition up to rounding, no BLAS,
// honest speed (the BLIS loop structure: pack, then a register-blocked micro-kernel on SIMD vectors).
//
// Loop nest (BLIS `bli_gemm_ker_var2.c`, Goto & van de Geijn 2008), for C += op(A)·op(B):
//   for jc in steps of NC over the columns of C          (a column block of op(B), kept in L3)
//     for pc in steps of KC over the inner dimension     (pack op(B)[pc, jc] into NR-column panels)
//       for ic in steps of MC over the rows of C         (pack op(A)[ic, pc] into MR-row panels, kept in L2)
//         for jr, ir over NR×MR tiles                    (micro-kernel: an MR×NR tile of C in registers)
// Packing reads op(X) through two strides, so transposes cost nothing in the inner loop, and edge panels are
// zero-padded so the micro-kernel always runs full width; only its store is clipped.

/// `C = op(A)·op(B)` with `op(X) = X` or `Xᵀ`, in pure Swift.
///
/// ```
/// C[i, j] = Σ_p op(A)[i, p] · op(B)[p, j],   op(A): m×k,  op(B): k×n,  C: m×n
/// ```
///
/// Edge cases: `m = 0` or `n = 0` gives an empty `m×n` result; `k = 0` gives the `m×n` zero matrix (the empty
/// sum). Non-finite entries propagate as IEEE arithmetic dictates (the caller validates).
///
/// Postconditions: `C` is `m×n`; each entry is a sum of the `k` products in blocks of `KC`, so
/// `|C − op(A)op(B)| ≤ k·ε·|op(A)||op(B)|` entrywise (the usual dot-product bound).
///
/// - Parameters:
///   - a: `A`, shape `m×k` (or `k×m` when `transposeA`).
///   - transposeA: use `Aᵀ`.
///   - b: `B`, shape `k×n` (or `n×k` when `transposeB`).
///   - transposeB: use `Bᵀ`.
/// - Precondition: the inner dimensions agree (the caller validates shapes).
func swiftMultiply(_ a: Matrix, transposeA: Bool, _ b: Matrix, transposeB: Bool) -> Matrix {
    let m = transposeA ? a.cols : a.rows
    let k = transposeA ? a.rows : a.cols
    let n = transposeB ? b.rows : b.cols
    precondition((transposeB ? b.cols : b.rows) == k, "swiftMultiply: inner dimensions differ (caller must validate)")
    var c = Matrix(zerosRows: m, cols: n)
    if m == 0 || n == 0 || k == 0 { return c }
    a.elements.withUnsafeBufferPointer { pa in
        b.elements.withUnsafeBufferPointer { pb in
            c.elements.withUnsafeMutableBufferPointer { pc in
                // op(A)[i, p] = a[i·rs + p·cs]: A stored m×k (rs 1, cs m) or Aᵀ stored k×m (rs k, cs 1).
                let opA = GEMMOperand(base: pa.baseAddress!, rowStride: transposeA ? a.rows : 1,
                                      colStride: transposeA ? 1 : a.rows)
                let opB = GEMMOperand(base: pb.baseAddress!, rowStride: transposeB ? b.rows : 1,
                                      colStride: transposeB ? 1 : b.rows)
                blockedGEMM(m: m, n: n, k: k, opA, opB, c: pc.baseAddress!, ldc: m, lowerOnly: false)
            }
        }
    }
    return c
}

/// Gram matrix `G = D·Dᵀ`, in pure Swift, computing one triangle and mirroring it.
///
/// ```
/// G[i, j] = Σ_p D[i, p] · D[j, p],   D: m×k,  G: m×m,  G = Gᵀ
/// ```
/// For a Jacobian `D ∈ R^{QN×K}` this is the empirical NTK Gram `Θ = DDᵀ`, (3.15) in 2408.01517.
///
/// Edge cases: `m = 0` gives `0×0`; `k = 0` gives the `m×m` zero matrix.
///
/// Postconditions: `G` is exactly symmetric (the upper triangle is a copy of the lower one) and agrees with
/// `swiftMultiply(d, false, d, true)` to rounding; about half of the multiply's flops (`m²k` instead of `2m²k`).
func swiftGram(_ d: Matrix) -> Matrix {
    let m = d.rows
    let k = d.cols
    var g = Matrix(zerosRows: m, cols: m)
    if m == 0 || k == 0 { return g }
    d.elements.withUnsafeBufferPointer { pd in
        g.elements.withUnsafeMutableBufferPointer { pg in
            let base = pd.baseAddress!
            // op(A) = D (rs 1, cs m); op(B) = Dᵀ, op(B)[p, j] = D[j, p] = d[j + p·m] (rs m, cs 1).
            let opA = GEMMOperand(base: base, rowStride: 1, colStride: m)
            let opB = GEMMOperand(base: base, rowStride: m, colStride: 1)
            let out = pg.baseAddress!
            blockedGEMM(m: m, n: m, k: k, opA, opB, c: out, ldc: m, lowerOnly: true)
            // Mirror the lower triangle into the upper one (tiles on the diagonal computed both; the copy makes
            // the result exactly symmetric).
            for j in 1..<max(m, 1) {
                for i in 0..<j { out[i + j * m] = out[j + i * m] }
            }
        }
    }
    return g
}

// MARK: - Engine

/// A read-only strided view `X[i, p] = base[i·rowStride + p·colStride]`.
private struct GEMMOperand {
    let base: UnsafePointer<Double>
    let rowStride: Int
    let colStride: Int
}

/// Register tile `MR×NR` and cache blocks. MR = 8 rows as one `SIMD8<Double>`; NR = 4 columns gives 4 vector
/// accumulators. KC·MR·8 B = 16 KiB A-panel (L1), MC·KC·8 B = 256 KiB A-block (L2), KC·NC·8 B = 4 MiB B-block (L3).
private let gemmMR = 8
private let gemmNR = 4
private let gemmKC = 256
private let gemmMC = 128
private let gemmNC = 2048

/// `C[0..<m, 0..<n] += op(A)·op(B)`, `C` column-major with leading dimension `ldc`. With `lowerOnly`, tiles lying
/// strictly above the diagonal (every row index < every column index) are skipped.
private func blockedGEMM(m: Int, n: Int, k: Int, _ a: GEMMOperand, _ b: GEMMOperand,
                         c: UnsafeMutablePointer<Double>, ldc: Int, lowerOnly: Bool) {
    let mr = gemmMR, nr = gemmNR
    let kcMax = min(gemmKC, k)
    let mcMax = min(gemmMC, m)
    let ncMax = min(gemmNC, n)
    let packedA = UnsafeMutablePointer<Double>.allocate(capacity: roundUp(mcMax, mr) * kcMax)
    let packedB = UnsafeMutablePointer<Double>.allocate(capacity: roundUp(ncMax, nr) * kcMax)
    defer {
        packedA.deallocate()
        packedB.deallocate()
    }
    var jc = 0
    while jc < n {
        let nb = min(gemmNC, n - jc)
        var pc = 0
        while pc < k {
            let kb = min(gemmKC, k - pc)
            packPanels(b, transposedPanels: true, outer: jc, outerCount: nb, inner: pc, innerCount: kb,
                       width: nr, into: packedB)
            var ic = 0
            while ic < m {
                let mb = min(gemmMC, m - ic)
                if lowerOnly && ic + mb - 1 < jc {
                    ic += mb
                    continue
                }
                packPanels(a, transposedPanels: false, outer: ic, outerCount: mb, inner: pc, innerCount: kb,
                           width: mr, into: packedA)
                var jr = 0
                while jr < nb {
                    let nEff = min(nr, nb - jr)
                    let bPanel = packedB + (jr / nr) * nr * kb
                    var ir = 0
                    while ir < mb {
                        let mEff = min(mr, mb - ir)
                        if !(lowerOnly && ic + ir + mEff - 1 < jc + jr) {
                            microKernel(kb: kb, aPanel: packedA + (ir / mr) * mr * kb, bPanel: bPanel,
                                        c: c + (ic + ir) + (jc + jr) * ldc, ldc: ldc, mEff: mEff, nEff: nEff)
                        }
                        ir += mr
                    }
                    jr += nr
                }
                ic += mb
            }
            pc += kb
        }
        jc += nb
    }
}

@inline(__always)
private func roundUp(_ x: Int, _ multiple: Int) -> Int { (x + multiple - 1) / multiple * multiple }

/// Packs a block of `x` into zero-padded panels of `width` along the "outer" index, each panel stored
/// inner-index-major: `dst[panel·width·innerCount + p·width + t]`.
/// - For A (`transposedPanels == false`): outer = row `i`, inner = `p`; element `X[outer+i', inner+p]`.
/// - For B (`transposedPanels == true`): outer = column `j`, inner = `p`; element `X[inner+p, outer+j']`.
private func packPanels(_ x: GEMMOperand, transposedPanels: Bool, outer: Int, outerCount: Int, inner: Int,
                        innerCount: Int, width: Int, into dst: UnsafeMutablePointer<Double>) {
    // Strides of the source along the outer and inner index.
    let so = transposedPanels ? x.colStride : x.rowStride
    let si = transposedPanels ? x.rowStride : x.colStride
    let src = x.base + (transposedPanels ? inner * x.rowStride + outer * x.colStride
                                         : outer * x.rowStride + inner * x.colStride)
    var t0 = 0
    var out = dst
    while t0 < outerCount {
        let w = min(width, outerCount - t0)
        let panelSrc = src + t0 * so
        if w == width && so == 1 {
            // Contiguous along the outer index: copy `width` consecutive entries per inner step.
            for p in 0..<innerCount {
                let s = panelSrc + p * si
                let o = out + p * width
                for t in 0..<width { o[t] = s[t] }
            }
        } else if w == width {
            // Contiguous (or strided) along the inner index: walk each source line once.
            for t in 0..<width {
                let s = panelSrc + t * so
                var o = out + t
                for p in 0..<innerCount {
                    o.pointee = s[p * si]
                    o += width
                }
            }
        } else {
            for p in 0..<innerCount {
                let o = out + p * width
                for t in 0..<w { o[t] = panelSrc[t * so + p * si] }
                for t in w..<width { o[t] = 0 }
            }
        }
        out += width * innerCount
        t0 += width
    }
}

/// `C[0..<mEff, 0..<nEff] += Ã·B̃` for packed panels `Ã` (kb × MR, row-panel) and `B̃` (kb × NR).
/// The MR×NR tile lives in four `SIMD8<Double>` accumulators (one per column of the tile).
@inline(__always)
private func microKernel(kb: Int, aPanel: UnsafePointer<Double>, bPanel: UnsafePointer<Double>,
                         c: UnsafeMutablePointer<Double>, ldc: Int, mEff: Int, nEff: Int) {
    var c0 = SIMD8<Double>(), c1 = SIMD8<Double>(), c2 = SIMD8<Double>(), c3 = SIMD8<Double>()
    var pa = UnsafeRawPointer(aPanel)
    var pb = bPanel
    for _ in 0..<kb {
        let av = pa.loadUnaligned(as: SIMD8<Double>.self)
        c0 += av * pb[0]
        c1 += av * pb[1]
        c2 += av * pb[2]
        c3 += av * pb[3]
        pa += 8 * MemoryLayout<Double>.stride
        pb += 4
    }
    if mEff == 8 && nEff == 4 {
        let raw = UnsafeMutableRawPointer(c)
        let colBytes = ldc * MemoryLayout<Double>.stride
        let p0 = raw, p1 = raw + colBytes, p2 = raw + 2 * colBytes, p3 = raw + 3 * colBytes
        p0.storeBytes(of: p0.loadUnaligned(as: SIMD8<Double>.self) + c0, as: SIMD8<Double>.self)
        p1.storeBytes(of: p1.loadUnaligned(as: SIMD8<Double>.self) + c1, as: SIMD8<Double>.self)
        p2.storeBytes(of: p2.loadUnaligned(as: SIMD8<Double>.self) + c2, as: SIMD8<Double>.self)
        p3.storeBytes(of: p3.loadUnaligned(as: SIMD8<Double>.self) + c3, as: SIMD8<Double>.self)
    } else {
        let accs = (c0, c1, c2, c3)
        for jj in 0..<nEff {
            let acc: SIMD8<Double>
            switch jj {
            case 0: acc = accs.0
            case 1: acc = accs.1
            case 2: acc = accs.2
            default: acc = accs.3
            }
            let col = c + jj * ldc
            for ii in 0..<mEff { col[ii] += acc[ii] }
        }
    }
}
