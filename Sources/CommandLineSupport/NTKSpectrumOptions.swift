import Foundation
import TangentFlow

/// Whether the matrix-free NTK keeps the sensitivities δ^ℓ of the layers ℓ ≤ L−2 (`--sensitivities`).
package enum SensitivityStorage: String, CaseIterable, Sendable {
    /// Keep them when the whole run then needs at most half the available memory.
    case auto
    /// Keep them (one GEMM per layer and product instead of two).
    case keep
    /// Recompute through the chain rule in every product (memory N·ΣM_ℓ only).
    case chain
}

/// The options of `ntk-spectrum` after the model options, shared by `tangentflow ntk-spectrum` (one process,
/// ARPACK) and `tangentflow-mpi ntk-spectrum` (ranks owning slices of the samples, PARPACK), so that the two
/// commands take the same options with the same meanings, defaults and ranges.
package enum NTKSpectrumCommandOptions {
    /// `--k`, `--which`, `--tol`, `--max-iter`, `--ncv`, `--dense-limit`, `--probe`, `--precision`, `--sensitivities`,
    /// `-o/--output` (default folder `defaultFolder`).
    package static func specs(defaultFolder: String) -> [OptionSpec] {
        [
            OptionSpec(name: "k", value: "K", help: "Number of eigenpairs (1 ≤ K < QN).", kind: .integer(1...100_000)),
            .choice("which", of: SpectrumEnd.self, help: "Which end of the spectrum.", default: .largest),
            OptionSpec(name: "tol", value: "τ", help: "Relative residual tolerance of ARPACK's stopping test (1e-6 with --precision single).",
                       defaultValue: "1e-10",
                       kind: .real(lower: 1e-15, upper: 1e-1)),
            OptionSpec(name: "max-iter", value: "n", help: "Cap on Lanczos restarts (reaching it exits with status 75).", defaultValue: "300",
                       kind: .integer(1...10_000_000)),
            OptionSpec(name: "ncv", value: "m", help: "Lanczos basis size (K < m ≤ QN); default max(2K+1, 20) for largest, max(3K, 40) for smallest.",
                       optional: true, kind: .integer(2...10_000_000)),
            OptionSpec(name: "dense-limit", value: "n",
                       help: "Smallest end: form Θ (layer-factored) and take its K lowest eigenpairs densely when QN ≤ n (exact where "
                           + "Lanczos stalls on clustered or repeated small eigenvalues; about 8·QN² bytes, O(QN³) time; on one process with "
                           + "QN > K the QN×K Jacobian's SVD instead), Lanczos above; 0: always Lanczos.",
                       defaultValue: "8192", kind: .integer(0...10_000_000)),
            .choice("probe", of: LargestEndProbe.self,
                    help: "Largest end: after Lanczos, test for a missed copy of a repeated eigenvalue by 12 Lanczos steps (steps, +12 products) "
                        + "or by also converging the top eigenpair of G deflated off the K found (converged: also finds a copy just above λ_K "
                        + "with a cluster below it, at the cost of that solve).",
                    default: .steps),
            .choice("precision", of: NTKProductPrecision.self,
                    help: "Arithmetic of the Lanczos products. single (largest end, --tol ≥ 1e-6; one process): sgemm on float copies "
                        + "of the record, about twice as fast, each product off by about 1e-7·λ₁; the pairs are then refined by a "
                        + "Rayleigh–Ritz step and their residuals checked with double products, so eigenvalues much below λ₁ (under "
                        + "about 2% of it at --tol 1e-6) may not converge.",
                    default: .double),
            .choice("sensitivities", of: SensitivityStorage.self,
                    help: "Keep δ^ℓ of layers ℓ ≤ L−2 (N·Q·M_ℓ doubles each, faster products) or recompute by the chain rule.",
                    default: .auto),
            OptionSpec(name: "output", short: "o", value: "DIR", help: "Output folder for eigenvalues.npy and eigenvectors.npy.",
                       defaultValue: defaultFolder, kind: .outputFolder),
        ]
    }

    /// The solver settings of `--k`, `--which`, `--tol`, `--max-iter`, `--ncv`, `--probe`, `--dense-limit`,
    /// `--precision` for an NTK of order `QN = qn` (`n` samples × `q` outputs), with the usage errors both tools give
    /// for `--k` and `--ncv` out of range, and for `--precision single` where it does not apply (the smallest end,
    /// `--tol` below `NTKProductPrecision.minimumTolerance`, or a tool without it: `singlePrecision` false).
    package static func options(_ p: ParsedArguments, samples n: Int, outputs q: Int, singlePrecision: Bool = true) throws
        -> NTKSpectrumOptions
    {
        guard let qn = MemoryBudget.product(n, q) else {
            throw CommandFailure(.memory, "ntk-spectrum: --x has \(n) samples: N·Q overflows")
        }
        let count = try p.int("k")
        var options = NTKSpectrumOptions(count: count, which: try p.choice(SpectrumEnd.self, "which"))
        options.tolerance = try p.double("tol")
        options.maxRestarts = try p.int("max-iter")
        options.subspace = try p.parsed("ncv")
        options.probe = try p.choice(LargestEndProbe.self, "probe")
        options.denseLimit = try p.int("dense-limit")
        options.precision = try p.choice(NTKProductPrecision.self, "precision")
        if options.precision == .single, p.values["tol"] == nil {  // the default tolerance is below what floats resolve
            options.tolerance = NTKProductPrecision.minimumTolerance
        }
        if options.precision == .single {
            guard singlePrecision else {
                throw UsageError.invalid("precision", "single", expected: "double: this tool computes its products in double precision")
            }
            guard options.which == .largest else {
                throw UsageError.invalid(
                    "precision", "single",
                    expected: "double with --which smallest: the smallest eigenvalues lie below single precision's resolution (about 1e-7·λ_max)")
            }
            guard options.tolerance >= NTKProductPrecision.minimumTolerance else {
                throw UsageError.invalid(
                    "tol", p.string("tol") ?? "\(options.tolerance)",
                    expected: "a tolerance ≥ 1e-6 with --precision single (its products are off by about 1e-7), or --precision double")
            }
        }
        guard count < qn else {
            throw UsageError.invalid("k", "\(count)", expected: "an integer below QN = \(qn) (\(n) samples × \(q) outputs)")
        }
        let ncv = options.subspaceSize(order: qn)
        guard ncv > count, (options.subspace ?? 0) <= qn else {
            throw UsageError.invalid("ncv", p.string("ncv") ?? "\(ncv)", expected: "an integer m with K = \(count) < m ≤ QN = \(qn)")
        }
        return options
    }

    /// Whether the dense route at order `qn` can run here: LAPACK's 32-bit workspace can index it
    /// (`DenseLAPACKDriver`) and its peak (`densePeak`) fits in the available memory. The hints offer
    /// `--dense-limit QN` only then. `parameters`: `K` for one process (whose dense route takes the Jacobian's SVD
    /// when `QN > K`), `nil` for `tangentflow-mpi` (whose rank 0 always decomposes `G`).
    package static func denseRouteFits(_ qn: Int, count: Int, parameters: Int?) -> Bool {
        guard let d = densePeak(qn, count: count, parameters: parameters), let bytes = MemoryBudget.product(d, 8) else { return false }
        let lapack: Bool
        if let p = parameters, qn > p {
            lapack = DenseLAPACKDriver.svd(rows: qn, cols: p) != .refused
        } else {
            lapack = DenseLAPACKDriver.symmetricEigen(order: qn) != .refused
        }
        return lapack && bytes <= MemoryBudget.availableBytes
    }

    /// Peak doubles of the dense route (see `denseRouteFits`).
    static func densePeak(_ qn: Int, count: Int, parameters: Int?) -> Int? {
        parameters.map { NTKSpectrumDense.routePeakDoubles(order: qn, count: count, parameters: $0) }
            ?? NTKSpectrumDense.peakDoubles(order: qn, count: count)
    }

    /// The peak memory of the dense route at order `qn` (`densePeak`), in GiB with one decimal.
    static func denseGiB(_ qn: Int, count: Int, parameters: Int) -> String {
        String(format: "%.1f", 8 * Double(densePeak(qn, count: count, parameters: parameters) ?? Int.max) / Double(1 << 30))
    }

    /// The hint of a run that did not converge.
    package static func notConvergedHint(_ options: NTKSpectrumOptions, rows qn: Int, parameters k: Int) -> String {
        let dense = options.which == .smallest && qn > options.denseLimit && denseRouteFits(qn, count: options.count, parameters: k)
            ? (qn > k
                ? ", or take them exactly from the SVD of the \(qn)×\(k) Jacobian: --dense-limit \(qn) (about \(denseGiB(qn, count: options.count, parameters: k)) GiB, O(QN·K²) time)"
                : ", or form Θ and take its lowest eigenpairs exactly: --dense-limit \(qn) (about \(denseGiB(qn, count: options.count, parameters: k)) GiB, O(QN³) time)")
            : ""
        return qn > k && options.which == .smallest
            ? "Θ = D Dᵀ has rank ≤ K = \(k) < QN = \(qn): its \(qn - k) smallest eigenvalues are 0 (found by LSMR as null vectors); "
                + "the ones above them are tiny next to λ_max here: raise --max-iter or --ncv, loosen --tol, or ask for at most --k \(qn - k)"
                + dense
            : options.which == .smallest
                ? "the smallest eigenvalues are clustered (near rank loss, eigenvalues closer together than --tol·λ_max, which one Krylov "
                    + "space holds once each); try a larger --ncv, a larger --max-iter or a looser --tol" + dense
                : options.precision == .single
                    ? "single-precision products leave residuals of about 1e-7·λ₁, which a pair must bring below --tol·λ_k in the "
                        + "double check: eigenvalues under about 2% of λ₁ (at --tol 1e-6) may never get there; use --precision double, "
                        + "a looser --tol, or a smaller --k"
                    : "try a larger --ncv or --max-iter, or a looser --tol"
    }
}
