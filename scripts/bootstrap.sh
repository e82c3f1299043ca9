#!/usr/bin/env bash
# Installs what TangentFlow needs on Debian bookworm (idempotent): OpenBLAS (cblas), LAPACKE, LLVM's OpenMP
# runtime 19 (libomp5.so; Debian's libomp 14 lacks symbols clang 21 emits), rsvg-convert for the plots, and for the
# optional TangentFlowDistributed product Open MPI (pkg-config ompi-c, mpirun) and ScaLAPACK and PARPACK (ARPACK-ng's
# MPI build, libparpack2-dev) built on it; zlib for .npz input; python3 for the hostile command-line suite
# (standard library only).
# The Swift toolchain (6.0 or later) must already be on the PATH (https://swift.org/install).
set -euo pipefail
packages=(libopenblas-dev liblapacke-dev libomp-19-dev librsvg2-bin libopenmpi-dev libscalapack-openmpi-dev openmpi-bin zlib1g-dev libarpack2-dev libparpack2-dev python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "bootstrap: installing ${missing[*]}" >&2
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
  echo "bootstrap: no 'swift' on the PATH; install Swift 6.0 or later (https://swift.org/install)" >&2
  exit 1
fi
echo "bootstrap: apt packages present (${packages[*]}); $(swift --version 2>/dev/null | head -n 1)" >&2
