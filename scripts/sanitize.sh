#!/usr/bin/env bash
# Runs the test suite under sanitizers (issue #9), each in its own build folder:
#   address    — the whole suite, Swift and C (LeakSanitizer on; .ci/lsan.supp silences leaks inside Foundation);
#   undefined  — the C kernels (Swift on Linux has no -sanitize=undefined, so clang's UBSan is passed to the C
#                target with -Xcc and its runtime linked explicitly), every report fatal;
#   thread     — the concurrency tests (kernels called from many Swift tasks at once) with two OpenMP threads:
#                LLVM's libomp is not TSan-instrumented, so its Archer tool (OMP_TOOL_LIBRARIES=libarcher.so)
#                reports the fork/join barriers of GOMP_parallel to TSan; the parallel regions, Swift tasks, the
#                BLAS-thread guard, the once-selection and OpenBLAS's pthread pool are all checked.
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
here=$PWD
if [[ $which == all || $which == address ]]; then
  echo "=== AddressSanitizer (+ LeakSanitizer)"
  LSAN_OPTIONS=suppressions=$here/.ci/lsan.supp ASAN_OPTIONS=detect_leaks=1 \
    swift test --sanitize=address --scratch-path .build-asan
fi
if [[ $which == all || $which == undefined ]]; then
  echo "=== UndefinedBehaviorSanitizer (C kernels)"
  ubsan=$(ls "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")"/lib/clang/*/lib/linux/libclang_rt.ubsan_standalone-x86_64.so | head -n 1)
  swift build --build-tests --scratch-path .build-ubsan -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined \
    -Xlinker "$ubsan" -Xlinker -rpath -Xlinker "$(dirname "$ubsan")"
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 swift test --skip-build --scratch-path .build-ubsan
fi
if [[ $which == all || $which == thread ]]; then
  echo "=== ThreadSanitizer (concurrency tests)"
  # Two OpenMP threads: LLVM's Archer tool (libarcher.so, shipped with libomp-19-dev) tells TSan about the
  # OpenMP runtime's barriers and tasks, so the parallel regions are checked instead of run inline.
  archer=/usr/lib/llvm-19/lib/libarcher.so
  [ -f "$archer" ] || { echo "sanitize: $archer missing (apt-get install libomp-19-dev)" >&2; exit 1; }
  OMP_NUM_THREADS=2 OMP_TOOL_LIBRARIES="$archer" \
    TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/scripts/tsan-suppressions.txt" \
    swift test --sanitize=thread --scratch-path .build-tsan --filter ConcurrencyTests
fi
