#!/usr/bin/env python3
"""Whole-process NumPy baseline for `tangentflow ntk`: read θ and X, compute the layer-factored NTK as the formula
is written (scripts/tf_mlp_numpy.py: ntk_layer_factored, tanh), write G. Timed as a whole process by
scripts/bench_whole_process.py.

    python scripts/ntk_numpy_worker.py --widths 16,1024,1024,10 --theta theta.npy --x X.npy -o G.npy
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

import tf_mlp_numpy as M  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--widths", required=True)
ap.add_argument("--theta", required=True)
ap.add_argument("--x", required=True)
ap.add_argument("-o", required=True)
a = ap.parse_args()
widths = [int(w) for w in a.widths.split(",")]
G = M.ntk_layer_factored(np.load(a.theta), widths, np.load(a.x), "tanh")
np.save(a.o, G)
