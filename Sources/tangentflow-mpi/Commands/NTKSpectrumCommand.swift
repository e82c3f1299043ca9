import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowIO
import TangentFlowDistributed

/// `tangentflow-mpi ntk-spectrum`: `tangentflow ntk-spectrum` with the samples spread over the MPI ranks —
/// the same options, outputs and exit statuses.
let ntkSpectrumCommand = CommandSpec(
    name: "ntk-spectrum",
    abstract: "A few eigenpairs of the empirical NTK Θ = D Dᵀ without forming it, samples spread over the MPI ranks (PARPACK).",
    discussion: """
        'tangentflow ntk-spectrum' past one machine: the same options, outputs and exit statuses. Each rank owns a
        contiguous slice of the samples and records only their forward pass; a product Θv = D(Dᵀv) is the ranks'
        own pullbacks D_rᵀv_r, one MPI_Allreduce of the K-vector sum, and their own pushforwards D_r u. PARPACK
        (the MPI build of ARPACK-ng, Lehoucq & Sorensen's implicitly restarted Lanczos method) keeps the Lanczos
        basis spread over the ranks alike, from the same start vector as the single-process ARPACK solve, so the
        results agree with 'tangentflow ntk-spectrum' to rounding. --which smallest runs Lanczos on σI − Θ with σ a
        short-run estimate of λ_max; at QN ≤ --dense-limit (8192) it forms Θ instead (each rank its rows by the
        layer-factored cross-kernel, rank 0 takes the lowest eigenpairs with LAPACK), as the single-process command does, and above that it is refused when QN > K
        (Θ then has the eigenvalue 0 QN − K times or more, which only the single-process command resolves). Copies of repeated
        eigenvalues that Lanczos holds once are caught by the same deflated restarts as the single-process
        command's. A run that does not converge exits with status 75 and writes the pairs that converged to
        DIR/stopped/. Rank 0 alone reads the inputs, writes DIR/eigenvalues.npy (K values,
        descending for largest, ascending for smallest), DIR/eigenvectors.npy (QN×K, gathered in the sample-major
        row order i·Q+q of 'ntk') and DIR/run.json, and prints; an error on any rank fails every rank. Every rank
        needs at least one sample. (The dense full spectrum on ScaLAPACK, this command's name before, is
        'tangentflow-mpi ntk-eigenvalues'.)
        """,
    options: ModelOptions.modelSpecs + [OptionSpec.backend]
        + NTKSpectrumCommandOptions.specs(defaultFolder: "tangentflow-ntk-spectrum") + globalOptionSpecs,
    examples: [
        "tangentflow init --widths 16,512,512,10 --seed 1 -o theta.npy",
        "mpirun -np 4 tangentflow-mpi ntk-spectrum --widths 16,512,512,10 --theta theta.npy --x X.npy --k 8 -o spectrum",
        "mpirun -np 2 tangentflow-mpi ntk-spectrum --widths 16,64,10 --theta theta.npy --x X.npy --k 4 --which smallest --json -o small",
    ],
    run: { p in
        let root = Distributed.rank == 0
        let ranks = Distributed.size
        // Everything read on rank 0 (the other ranks may not see its files), checked there, then broadcast; in the
        // order of 'tangentflow ntk-spectrum': the sample count from X's header, the options tied to it and the
        // memory, and only then θ and X themselves.
        let net = try agreeKeepingStatus { try ModelOptions.model(p) }
        var header = [try agreeKeepingStatus { root ? try p.shape("x").rows : 0 }]
        try Distributed.broadcast(&header)
        let q = net.outputDimension, kParams = net.parameterCount, n = header[0]
        let options = try NTKSpectrumCommandOptions.options(p, samples: n, outputs: q, singlePrecision: false)
        let count = options.count, qn = n * q
        let ncv = options.subspaceSize(order: qn)
        guard n >= ranks else {
            throw CommandFailure(.dataError, "--x: \(p.string("x")!) has \(n) samples, fewer than the \(ranks) ranks: every rank needs at least one",
                                 hint: "run with at most \(n) ranks (mpirun -np \(n))")
        }
        // QN > K: 0 is an eigenvalue of multiplicity ≥ QN − K, which Lanczos on σI − Θ does not resolve (it would
        // return nonzero eigenvalues with small residuals in place of the missing zeros). One process finds those
        // null vectors by LSMR; above the dense route's order the distributed command refuses rather than answer
        // wrongly.
        if options.which == .smallest && qn > kParams && qn > options.denseLimit {
            throw CommandFailure(.usage, "--which smallest: Θ has rank ≤ K = \(kParams) < QN = \(qn), so its \(qn - kParams) smallest eigenvalues are 0, a repeated eigenvalue the distributed Lanczos solve does not resolve",
                                 hint: "run 'tangentflow ntk-spectrum' (one process finds the null vectors by LSMR), or --which largest"
                                     + (NTKSpectrumCommandOptions.denseRouteFits(qn, count: options.count, parameters: nil) ? ", or form Θ (each rank its rows by the layer-factored cross-kernel; rank 0 decomposes it, about 8·QN² bytes): --dense-limit \(qn)" : ""))
        }
        // Memory of the largest rank before any allocation: its slice's record, its rows of the Lanczos basis, of
        // the eigenvectors and of the residual check, the replicated X, and on rank 0 the gathered eigenvectors.
        let backend = p.backend
        let slice = DistributedNTKOperator.sampleRange(rank: 0, ranks: ranks, samples: n).count
        let rows = slice * q
        func need(_ keep: Bool) -> Int? {
            let record = CBackend.ntkOperatorDoubles(net, samples: slice, keepSensitivities: keep || backend == .swift)
            let lanczos = MemoryBudget.product(rows, ncv + 2 * count + 4)
            let check = MemoryBudget.sum(MemoryBudget.product(rows, count), MemoryBudget.product(kParams, count, 3))
            let gathered = root ? MemoryBudget.product(qn, count) : 0
            return MemoryBudget.product(MemoryBudget.sum(record, lanczos, check, gathered, MemoryBudget.product(n, net.widths[0])), 8)
        }
        let keepLocal: Bool = switch try p.choice(SensitivityStorage.self, "sensitivities") {
        case .keep: true
        case .chain: false
        case .auto: (need(true) ?? Int.max) <= MemoryBudget.availableBytes / 2
        }
        let keep = try Distributed.sum([keepLocal ? 1 : 0])[0] == Double(ranks)  // keep only if every rank can
        try agreeKeepingStatus {
            try MemoryBudget.require(bytes: need(keep), operation: "ntk-spectrum: \(qn)×\(qn) NTK operator over \(ranks) ranks, \(ncv) Lanczos vectors")
        }
        let read: (theta: Matrix, x: Matrix)? = try agreeKeepingStatus {
            root ? (Matrix.column(try ModelOptions.theta(p, for: net)), try ModelOptions.inputs(p, for: net)) : nil
        }
        let theta = try Distributed.broadcast(read?.theta).elements
        let x = try Distributed.broadcast(read?.x)
        if root { Progress.shared.begin("ntk-spectrum", detail: "QN = \(qn), K = \(kParams), \(count) \(options.which.rawValue), \(ranks) ranks") }
        let t0 = Distributed.time
        let op = try DistributedNTKOperator(model: net, theta: theta, inputs: x, backend: backend, keepSensitivities: keep)
        let t1 = Distributed.time
        let s = try distributedNTKSpectrum(op, options: options)
        let vectors = try op.gather(s.localVectors)
        let t2 = Distributed.time
        if root { Progress.shared.end() }
        p.report.timing("record_s", t1 - t0)
        p.report.timing("solve_s", t2 - t1)
        let relative = s.residuals.map { $0 / max(s.referenceEigenvalue, .leastNormalMagnitude) }
        let perRank = (0..<ranks).map { DistributedNTKOperator.sampleRange(rank: $0, ranks: ranks, samples: n).count }
        p.report.results([
            "eigenvalues": s.values, "residuals": s.residuals, "relative_residuals": relative, "converged": s.converged,
            "converged_pairs": s.values.count, "requested": count, "which": options.which.rawValue, "products": s.products,
            "shift_products": s.shiftProducts, "restarts": s.restarts, "ncv": ncv, "rows": qn, "parameters": kParams,
            "sensitivities_kept": keep, "reference_eigenvalue": s.referenceEigenvalue, "rank_bound": min(qn, kParams),
            "method": s.method.rawValue, "probes": s.probes, "probe": options.probe.rawValue, "missed_found": s.missedFound,
            "seconds": t2 - t0, "ranks": ranks, "samples_per_rank": perRank,
        ])
        if let shift = s.shift { p.report.record("shift", shift) }
        if let solver = s.denseSolver { p.report.record("dense_solver", solver.rawValue) }
        let dir = try p.required("output")
        let target = s.converged ? dir : dir + "/stopped"
        if !s.values.isEmpty || s.converged {
            try agreeKeepingStatus {
                guard root, let vectors else { return }
                try AtomicFile.makeFolder(target)
                try requireFinite(s.values, what: "the eigenvalues")
                try NpyFile.write(vector: s.values, to: target + "/eigenvalues.npy")
                try requireFinite(vectors.elements, what: "the eigenvectors")
                try NpyFile.write(vectors, to: target + "/eigenvectors.npy", fortranOrder: true)
            }
        }
        guard s.converged else {
            throw CommandFailure(
                .stopped, "ntk-spectrum: \(s.values.count) of \(count) eigenpairs converged within --max-iter \(options.maxRestarts) restarts"
                    + (s.values.isEmpty ? "; nothing was written" : "; those are in \(target)/"),
                hint: NTKSpectrumCommandOptions.notConvergedHint(options, rows: qn, parameters: kParams))
        }
    })
