#!/usr/bin/env bash
# Distributed checks (issue #14): builds distributed-checks and runs it under mpirun on this machine only
# (loopback/shared memory: --mca btl self,vader) with 1, 2, 3 and 4 ranks. Each run tries every grid shape its
# rank count allows (1×4, 2×2, 4×1, …) and block sizes 7, 16, 64 (none divides QN = 69), compares the distributed
# NTK, spectrum, D⁺g and a short adapted flow with the single-machine TangentFlow results to 1e-12 relative, and
# checks that bad input on one rank fails every rank with one message. A `timeout` turns a hang into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1   # ranks oversubscribe the cores: one thread each
swift build --product distributed-checks
bin="$(swift build --product distributed-checks --show-bin-path)/distributed-checks"
for np in 1 2 3 4; do
  echo "--- mpirun -np $np distributed-checks"
  timeout --kill-after=10 300 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np "$np" "$bin"
done
echo "test-distributed: all rank counts passed"
