/// What the numerical runtime is doing on this machine: which OpenBLAS kernels run (and whether the package
/// had to switch away from a generic fallback), thread counts, and library versions. `tangentflow info`
/// prints `report`.
public struct RuntimeInfo: Sendable {
    /// How the BLAS core was chosen.
    public enum Selection: String, Sendable {
        /// OpenBLAS detected a fast core by itself.
        case kept = "detected by OpenBLAS"
        /// OpenBLAS fell back to a generic core; the package switched to the best core the CPU supports.
        case switched = "switched from a generic fallback by TangentFlow"
        /// `OPENBLAS_CORETYPE` was set by the user and left alone.
        case userOverride = "set by the user (OPENBLAS_CORETYPE)"
        /// Fallback core, but this OpenBLAS cannot re-initialise its kernels.
        case noDynamicArch = "generic fallback; this OpenBLAS cannot switch kernels"
        /// Fallback core on a CPU with neither AVX-512F nor AVX2+FMA.
        case noBetterCore = "generic fallback; the CPU offers nothing faster"
    }

    /// OpenBLAS core in use now (e.g. `SkylakeX`, `Cooperlake`, `Haswell`).
    public let blasCore: String
    /// Core OpenBLAS detected before any switch.
    public let detectedCore: String
    /// How `blasCore` was chosen.
    public let selection: Selection
    /// OpenBLAS build string (version and options).
    public let blasConfig: String
    /// Threads OpenBLAS uses per call now (1 while one of the package's parallel regions runs BLAS inside).
    public let blasThreads: Int
    /// Threads the OpenMP runtime gives a parallel region (honours `OMP_NUM_THREADS`).
    public let openMPThreads: Int
    /// log2 of the CPU cycles an idle OpenBLAS worker spins before it sleeps: 18 (≈ 0.1 ms) as the package sets
    /// it unless `OPENBLAS_THREAD_TIMEOUT` is given; 0 means OpenBLAS's default 2^28 (≈ 0.1 s), −1 unknown.
    public let blasIdleSpinLog2: Int
    /// LAPACK version `major.minor.patch`.
    public let lapackVersion: String
    /// CPU vector features relevant to kernel choice.
    public let cpuFeatures: [String]

    /// The state now (runs the one-time BLAS core selection first).
    public static var current: RuntimeInfo {
        let sel = CRuntime.ensureFastBLAS()
        let (ma, mi, pa) = CRuntime.lapackVersion()
        let f = CRuntime.cpuFeatures()
        var features: [String] = []
        if f & 2 != 0 { features.append("AVX-512F") }
        if f & 1 != 0 { features.append("AVX2+FMA") }
        return RuntimeInfo(
            blasCore: CRuntime.blasCore(),
            detectedCore: CRuntime.blasDetectedCore(),
            selection: Selection(code: sel),
            blasConfig: CRuntime.blasConfig().trimmingTrailingSpaces,
            blasThreads: CRuntime.blasThreads(),
            openMPThreads: CRuntime.openMPMaxThreads(),
            blasIdleSpinLog2: CRuntime.blasIdleSpinLog2(),
            lapackVersion: "\(ma).\(mi).\(pa)",
            cpuFeatures: features)
    }

    /// A multi-line human-readable report.
    public var report: String {
        """
        BLAS core:        \(blasCore) (\(selection.rawValue)\(selection == .switched ? "; OpenBLAS detected \(detectedCore)" : ""))
        BLAS build:       \(blasConfig)
        BLAS threads:     \(blasThreads) (idle workers sleep after \(blasIdleSpinLog2 > 0 ? "2^\(blasIdleSpinLog2)" : blasIdleSpinLog2 == 0 ? "2^28" : "an unknown number of") cycles)
        OpenMP threads:   \(openMPThreads) (LLVM libomp via GOMP_parallel)
        LAPACK:           \(lapackVersion) (LAPACKE)
        CPU features:     \(cpuFeatures.isEmpty ? "none of AVX2+FMA, AVX-512F" : cpuFeatures.joined(separator: ", "))
        """
    }

    /// Test and benchmark hook: re-initialises OpenBLAS with `core` (e.g. `"Prescott"`), as the selection does.
    /// Not safe while other threads run BLAS. Returns `false` if this OpenBLAS cannot switch kernels.
    public static func forceBLASCore(_ core: String) -> Bool {
        CRuntime.forceBLASCore(core) == 0
    }

    /// Sets the threads of OpenBLAS and of the package's OpenMP loops, process-wide (`n ≥ 1`; other values are
    /// ignored). Kernels also take a per-call thread count (`CBackend(threads:)`).
    public static func setThreads(_ n: Int) { CRuntime.setThreads(Int32(clamping: n)) }

    /// Opt-in allocator tuning for programs that evaluate kernels repeatedly (flows, benchmarks): glibc keeps
    /// freed blocks up to 32 MiB in the heap instead of returning them, so a repeated NTK or Cholesky workspace
    /// does not page-fault again (≈2.4 µs per 4 KiB page measured here). Process-wide; the `tangentflow` tool and
    /// `kernels-bench` call it at start-up. Returns `false` where the C library does not support it.
    /// It also keeps up to 4 of the package's own larger work blocks (MLP tapes and NTK workspaces above 32 MiB,
    /// which glibc always returns) for the next call: the 1M-parameter NTK then does not fault its 107 MB in again.
    @discardableResult
    public static func retainFreedMemory() -> Bool { CRuntime.retainFreedMemory() == 0 }

    /// Returns the large work blocks kept since `retainFreedMemory()` to the system; later calls keep blocks again.
    public static func releaseRetainedMemory() { CRuntime.releaseRetainedMemory() }

    /// Threads OpenBLAS uses outside the package's parallel regions: the setting the regions restore.
    public static var configuredBLASThreads: Int { CRuntime.blasThreadsConfigured() }

    /// Test hook: runs the fallback check again on the current core (as at first use) and returns the outcome.
    public static func reselectBLASCore() -> Selection { Selection(code: CRuntime.reselectBLAS()) }
}

extension RuntimeInfo.Selection {
    init(code: Int32) {
        switch code {
        case 1: self = .switched
        case 2: self = .userOverride
        case 3: self = .noDynamicArch
        case 4: self = .noBetterCore
        default: self = .kept
        }
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var s = self
        while s.last == " " || s.last == "\n" { s.removeLast() }
        return s
    }
}
