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
# The command line under mpirun: a tiny measured run, and a missing input that must fail every rank (exit 66,
# the contract's "input file missing").
swift build --product tangentflow-mpi
cli="$(swift build --product tangentflow-mpi --show-bin-path)/tangentflow-mpi"
echo "--- mpirun -np 4 tangentflow-mpi measure (tiny)"
timeout --kill-after=10 120 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 4 "$cli" measure \
  --widths 4,16,3 --samples 40 --block 7 --phases cholesky,spectrum,eigen
echo "--- mpirun -np 3 tangentflow-mpi ntk-spectrum with a missing file (must fail, not hang)"
set +e
out=$(timeout --kill-after=10 60 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 3 "$cli" ntk-spectrum \
  --widths 4,3 --theta /nonexistent/theta.npy --x /nonexistent/x.npy -o /dev/null 2>&1)
rc=$?
set -e
echo "$out" | head -n 1
if [ "$rc" -ne 66 ] || ! grep -q "^Error: reading inputs: rank 0:" <<<"$out"; then
  echo "test-distributed: missing input did not fail with the agreed error (exit $rc; 124 = timeout)" >&2
  exit 1
fi
echo "test-distributed: all rank counts passed"
