// distributed-checks: the distributed NTK, spectrum, Gram-route D⁺g and adapted flow against the single-machine
// TangentFlow results, on every grid shape the job's rank count allows and block sizes that do not divide QN.
// Run under mpirun (scripts/test-distributed.sh); exits non-zero on any mismatch, on every rank.
import Foundation
import TangentFlow
import TangentFlowDistributed

let tolerance = 1e-12  // relative, the issue's bar
var failures = 0

func say(_ s: String) { if Distributed.rank == 0 { print(s); fflush(nil) } }

func relativeDifference(_ a: [Double], _ b: [Double]) -> Double {
    var num = 0.0, den = 0.0
    for i in 0..<a.count { num = max(num, abs(a[i] - b[i])); den = max(den, abs(b[i])) }
    return den > 0 ? num / den : num
}

/// Every rank reports its own verdict; the job agrees so that rank 0's summary is the whole job's.
@MainActor func expect(_ ok: Bool, _ what: String, _ detail: String) {
    let agreed = (try? Distributed.agree(what) { () throws -> Void in if !ok { throw DistributedError(status: 1, message: detail, operation: what) } }) != nil
    if agreed { say("  ok    \(what): \(detail)") } else { failures += 1; say("  FAIL  \(what): \(detail)") }
}

func grids(for p: Int) -> [(Int, Int)] {
    (1...p).filter { p % $0 == 0 }.map { ($0, p / $0) }
}

do {
    try Distributed.start()
    let p = Distributed.size
    let last = p - 1
    // Well-conditioned full-rank problem: N = 23, Q = 3 (QN = 69), K = 2,003.
    let model = try MLP(widths: [16, 40, 30, 3], activation: .tanh)
    let data = try SyntheticData.gaussian(samples: 23, inputDimension: 16, outputs: 3, seed: 11)
    let theta = model.initialParameters(seed: 5)
    let problem = try TrainingProblem(model: model, inputs: data.inputs, targets: data.targets)
    let gRef = try problem.ntk(theta)
    let g = problem.outputGradient(try problem.outputs(theta))
    let eigRef = try GramPseudoinverse(gram: gRef, parameterCount: model.parameterCount, method: .eigen).eigen!.values
    var vRef: [GramPseudoinverse.Method: [Double]] = [:]
    for m in GramPseudoinverse.Method.allCases {
        let sol = try GramPseudoinverse.solve(gram: gRef, Matrix.column(g), parameterCount: model.parameterCount, method: m)
        vRef[m] = try problem.pullback(theta, sol.psi.elements)
    }
    // Rank-deficient problem: samples 0..3 repeated as 4..7 (G has rank ≤ QN − 12).
    var rows = (0..<12).map { data.inputs.row($0) }
    for i in 0..<4 { rows[4 + i] = rows[i] }
    let xDef = try Matrix(rows)
    let yDef = try Matrix((0..<12).map { data.targets.row($0) })
    let defProblem = try TrainingProblem(model: model, inputs: xDef, targets: yDef)
    let gDef = try defProblem.ntk(theta)
    let defRoute = try GramPseudoinverse(gram: gDef, parameterCount: model.parameterCount, method: .eigen)
    let gvDef = defProblem.outputGradient(try defProblem.outputs(theta))
    let vDefRef = try defProblem.pullback(theta, try defRoute.solve(Matrix.column(gvDef)).elements)
    // Short adapted flow (RK4, 4 steps) on the full-rank problem.
    let flowRef = try integrate(AdaptedFlow(problem: problem), stepper: ExplicitRungeKutta.rk4,
                                controller: ConstantStepSize(0.25), from: 0, to: 1, start: theta)

    say("distributed-checks: \(p) rank(s), QN = \(gRef.rows), K = \(model.parameterCount), tolerance \(tolerance) relative")
    // Two backward-stable eigen routes may differ by ~κ(G)·ε in D⁺g, so 1e-12 tests the distribution only on a
    // well-conditioned G: 16-dimensional inputs and K ≈ 29·QN give κ ≈ 2e2 (4-dimensional inputs and K = 3·QN
    // gave 2e4, where the eigen route's own error, ≈ 2e-12, exceeded the bar).
    let kappa = eigRef.max()! / eigRef.min()!
    expect(kappa <= 1e3, "the full-rank instance is well conditioned", String(format: "κ(G) = %.3g", kappa))
    for (r, c) in grids(for: p) {
        for (nb, panel) in [(7, 512), (7, 8), (16, 20), (64, 512)] {
            DistributedNTK.panelColumns = panel
            say("grid \(r)×\(c), block \(nb), panels of \(panel) columns")
            let grid = try ProcessGrid(rows: r, cols: c, blockSize: nb)
            let ntk = try DistributedNTK(model: model, theta: theta, inputs: data.inputs, grid: grid)
            let dG = try ntk.maxAbsDifference(from: gRef) / gRef.maxAbs
            expect(dG <= tolerance, "G blocks", String(format: "max|ΔG|/max|G| = %.2e", dG))
            let w = try ntk.eigenvalues()
            let dW = relativeDifference(w, eigRef)
            expect(dW <= tolerance, "spectrum (pdsyevr)", String(format: "max|Δλ|/λ_max = %.2e", dW))
            let (rk, _) = ntk.rank(eigenvalues: w)
            expect(rk == gRef.rows, "numerical rank", "\(rk) of \(gRef.rows)")
            for m in GramPseudoinverse.Method.allCases {
                let (v, rep) = try ntk.pseudoinverseApply(g, method: m)
                let d = relativeDifference(v, vRef[m]!)
                expect(d <= tolerance, "D⁺g (\(m))", String(format: "rel %.2e, rank %d, cholesky %@", d, rep.rank, rep.usedCholesky ? "yes" : "no"))
            }
            let def = try DistributedNTK(model: model, theta: theta, inputs: xDef, grid: grid)
            let (vd, repd) = try def.pseudoinverseApply(gvDef, method: .automatic)
            let dd = relativeDifference(vd, vDefRef)
            expect(dd <= tolerance && repd.rank == defRoute.rank && !repd.usedCholesky, "rank-deficient D⁺g (automatic → eigen)",
                   String(format: "rel %.2e, rank %d (single machine %d)", dd, repd.rank, defRoute.rank))
            do {
                _ = try def.pseudoinverseApply(gvDef, method: .cholesky)
                expect(false, "cholesky on singular G", "no error")
            } catch let e as DistributedError {
                expect(e.message.contains("not positive definite"), "cholesky on singular G fails everywhere", e.message)
            }
        }
        DistributedNTK.panelColumns = nil
        let grid = try ProcessGrid(rows: r, cols: c, blockSize: 7)
        let flow = try integrate(DistributedAdaptedFlow(problem: problem, grid: grid), stepper: ExplicitRungeKutta.rk4,
                                 controller: ConstantStepSize(0.25), from: 0, to: 1, start: theta)
        let dF = relativeDifference(flow.states.last!, flowRef.states.last!)
        expect(dF <= tolerance, "adapted flow, RK4 4 steps (grid \(r)×\(c), block 7)", String(format: "rel θ(1) %.2e", dF))
    }

    // The matrix-free spectrum on PARPACK (issue #27 item 4): each rank owns a slice of the samples; against the
    // single-process ARPACK spectrum (same start vector and stopping rule) and the dense eigenvalues of G.
    // 13 samples (QN = 39) divide evenly over none of 2, 3, 4 ranks; K = 219 > QN, so G is positive definite.
    say("matrix-free spectrum (PARPACK), \(p) rank(s)")
    let sModel = try MLP(widths: [5, 12, 9, 3], activation: .tanh)
    let sData = try SyntheticData.gaussian(samples: 13, inputDimension: 5, outputs: 3, seed: 3)
    let sTheta = sModel.initialParameters(seed: 7)
    let sGram = try TrainingProblem(model: sModel, inputs: sData.inputs, targets: sData.targets).ntk(sTheta)
    let sDense = try GramPseudoinverse(gram: sGram, parameterCount: sModel.parameterCount, method: .eigen).eigen!.values.sorted()
    let sMax = sDense.last!
    let slices = (0..<p).map { DistributedNTKOperator.sampleRange(rank: $0, ranks: p, samples: 13).count }
    for backend in KernelBackend.allCases {
        for (which, count) in [(SpectrumEnd.largest, 4), (.smallest, 3)] {
            let options = NTKSpectrumOptions(count: count, which: which)
            let single = try ntkSpectrum(backend.kernels.mlpNTKOperator(sModel, theta: sTheta, inputs: sData.inputs, keepSensitivities: true),
                                         options: options)
            let op = try DistributedNTKOperator(model: sModel, theta: sTheta, inputs: sData.inputs, backend: backend, keepSensitivities: true)
            let dist = try distributedNTKSpectrum(op, options: options)
            let what = "\(which.rawValue) \(count), \(backend.rawValue) backend, samples per rank \(slices)"
            let dense = which == .largest ? Array(sDense.reversed().prefix(count)) : Array(sDense.prefix(count))
            let dSingle = dist.values.count == count ? zip(dist.values, single.values).map { abs($0 - $1) }.max()! / sMax : .infinity
            let dDense = dist.values.count == count ? zip(dist.values, dense).map { abs($0 - $1) }.max()! / sMax : .infinity
            expect(dist.converged && single.converged && dSingle <= 1e-9 && dDense <= 1e-9, "PARPACK eigenvalues (\(what))",
                   String(format: "max|Δλ|/λ_max = %.2e vs one process, %.2e vs dense eigvalsh", dSingle, dDense))
            let worst = zip(dist.residuals, dist.values).map { $0 / (dist.shift ?? abs($1)) }.max() ?? .infinity
            expect(worst <= 10 * options.tolerance, "PARPACK residuals ‖Gv − λv‖ (\(what))", String(format: "max relative %.2e", worst))
            // Eigenvectors up to sign: ‖v − s·v₁‖ with s = ±1, against the single-process vectors (rank 0 holds
            // the gathered ones). Each solve leaves a residual ≤ tol·λ_max, which turns a vector by at most
            // residual/gap (Davis–Kahan), gap the distance to the rest of the spectrum: bound 4·tol·λ_max/gap.
            let gap = dense.map { l in sDense.filter { $0 != l }.map { abs($0 - l) }.min()! }.min()!
            let bound = 4 * options.tolerance * sMax / gap
            let gathered = try op.gather(dist.localVectors)
            var dv = 0.0
            if let g = gathered {
                for j in 0..<Swift.min(g.cols, single.vectors.cols) {
                    var plus = 0.0, minus = 0.0
                    for i in 0..<g.rows {
                        let a = g.elements[j * g.rows + i], b = single.vectors.elements[j * g.rows + i]
                        plus = max(plus, abs(a - b))
                        minus = max(minus, abs(a + b))
                    }
                    dv = max(dv, min(plus, minus))
                }
                if g.rows != single.vectors.rows || g.cols != count { dv = .infinity }
            }
            expect(dv <= bound, "PARPACK eigenvectors gathered in sample-major order (\(what))",
                   String(format: "max|Δv| up to sign %.2e (bound %.1e, gap/λ_max %.1e)", dv, bound, gap / sMax))
        }
    }
    if p > 1 {
        // A rank with no samples is refused (before any work), on every rank, with a message that says why.
        let few = try Matrix(rows: p - 1, cols: 5, columnMajor: (0..<(5 * (p - 1))).map { Double($0) / 10 })
        do {
            _ = try DistributedNTKOperator(model: sModel, theta: sTheta, inputs: few, keepSensitivities: false)
            expect(false, "\(p - 1) samples on \(p) ranks", "no error")
        } catch let e as DistributedError {
            expect(e.message.contains("cannot be split over \(p) ranks"), "\(p - 1) samples on \(p) ranks refused everywhere", e.message)
        }
        // One rank's bad direction fails the product on every rank (the failure rides on the allreduce).
        let op = try DistributedNTKOperator(model: sModel, theta: sTheta, inputs: sData.inputs, keepSensitivities: false)
        var v = [Double](repeating: 1, count: op.localOrder)
        if Distributed.rank == last { v[0] = .nan }
        do {
            _ = try op.apply(Matrix(uncheckedRows: op.localOrder, cols: 1, elements: v))
            expect(false, "NaN direction on rank \(last)", "no error")
        } catch let e as DistributedError {
            expect(e.message.hasPrefix("rank \(last): "), "NaN direction on rank \(last) fails the product everywhere", e.message)
        }
    }

    // Bad input on one rank fails every rank with one message, and nobody hangs.
    say("bad input on one rank")
    let grid = try ProcessGrid(rows: 0, cols: 0, blockSize: 5)
    var badTheta = theta
    if Distributed.rank == last { badTheta[17] = .nan }
    do {
        _ = try DistributedNTK(model: model, theta: badTheta, inputs: data.inputs, grid: grid)
        expect(false, "NaN in θ on rank \(last)", "no error")
    } catch let e as DistributedError {
        expect(e.message == "rank \(last): θ[17] is NaN", "NaN in θ on rank \(last)", e.message)
    }
    if p > 1 {
        var otherX = data.inputs.elements
        if Distributed.rank == last { otherX[3] += 1 }
        do {
            _ = try DistributedNTK(model: model, theta: theta, inputs: try Matrix(rows: data.inputs.rows, cols: data.inputs.cols, columnMajor: otherX), grid: grid)
            expect(false, "different X on rank \(last)", "no error")
        } catch let e as DistributedError {
            expect(e.message.hasPrefix("X differs between ranks: rank \(last)"), "different X on rank \(last)", e.message)
        }
    }
    let wrongTheta = Distributed.rank == last ? Array(theta.dropLast()) : theta
    do {
        _ = try DistributedNTK(model: model, theta: wrongTheta, inputs: data.inputs, grid: grid)
        expect(false, "short θ on rank \(last)", "no error")
    } catch let e as DistributedError {
        expect(e.message.hasPrefix("rank \(last): "), "short θ on rank \(last)", e.message)
    }
    do {
        _ = try ProcessGrid(rows: p + 1, cols: 1, blockSize: 8)
        expect(false, "grid larger than the job", "no error")
    } catch let e as DistributedError {
        expect(e.message.contains("needs \(p + 1) ranks"), "grid larger than the job", e.message)
    }
    say(failures == 0 ? "distributed-checks: all passed" : "distributed-checks: \(failures) FAILED")
    Distributed.finish()
    exit(failures == 0 ? 0 : 1)
} catch {
    print("rank \(Distributed.rank): Error: \(error)")
    Distributed.finish()
    exit(1)
}
