#!/usr/bin/env bash
# Create (or bring up to date) the two Python environments used by the
# TangentFlow reference/benchmark scripts.  Idempotent: an existing venv is
# kept and `pip install -r` only installs what is missing or at another version.
#
#   VENV_ROOT  where the venvs live            (default /work/venvs, outside the repo)
#   PYTHON     interpreter used to create them (default: python3.11)
#
#   $VENV_ROOT/modern : numpy, scipy, jax[cpu], torch, POT, ott-jax, diffrax
#                       (scripts/requirements-modern.txt) -> bench_ntk_python.py
#   $VENV_ROOT/nt     : neural-tangents 0.6.5, jax/jaxlib 0.4.25, numpy 1.26,
#                       tensorflow 2.15 (scripts/requirements-nt.txt)
#                       -> bench_ntk_neural_tangents.py, make_reference_ntk.py
#
# Usage: bash scripts/setup_python_env.sh [modern|nt|all]   (default all)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV_ROOT="${VENV_ROOT:-/work/venvs}"
WHICH="${1:-all}"

pick_python() {
  if [[ -n "${PYTHON:-}" ]]; then echo "$PYTHON"; return; fi
  for c in python3.11 "$HOME/.pyenv/versions/3.11.7/bin/python3.11"; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return; fi
  done
  echo "error: python3.11 not found (TensorFlow 2.15 / neural-tangents need <= 3.11); set PYTHON=" >&2
  exit 1
}
PY="$(pick_python)"

make_venv() {  # name requirements-file smoke-test-code
  local name="$1" req="$2" smoke="$3" dir="$VENV_ROOT/$1"
  if [[ ! -x "$dir/bin/python" ]]; then
    echo "== creating $dir with $PY"
    mkdir -p "$VENV_ROOT"
    "$PY" -m venv "$dir"
    "$dir/bin/python" -m pip install -q --upgrade pip wheel setuptools
  else
    echo "== $dir exists, checking requirements"
  fi
  "$dir/bin/python" -m pip install -q -r "$req"
  # run the smoke test outside the repo so no local module shadows a package
  (cd / && TF_CPP_MIN_LOG_LEVEL=3 "$dir/bin/python" -c "$smoke")
}

if [[ "$WHICH" == all || "$WHICH" == modern ]]; then
  make_venv modern "$HERE/requirements-modern.txt" '
import numpy, scipy, jax, torch, ot, ott, diffrax, threadpoolctl
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
assert jnp.ones(2).dtype == jnp.float64
print("modern ok: numpy", numpy.__version__, "jax", jax.__version__, "torch", torch.__version__,
      "POT", ot.__version__, "ott", ott.__version__, "diffrax", diffrax.__version__)'
fi

if [[ "$WHICH" == all || "$WHICH" == nt ]]; then
  make_venv nt "$HERE/requirements-nt.txt" '
import numpy, jax, tensorflow as tf
import neural_tangents as nt
from neural_tangents import stax
print("nt ok: neural_tangents", nt.__version__, "jax", jax.__version__, "numpy", numpy.__version__,
      "tensorflow", tf.__version__)'
fi
