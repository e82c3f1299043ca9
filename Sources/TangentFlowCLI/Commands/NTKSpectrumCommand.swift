import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowIO

/// `tangentflow ntk-spectrum --widths … --theta … --x … --k K --which largest|smallest -o DIR`.
let ntkSpectrumCommand = CommandSpec(
    name: "ntk-spectrum",
    abstract: "A few eigenpairs of the empirical NTK Θ = D Dᵀ without forming it (ARPACK Lanczos on Θv = D(Dᵀv)).",
    discussion: """
        For N·Q too large for the dense 'ntk' (Θ takes 8(QN)² bytes: 320 GB at QN = 200,000), this computes the
        K largest or smallest eigenpairs of Θ from products Θv = D(Dᵀv) (forward and reverse mode over chunks of
        samples; memory O(N·width + K)), by ARPACK-ng's implicitly restarted Lanczos method (Lehoucq & Sorensen).
        --which smallest runs Lanczos on σI − Θ with σ a short-run estimate of λ_max, so that ARPACK's test
        ‖Θv − λv‖ ≤ tol·(σ − λ) is relative to the top of the spectrum (eigenvalues near 0 are determined only to
        that scale). When QN > K, Θ is singular and the first pairs are null vectors from LSMR projections
        (Fong & Saunders); repeated eigenvalues that Lanczos holds only once are caught by deflated restarts.
        --precision single computes the Lanczos products in single precision (largest end, --tol ≥ 1e-6): about
        twice as fast; the pairs are then refined by one Rayleigh–Ritz step with double products, and the
        residuals reported and judged are those double ones; --tol defaults to 1e-6 there. Its residual floor is about 1e-7·λ₁, so it suits
        the top of the spectrum: a pair under about 2% of λ₁ may not reach --tol·λ (status 75).
        At QN ≤ --dense-limit (8192) the smallest end forms Θ by the layer-factored formula and takes its K
        lowest eigenpairs instead, by block Krylov on a Cholesky factor or else by LAPACK's tridiagonalisation
        (exact where Krylov methods on Θ stall: near 0 an NTK's spectrum is clustered; O(QN³) time, about 9 s
        at QN = 8,000 on 2 cores); when QN > K, by the thin SVD of the QN×K Jacobian (O(QN·K²)). Small eigenvalues that
        are distinct but closer than tol·λ_max converge slowly or not at all: such a run says so, names the
        --dense-limit that would form Θ, and exits with status 75, writing the pairs that converged to
        DIR/stopped/.
        Writes DIR/eigenvalues.npy (K values, descending for largest, ascending for smallest) and
        DIR/eigenvectors.npy (QN×K, rows sample-major i·Q+q as in 'ntk'), residuals ‖Θv − λv‖ in the summary
        and DIR/run.json.
        """,
    options: ModelOptions.specs + NTKSpectrumCommandOptions.specs(defaultFolder: "tangentflow-ntk-spectrum"),
    examples: [
        "tangentflow init --widths 16,512,512,10 --seed 1 -o theta.npy",
        "tangentflow ntk-spectrum --widths 16,512,512,10 --theta theta.npy --x X.npy --k 8 -o spectrum",
        "tangentflow ntk-spectrum --widths 16,64,10 --theta theta.npy --x X.npy --k 4 --which smallest --json -o small",
    ],
    run: { p in
        let net = try ModelOptions.model(p)
        let q = net.outputDimension, kParams = net.parameterCount
        let n = try p.shape("x").rows
        let options = try NTKSpectrumCommandOptions.options(p, samples: n, outputs: q)
        let count = options.count, qn = n * q
        let ncv = options.subspaceSize(order: qn)
        // Memory before any allocation: the operator's record, the Lanczos basis, the eigenvectors and the
        // residual check (one block product of K columns).
        let backend = ModelOptions.backend(p)
        if options.precision == .single, backend == .swift {
            throw UsageError.invalid("precision", "single", expected: "double with --backend swift (single-precision products are in the C kernels)")
        }
        // The dense route (smallest end, QN ≤ --dense-limit) holds G (or, when QN > K, the Jacobian and its SVD)
        // instead.
        let lanczos = options.which == .smallest && qn <= options.denseLimit
            ? NTKSpectrumDense.routePeakDoubles(order: qn, count: count, parameters: kParams) : MemoryBudget.product(qn, ncv + 2 * count + 4)
        // (With --precision single the double check also holds the rotated pairs, their products and the copy
        // returned: 3·QN·K more.)
        let check = MemoryBudget.sum(
            MemoryBudget.product(qn, count, options.precision == .single ? 4 : 1), MemoryBudget.product(kParams, count, 3))
        func need(_ keep: Bool) -> Int? {
            let record = options.precision == .single
                ? CBackend.ntkOperatorForSinglePrecisionDoubles(net, samples: n, keepSensitivities: keep)
                : CBackend.ntkOperatorDoubles(net, samples: n, keepSensitivities: keep || backend == .swift)
            return MemoryBudget.product(MemoryBudget.sum(record, lanczos, check, MemoryBudget.product(n, net.widths[0])), 8)
        }
        let keep: Bool
        switch try p.choice(SensitivityStorage.self, "sensitivities") {
        case .keep: keep = true
        case .chain: keep = false
        case .auto: keep = (need(true) ?? Int.max) <= MemoryBudget.availableBytes / 2
        }
        let dense = options.which == .smallest && qn <= options.denseLimit
        try MemoryBudget.require(
            bytes: need(keep),
            operation: dense
                ? (qn > kParams
                    ? "ntk-spectrum: the \(qn)×\(kParams) Jacobian formed by the dense route (QN ≤ --dense-limit \(options.denseLimit))"
                    : "ntk-spectrum: the \(qn)×\(qn) NTK formed by the dense route (QN ≤ --dense-limit \(options.denseLimit))")
                : "ntk-spectrum: \(qn)×\(qn) NTK operator, \(ncv) Lanczos vectors")
        let theta = try ModelOptions.theta(p, for: net)
        let x = try ModelOptions.inputs(p, for: net)
        let dir = try p.required("output")
        Progress.shared.begin("ntk-spectrum", detail: "QN = \(qn), K = \(kParams), \(count) \(options.which.rawValue)")
        let t0 = Date()
        let op = options.precision == .single
            ? try CBackend().mlpNTKOperatorForSinglePrecision(net, theta: theta, inputs: x, keepSensitivities: keep)
            : try backend.kernels.mlpNTKOperator(net, theta: theta, inputs: x, keepSensitivities: keep)
        let t1 = Date()
        let s = try ntkSpectrum(op, options: options)
        let seconds = Date().timeIntervalSince(t0)
        Progress.shared.end()
        p.report.timing("record_s", t1.timeIntervalSince(t0))
        p.report.timing("solve_s", Date().timeIntervalSince(t1))
        let relative = s.residuals.map { $0 / max(s.referenceEigenvalue, .leastNormalMagnitude) }
        p.report.results([
            "eigenvalues": s.values, "residuals": s.residuals, "relative_residuals": relative, "converged": s.converged,
            "converged_pairs": s.values.count, "requested": count, "which": options.which.rawValue, "products": s.products,
            "shift_products": s.shiftProducts, "restarts": s.restarts, "ncv": ncv, "rows": qn, "parameters": kParams,
            "sensitivities_kept": keep, "reference_eigenvalue": s.referenceEigenvalue, "rank_bound": min(qn, kParams),
            "method": s.method.rawValue, "probes": s.probes, "probe": options.probe.rawValue, "missed_found": s.missedFound,
            "precision": s.precision.rawValue, "tolerance": options.tolerance, "seconds": seconds,
        ])
        if let shift = s.shift { p.report.record("shift", shift) }
        if let solver = s.denseSolver { p.report.record("dense_solver", solver.rawValue) }
        let target = s.converged ? dir : dir + "/stopped"
        if !s.values.isEmpty || s.converged {
            try AtomicFile.makeFolder(target)
            try requireFinite(s.values, what: "the eigenvalues")
            try NpyFile.write(vector: s.values, to: target + "/eigenvalues.npy")
            try requireFinite(s.vectors.elements, what: "the eigenvectors")
            try NpyFile.write(s.vectors, to: target + "/eigenvectors.npy", fortranOrder: true)
        }
        guard s.converged else {
            throw CommandFailure(
                .stopped, "ntk-spectrum: \(s.values.count) of \(count) eigenpairs converged within --max-iter \(options.maxRestarts) restarts"
                    + (s.values.isEmpty ? "; nothing was written" : "; those are in \(target)/"),
                hint: NTKSpectrumCommandOptions.notConvergedHint(options, rows: qn, parameters: kParams))
        }
    })
