// swift-tools-version:6.0
// TangentFlow: the geometry of gradient-flow training (NTK, pseudoinverses, adapted flows).
// No Swift package dependencies; the C layer links Debian's OpenBLAS, LAPACKE and LLVM's OpenMP runtime.
// No target of the library product uses unsafe build flags, so downstream packages can depend on it by version
// (see cmake-free-build.md).
import PackageDescription

let package = Package(
    name: "TangentFlow",
    products: [
        .library(name: "TangentFlow", targets: [
            "TangentFlow", "TangentFlowIO", "TangentFlowReporting",
            "TangentFlowDeepLinear", "TangentFlowTruncation", "TangentFlowWasserstein",
        ]),
        // The command-line tool: target TangentFlowCLI (a folder name that differs from TangentFlow by more than
        // letter case, so a checkout on a case-insensitive filesystem works), executable `tangentflow`.
        .executable(name: "tangentflow", targets: ["TangentFlowCLI"]),
        // Optional: the NTK, its spectrum and the Gram-route pseudoinverse on ScaLAPACK over MPI (Open MPI found
        // through pkg-config `ompi-c`, Debian's libscalapack-openmpi), and the matrix-free NTK spectrum on PARPACK
        // (Debian's libparpack2-dev, the MPI build of ARPACK-ng). The core product above needs no MPI.
        .library(name: "TangentFlowDistributed", targets: ["TangentFlowDistributed"]),
        .executable(name: "tangentflow-mpi", targets: ["tangentflow-mpi"]),
    ],
    targets: [
        .target(
            name: "CKernels",
            path: "CKernels",
            exclude: ["README.md"],
            linkerSettings: [
                .linkedLibrary("openblas"),
                .linkedLibrary("lapacke"),
                .linkedLibrary("arpack"),
                .linkedLibrary("omp5"),
                .linkedLibrary("mvec"),
                .linkedLibrary("m"),
            ]
        ),
        // The core: the engine, mathematics only (matrices, kernels, linear algebra, models, flows).
        .target(name: "TangentFlow", dependencies: ["CKernels"], exclude: [
                "Errors/README.md", "Flows/README.md", "Kernels/README.md", "LinearAlgebra/README.md",
                "Matrix/README.md", "Models/README.md", "Runtime/README.md",
            ]),
        // The other papers' modules, each on top of the core: deep linear networks and Bures–Wasserstein
        // geometry; truncation maps; Wasserstein gradient flows and optimal transport.
        .target(name: "TangentFlowDeepLinear", dependencies: ["TangentFlow"], exclude: ["README.md"]),
        .target(name: "TangentFlowTruncation", dependencies: ["TangentFlow"], exclude: ["README.md"]),
        .target(name: "TangentFlowWasserstein", dependencies: ["TangentFlow"], exclude: ["README.md"]),
        // File formats: .npy / .npz read and write, atomic writes.
        .target(name: "TangentFlowIO", dependencies: ["TangentFlow", "CZlib"], exclude: ["README.md"]),
        // Reporting: CSV tables and SVG/PNG figures, written through TangentFlowIO's AtomicFile.
        .target(name: "TangentFlowReporting", dependencies: ["TangentFlow", "TangentFlowIO"], exclude: ["README.md"]),
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // The command-line machinery (table-driven parser, help, runner, model options) of both tools.
        .target(name: "CommandLineSupport", dependencies: ["TangentFlow", "TangentFlowIO"]),
        .executableTarget(
            name: "TangentFlowCLI",
            dependencies: [
                "TangentFlow", "TangentFlowIO", "TangentFlowReporting", "CommandLineSupport",
                "TangentFlowDeepLinear", "TangentFlowTruncation", "TangentFlowWasserstein",
            ]
        ),
        .systemLibrary(
            name: "CMPI",
            path: "Sources/CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]
        ),
        .target(
            name: "CDistributed",
            dependencies: ["CKernels", "CMPI"],
            path: "CDistributed",
            exclude: ["README.md"],
            linkerSettings: [.linkedLibrary("scalapack-openmpi"), .linkedLibrary("parpack")]
        ),
        .target(
            name: "TangentFlowDistributed",
            dependencies: ["TangentFlow", "CDistributed"],
            exclude: ["README.md"]
        ),
        .executableTarget(
            name: "tangentflow-mpi",
            dependencies: ["TangentFlowDistributed", "TangentFlow", "TangentFlowIO", "CommandLineSupport"]
        ),
        .executableTarget(
            name: "distributed-checks",
            dependencies: ["TangentFlowDistributed", "TangentFlow"],
            path: "Tests/DistributedChecks"
        ),
        .executableTarget(
            name: "kernels-bench",
            dependencies: ["TangentFlow", "TangentFlowDeepLinear", "TangentFlowWasserstein"],
            path: "Benchmarks/kernels-bench"
        ),
        .testTarget(
            name: "TangentFlowTests",
            dependencies: [
                "TangentFlow", "TangentFlowIO", "TangentFlowReporting", "CommandLineSupport",
                "TangentFlowDeepLinear", "TangentFlowTruncation", "TangentFlowWasserstein",
            ],
            resources: [.copy("Resources")]
        ),
    ]
)
