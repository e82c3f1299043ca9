#!/usr/bin/env bash
# The NTK bars of issue #11 measured in one sitting: TangentFlow's structured NTK (kernels-bench) and the five
# NumPy layer-factored variants (scripts/bench_ntk_python.py), alternated ROUNDS times so that both sides see
# the same machine state (this VM is shared; single runs move by ±15% and are bimodal at the millisecond scale).
#
#   scripts/bench_ntk_side_by_side.sh [ROUNDS] [OUT_DIR]      # defaults: 3, Benchmarks/results/ntk-side-by-side
#
# Writes OUT_DIR/tf-R.json (kernels-bench records) and OUT_DIR/numpy-R.json (bench_ntk_python records) for
# R = 1..ROUNDS, and prints one line per round with the ratios. Needs the venv of scripts/setup_python_env.sh
# (PYTHON, default /work/venvs/modern/bin/python). NumPy runs with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset
# (see bench_ntk_python.py --help).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
out=${2:-Benchmarks/results/ntk-side-by-side}
python=${PYTHON:-/work/venvs/modern/bin/python}
tools=numpy-layer-factored-plain,numpy-layer-factored-serial,numpy-layer-factored,numpy-layer-factored-ws,numpy-layer-factored-pairs
mkdir -p "$out"
swift build -c release --product kernels-bench >/dev/null
for r in $(seq "$rounds"); do
    .build/release/kernels-bench --filter ntk-mlp-ref,ntk-mlp-1m --repeat 15 --c-only --json "$out/tf-$r.json" >/dev/null
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" scripts/bench_ntk_python.py \
        --cases ntk-mlp-ref,ntk-mlp-1m --tools "$tools" --skip-nt --json "$out/numpy-$r.json" >/dev/null
    "$python" - "$out/tf-$r.json" "$out/numpy-$r.json" "$r" <<'EOF'
import json, sys
tf = {x["case"]: x["median_s"] for x in json.load(open(sys.argv[1])) if x["path"] == "c"}
npy = json.load(open(sys.argv[2]))["records"]
for case in ("ntk-mlp-ref", "ntk-mlp-1m"):
    parts = [f"round {sys.argv[3]} {case}: TangentFlow {tf[case] * 1e3:.1f} ms"]
    for rec in npy:
        if rec["case"] == case:
            parts.append(f"{rec['tool'].replace('numpy-layer-factored', 'np')} {rec['median_s'] * 1e3:.1f} ms "
                         f"({rec['median_s'] / tf[case]:.2f}x)")
    print("; ".join(parts))
EOF
done
