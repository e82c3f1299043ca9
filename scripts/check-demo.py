#!/usr/bin/env python3
"""Runs nothing; checks a finished `tangentflow demo` folder: run.json says complete, and every headline claim of
the README ("What the demo shows") holds at the precision the README prints. Standard library only.

Usage: python3 scripts/check-demo.py DIR      (DIR as given to `tangentflow demo -o DIR`)
Exit 0 when every claim holds, 1 otherwise (one line per claim either way).
"""
import json
import math
import sys

EXPECTED = {  # claim -> (relation, bound) exactly as the README states them
    "exp1_wide_final_rank": ("≥", 72), "exp1_narrow_max_rank": ("≤", 50), "exp1_narrow_rank_changes": ("≥", 1),
    "exp2_adapted_max_deviation": ("≤", 1e-10), "exp2_standard_max_deviation": ("≥", 0.1),
    "exp2_rank_loss_prediction_error": ("≤", 1e-11), "exp3_max_logit_sum_drift": ("≤", 1e-9),
    "exp3_smoothed_distance_to_minimiser": ("≤", 1e-9), "exp3_onehot_margin_minus_log": ("≤", 0.5),
    "truncation_orthogonality_defect": ("≤", 1e-12), "truncation_time_error": ("≤", 1e-12),
}


def main(folder):
    with open(f"{folder}/run.json", encoding="utf-8") as f:
        run = json.load(f)
    ok = run.get("status") == "complete"
    print(f"run.json status: {run.get('status')}")
    claims = {c["name"]: c for c in run.get("results", {}).get("claims", [])}
    for name, (rel, bound) in EXPECTED.items():
        c = claims.get(name)
        if c is None:
            print(f"MISSING {name}")
            ok = False
            continue
        v = c["value"]
        holds = v is not None and not math.isnan(v) and (v <= bound if rel == "≤" else v >= bound)
        same_bound = c["relation"] == rel and c["bound"] == bound
        ok &= holds and same_bound
        print(f"{'ok  ' if holds and same_bound else 'FAIL'} {name}: {v} {rel} {bound}"
              + ("" if same_bound else f" (the demo states {c['relation']} {c['bound']})"))
    extra = set(claims) - set(EXPECTED)
    if extra:
        print(f"claims not listed here: {sorted(extra)}")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
