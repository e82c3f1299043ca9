internal import CKernels

/// The C layer's runtime entry points (`CKernels/runtime.c`): which OpenBLAS kernels run and the one-time switch
/// away from a generic fallback, thread counts, versions, allocator tuning. `RuntimeInfo` is their public face;
/// this is the only Swift that calls them (the one door to C is `Kernels/`). Plain Swift types in, out.
enum CRuntime {
    /// Runs the one-time BLAS core selection; its outcome code (`CK_BLAS_*`).
    static func ensureFastBLAS() -> Int32 { ck_runtime_ensure_fast_blas() }

    /// LAPACK version `(major, minor, patch)` (`ilaver`).
    static func lapackVersion() -> (major: Int32, minor: Int32, patch: Int32) {
        var ma: Int32 = 0, mi: Int32 = 0, pa: Int32 = 0
        ck_runtime_lapack_version(&ma, &mi, &pa)
        return (ma, mi, pa)
    }

    /// CPU features: bit 0 AVX2+FMA, bit 1 AVX-512F.
    static func cpuFeatures() -> Int32 { ck_runtime_cpu_features() }

    /// OpenBLAS core in use now.
    static func blasCore() -> String { String(cString: ck_runtime_blas_core()) }

    /// The core OpenBLAS detected before any switch.
    static func blasDetectedCore() -> String { String(cString: ck_runtime_blas_detected_core()) }

    /// OpenBLAS build string.
    static func blasConfig() -> String { String(cString: ck_runtime_blas_config()) }

    /// Threads OpenBLAS uses per call now.
    static func blasThreads() -> Int { Int(ck_runtime_blas_threads()) }

    /// log2 of the cycles an idle OpenBLAS worker spins before sleeping (0: OpenBLAS's default 2^28; −1: unknown).
    static func blasIdleSpinLog2() -> Int { Int(ck_runtime_blas_idle_spin_log2()) }

    /// Threads OpenBLAS uses outside the package's parallel regions.
    static func blasThreadsConfigured() -> Int { Int(ck_runtime_blas_threads_configured()) }

    /// Package regions running on one BLAS thread now, with OpenBLAS's current thread count, read atomically.
    static func blasRegionsOpen() -> (regions: Int, threads: Int) {
        var threads: Int32 = 0
        let regions = ck_runtime_blas_regions_open(&threads)
        return (Int(regions), Int(threads))
    }

    /// Threads the OpenMP runtime gives a parallel region by default.
    static func openMPMaxThreads() -> Int { Int(ck_runtime_omp_max_threads()) }

    /// Re-initialises OpenBLAS with `core`; `CK_OK` or `CK_EUNAVAILABLE`.
    static func forceBLASCore(_ core: String) -> Int32 { core.withCString { ck_runtime_force_blas_core($0) } }

    /// Threads of OpenBLAS and the OpenMP default team, process-wide (`n <= 0` leaves both unchanged).
    static func setThreads(_ n: Int32) { ck_runtime_set_threads(n) }

    /// Allocator tuning for repeated kernels; `CK_OK` or `CK_EUNAVAILABLE`.
    static func retainFreedMemory() -> Int32 { ck_runtime_retain_freed_memory() }

    /// Returns the kept work blocks to the system.
    static func releaseRetainedMemory() { ck_runtime_release_retained_memory() }

    /// Runs the fallback check again on the current core; its outcome code (`CK_BLAS_*`).
    static func reselectBLAS() -> Int32 { ck_runtime_reselect_blas() }
}
