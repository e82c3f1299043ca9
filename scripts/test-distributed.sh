#!/usr/bin/env bash
# Distributed checks (issue #14): builds distributed-checks and runs it under mpirun on this machine only
# (loopback/shared memory: --mca btl self,vader) with 1, 2, 3 and 4 ranks. Each run tries every grid shape its
# rank count allows (1×4, 2×2, 4×1, …) and block sizes 7, 16, 64 (none divides QN = 69), compares the distributed
# NTK, spectrum, D⁺g and a short adapted flow with the single-machine TangentFlow results to 1e-12 relative, and
# checks that bad input on one rank fails every rank with one message; then the matrix-free 'ntk-spectrum' (PARPACK)
# of tangentflow-mpi against tangentflow's on one process. A `timeout` turns a hang into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1   # ranks oversubscribe the cores: one thread each
# SCRATCH_PATH=DIR builds in DIR instead of .build (a worktree sharing its builds).
scratch=()
[ -n "${SCRATCH_PATH:-}" ] && scratch=(--scratch-path "$SCRATCH_PATH")
swift build "${scratch[@]}" --product distributed-checks
bin="$(swift build "${scratch[@]}" --product distributed-checks --show-bin-path)/distributed-checks"
for np in 1 2 3 4; do
  echo "--- mpirun -np $np distributed-checks"
  timeout --kill-after=10 300 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np "$np" "$bin"
done
# The command line under mpirun: a tiny measured run, and a missing input that must fail every rank (exit 66,
# the contract's "input file missing").
swift build "${scratch[@]}" --product tangentflow-mpi
cli="$(swift build "${scratch[@]}" --product tangentflow-mpi --show-bin-path)/tangentflow-mpi"
echo "--- mpirun -np 4 tangentflow-mpi measure (tiny)"
timeout --kill-after=10 120 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 4 "$cli" measure \
  --widths 4,16,3 --samples 40 --block 7 --phases cholesky,spectrum,eigen
echo "--- mpirun -np 3 tangentflow-mpi ntk-eigenvalues with a missing file (must fail, not hang)"
set +e
out=$(timeout --kill-after=10 60 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 3 "$cli" ntk-eigenvalues \
  --widths 4,3 --theta /nonexistent/theta.npy --x /nonexistent/x.npy -o /dev/null 2>&1)
rc=$?
set -e
echo "$out" | head -n 1
if [ "$rc" -ne 66 ] || ! grep -q "^Error: rank 0: --theta: /nonexistent/theta.npy: no such file" <<<"$out"; then
  echo "test-distributed: missing input did not fail with the agreed error (exit $rc; 124 = timeout)" >&2
  exit 1
fi
# The matrix-free spectrum (issue #27 item 4): 'tangentflow-mpi ntk-spectrum' on 2 and 3 ranks against
# 'tangentflow ntk-spectrum' on one process, the same options: 11 samples (divisible by neither), both ends.
swift build "${scratch[@]}" --product tangentflow
one="$(swift build "${scratch[@]}" --product tangentflow --show-bin-path)/tangentflow"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 scripts/spectrum_check.py make-x "$work/X.npy" 11 4 7
"$one" init --widths 4,16,16,3 --seed 3 -o "$work/theta.npy" >/dev/null
args=(--widths 4,16,16,3 --theta "$work/theta.npy" --x "$work/X.npy" --quiet)
for end in "largest --k 4" "smallest --k 3"; do
  "$one" ntk-spectrum "${args[@]}" --which $end -o "$work/one" >/dev/null
  for np in 2 3; do
    echo "--- mpirun -np $np tangentflow-mpi ntk-spectrum --which $end vs tangentflow ntk-spectrum"
    timeout --kill-after=10 120 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np "$np" "$cli" ntk-spectrum \
      "${args[@]}" --which $end -o "$work/mpi$np" >/dev/null
    python3 scripts/spectrum_check.py compare "$work/one" "$work/mpi$np"
  done
done
echo "--- the same refusals and statuses: 11 samples on 12 ranks (65), not converged (75 on both tools)"
set +e
out=$(timeout --kill-after=10 120 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 12 "$cli" ntk-spectrum \
  "${args[@]}" --k 2 -o "$work/too-many" 2>&1)
rc=$?
set -e
echo "$out" | head -n 1
if [ "$rc" -ne 65 ] || ! grep -q "fewer than the 12 ranks" <<<"$out"; then
  echo "test-distributed: more ranks than samples was not refused with exit 65 (exit $rc)" >&2
  exit 1
fi
# Single-precision products exist on one process only: tangentflow-mpi refuses --precision single with status 64.
set +e
out=$(timeout --kill-after=10 120 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 2 "$cli" ntk-spectrum \
  "${args[@]}" --k 2 --precision single --tol 1e-6 -o "$work/single" 2>&1)
rc=$?
set -e
if [ "$rc" -ne 64 ] || ! grep -q -- "--precision" <<<"$out"; then
  echo "test-distributed: tangentflow-mpi --precision single was not refused with exit 64 naming --precision (exit $rc)" >&2
  exit 1
fi
for tool in one mpi; do
  set +e
  if [ "$tool" = one ]; then
    "$one" ntk-spectrum "${args[@]}" --k 30 --which largest --ncv 31 --max-iter 1 -o "$work/stop-$tool" >/dev/null 2>&1
  else
    timeout --kill-after=10 120 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 2 "$cli" ntk-spectrum \
      "${args[@]}" --k 30 --which largest --ncv 31 --max-iter 1 -o "$work/stop-$tool" >/dev/null 2>&1
  fi
  rc=$?
  set -e
  if [ "$rc" -ne 75 ] || [ ! -f "$work/stop-$tool/stopped/eigenvalues.npy" ]; then
    echo "test-distributed: unconverged ntk-spectrum ($tool) exited $rc without DIR/stopped/ (expected 75)" >&2
    exit 1
  fi
done
# QN > K (widths 4,3: K = 15 < QN = 33): 0 is an eigenvalue 18 times. At QN ≤ 4096 both tools form Θ (the dense
# route) and agree on the eigenvalues; the eigenvectors of a repeated eigenvalue are any basis of its eigenspace.
"$one" init --widths 4,3 --seed 3 -o "$work/theta43.npy" >/dev/null
"$one" ntk-spectrum --widths 4,3 --theta "$work/theta43.npy" --x "$work/X.npy" --k 4 --which smallest --quiet -o "$work/null-one" >/dev/null
timeout --kill-after=10 120 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 2 "$cli" ntk-spectrum \
  --widths 4,3 --theta "$work/theta43.npy" --x "$work/X.npy" --k 4 --which smallest --quiet -o "$work/null-mpi" >/dev/null
python3 scripts/spectrum_check.py compare-values "$work/null-one" "$work/null-mpi"
# A linear model (identity activation, one layer): Θ = (XXᵀ + 1) ⊗ I_5 repeats every eigenvalue 5 times, and
# Lanczos holds copies only as rounding lets it; both tools' deflated restarts must return all 5 copies of λ₁
# then λ₂ (k = 9), so they agree on the eigenvalues.
python3 scripts/spectrum_check.py make-x "$work/X60.npy" 60 4 5
"$one" init --widths 4,5 --seed 9 -o "$work/theta45.npy" >/dev/null
"$one" ntk-spectrum --widths 4,5 --activation identity --theta "$work/theta45.npy" --x "$work/X60.npy" --k 9 --quiet \
  -o "$work/lin-one" >/dev/null
timeout --kill-after=10 120 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 2 "$cli" ntk-spectrum \
  --widths 4,5 --activation identity --theta "$work/theta45.npy" --x "$work/X60.npy" --k 9 --quiet -o "$work/lin-mpi" >/dev/null
python3 scripts/spectrum_check.py compare-values "$work/lin-one" "$work/lin-mpi"
# The same with --probe converged (the deflated operator's top pair converged by PARPACK on the ranks).
timeout --kill-after=10 120 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 2 "$cli" ntk-spectrum \
  --widths 4,5 --activation identity --theta "$work/theta45.npy" --x "$work/X60.npy" --k 9 --probe converged --quiet \
  -o "$work/lin-mpi-converged" >/dev/null
python3 scripts/spectrum_check.py compare-values "$work/lin-one" "$work/lin-mpi-converged"
# Above that order one process finds the null vectors by LSMR; the distributed Lanczos would miss copies of 0, so
# tangentflow-mpi refuses --which smallest with status 64 (2,800 samples: QN = 8,400 > 8,192 and > K).
python3 scripts/spectrum_check.py make-x "$work/X2800.npy" 2800 4 9
set +e
out=$(timeout --kill-after=10 120 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 2 "$cli" ntk-spectrum \
  --widths 4,3 --theta "$work/theta43.npy" --x "$work/X2800.npy" --k 4 --which smallest --quiet -o "$work/null-mpi-big" 2>&1)
rc=$?
set -e
echo "$out" | head -n 1
if [ "$rc" -ne 64 ] || ! grep -q "rank ≤ K = 15 < QN = 8400" <<<"$out" || [ -e "$work/null-mpi-big" ]; then
  echo "test-distributed: --which smallest with QN > K above the dense order was not refused with status 64 (exit $rc)" >&2
  exit 1
fi
# The hostile command-line cases of 'tangentflow ntk-spectrum' against tangentflow-mpi (one rank, started without
# mpirun): the same options, statuses, messages and files. Left out: survive/ntk-spectrum/fsize-limit (under a
# 200-byte file-size limit Open MPI's own start-up fails before any command runs) and refusal/ntk/* (no dense 'ntk'
# in tangentflow-mpi).
echo "--- hostile ntk-spectrum cases against tangentflow-mpi"
filters=()
for f in create help options refusal runjson stopped usage valid; do filters+=(--filter "$f/ntk-spectrum/"); done
python3 Tests/HostileCLI/hostile.py --bin "$cli" --jobs 1 "${filters[@]}" \
  --filter survive/ntk-spectrum/bad-option --filter survive/ntk-spectrum/bad-input --filter survive/ntk-spectrum/stopped-at-max-iter
echo "test-distributed: all rank counts passed"
