"""The case tables of the hostile command-line suite.

Every case names its class, its command line (relative to a fresh temporary folder holding the standard
fixtures of `make_fixtures`), the exit codes it accepts and any extra checks. `all_cases()` builds them all
from the tables below; hostile.py runs them.

Exit codes (the contract): 0 ok · 64 usage · 65 bad data · 66 no input · 69 memory refused · 70 internal (always a
failure) · 73 cannot create output · 74 I/O error writing · 75 stopped at a limit / not finite.
"""

import json
import os
import time
import stat
import struct
import zipfile

import npyfiles as npy

USAGE, DATA, NOINPUT, MEMORY, CANTCREAT, IOERR, STOPPED = 64, 65, 66, 69, 73, 74, 75

CLASS_TITLES = {
    "0-baseline": "valid invocations succeed",
    "1-size": "size options: bounds and overflow",
    "2-refusal": "memory refusal, quickly",
    "3-unbounded": "unbounded runs refused or capped",
    "4-lies": "exit 0 that lies / limits / targets",
    "5-writes": "atomic writes, output errors",
    "6-inputs": "malformed or unacceptable input files",
    "7-parser": "parser, help, global options",
    "8-spectrum": "ntk-spectrum: options tied to QN, refusal, not converging",
}


class Case:
    def __init__(self, cls, id, argv, expect, *, setup=None, new=False, max_seconds=None, timeout=None, fsize=None,
                 mention=(), preserve=None, stdout=None, stdout_to=None, post=None, custom=None, note="",
                 check_message=True, check_finite=True, weight=0):
        assert cls in CLASS_TITLES, cls
        self.cls = cls
        self.id = id
        self.argv = list(argv)
        self.expect = {expect} if isinstance(expect, int) else set(expect)
        self.setup = _compose(setup)
        self.new = new
        self.max_seconds = max_seconds
        self.timeout = timeout
        self.fsize = fsize
        self.mention = [m for m in mention if m]
        self.preserve = dict(preserve or {})
        self.stdout = stdout
        self.stdout_to = stdout_to
        self.post = post
        self.custom = custom
        self.note = note
        self.check_message = check_message
        self.check_finite = check_finite
        self.weight = weight
        if self.preserve:
            pre = self.setup

            def setup_with_preserve(root, pre=pre, items=tuple(self.preserve.items())):
                if pre:
                    pre(root)
                for path, data in items:
                    full = os.path.join(root, path)
                    os.makedirs(os.path.dirname(full), exist_ok=True)
                    with open(full, "wb") as f:
                        f.write(data)
            self.setup = setup_with_preserve

    def expect_text(self):
        if len(self.expect) == 1:
            return "exit %d" % next(iter(self.expect))
        return "exit in {%s}" % ", ".join(str(c) for c in sorted(self.expect))


def _compose(setup):
    if setup is None:
        return None
    if callable(setup):
        return setup
    fns = [s for s in setup if s]

    def run(root):
        for fn in fns:
            fn(root)
    return run


# ------------------------------------------------------------------------------------------------ fixtures

WIDTHS = [3, 5, 2]  # K = 32
K = npy.mlp_param_count(WIDTHS)


def _marginal(n2, seed):
    vals = [1.0 + 0.5 * v for v in npy.matrix_values(1, n2, seed)]
    s = sum(vals)
    return [v / s for v in vals]


def _targets(rows, cols, seed):
    return npy.matrix_values(rows, cols, seed, 0.8)


def _prob_rows(rows, cols):
    out = []
    for i in range(rows):
        row = [0.1 / (cols - 1)] * cols
        row[i % cols] = 0.9
        out += row
    return out


# name → (values in C order, shape); the standard fixtures present in every case's folder.
FIXTURES = {
    "A.npy": (npy.matrix_values(6, 4, 11), (6, 4)),
    "D.npy": (npy.matrix_values(6, 20, 12), (6, 20)),
    "X.npy": (npy.matrix_values(6, 3, 13), (6, 3)),
    "X2.npy": (npy.matrix_values(4, 3, 14), (4, 3)),
    "Y.npy": (_targets(6, 2, 15), (6, 2)),
    "Yprob.npy": (_prob_rows(6, 2), (6, 2)),
    "P.npy": (npy.matrix_values(8, 2, 16), (8, 2)),
    "Q.npy": (npy.matrix_values(8, 2, 17), (8, 2)),
    "a.npy": (_marginal(16, 18), (16,)),
    "b.npy": (_marginal(16, 19), (16,)),
    "S1.npy": (npy.spd_matrix(3, 20), (3, 3)),
    "S2.npy": (npy.spd_matrix(3, 21, shift=2.0), (3, 3)),
    "G1.npy": (npy.diag_matrix([1.0, 2.0, 3.0]), (3, 3)),
    "G2.npy": (npy.diag_matrix([2.0, 1.0, 0.5]), (3, 3)),
    "Gs.npy": (npy.diag_matrix([2.0, 0.0, 0.5]), (3, 3)),  # rank 2: dln distance --method regularized
    "Xw.npy": ([-1 + 2 * i / 7 for i in range(8)], (8, 1)),
    "Yw.npy": ([abs(-1 + 2 * i / 7) - 0.3 for i in range(8)], (8,)),
    "Ww.npy": (npy.matrix_values(4, 2, 22), (4, 2)),
    "Sw.npy": ([1.0, -1.0, 1.0, -1.0], (4,)),
    # truncation own data: two clusters near (3, 0) and (0, 3), their targets, and [W | β] per layer (adapted).
    "Xt.npy": ([3.1, 0.1, 2.9, -0.1, 3.0, 0.2, 3.2, 0.0, 0.1, 3.0, -0.1, 2.9, 0.2, 3.1, 0.0, 3.2], (8, 2)),
    "Yt.npy": ([1.5, 0.5] * 4 + [0.5, 1.5] * 4, (8, 2)),
    "Tt.npy": ([0.0, 1.0, -3.0, -1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 1.0, 0.0, -3.0], (2, 2, 3)),
}


def _theta_values(widths, seed):
    import tempfile
    with tempfile.NamedTemporaryFile(suffix=".npy") as t:
        npy.write_theta(t.name, widths, seed)
        return list(npy.read_npy(open(t.name, "rb").read())[3])


FIXTURES["theta.npy"] = (_theta_values(WIDTHS, 3), (K,))
FIXTURES["theta2.npy"] = (_theta_values(WIDTHS, 7), (K,))

_FIXTURE_BYTES = {name: npy.npy_bytes(v, s) for name, (v, s) in FIXTURES.items()}


def make_fixtures(root):
    for name, blob in _FIXTURE_BYTES.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(blob)
    with open(os.path.join(root, "afile"), "wb") as f:
        f.write(b"a regular file\n")


def write_bytes(name, data):
    def fn(root):
        full = os.path.join(root, name)
        os.makedirs(os.path.dirname(full) or root, exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
    return fn


def write_fixture_variant(name, values, shape, **kw):
    return write_bytes(name, npy.npy_bytes(values, shape, **kw))


def sparse_npy(name, shape, descr="<f8"):
    """A .npy whose header claims `shape` with all the data present as a sparse (hole) file of zeros."""
    def fn(root):
        head = npy.header_bytes(npy.header_dict(descr, False, shape))
        n = 1
        for s in shape:
            n *= s
        with open(os.path.join(root, name), "wb") as f:
            f.write(head)
            f.truncate(len(head) + n * int(descr[-1]))
    return fn


def make_dir(name):
    return lambda root: os.makedirs(os.path.join(root, name), exist_ok=True)


def make_fifo(name):
    return lambda root: os.mkfifo(os.path.join(root, name))


# ------------------------------------------------------------------------------------------------ commands

# Small, fast, valid invocations; every table below derives its cases from these.
BASE = {
    "pinv": ["pinv", "A.npy", "-o", "out.npy"],
    "rank": ["rank", "A.npy"],
    "gram": ["gram", "D.npy", "-o", "out.npy", "--panel-columns", "7"],
    "jacobian": ["jacobian", "--widths", "3,5,2", "--theta", "theta.npy", "--x", "X.npy", "-o", "out.npy"],
    "ntk": ["ntk", "--widths", "3,5,2", "--theta", "theta.npy", "--x", "X.npy", "-o", "out.npy"],
    "ntk-x2": ["ntk", "--widths", "3,5,2", "--theta", "theta.npy", "--x", "X.npy", "--x2", "X2.npy", "-o", "out.npy"],
    "ot-assign": ["ot", "assign", "--x", "P.npy", "--y", "Q.npy", "-o", "out.npy"],
    "sinkhorn": ["ot", "sinkhorn-grid", "--n", "4", "--a", "a.npy", "--b", "b.npy", "--reg", "0.1", "--tol", "1e-6",
                 "-o", "outdir"],
    "dln-geodesic": ["dln", "geodesic", "--a", "G1.npy", "--b", "G2.npy", "--points", "5", "-o", "out.npy"],
    "dln-shoot": ["dln", "geodesic", "--a", "S1.npy", "--b", "S2.npy", "--method", "shooting", "--points", "5",
                  "-o", "out.npy"],
    "dln-sv": ["dln", "singular-values", "--points", "11", "-o", "outdir"],
    "dln-metric": ["dln", "metric", "--w", "S1.npy", "--x", "G1.npy", "--depth", "3"],
    "dln-distance": ["dln", "distance", "--a", "G1.npy", "--b", "G2.npy", "--depth", "3"],
    "dln-distance-reg": ["dln", "distance", "--a", "Gs.npy", "--b", "G2.npy", "--depth", "2", "--method", "regularized",
                         "--epsilons", "1e-1,1e-2"],
    "dln-flow": ["dln", "flow", "--end-to-end", "--w", "G1.npy", "--target", "S2.npy", "--points", "5", "-o", "out.npy"],
    "dln-flow-up": ["dln", "flow", "--upstairs", "--w", "G1.npy", "--target", "S2.npy", "--points", "5", "-o", "out.npy"],
    "dln-gvf": ["dln", "geodesic-vs-flow", "--depths", "1,2", "--time", "2", "--fractions", "5", "-o", "outdir"],
    "bw": ["bw", "geodesic", "--a", "S1.npy", "--b", "S2.npy", "--points", "5", "-o", "out.npy"],
    "bw-lyapunov": ["bw", "lyapunov", "--a", "S1.npy", "--x", "S2.npy", "-o", "out.npy"],
    "bw-mean": ["bw", "mean", "--a", "S1.npy", "--b", "S2.npy", "-o", "out.npy"],
    "truncation": ["truncation", "demo", "-o", "outdir", "--points", "5", "--until", "0.5", "--step", "0.01"],
    "truncation-effective": ["truncation", "effective", "-o", "outdir", "--points", "4", "--until", "0.2", "--step", "0.01"],
    "truncation-effective-own": ["truncation", "effective", "-o", "outdir", "--x", "Xt.npy", "--y", "Yt.npy", "--theta", "Tt.npy",
                                 "--until", "0.2", "--step", "0.01"],
    "truncation-general": ["truncation", "general", "-o", "outdir", "--points", "4", "--until", "0.2", "--step", "0.01"],
    "truncation-collapsed": ["truncation", "collapsed", "-o", "outdir", "--points", "3", "--until", "0.5"],
    "truncation-collapsed-own": ["truncation", "collapsed", "-o", "outdir", "--x", "Xt.npy", "--y", "Yt.npy", "--until", "0.5"],
    "truncation-sector": ["truncation", "sector", "-o", "outdir", "--points", "3", "--until", "0.5"],
    "gd-vs-prox": ["wasserstein", "gd-vs-prox", "-o", "outdir", "--neurons", "4", "--time", "1"],
    "init-scale": ["wasserstein", "init-scale", "-o", "outdir", "--neurons", "3", "--time", "1"],
    "jko": ["wasserstein", "jko", "-o", "outdir", "--grid", "8", "--steps", "2"],
    "gd-vs-prox-own": ["wasserstein", "gd-vs-prox", "-o", "outdir", "--time", "1", "--x", "Xw.npy", "--y", "Yw.npy",
                       "--theta", "Ww.npy", "--signs", "Sw.npy"],
    "init-scale-own": ["wasserstein", "init-scale", "-o", "outdir", "--time", "1", "--x", "Xw.npy", "--y", "Yw.npy",
                       "--theta", "Ww.npy"],
    "jko-own": ["wasserstein", "jko", "-o", "outdir", "--grid", "8", "--steps", "2", "--x", "Xw.npy", "--y", "Yw.npy"],
    "neurons": ["wasserstein", "neurons", "-o", "outdir", "--grid", "2", "--steps", "1", "--max-inner", "200"],
    "prox-stuck": ["wasserstein", "prox-stuck", "-o", "outdir", "--neurons", "3", "--steps", "2", "--max-inner", "2000"],
    "chizat-bach": ["wasserstein", "chizat-bach", "-o", "outdir", "--widths", "2,4", "--time", "10"],
    "flow": ["flow", "--widths", "3,6,2", "--samples", "6", "-o", "outdir"],
    "flow-xy": ["flow", "--widths", "3,5,2", "--x", "X.npy", "--y", "Y.npy", "--theta", "theta.npy", "-o", "outdir"],
    "experiment-lr": ["experiment", "learning-rate", "-o", "outdir", "--samples", "4", "--width", "4", "--t", "0.5"],
    "experiment-rvs": ["experiment", "relu-vs-softplus", "-o", "outdir", "--widths", "4", "--seeds", "1", "--time", "5", "--points", "3"],
    "experiment-is": ["experiment", "init-scale", "-o", "outdir", "--samples", "4", "--width", "4", "--scales", "1,4"],
    "experiment-fibre": ["experiment", "fibre", "-o", "outdir", "--samples", "4", "--width", "6", "--walks", "2", "--moves", "2"],
    "experiment-ac": ["experiment", "adapted-cost", "-o", "outdir", "--sample-counts", "2,4", "--width", "8", "--max-steps", "5000"],
    "info": ["info"],
    "init": ["init", "--widths", "3,5,2", "--seed", "1", "-o", "out.npy"],  # new
    "ntk-spectrum": ["ntk-spectrum", "--widths", "3,5,2", "--theta", "theta.npy", "--x", "X.npy", "--k", "2", "-o", "outdir"],
}
NEW_COMMANDS = {"init", "bw-lyapunov", "bw-mean", "experiment-lr", "experiment-rvs", "experiment-is", "experiment-fibre", "experiment-ac", "gd-vs-prox-own", "init-scale-own", "jko-own", "dln-metric",
                "dln-distance", "dln-distance-reg", "dln-flow", "dln-flow-up", "dln-gvf", "truncation-effective", "truncation-effective-own",
                "truncation-general", "truncation-collapsed", "truncation-collapsed-own", "truncation-sector", "neurons", "prox-stuck", "chizat-bach"}
FILE_OUTPUT = ["pinv", "gram", "jacobian", "ntk", "ot-assign", "dln-geodesic", "bw", "bw-lyapunov", "bw-mean", "init", "dln-flow",
               "dln-flow-up"]
DIR_OUTPUT = ["sinkhorn", "dln-sv", "truncation", "gd-vs-prox", "init-scale", "jko", "flow", "experiment-lr", "ntk-spectrum", "dln-gvf",
              "truncation-effective", "truncation-effective-own", "truncation-general", "truncation-collapsed", "truncation-collapsed-own",
              "truncation-sector", "neurons", "prox-stuck", "chizat-bach",
              "experiment-rvs", "experiment-is", "experiment-fibre", "experiment-ac"]
# The command paths, for help cases.
COMMAND_PATHS = [["demo"], ["flow"], ["info"], ["pinv"], ["rank"], ["gram"], ["jacobian"], ["ntk"], ["ntk-spectrum"], ["ot"],
                 ["ot", "assign"], ["ot", "sinkhorn-grid"], ["dln"], ["dln", "geodesic"], ["dln", "singular-values"], ["dln", "metric"],
                 ["dln", "distance"], ["dln", "flow"], ["dln", "geodesic-vs-flow"],
                 ["bw"], ["bw", "geodesic"], ["bw", "lyapunov"], ["bw", "mean"], ["truncation"], ["truncation", "demo"],
                 ["truncation", "effective"], ["truncation", "general"], ["truncation", "collapsed"], ["truncation", "sector"], ["wasserstein"],
                 ["wasserstein", "gd-vs-prox"], ["wasserstein", "init-scale"], ["wasserstein", "jko"], ["wasserstein", "neurons"],
                 ["wasserstein", "prox-stuck"], ["wasserstein", "chizat-bach"], ["experiment"],
                 ["experiment", "learning-rate"], ["experiment", "relu-vs-softplus"],
                 ["experiment", "init-scale"], ["experiment", "fibre"],
                 ["experiment", "adapted-cost"]]
# The measure and distance commands of `wasserstein` (signed measures, the (r, η) PDE, sliced W₂, §9).
BASE.update({
    "wasserstein-sliced": ["wasserstein", "sliced", "-o", "outdir", "--neurons", "4", "--steps", "2", "--max-projections", "8",
               "--repeats", "2"],
    "wasserstein-sliced-own": ["wasserstein", "sliced", "-o", "outdir", "--steps", "2", "--max-projections", "4", "--repeats", "2",
                   "--x", "Xw.npy", "--y", "Yw.npy", "--theta", "Ww.npy", "--signs", "Sw.npy"],
    "wasserstein-pde": ["wasserstein", "pde", "-o", "outdir", "--cells", "16", "--particles", "32", "--time", "0.5"],
    "wasserstein-pde-own": ["wasserstein", "pde", "-o", "outdir", "--cells", "16", "--time", "0.5", "--x", "Xw.npy", "--y", "Yw.npy",
                "--theta", "Ww.npy"],
    "wasserstein-signed": ["wasserstein", "signed", "-o", "outdir", "--neurons", "4", "--time", "1"],
    "wasserstein-signed-own": ["wasserstein", "signed", "-o", "outdir", "--time", "1", "--x", "Xw.npy", "--y", "Yw.npy",
                   "--theta", "Ww.npy", "--signs", "Sw.npy"],
    "wasserstein-classic": ["wasserstein", "classic", "-o", "outdir", "--neurons", "4", "--time", "1"],
    "wasserstein-classic-own": ["wasserstein", "classic", "-o", "outdir", "--time", "1", "--x", "Xw.npy", "--y", "Yw.npy",
                    "--theta", "Ww.npy", "--signs", "Sw.npy"],
})
NEW_COMMANDS |= {"wasserstein-sliced", "wasserstein-sliced-own", "wasserstein-pde", "wasserstein-pde-own", "wasserstein-signed", "wasserstein-signed-own", "wasserstein-classic", "wasserstein-classic-own"}
DIR_OUTPUT += ["wasserstein-sliced", "wasserstein-pde", "wasserstein-signed", "wasserstein-classic"]
COMMAND_PATHS += [["wasserstein", "sliced"], ["wasserstein", "pde"], ["wasserstein", "signed"], ["wasserstein", "classic"]]


def opt(cmd, name, value, argv=None):
    """BASE[cmd] with `name` set to `value` (replacing its value if present, else appended)."""
    a = list(argv if argv is not None else BASE[cmd])
    names = {name}
    if name in ("-o", "--output"):
        names = {"-o", "--output"}
    for i, x in enumerate(a):
        if x in names and i + 1 < len(a):
            a[i + 1] = value
            return a
    return a + [name, value]


def without(argv, name):
    a = list(argv)
    names = {"-o", "--output"} if name in ("-o", "--output") else {name}
    for i, x in enumerate(a):
        if x in names:
            del a[i:i + 2]
            return a
    return a


def output_of(cmd):
    a = BASE[cmd]
    for i, x in enumerate(a):
        if x in ("-o", "--output"):
            return a[i + 1]
    return None


def post_file_exists(path):
    def fn(root, r, ctx):
        if r.rc == 0 and not os.path.exists(os.path.join(root, path)):
            return ["files: exit 0 but %s was not written" % path]
        return []
    return fn


def _chain(*posts):
    posts = [p for p in posts if p]

    def fn(root, r, ctx):
        out = []
        for p in posts:
            out += p(root, r, ctx)
        return out
    return fn if posts else None


# ------------------------------------------------------------------------------------------------ 0 baseline


def baseline_cases():
    out = []
    for cmd, argv in BASE.items():
        o = output_of(cmd)
        post = post_file_exists(o) if o else None
        out.append(Case("0-baseline", "baseline/%s" % cmd, argv, 0, new=cmd in NEW_COMMANDS, post=post, timeout=30))
    # Values that look hostile but are valid.
    ok = [
        ("flow-interpolated", opt("flow", "--field", "interpolated") + ["--alpha", "0.25"]),
        ("flow-prescribed", opt("flow", "--field", "prescribed")),
        ("flow-prescribed-s-end-0.5", opt("flow", "--field", "prescribed") + ["--s-end", "0.5"]),
        ("flow-t-end-0.5", BASE["flow"] + ["--t-end", "0.5"]),
        ("flow-euler", BASE["flow"] + ["--stepper", "euler", "--step", "0.05", "--s-end", "1"]),
        ("flow-cross-entropy", ["flow", "--widths", "3,5,2", "--x", "X.npy", "--y", "Yprob.npy", "--loss", "cross-entropy",
                                "--s-end", "1", "-o", "outdir"]),
        ("flow-svd-route", BASE["flow"] + ["--route", "svd"]),
        ("flow-integrated-prediction", BASE["flow"] + ["--integrated-prediction", "--t-end", "0.5"]),
        ("flow-prescribed-feasibility-tol-1e-3", opt("flow", "--field", "prescribed") + ["--feasibility-tol", "0.001"]),
        ("flow-matrix-free-route", BASE["flow"] + ["--route", "matrix-free"]),
        ("flow-matrix-free-krylov-options", BASE["flow"] + ["--route", "matrix-free", "--krylov-tol", "1e-10",
                                                            "--krylov-max-iter", "500"]),
        ("flow-matrix-free-krylov-tol-0", BASE["flow"] + ["--route", "matrix-free", "--krylov-tol", "0"]),
        ("flow-matrix-free-prescribed", BASE["flow"] + ["--route", "matrix-free", "--field", "prescribed"]),
        ("dln-depth-inf", opt("dln-geodesic", "--depth", "inf")),
        ("dln-shooting", BASE["dln-shoot"]),
        ("dln-distance-steps-above-4096", BASE["dln-distance"] + ["--method", "shooting", "--steps", "5000"]),
        ("pinv-rtol", BASE["pinv"] + ["--rtol", "1e-3"]),
        ("rank-atol", BASE["rank"] + ["--atol", "0.5"]),
        ("pinv-zero-matrix", ["pinv", "Z.npy", "-o", "out.npy"], write_fixture_variant("Z.npy", [0.0] * 12, (3, 4))),
        ("pinv-1x1", ["pinv", "one.npy", "-o", "out.npy"], write_fixture_variant("one.npy", [2.0], (1, 1))),
        ("ntk-jacobian-method", BASE["ntk"] + ["--method", "jacobian"]),
        ("ntk-param-ntk", BASE["ntk"] + ["--parametrization", "ntk"]),
        ("ntk-kernel-adapted", BASE["ntk"] + ["--kernel", "adapted"]),
        ("ntk-kernel-alpha-metric", BASE["ntk"] + ["--kernel", "alpha-metric", "--alpha", "0.25"]),
        ("ntk-kernel-alpha-metric-0", BASE["ntk"] + ["--kernel", "alpha-metric", "--alpha", "0"]),
        ("sinkhorn-omega-1", BASE["sinkhorn"] + ["--omega", "1"]),
        ("sinkhorn-eps-start", BASE["sinkhorn"] + ["--eps-start", "0.5"]),
        ("gram-panel-1", opt("gram", "--panel-columns", "1")),
        ("gram-panel-larger-than-cols", opt("gram", "--panel-columns", "1000")),
        ("ot-assign-1-point", ["ot", "assign", "--x", "p1.npy", "--y", "q1.npy", "-o", "out.npy"],
         [write_fixture_variant("p1.npy", [0.5, 0.5], (1, 2)), write_fixture_variant("q1.npy", [1.0, 0.0], (1, 2))]),
        ("output-long-name", opt("pinv", "-o", "x" * 200 + ".npy")),
        ("output-unicode-name", opt("pinv", "-o", "θ-résultat ✓.npy")),
        ("output-dot-slash", opt("pinv", "-o", "./sub/../out.npy"), make_dir("sub")),
        ("dashdash-positional", ["pinv", "-o", "out.npy", "--", "A.npy"]),
        ("equals-form", ["pinv", "A.npy", "--output=out.npy"]),
        ("equals-form-count", ["dln", "singular-values", "--points=7", "--output=outdir"]),
        ("alpha-boundary-0", opt("flow", "--field", "interpolated") + ["--alpha", "0"]),
        ("alpha-boundary-1", opt("flow", "--field", "interpolated") + ["--alpha", "1"]),
        ("output-overwrites-input", ["pinv", "A.npy", "-o", "A.npy"]),
        ("init-ntk-parametrization", BASE["init"] + ["--parametrization", "ntk"]),
        ("init-seed-int64-max", opt("init", "--seed", "9223372036854775807")),
    ]
    for item in ok:
        name, argv = item[0], item[1]
        setup = item[2] if len(item) > 2 else None
        out.append(Case("0-baseline", "valid/%s" % name, argv, 0, setup=setup, timeout=30, new=name.startswith("init")))
    return out


# ------------------------------------------------------------------------------------------------ 1 size options

# (command, option, codes for: zero, huge 1e13, 1e9 as an integer)
SIZE_OPTIONS = [
    ("flow", "--samples", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("flow", "--save-points", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("flow", "--max-steps", USAGE, {0, USAGE}, {0, USAGE}),
    ("dln-geodesic", "--points", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("dln-geodesic", "--depth", USAGE, {0, USAGE}, {0, USAGE}),
    ("dln-shoot", "--steps", USAGE, {USAGE, STOPPED}, {USAGE, STOPPED}),
    ("dln-shoot", "--depth", USAGE, {0, USAGE, DATA, STOPPED}, {0, USAGE, DATA, STOPPED}),
    ("dln-sv", "--points", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("bw", "--points", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("gram", "--panel-columns", USAGE, {0, USAGE}, {0, USAGE}),
    ("sinkhorn", "--n", USAGE, {USAGE, DATA, MEMORY}, {USAGE, DATA, MEMORY}),
    ("sinkhorn", "--max-iter", {USAGE, STOPPED}, {0, USAGE}, {0, USAGE}),
    ("truncation", "--points", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("truncation-effective", "--points", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("truncation-collapsed", "--points", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("gd-vs-prox", "--neurons", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("init-scale", "--neurons", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("jko", "--grid", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("neurons", "--grid", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("prox-stuck", "--neurons", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("experiment-lr", "--samples", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("experiment-lr", "--width", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("experiment-rvs", "--seeds", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("experiment-rvs", "--samples", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("experiment-rvs", "--points", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("experiment-is", "--samples", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("experiment-is", "--width", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("experiment-fibre", "--samples", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("experiment-fibre", "--width", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("experiment-fibre", "--walks", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("experiment-ac", "--width", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("experiment-ac", "--max-steps", USAGE, USAGE, USAGE),
    ("jko", "--steps", {0, USAGE}, USAGE, USAGE),
    ("jko", "--steps", {0, USAGE}, USAGE, USAGE),
    ("wasserstein-sliced", "--neurons", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("wasserstein-sliced", "--max-projections", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("wasserstein-sliced", "--repeats", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("wasserstein-sliced", "--steps", USAGE, USAGE, USAGE),
    ("wasserstein-pde", "--cells", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("wasserstein-pde", "--particles", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("wasserstein-signed", "--neurons", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
    ("wasserstein-classic", "--neurons", USAGE, {USAGE, MEMORY}, {USAGE, MEMORY}),
]
# value label → (text, which codes: 'zero' | 'huge' | 'big' | 'usage')
SIZE_VALUES = [
    ("zero", "0", "zero"),
    ("minus1", "-1", "usage"),
    ("minus-huge", "-10000000000000", "usage"),
    ("huge", "10000000000000", "huge"),
    ("billion", "1000000000", "big"),
    ("int64-overflow", "9223372036854775808", "usage"),
    ("uint64-overflow", "18446744073709551616", "usage"),
    ("1e400", "1e400", "usage"),
    ("nan", "nan", "usage"),
    ("inf", "inf", "usage"),
    ("abc", "abc", "usage"),
    ("empty", "", "usage"),
    ("fraction", "1.5", "usage"),
    ("float-syntax-1e9", "1e9", "usage"),
    ("hex", "0x10", "usage"),
    ("trailing-junk", "5abc", "usage"),
]


def size_cases():
    out = []
    seen = set()
    for cmd, name, zero, huge, big in SIZE_OPTIONS:
        if (cmd, name) in seen:
            continue
        seen.add((cmd, name))
        for label, text, kind in SIZE_VALUES:
            if name == "--depth" and label == "inf":
                continue  # 'inf' is a documented value of --depth
            codes = {"zero": zero, "huge": huge, "big": big, "usage": USAGE}[kind]
            if name == "--depth" and kind == "usage" and label == "fraction":
                codes = USAGE
            codes = {codes} if isinstance(codes, int) else set(codes)
            mention = [name] + ([text] if codes == {USAGE} and text and label not in ("1e400",) else [])
            out.append(Case("1-size", "size/%s/%s=%s" % (cmd, name, label), opt(cmd, name, text), codes,
                            mention=mention if codes == {USAGE} else [], max_seconds=5, timeout=6,
                            note="%s %r" % (name, text)))
    # Layer widths, for every command that takes --widths.
    widths_values = [
        ("width-1e11", "3,100000000000,2", {USAGE, MEMORY}),
        ("width-1e15", "3,1000000000000000,2", {USAGE, MEMORY}),
        ("first-width-1e15", "1000000000000000,2", {USAGE, MEMORY}),
        ("width-0", "3,0,2", {USAGE}),
        ("last-width-0", "3,5,0", {USAGE}),
        ("width-negative", "3,-3,2", {USAGE}),
        ("single-width", "3", {USAGE}),
        ("empty-width", "3,,2", {USAGE}),
        ("empty", "", {USAGE}),
        ("trailing-comma", "3,5,2,", {USAGE}),
        ("leading-comma", ",3,5,2", {USAGE}),
        ("letters", "a,b", {USAGE}),
        ("semicolons", "3;5;2", {USAGE}),
        ("fraction", "3,5.5,2", {USAGE}),
        ("int-overflow", "3,99999999999999999999,2", {USAGE}),
        ("nan", "3,nan,2", {USAGE}),
        ("product-overflow", "3,4294967296,4294967296,2", {USAGE, MEMORY}),
        ("wide-layers-80GB", "3,100000,100000,2", {USAGE, MEMORY}),
    ]
    for cmd in ("jacobian", "ntk", "flow", "init"):
        for label, text, codes in widths_values:
            if cmd in ("jacobian", "ntk") and MEMORY in codes:
                codes = codes | {DATA}  # θ.npy (32 values) does not fit such widths: 65 is as good as a refusal
            mention = ["--widths"] if codes == {USAGE} else []
            if cmd == "flow" and text.startswith("3,"):
                text = text  # flow derives X and θ from the widths, so every list is self-consistent
            out.append(Case("1-size", "size/%s/--widths=%s" % (cmd, label), opt(cmd, "--widths", text), codes,
                            new=cmd in NEW_COMMANDS, mention=mention, max_seconds=5, timeout=12,
                            note="--widths %r" % text))
    # A very deep network in one argument (≈60 000 layers): no stack overflow, bounded time.
    deep = "3," + "5," * 60000 + "2"
    out.append(Case("1-size", "size/ntk/--widths=60000-layers", opt("ntk", "--widths", deep), {USAGE, DATA, MEMORY},
                    timeout=12, max_seconds=10, note="θ.npy does not fit a 60 000-layer network"))
    out.append(Case("1-size", "size/flow/--widths=60000-layers", opt("flow", "--widths", deep) + ["--max-steps", "5"],
                    {USAGE, MEMORY, STOPPED}, timeout=12, max_seconds=10, note="no stack overflow; capped or refused"))
    out.append(Case("1-size", "size/init/--widths=60000-layers", opt("init", "--widths", deep), {0, USAGE, MEMORY},
                    new=True, timeout=12, max_seconds=10))
    # init (new): the seed and the written θ.
    for label, text in [("minus1", "-1"), ("abc", "abc"), ("empty", ""), ("1e400", "1e400"), ("nan", "nan"),
                        ("uint64-overflow", "18446744073709551616"), ("fraction", "1.5")]:
        out.append(Case("1-size", "size/init/--seed=%s" % label, opt("init", "--seed", text), USAGE, new=True,
                        mention=["--seed"]))
    out.append(Case("1-size", "size/init/theta-length", BASE["init"], 0, new=True, post=_theta_length("out.npy", K)))
    # Step sizes that imply huge counts.
    out += [
        Case("1-size", "size/flow/--step=1e-300-euler", BASE["flow"] + ["--stepper", "euler", "--step", "1e-300"],
             {USAGE, STOPPED}, timeout=12, mention=["--step"], note="implied step count ~1e301 exceeds any cap"),
        Case("1-size", "size/truncation/--step=1e-9", opt("truncation", "--step", "1e-9"), USAGE, mention=["--step"]),
        Case("1-size", "size/truncation/--step=5e-324", opt("truncation", "--step", "5e-324"), USAGE, mention=["--step"]),
        Case("1-size", "size/truncation/--until=1e300", opt("truncation", "--until", "1e300"), USAGE, mention=["--until"]),
        Case("1-size", "size/gd-vs-prox/--time=1e12", opt("gd-vs-prox", "--time", "1e12"), USAGE, mention=["--time"],
             timeout=12),
        Case("1-size", "size/gd-vs-prox/--gamma=1e-12", opt("gd-vs-prox", "--gamma", "1e-12"), USAGE, timeout=12,
             note="T/(mγ) = 2.5e11 proximal steps"),
        Case("1-size", "size/init-scale/--time=1e12", opt("init-scale", "--time", "1e12"), USAGE, mention=["--time"],
             timeout=12),
        Case("1-size", "size/jko/--tau=1e300", opt("jko", "--tau", "1e300"), USAGE, mention=["--tau"], timeout=12),
        Case("1-size", "size/jko/--steps=1e8-tau-tiny", opt("jko", "--steps", "100000000") + ["--tau", "1e-12"],
             {USAGE}, timeout=12, max_seconds=5, note="10^8 JKO steps"),
        Case("1-size", "size/flow/--s-end=1e300", BASE["flow"] + ["--s-end", "1e300"], {USAGE, STOPPED}, timeout=12),
        Case("1-size", "size/flow/--save-points=1e6", opt("flow", "--save-points", "1000000"), {0, USAGE},
             timeout=15, note="a million saved points: refuse or finish"),
        Case("1-size", "size/sinkhorn/--n=1e5", opt("sinkhorn", "--n", "100000"), {USAGE, DATA, MEMORY}, max_seconds=2,
             timeout=12, note="a, b have 16 entries, not n² = 10^10"),
    ]
    return out


def _theta_length(path, k):
    def fn(root, r, ctx):
        if r.rc != 0:
            return []
        try:
            _, _, shape, values = npy.read_npy(open(os.path.join(root, path), "rb").read())
        except (OSError, npy.NpyError) as e:
            return ["files: %s unreadable (%s)" % (path, e)]
        return [] if len(values) == k else ["result: θ has %d entries, expected K = %d" % (len(values), k)]
    return fn


# ------------------------------------------------------------------------------------------------ 2 refusal


def refusal_cases():
    fast = dict(max_seconds=2.0, timeout=6)
    out = [
        Case("2-refusal", "refusal/ntk/x-200k-rows-1.3TB-kernel", opt("ntk", "--x", "Xbig.npy"), MEMORY,
             setup=sparse_npy("Xbig.npy", (200000, 3)), note="QN = 400 000: Θ is 1.28 TB", **fast),
        Case("2-refusal", "refusal/ntk/x-and-x2-200k-rows", opt("ntk-x2", "--x", "Xbig.npy", opt("ntk-x2", "--x2", "Xbig.npy")),
             MEMORY, setup=sparse_npy("Xbig.npy", (200000, 3)), note="Θ(X, X2) is 400 000 × 400 000", **fast),
        Case("2-refusal", "refusal/ntk/jacobian-method-x-200k", opt("ntk", "--x", "Xbig.npy") + ["--method", "jacobian"],
             MEMORY, setup=sparse_npy("Xbig.npy", (200000, 3)), **fast),
        Case("2-refusal", "refusal/jacobian/x-50M-rows-25GB", opt("jacobian", "--x", "Xhuge.npy"), MEMORY,
             setup=sparse_npy("Xhuge.npy", (50000000, 3)), note="D is 10^8 × 32 doubles = 25.6 GB; X itself 1.2 GB",
             **fast),
        Case("2-refusal", "refusal/gram/D-2M-rows-32TB", ["gram", "Dbig.npy", "-o", "out.npy"], MEMORY,
             setup=sparse_npy("Dbig.npy", (2000000, 4)), note="G is 2·10^6 squared doubles", **fast),
        Case("2-refusal", "refusal/gram/claimed-1e9-rows-tiny-file", ["gram", "Dclaim.npy", "-o", "out.npy"],
             {DATA, MEMORY}, setup=write_bytes("Dclaim.npy", npy.npy_bytes([1.0] * 8, (1000000000, 4), data=npy.pack([1.0] * 8))),
             **fast),
        Case("2-refusal", "refusal/pinv/sparse-200k-square-320GB", ["pinv", "Abig.npy", "-o", "out.npy"], MEMORY,
             setup=sparse_npy("Abig.npy", (200000, 200000)), **fast),
        Case("2-refusal", "refusal/rank/sparse-200k-square-320GB", ["rank", "Abig.npy"], MEMORY,
             setup=sparse_npy("Abig.npy", (200000, 200000)), **fast),
        Case("2-refusal", "refusal/pinv/claimed-1e6-square-tiny-file", ["pinv", "Aclaim.npy", "-o", "out.npy"],
             {DATA, MEMORY}, setup=write_bytes("Aclaim.npy", npy.npy_bytes(None, (1000000, 1000000), data=npy.pack([1.0] * 12))),
             **fast),
        Case("2-refusal", "refusal/rank/claimed-1e6-square-tiny-file", ["rank", "Aclaim.npy"],
             {DATA, MEMORY}, setup=write_bytes("Aclaim.npy", npy.npy_bytes(None, (1000000, 1000000), data=npy.pack([1.0] * 12))),
             **fast),
        Case("2-refusal", "refusal/pinv/sparse-tall-1e8x8-6GB", ["pinv", "Atall.npy", "-o", "out.npy"], {MEMORY},
             setup=sparse_npy("Atall.npy", (100000000, 8)), note="6.4 GB of input, ~3× that to factor, AS limit 8 GiB",
             **fast),
        Case("2-refusal", "refusal/flow/samples-1e7", opt("flow", "--samples", "10000000"), {USAGE, MEMORY},
             note="QN = 2·10^7: the NTK needs 3.2 PB", **fast),
        Case("2-refusal", "refusal/flow/x-sparse-2M-rows", ["flow", "--widths", "3,5,2", "--x", "Xf.npy", "--y", "Yf.npy",
                                                            "-o", "outdir"], MEMORY,
             setup=[sparse_npy("Xf.npy", (2000000, 3)), sparse_npy("Yf.npy", (2000000, 2))], **fast),
        Case("2-refusal", "refusal/flow/matrix-free-widths-80GB-theta", opt("flow", "--widths", "3,100000,100000,2")
             + ["--route", "matrix-free"], {USAGE, MEMORY}, **fast),
        Case("2-refusal", "refusal/flow/gram-samples-1e5-points-to-matrix-free", opt("flow", "--samples", "100000"), MEMORY,
             mention=["--route matrix-free"], note="QN = 2·10^5: the NTK needs 320 GB", **fast),
        Case("2-refusal", "refusal/flow/widths-80GB-theta", opt("flow", "--widths", "3,100000,100000,2"), {USAGE, MEMORY},
             **fast),
        Case("2-refusal", "refusal/ot-assign/1e6-points", ["ot", "assign", "--x", "Pm.npy", "--y", "Qm.npy", "-o", "out.npy"],
             {0, MEMORY}, setup=[sparse_npy("Pm.npy", (1000000, 2)), sparse_npy("Qm.npy", (1000000, 2))],
             max_seconds=5.0, timeout=20, note="8 TB cost matrix: refuse, or solve without it, quickly"),
        Case("2-refusal", "refusal/sinkhorn/n-1e5-sparse-marginals", ["ot", "sinkhorn-grid", "--n", "100000", "--a", "am.npy",
                                                                      "--b", "bm.npy", "-o", "outdir"],
             {USAGE, DATA, MEMORY}, setup=[sparse_npy("am.npy", (10000000000,)), sparse_npy("bm.npy", (10000000000,))],
             note="10^10 grid points (80 GB marginals of zeros, which are also infeasible)", **fast),
        Case("2-refusal", "refusal/init/widths-80GB", opt("init", "--widths", "3,100000,100000,2"), {USAGE, MEMORY},
             new=True, **fast),
        Case("2-refusal", "refusal/dln/points-1e10", opt("dln-geodesic", "--points", "10000000000"), {USAGE, MEMORY},
             **fast),
        Case("2-refusal", "refusal/jko/grid-1e5", opt("jko", "--grid", "100000"), {USAGE, MEMORY}, **fast),
        Case("2-refusal", "refusal/gd-vs-prox/neurons-1e9", opt("gd-vs-prox", "--neurons", "1000000000"),
             {USAGE, MEMORY}, **fast),
        Case("2-refusal", "refusal/ntk/theta-claimed-1e12", opt("ntk", "--theta", "thclaim.npy"), {DATA, MEMORY},
             setup=write_bytes("thclaim.npy", npy.npy_bytes(None, (1000000000000,), data=npy.pack([0.5] * 32))), **fast),
    ]
    return [c for c in out if c is not None]


# ------------------------------------------------------------------------------------------------ 3 unbounded


def unbounded_cases():
    t = dict(timeout=12)
    return [
        Case("3-unbounded", "unbounded/flow/euler-step-1e-12", BASE["flow"] + ["--stepper", "euler", "--step", "1e-12"],
             {USAGE, STOPPED}, note="~3·10^13 steps: refuse up front or stop at the cap", **t),
        Case("3-unbounded", "unbounded/flow/rk4-step-1e-12", BASE["flow"] + ["--stepper", "rk4", "--step", "1e-12", "--max-steps", "20000"],
             {USAGE, STOPPED}, **t),
        Case("3-unbounded", "unbounded/flow/prox-step-1e-12", BASE["flow"] + ["--stepper", "prox", "--step", "1e-12", "--max-steps", "20000"],
             {USAGE, STOPPED}, **t),
        Case("3-unbounded", "unbounded/flow/dopri5-fixed-step-1e-12", BASE["flow"] + ["--step", "1e-12", "--max-steps", "20000"],
             {USAGE, STOPPED}, **t),
        Case("3-unbounded", "unbounded/flow/euler-step-1e-9-max-steps-1e12",
             BASE["flow"] + ["--stepper", "euler", "--step", "1e-9", "--max-steps", "1000000000000"], {USAGE, STOPPED},
             note="a cap that cannot be reached in any reasonable time", **t),
        Case("3-unbounded", "unbounded/flow/step-denormal", BASE["flow"] + ["--stepper", "euler", "--step", "5e-324"],
             {USAGE, STOPPED}, mention=["--step"], **t),
        Case("3-unbounded", "unbounded/flow/matrix-free-krylov-max-iter-1", BASE["flow"] + ["--route", "matrix-free",
             "--krylov-max-iter", "1"], STOPPED, mention=["--krylov-max-iter"], note="one LSMR iteration cannot converge", **t),
        Case("3-unbounded", "unbounded/flow/matrix-free-krylov-max-iter-1e13", BASE["flow"] + ["--route", "matrix-free",
             "--krylov-max-iter", "10000000000000"], USAGE, mention=["--krylov-max-iter"], **t),
        Case("3-unbounded", "unbounded/flow/matrix-free-krylov-max-iter-0", BASE["flow"] + ["--route", "matrix-free",
             "--krylov-max-iter", "0"], USAGE, mention=["--krylov-max-iter", "0"], **t),
        Case("3-unbounded", "unbounded/flow/matrix-free-krylov-tol-1", BASE["flow"] + ["--route", "matrix-free",
             "--krylov-tol", "1"], USAGE, mention=["--krylov-tol"], **t),
        Case("3-unbounded", "unbounded/flow/matrix-free-krylov-tol-negative", BASE["flow"] + ["--route", "matrix-free",
             "--krylov-tol", "-1e-8"], USAGE, mention=["--krylov-tol"], **t),
        Case("3-unbounded", "unbounded/flow/matrix-free-krylov-tol-nan", BASE["flow"] + ["--route", "matrix-free",
             "--krylov-tol", "nan"], USAGE, mention=["--krylov-tol"], **t),
        Case("3-unbounded", "unbounded/flow/krylov-tol-without-matrix-free", BASE["flow"] + ["--krylov-tol", "1e-8"], USAGE,
             mention=["--krylov-tol", "--route matrix-free"], **t),
        Case("3-unbounded", "unbounded/flow/krylov-max-iter-with-svd", BASE["flow"] + ["--route", "svd", "--krylov-max-iter", "5"],
             USAGE, mention=["--krylov-max-iter"], **t),
        Case("3-unbounded", "unbounded/flow/step-zero", BASE["flow"] + ["--stepper", "euler", "--step", "0"], USAGE,
             mention=["--step", "0"], **t),
        Case("3-unbounded", "unbounded/flow/step-negative", BASE["flow"] + ["--stepper", "euler", "--step", "-0.1"], USAGE,
             mention=["--step", "-0.1"], **t),
        Case("3-unbounded", "unbounded/flow/beta-1e6", BASE["flow"] + ["--beta", "1e6"], {0, USAGE, STOPPED}, **t),
        Case("3-unbounded", "unbounded/flow/beta-negative", BASE["flow"] + ["--beta", "-5"], {0, USAGE, STOPPED}, **t),
        Case("3-unbounded", "unbounded/flow/rtol-1e-300", BASE["flow"] + ["--rtol", "1e-300", "--atol", "1e-300"],
             {USAGE, STOPPED}, note="unattainable tolerance: the step size underflows", **t),
        Case("3-unbounded", "unbounded/flow/rtol-zero", BASE["flow"] + ["--rtol", "0", "--atol", "0"], {USAGE, STOPPED}, **t),
        Case("3-unbounded", "unbounded/flow/t-end-almost-1", BASE["flow"] + ["--t-end", "0.9999999999999999"],
             {0, USAGE, STOPPED}, **t),
        Case("3-unbounded", "unbounded/jko/tau-1e-12", opt("jko", "--tau", "1e-12"), {0, USAGE, STOPPED}, **t),
        Case("3-unbounded", "unbounded/jko/tau-1e-12-steps-1e6",
             ["wasserstein", "jko", "-o", "outdir", "--grid", "8", "--tau", "1e-12", "--steps", "1000000"], {USAGE, STOPPED},
             note="a million JKO steps (each a Sinkhorn solve)", **t),
        Case("3-unbounded", "unbounded/jko/gamma-1e-12", opt("jko", "--gamma", "1e-12"), {USAGE, STOPPED, DATA}, **t),
        Case("3-unbounded", "unbounded/jko/tolerance-0", opt("jko", "--tolerance", "0"), {USAGE, STOPPED}, **t),
        Case("3-unbounded", "unbounded/sinkhorn/tol-0-max-iter-1e12", BASE["sinkhorn"][:-2] + ["--tol", "0", "--max-iter",
                                                                                                  "1000000000000", "-o", "outdir"],
             {USAGE, STOPPED}, note="tol 0 is never met; a cap of 10^12 iterations never comes", **t),
        Case("3-unbounded", "unbounded/sinkhorn/reg-1e-300", opt("sinkhorn", "--reg", "1e-300"), {USAGE, DATA, STOPPED}, **t),
        Case("3-unbounded", "unbounded/sinkhorn/reg-zero", opt("sinkhorn", "--reg", "0"), USAGE, mention=["--reg"], **t),
        Case("3-unbounded", "unbounded/sinkhorn/eps-start-1e300", BASE["sinkhorn"] + ["--eps-start", "1e300"],
             {0, USAGE, STOPPED}, note="ε-scaling halving from 1e300 down to 0.1: ~1000 stages", **t),
        Case("3-unbounded", "unbounded/gd-vs-prox/tolerance-0", opt("gd-vs-prox", "--tolerance", "0"), {0, USAGE, STOPPED},
             **t),
        Case("3-unbounded", "unbounded/dln/shooting-steps-1e9", opt("dln-shoot", "--steps", "1000000000"), {USAGE, STOPPED},
             **t),
    ]


# ------------------------------------------------------------------------------------------------ 4 lies


def _final_s_at_most(d, s_max):
    def fn(root, r, ctx):
        if r.rc != 0:
            return []
        import csv
        p = os.path.join(root, d, "trajectory.csv")
        try:
            rows = list(csv.DictReader(open(p, newline="")))
            s = float(rows[-1]["s"])
        except (OSError, KeyError, IndexError, ValueError) as e:
            return ["files: cannot read the final s from %s/trajectory.csv (%s)" % (d, e)]
        return [] if s <= s_max * (1 + 1e-12) else ["result: integrated to s = %g, past the path's end s = %g" % (s, s_max)]
    return fn


def lies_cases():
    t = dict(timeout=15)
    yneg = [v if i != 0 else -0.2 for i, v in enumerate(FIXTURES["Yprob.npy"][0])]
    yneg[1] = 1.2
    ysum2 = [2 * v for v in FIXTURES["Yprob.npy"][0]]
    ce = ["flow", "--widths", "3,5,2", "--x", "X.npy", "--loss", "cross-entropy", "--s-end", "1", "-o", "outdir"]
    out = [
        Case("4-lies", "lies/flow/max-steps-1", opt("flow", "--max-steps", "1"), STOPPED,
             note="the flow is not finished after one step", **t),
        Case("4-lies", "lies/flow/max-steps-5-dopri5", opt("flow", "--max-steps", "5"), STOPPED, **t),
        Case("4-lies", "lies/flow/max-steps-3-euler", BASE["flow"] + ["--stepper", "euler", "--step", "0.01",
                                                                       "--max-steps", "3"], {USAGE, STOPPED},
             note="the implied step count exceeds the cap: refused up front or stopped", **t),
        Case("4-lies", "lies/flow/max-steps-minus-1", opt("flow", "--max-steps", "-1"), USAGE, mention=["--max-steps", "-1"]),
        Case("4-lies", "lies/flow/max-steps-0", opt("flow", "--max-steps", "0"), USAGE, mention=["--max-steps"]),
        Case("4-lies", "lies/flow/xy-max-steps-2", opt("flow-xy", "--max-steps", "2"), STOPPED, **t),
        Case("4-lies", "lies/flow/prescribed-t-end-0.5", opt("flow", "--field", "prescribed") + ["--t-end", "0.5"],
             {0, USAGE}, post=_final_s_at_most("outdir", 1.0),
             note="the prescribed path ends at s = 1 (t = 0.5 is s ≈ 4.2 for the squared loss): refuse, or stay on the path",
             **t),
        Case("4-lies", "lies/flow/prescribed-s-end-2", opt("flow", "--field", "prescribed") + ["--s-end", "2"],
             USAGE, mention=["--s-end"], note="past the prescribed path's endpoint s = 1", **t),
        Case("4-lies", "lies/flow/cross-entropy-negative-targets", ce + ["--y", "Yneg.npy"], DATA, mention=["Yneg.npy"],
             setup=write_fixture_variant("Yneg.npy", yneg, (6, 2))),
        Case("4-lies", "lies/flow/cross-entropy-rows-sum-2", ce + ["--y", "Ysum2.npy"], DATA, mention=["Ysum2.npy"],
             setup=write_fixture_variant("Ysum2.npy", ysum2, (6, 2))),
        Case("4-lies", "lies/flow/cross-entropy-regression-targets", ce + ["--y", "Y.npy"], DATA, mention=["Y.npy"]),
        Case("4-lies", "lies/flow/cross-entropy-t-end",
             ["flow", "--widths", "3,5,2", "--x", "X.npy", "--y", "Yprob.npy", "--loss", "cross-entropy", "--t-end", "0.5",
              "-o", "outdir"], USAGE, mention=["--t-end"], note="t is defined for squared losses only"),
        Case("4-lies", "lies/flow/t-end-1", BASE["flow"] + ["--t-end", "1"], USAGE, mention=["--t-end", "1"]),
        Case("4-lies", "lies/flow/t-end-0", BASE["flow"] + ["--t-end", "0"], USAGE, mention=["--t-end", "0"]),
        Case("4-lies", "lies/flow/t-end-1.5", BASE["flow"] + ["--t-end", "1.5"], USAGE, mention=["--t-end", "1.5"]),
        Case("4-lies", "lies/flow/t-end-negative", BASE["flow"] + ["--t-end", "-0.5"], USAGE, mention=["--t-end", "-0.5"]),
        Case("4-lies", "lies/flow/t-end-nan", BASE["flow"] + ["--t-end", "nan"], USAGE, mention=["--t-end"]),
        Case("4-lies", "lies/flow/t-end-and-s-end", BASE["flow"] + ["--t-end", "0.5", "--s-end", "1"], USAGE,
             mention=["--t-end"]),
        Case("4-lies", "lies/flow/s-end-0", BASE["flow"] + ["--s-end", "0"], USAGE, mention=["--s-end"]),
        Case("4-lies", "lies/flow/s-end-inf", BASE["flow"] + ["--s-end", "inf"], USAGE, mention=["--s-end"]),
        Case("4-lies", "lies/flow/euler-without-step", BASE["flow"] + ["--stepper", "euler"], USAGE, mention=["--step"]),
        Case("4-lies", "lies/flow/x-without-y", ["flow", "--widths", "3,5,2", "--x", "X.npy", "-o", "outdir"], USAGE,
             mention=["--y"]),
        Case("4-lies", "lies/flow/samples-with-x-y", BASE["flow-xy"] + ["--samples", "10"], USAGE,
             note="--samples sizes the synthetic data that --x/--y replace: contradictory options"),
        Case("4-lies", "lies/flow/data-with-x-y", BASE["flow-xy"] + ["--data", "gaussian"], USAGE,
             note="--data names the synthetic data that --x/--y replace: contradictory options"),
        Case("4-lies", "lies/flow/alpha-out-of-range", opt("flow", "--field", "interpolated") + ["--alpha", "-0.5"], USAGE,
             mention=["--alpha", "-0.5"], note="a negative number as a value; α ∈ [0, 1]"),
        Case("4-lies", "lies/flow/alpha-1.5", opt("flow", "--field", "interpolated") + ["--alpha", "1.5"], USAGE,
             mention=["--alpha", "1.5"]),
        Case("4-lies", "lies/flow/prescribed-infeasible", ["flow", "--widths", "3,2", "--activation", "identity", "--samples", "6",
                                                            "--field", "prescribed", "-o", "outdir"], DATA,
             mention=["infeasible prescribed path", "--feasibility-tol"], preserve={"outdir/trajectory.csv": OLD},
             note="K = 8 < QN = 12: y − x₀ leaves ran D (3.7); never exit 0, never replace a finished run's outputs", **t),
        Case("4-lies", "lies/flow/feasibility-tol-negative", opt("flow", "--field", "prescribed") + ["--feasibility-tol", "-1"],
             USAGE, mention=["--feasibility-tol", "-1"]),
        Case("4-lies", "lies/flow/feasibility-tol-nan", opt("flow", "--field", "prescribed") + ["--feasibility-tol", "nan"],
             USAGE, mention=["--feasibility-tol"]),
        Case("4-lies", "lies/flow/feasibility-tol-2", opt("flow", "--field", "prescribed") + ["--feasibility-tol", "2"],
             USAGE, mention=["--feasibility-tol", "2"]),
        Case("4-lies", "lies/flow/integrated-prediction-standard", BASE["flow"] + ["--integrated-prediction", "--field", "standard"],
             USAGE, mention=["--integrated-prediction"], note="Prop. 2.5 describes the adapted flow only"),
        Case("4-lies", "lies/flow/integrated-prediction-cross-entropy",
             ["flow", "--widths", "3,5,2", "--x", "X.npy", "--y", "Yprob.npy", "--loss", "cross-entropy", "--s-end", "1",
              "--integrated-prediction", "-o", "outdir"], USAGE, mention=["--integrated-prediction"],
             note="no clock t(s) for cross-entropy"),
        Case("4-lies", "lies/flow/integrated-prediction-prox", BASE["flow"] + ["--integrated-prediction", "--stepper", "prox",
                                                                               "--step", "0.1"],
             USAGE, mention=["--integrated-prediction"]),
        Case("4-lies", "lies/flow/integrated-prediction-value", BASE["flow"] + ["--integrated-prediction=yes"], USAGE,
             mention=["--integrated-prediction"], note="a flag takes no value"),
        Case("4-lies", "lies/flow/diverging-euler-step-100", BASE["flow"] + ["--field", "standard", "--stepper", "euler",
                                                                             "--step", "100", "--s-end", "100000"],
             STOPPED, note="gradient descent with lr 100 blows up to inf/NaN: never exit 0", **t),
        Case("4-lies", "lies/flow/diverging-xy-euler-step-1e3", BASE["flow-xy"] + ["--field", "standard", "--stepper", "euler",
                                                                                   "--step", "1000", "--s-end", "1e6"],
             STOPPED, **t),
        Case("4-lies", "lies/flow/x-huge-values", opt("flow-xy", "--x", "Xhuge.npy"), {0, DATA, STOPPED},
             setup=write_fixture_variant("Xhuge.npy", [1e300 * v for v in FIXTURES["X.npy"][0]], (6, 3)),
             note="exit 0 only with finite outputs", **t),
        Case("4-lies", "lies/flow/theta-huge-values", opt("flow-xy", "--theta", "thhuge.npy"), {0, DATA, STOPPED},
             setup=write_fixture_variant("thhuge.npy", [1e200 * v for v in FIXTURES["theta.npy"][0]], (K,)), **t),
        Case("4-lies", "lies/sinkhorn/max-iter-3", opt("sinkhorn", "--max-iter", "3"), STOPPED,
             note="the iteration cap is hit before tol", **t),
        Case("4-lies", "lies/sinkhorn/max-iter-1-eps-scaling", opt("sinkhorn", "--max-iter", "1") + ["--eps-start", "1"],
             STOPPED, **t),
        Case("4-lies", "lies/sinkhorn/omega-2", opt("sinkhorn", "--omega", "2"), USAGE, mention=["--omega"]),
        Case("4-lies", "lies/sinkhorn/omega-nan", opt("sinkhorn", "--omega", "nan"), USAGE, mention=["--omega"]),
        Case("4-lies", "lies/sinkhorn/omega-0.5", opt("sinkhorn", "--omega", "0.5"), USAGE, mention=["--omega"]),
        Case("4-lies", "lies/sinkhorn/tol-negative", opt("sinkhorn", "--tol", "-1"), USAGE, mention=["--tol"]),
        Case("4-lies", "lies/dln/shooting-steps-1", opt("dln-shoot", "--steps", "1"), {0, STOPPED}, **t),
        Case("4-lies", "lies/dln/shooting-opposite-det", ["dln", "geodesic", "--a", "S1.npy", "--b", "Sneg.npy", "--method",
                                                         "shooting", "-o", "out.npy"], DATA,
             setup=write_fixture_variant("Sneg.npy", [-v for v in FIXTURES["S1.npy"][0]], (3, 3)),
             note="det A > 0 > det B (3×3, negated): no geodesic"),
        Case("4-lies", "lies/dln-flow/max-steps-3", BASE["dln-flow"] + ["--max-steps", "3"], STOPPED, new=True,
             note="the step cap stops the solve before T: exit 75, never 0"),
        Case("4-lies", "lies/dln-flow/upstairs-and-end-to-end", BASE["dln-flow"] + ["--upstairs"], USAGE, new=True,
             mention=["--upstairs"]),
        Case("4-lies", "lies/dln-flow/factors-without-upstairs", BASE["dln-flow"] + ["--factors", "S1.npy"], USAGE, new=True,
             mention=["--factors"]),
        Case("4-lies", "lies/dln-flow/long-time-capped", opt("dln-flow", "--time", "1000000", BASE["dln-flow"] + ["--depth", "5", "--max-steps", "2000"]),
             {0, STOPPED}, new=True, timeout=60, note="a long flow converges (0) or is capped (75), never a wrong 0"),
        Case("4-lies", "lies/dln-gvf/depths-bogus", opt("dln-gvf", "--depths", "1,,2"), USAGE, new=True, mention=["--depths"]),
        Case("4-lies", "lies/dln-gvf/depths-too-deep", opt("dln-gvf", "--depths", "65"), USAGE, new=True, mention=["--depths"]),
        Case("4-lies", "lies/experiment-rvs/widths-bogus", opt("experiment-rvs", "--widths", "4,,5"), USAGE, new=True, mention=["--widths"]),
        Case("4-lies", "lies/experiment-rvs/widths-too-wide", opt("experiment-rvs", "--widths", "513"), USAGE, new=True, mention=["--widths"]),
        Case("4-lies", "lies/experiment-rvs/work-refused", opt("experiment-rvs", "--time", "2000", opt("experiment-rvs", "--seeds", "64", opt("experiment-rvs", "--widths", "512,512,512"))),
             USAGE, new=True, max_seconds=5, mention=["--time"], note="hours of Euler steps are refused before any work"),
        Case("4-lies", "lies/experiment-is/scales-one", opt("experiment-is", "--scales", "2"), USAGE, new=True, mention=["--scales"]),
        Case("4-lies", "lies/experiment-is/scales-nan", opt("experiment-is", "--scales", "1,nan"), USAGE, new=True, mention=["--scales"]),
        Case("4-lies", "lies/experiment-fibre/no-null-space", opt("experiment-fibre", "--width", "1", opt("experiment-fibre", "--samples", "20")),
             USAGE, new=True, mention=["--width"], note="K ≤ QN: D has no null space to walk along"),
        Case("4-lies", "lies/experiment-ac/one-count", opt("experiment-ac", "--sample-counts", "4"), USAGE, new=True, mention=["--sample-counts"]),
        Case("4-lies", "lies/experiment-ac/ntk-too-large", opt("experiment-ac", "--outputs", "16", opt("experiment-ac", "--sample-counts", "2,1024")),
             USAGE, new=True, max_seconds=5, mention=["--sample-counts"]),
        Case("4-lies", "lies/experiment-ac/max-steps-reached", opt("experiment-ac", "--max-steps", "100", opt("experiment-ac", "--sample-counts", "8,16")),
             STOPPED, new=True, mention=["--max-steps"], note="the standard flow cannot reach the loss in 100 steps: 75, never a capped 0"),
        Case("4-lies", "lies/experiment-is/scales-tiny", opt("experiment-is", "--scales", "1e-9,1"), USAGE, new=True, mention=["--scales"]),
        Case("4-lies", "lies/ntk/kernel-alpha-metric-without-alpha", BASE["ntk"] + ["--kernel", "alpha-metric"], USAGE, new=True,
             mention=["--alpha"]),
        Case("4-lies", "lies/ntk/alpha-without-alpha-metric", BASE["ntk"] + ["--alpha", "0.5"], USAGE, new=True, mention=["--alpha"]),
        Case("4-lies", "lies/ntk/kernel-adapted-with-x2", BASE["ntk-x2"] + ["--kernel", "adapted"], USAGE, new=True, mention=["--x2"]),
        Case("4-lies", "lies/ntk/alpha-above-1", BASE["ntk"] + ["--kernel", "alpha-metric", "--alpha", "1.5"], USAGE, new=True,
             mention=["--alpha"]),
        Case("4-lies", "lies/ntk/kernel-bogus", BASE["ntk"] + ["--kernel", "bogus"], USAGE, new=True, mention=["--kernel"]),
        Case("4-lies", "lies/dln-distance-reg/epsilons-empty-item", opt("dln-distance-reg", "--epsilons", "1e-1,,1e-2"), USAGE,
             new=True, mention=["--epsilons"]),
        Case("4-lies", "lies/dln-distance-reg/epsilons-zero", opt("dln-distance-reg", "--epsilons", "0"), USAGE, new=True,
             mention=["--epsilons"]),
        Case("4-lies", "lies/dln-distance-reg/epsilons-above-1", opt("dln-distance-reg", "--epsilons", "1e-1,2"), USAGE, new=True,
             mention=["--epsilons"]),
        Case("4-lies", "lies/dln-distance-reg/epsilons-nan", opt("dln-distance-reg", "--epsilons", "nan"), USAGE, new=True,
             mention=["--epsilons"]),
        Case("4-lies", "lies/dln-distance-reg/epsilons-nine", opt("dln-distance-reg", "--epsilons", ",".join(["0.5"] * 9)), USAGE,
             new=True, mention=["--epsilons"]),
        Case("4-lies", "lies/dln-distance-reg/both-invertible", opt("dln-distance-reg", "--a", "G1.npy"), DATA, new=True,
             mention=["invertible"], note="nothing to regularise: the plain methods apply"),
        Case("4-lies", "lies/dln-distance-reg/both-zero", opt("dln-distance-reg", "--b", "Z3.npy", opt("dln-distance-reg", "--a", "Z3.npy")),
             DATA, new=True, setup=write_fixture_variant("Z3.npy", [0.0] * 9, (3, 3))),
        Case("4-lies", "lies/dln-distance-reg/general-shooting", opt("dln-distance-reg", "--b", "S2.npy"), {0, DATA}, new=True,
             timeout=60, note="no shared frames: shooting at each ε; converges (0) or says which ε failed (65)"),
        Case("4-lies", "lies/dln-distance/singular-hints-regularized", opt("dln-distance", "--a", "Gs.npy"), DATA, new=True,
             mention=["--method regularized"]),
        Case("4-lies", "lies/dln-distance/explicit-general", BASE["dln-distance"][:2] + ["--a", "S1.npy", "--b", "S2.npy", "--method", "explicit"],
             DATA, new=True, mention=["share singular vectors"]),
        Case("4-lies", "lies/init-scale/large-1e200", opt("init-scale", "--large", "1e200"), {0, USAGE, DATA, STOPPED},
             note="overflow: exit 0 only if every number written is finite", **t),
        Case("4-lies", "lies/gd-vs-prox/weight-decay-negative", opt("gd-vs-prox", "--weight-decay", "-1"),
             {USAGE, STOPPED}, **t),
        Case("4-lies", "lies/pinv/entries-1e308", ["pinv", "Abig.npy", "-o", "out.npy"], {0, DATA, STOPPED},
             setup=write_fixture_variant("Abig.npy", [1e308 * v for v in FIXTURES["A.npy"][0]], (6, 4)),
             note="σ overflows: exit 0 only with a finite A⁺"),
        Case("4-lies", "lies/pinv/entries-1e-320", ["pinv", "Atiny.npy", "-o", "out.npy"], {0, DATA, STOPPED},
             setup=write_fixture_variant("Atiny.npy", [1e-320 * v for v in FIXTURES["A.npy"][0]], (6, 4)),
             note="denormal entries: A⁺ ~ 1e320 overflows unless rank 0"),
        Case("4-lies", "lies/pinv/rtol-and-atol", BASE["pinv"] + ["--rtol", "1e-3", "--atol", "1e-3"], USAGE,
             mention=["--rtol"]),
        Case("4-lies", "lies/pinv/rtol-negative", BASE["pinv"] + ["--rtol", "-1"], USAGE, mention=["--rtol", "-1"]),
        Case("4-lies", "lies/pinv/rtol-nan", BASE["pinv"] + ["--rtol", "nan"], USAGE, mention=["--rtol"]),
        Case("4-lies", "lies/rank/atol-inf", BASE["rank"] + ["--atol", "inf"], USAGE, mention=["--atol"]),
        Case("4-lies", "lies/bw/points-1", opt("bw", "--points", "1"), USAGE, mention=["--points", "1"]),
        Case("4-lies", "lies/ntk/theta-nan-free-but-huge", opt("ntk", "--theta", "thhuge.npy"), {0, DATA, STOPPED},
             setup=write_fixture_variant("thhuge.npy", [1e200 * v for v in FIXTURES["theta.npy"][0]], (K,)),
             note="Θ overflows to inf: never exit 0 with it"),
    ]
    # Every float option given NaN / ±inf / 1e400 / garbage: a usage error naming the option.
    float_opts = [
        ("flow", "--alpha"), ("flow", "--rtol"), ("flow", "--atol"), ("flow", "--beta"), ("flow", "--step"),
        ("flow", "--t-end"), ("flow", "--s-end"), ("sinkhorn", "--reg"), ("sinkhorn", "--tol"), ("sinkhorn", "--eps-start"),
        ("truncation", "--until"), ("truncation", "--step"), ("truncation-effective", "--until"), ("truncation-effective", "--step"),
        ("truncation-general", "--spread"), ("truncation-collapsed", "--until"), ("truncation-sector", "--spread"), ("gd-vs-prox", "--time"), ("gd-vs-prox", "--gamma"),
        ("gd-vs-prox", "--tolerance"), ("gd-vs-prox", "--weight-decay"), ("init-scale", "--small"),
        ("init-scale", "--large"), ("init-scale", "--time"), ("jko", "--extent"), ("jko", "--gamma"), ("jko", "--tau"),
        ("jko", "--tolerance"), ("pinv", "--rtol"), ("pinv", "--atol"), ("rank", "--rtol"), ("rank", "--atol"),
        ("wasserstein-sliced", "--gamma"), ("wasserstein-sliced", "--tolerance"), ("wasserstein-pde", "--time"), ("wasserstein-signed", "--time"), ("wasserstein-classic", "--time"),
        ("wasserstein-classic", "--weight-decay"),
        ("neurons", "--gamma"), ("neurons", "--extent"), ("neurons", "--jitter"),
        ("neurons", "--tolerance"), ("prox-stuck", "--gamma"), ("prox-stuck", "--tolerance"), ("chizat-bach", "--time"),
        ("chizat-bach", "--radius"),
    ]
    for cmd, name in float_opts:
        base = BASE[cmd]
        if name == "--alpha":
            base = opt(cmd, "--field", "interpolated")
        for label, text in [("nan", "nan"), ("inf", "inf"), ("minus-inf", "-inf"), ("1e400", "1e400"), ("abc", "abc"),
                            ("empty", "")]:
            mention = [name] + ([text] if label in ("abc",) else [])
            out.append(Case("4-lies", "float/%s/%s=%s" % (cmd, name, label), opt(cmd, name, text, base), USAGE,
                            mention=mention, timeout=5, note="NaN/inf/garbage given as a number"))
    return out


# ------------------------------------------------------------------------------------------------ 5 writes

OLD = b"OLD BYTES: must survive a failed run\n"


def _failing_variants(cmd):
    """(label, argv, expected) invocations of `cmd` that must fail, keeping its output path."""
    v = []
    usage_opt = {
        "pinv": ("--rtol", "nan"), "gram": ("--panel-columns", "0"), "jacobian": ("--widths", "3,0,2"),
        "ntk": ("--widths", "3,0,2"), "ot-assign": ("--backend", "bogus"), "dln-geodesic": ("--points", "-1"),
        "bw": ("--points", "0"), "bw-lyapunov": ("--a", ""), "bw-mean": ("--bogus", "1"), "init": ("--widths", "3,0,2"), "sinkhorn": ("--n", "-4"), "dln-sv": ("--points", "0"),
        "dln-flow": ("--points", "1"), "dln-flow-up": ("--time", "0"), "dln-gvf": ("--depths", "0"),
        "truncation": ("--points", "0"), "gd-vs-prox": ("--neurons", "0"),
        "truncation-effective": ("--step", "0"), "truncation-effective-own": ("--data", "bogus"), "truncation-general": ("--layers", "0"),
        "truncation-collapsed": ("--width", "1"), "truncation-collapsed-own": ("--until", "0"), "truncation-sector": ("--points", "0"), "init-scale": ("--neurons", "0"),
        "jko": ("--grid", "0"), "flow": ("--samples", "0"), "experiment-lr": ("--width", "0"), "ntk-spectrum": ("--k", "0"),
        "wasserstein-sliced": ("--neurons", "1"), "wasserstein-pde": ("--cells", "4"), "wasserstein-signed": ("--neurons", "0"), "wasserstein-classic": ("--neurons", "0"),
        "neurons": ("--grid", "0"), "prox-stuck": ("--neurons", "0"), "chizat-bach": ("--widths", "0"),
        "experiment-rvs": ("--widths", "0"), "experiment-is": ("--scales", "0"), "experiment-fibre": ("--walks", "0"),
        "experiment-ac": ("--sample-counts", "0"),
    }[cmd]
    v.append(("bad-option", opt(cmd, usage_opt[0], usage_opt[1]), USAGE))
    data_file = {
        "pinv": ("A.npy", None), "gram": ("D.npy", None), "jacobian": ("--x", "X.npy"), "ntk": ("--x", "X.npy"),
        "ot-assign": ("--x", "P.npy"), "dln-geodesic": ("--a", "G1.npy"), "bw": ("--a", "S1.npy"),
        "bw-lyapunov": ("--x", "S2.npy"), "bw-mean": ("--b", "S2.npy"), "dln-flow": ("--w", "G1.npy"), "dln-flow-up": ("--target", "S2.npy"),
        "dln-gvf": None,
        "sinkhorn": ("--a", "a.npy"), "flow": None, "init": None, "dln-sv": None, "truncation": None,
        "truncation-effective": None, "truncation-effective-own": ("--theta", "Tt.npy"), "truncation-general": None,
        "truncation-collapsed": None, "truncation-collapsed-own": ("--x", "Xt.npy"), "truncation-sector": None,
        "gd-vs-prox": None, "init-scale": None, "jko": None, "experiment-lr": None, "ntk-spectrum": ("--x", "X.npy"),
        "wasserstein-sliced": None, "wasserstein-pde": None, "wasserstein-signed": None, "wasserstein-classic": None,
        "neurons": None, "prox-stuck": None, "chizat-bach": None,
        "experiment-rvs": None, "experiment-is": None, "experiment-fibre": None, "experiment-ac": None,
    }[cmd]
    if data_file:
        name, fixture = data_file
        argv = list(BASE[cmd])
        if fixture is None:  # positional
            argv[argv.index(name)] = "bad.npy"
        else:
            argv = opt(cmd, name, "bad.npy")
        v.append(("bad-input", argv, DATA))
    if cmd == "flow":
        v.append(("bad-input", ["flow", "--widths", "3,5,2", "--x", "bad.npy", "--y", "Y.npy", "-o", "outdir"], DATA))
        v.append(("stopped-at-max-steps", opt("flow", "--max-steps", "1"), STOPPED))
    if cmd == "sinkhorn":
        v.append(("stopped-at-max-iter", opt("sinkhorn", "--max-iter", "2"), STOPPED))
    if cmd == "ntk-spectrum":
        v.append(("stopped-at-max-iter", SPECTRUM_STOPPED, STOPPED))
    return v


BAD_NPY = npy.npy_bytes(None, (6, 3), data=b"\x00" * 20)  # truncated data


def writes_cases():
    out = []
    bad = write_bytes("bad.npy", BAD_NPY)
    for cmd in FILE_OUTPUT:
        new = cmd in NEW_COMMANDS
        o = output_of(cmd)
        # Survival of pre-existing bytes, and no temp litter, after failures.
        for label, argv, code in _failing_variants(cmd):
            out.append(Case("5-writes", "survive/%s/%s" % (cmd, label), argv, code, setup=bad, preserve={o: OLD}, new=new,
                            note="old bytes of %s survive" % o))
        out.append(Case("5-writes", "survive/%s/fsize-limit" % cmd, BASE[cmd], IOERR, fsize=150, preserve={o: OLD},
                        new=new, note="RLIMIT_FSIZE 150 bytes: SIGXFSZ ignored, EIO-style error, old bytes intact"))
        # Output errors: checked before the work, 73.
        out.append(Case("5-writes", "create/%s/folder-missing" % cmd, opt(cmd, "-o", "nodir/out.npy"), CANTCREAT,
                        mention=["nodir"], max_seconds=1.0, new=new))
        out.append(Case("5-writes", "create/%s/output-is-directory" % cmd, opt(cmd, "-o", "adir"), CANTCREAT,
                        setup=make_dir("adir"), mention=["adir"], new=new,
                        post=lambda root, r, ctx: [] if os.path.isdir(os.path.join(root, "adir")) else
                        ["files: the directory adir was replaced"]))
        out.append(Case("5-writes", "create/%s/parent-is-file" % cmd, opt(cmd, "-o", "afile/out.npy"), CANTCREAT,
                        mention=["afile"], new=new))
        out.append(Case("5-writes", "create/%s/empty-path" % cmd, opt(cmd, "-o", ""), {USAGE, CANTCREAT}, new=new))
        out.append(Case("5-writes", "full/%s/device-full" % cmd, opt(cmd, "-o", "full"), IOERR, setup=_mknod_full,
                        post=_full_still_device, new=new, note="a private /dev/full node (char 1,7) in the case folder"))
        # -o - (new): the .npy on stdout.
        out.append(Case("5-writes", "stdout/%s/dash" % cmd, opt(cmd, "-o", "-"), 0, stdout="npy", new=True,
                        post=lambda root, r, ctx: [] if not os.path.exists(os.path.join(root, "-")) else
                        ["stdout: wrote a file named '-' instead of stdout"]))
        out.append(Case("5-writes", "stdout/%s/dash-to-full" % cmd, opt(cmd, "-o", "-"), IOERR, setup=_mknod_full,
                        stdout_to="full", new=True, note="stdout is a full device"))
    for cmd in DIR_OUTPUT:
        new = cmd in NEW_COMMANDS
        for label, argv, code in _failing_variants(cmd):
            if cmd == "flow":
                pre = {"outdir/theta_final.npy": OLD, "outdir/trajectory.csv": OLD}
            else:
                pre = {"outdir/keep.txt": OLD}
            out.append(Case("5-writes", "survive/%s/%s" % (cmd, label), argv, code, setup=bad, preserve=pre, new=new,
                            post=_run_json_not_complete("outdir")))
        fs_pre = {"outdir/theta_final.npy": OLD} if cmd == "flow" else {}
        out.append(Case("5-writes", "survive/%s/fsize-limit" % cmd, BASE[cmd], IOERR, fsize=200 if cmd in ("sinkhorn", "ntk-spectrum") else 1000,
                        preserve=fs_pre,
                        new=new, timeout=30, post=_run_json_not_complete("outdir")))
        out.append(Case("5-writes", "create/%s/output-is-file" % cmd, opt(cmd, "-o", "afile"), CANTCREAT,
                        mention=["afile"], max_seconds=1.0, new=new))
        out.append(Case("5-writes", "create/%s/parent-is-file" % cmd, opt(cmd, "-o", "afile/sub"), CANTCREAT,
                        mention=["afile"], max_seconds=1.0, new=new))
        out.append(Case("5-writes", "create/%s/empty-path" % cmd, opt(cmd, "-o", ""), {USAGE, CANTCREAT}, new=new))
        # run.json (new): written last, complete on success.
        out.append(Case("5-writes", "runjson/%s/complete" % cmd, BASE[cmd], 0, new=True, timeout=30,
                        post=_run_json_complete("outdir")))
    out.append(Case("5-writes", "runjson/flow/stopped-not-complete", opt("flow", "--max-steps", "1"), STOPPED, new=True,
                    post=_run_json_not_complete("outdir", required=True)))
    out.append(Case("5-writes", "create/demo/output-is-file", ["demo", "-o", "afile"], CANTCREAT, max_seconds=1.0,
                    mention=["afile"], timeout=60, weight=5))
    # Output checked before computing: slow computations with a bad output must fail at once.
    slow = [
        ("flow-8,64,64,4-100-samples", ["flow", "--widths", "8,64,64,4", "--samples", "100", "-o", "afile/sub"],
         "about 2.5 s of work"),
        ("demo", ["demo", "--papers", "001", "-o", "afile/sub"], "the demo"),
        ("jko-grid-24", ["wasserstein", "jko", "--grid", "24", "-o", "afile/sub"], "about 2 s of work"),
        ("gd-vs-prox-64", ["wasserstein", "gd-vs-prox", "--neurons", "64", "--time", "50", "-o", "afile/sub"], "≈4 s"),
    ]
    for label, argv, note in slow:
        out.append(Case("5-writes", "fast-fail/%s" % label, argv, CANTCREAT, max_seconds=1.0, timeout=15, mention=["afile"],
                        note=note, weight=10))
    out.append(Case("5-writes", "fast-fail/pinv-1000-square-folder-missing", ["pinv", "Abig.npy", "-o", "nodir/out.npy"],
                    CANTCREAT, setup=_big_square("Abig.npy", 1000), max_seconds=1.0, timeout=40, mention=["nodir"],
                    note="an SVD of 1000×1000 takes seconds", weight=10))
    out.append(Case("5-writes", "fast-fail/ntk-big-folder-missing", ["ntk", "--widths", "3,5,2", "--theta", "theta.npy",
                                                                      "--x", "Xmid.npy", "-o", "nodir/G.npy"],
                    CANTCREAT, setup=_cyclic_matrix("Xmid.npy", 5000, 3), max_seconds=1.0, timeout=40, mention=["nodir"],
                    note="Θ is 10000² (800 MB): fail before building it", weight=10))
    # Concurrent writers.
    out.append(Case("5-writes", "concurrent/ntk-two-thetas", [], 0, custom=_concurrent_ntk, weight=8, timeout=60))
    out.append(Case("5-writes", "concurrent/init-two-seeds", [], 0, custom=_concurrent_init, new=True, weight=8))
    out.append(Case("5-writes", "concurrent/flow-same-dir", [], 0, custom=_concurrent_flow, weight=8))
    return out


def _mknod_full(root):
    """A private 'full' device (char 1,7, like /dev/full) in the case folder, so that a tool that renames a temp file
    over its output can never replace the real /dev/full. Falls back to a symlink to /dev/full (rename replaces the
    link, not the device) where mknod is not allowed."""
    try:
        os.mknod(os.path.join(root, "full"), 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except OSError:
        os.symlink("/dev/full", os.path.join(root, "full"))


def _full_still_device(root, r, ctx):
    p = os.path.join(root, "full")
    st = os.lstat(p)
    if stat.S_ISLNK(st.st_mode):
        return [] if stat.S_ISCHR(os.stat(p).st_mode) else ["files: the symlink to /dev/full was replaced"]
    if not stat.S_ISCHR(st.st_mode):
        return ["files: the output device node was REPLACED by a regular file (rename over a device: with -o /dev/full"
                " as root this would clobber /dev/full)"]
    return []


def _run_json_complete(d):
    def fn(root, r, ctx):
        if r.rc != 0:
            return []
        p = os.path.join(root, d, "run.json")
        if not os.path.exists(p):
            return ["runjson: %s/run.json missing after success" % d]
        try:
            obj = json.load(open(p))
        except ValueError as e:
            return ["runjson: %s/run.json is not JSON (%s)" % (d, e)]
        if not isinstance(obj, dict) or obj.get("status") != "complete":
            return ["runjson: status is %r, expected 'complete'" % (obj.get("status") if isinstance(obj, dict) else obj)]
        # written last: no file in the folder is newer than run.json
        t = os.stat(p).st_mtime_ns
        newer = [f for f in os.listdir(os.path.join(root, d)) if os.stat(os.path.join(root, d, f)).st_mtime_ns > t]
        return ["runjson: written before %s" % newer] if newer else []
    return fn


def _run_json_not_complete(d, required=False):
    def fn(root, r, ctx):
        p = os.path.join(root, d, "run.json")
        if r.rc == 0 or not os.path.exists(p):
            return []
        try:
            obj = json.load(open(p))
        except ValueError:
            return []
        if isinstance(obj, dict) and obj.get("status") == "complete":
            return ["runjson: says 'complete' after a failed run"]
        return []
    return fn


def _cyclic_matrix(name, rows, cols):
    """rows×cols whose rows are cyclic shifts of one pseudo-random row (fast to write, generic enough)."""
    def fn(root):
        base = npy.matrix_values(1, rows + cols, 5)
        raw = npy.pack(base + base, "<f8")
        with open(os.path.join(root, name), "wb") as f:
            f.write(npy.header_bytes(npy.header_dict("<f8", False, (rows, cols))))
            for i in range(rows):
                f.write(raw[8 * (i % (rows + cols)):8 * (i % (rows + cols) + cols)])
    return fn


def _big_square(name, n):
    def fn(root):
        base = npy.matrix_values(1, 2 * n + 7, 9)
        raw = npy.pack(base + base, "<f8")
        with open(os.path.join(root, name), "wb") as f:
            f.write(npy.header_bytes(npy.header_dict("<f8", False, (n, n))))
            for i in range(n):
                j = (i * 7) % (2 * n + 7)
                f.write(raw[8 * j:8 * (j + n)])
    return fn


def _concurrent(root, ctx, argv_a, argv_b, target, rounds, is_dir=False):
    """Runs a and b alone (to ref0/ref1), then `rounds` times at once onto `target`. A file output must end up
    byte-identical to one of the two solo outputs; for a folder, each .npy in it must (no torn file)."""
    problems = []
    refs = []
    for i, argv in enumerate((argv_a, argv_b)):
        ref = "ref%d%s" % (i, "" if is_dir else ".npy")
        r = ctx.run(opt(None, "-o", ref, argv), root, timeout=60)
        if r.rc != 0:
            return ["exit: solo run failed: %s: %s" % (r.describe(), r.err_text.strip()[:300])], "solo run failed"
        refs.append(_read_tree(os.path.join(root, ref)))
    if refs[0] == refs[1]:
        return ["suite error: the two solo outputs are identical; the case cannot tell a mix"], ""
    for k in range(rounds):
        procs = []
        for j, a in enumerate((argv_a, argv_b)):
            if j:
                time.sleep(0.003 * (k % 4))  # vary the overlap between rounds
            procs.append(ctx.start(opt(None, "-o", target, a), root))
        codes = []
        for p in procs:
            try:
                p.communicate(timeout=60)
            except Exception:  # noqa: BLE001
                os.killpg(p.pid, 9)
                p.communicate()
                problems.append("crash: a concurrent writer timed out")
            codes.append(p.returncode)
        if any(c != 0 for c in codes):
            problems.append("exit: round %d: concurrent writers exited %s (expected both 0)" % (k + 1, codes))
            break
        got = _read_tree(os.path.join(root, target))
        if is_dir:
            torn = [f for f in set(refs[0]) | set(refs[1]) if got.get(f) not in (refs[0].get(f), refs[1].get(f))]
            if torn:
                problems.append("files: round %d: %s/%s match neither run (torn or missing)" % (k + 1, target, sorted(torn)))
                break
        elif got not in refs:
            problems.append("files: round %d: %s is neither complete output (a mix or a partial file)" % (k + 1, target))
            break
        litter = ctx.temp_litter(root)
        if litter:
            problems.append("files: temp files left: %s" % litter[:3])
            break
    shown = "two concurrent writers to %s, %d rounds: %s  /  %s" % (
        target, rounds, " ".join(opt(None, "-o", target, argv_a)), " ".join(opt(None, "-o", target, argv_b)))
    return problems, shown


def _read_tree(path):
    if os.path.isdir(path):
        return {f: open(os.path.join(path, f), "rb").read() for f in sorted(os.listdir(path)) if f.endswith(".npy")}
    if not os.path.exists(path):
        return None
    return open(path, "rb").read()


def _concurrent_ntk(root, ctx):
    _cyclic_matrix("Xc.npy", 1500, 3)(root)
    a = ["ntk", "--widths", "3,5,2", "--theta", "theta.npy", "--x", "Xc.npy", "-o", "x"]
    b = ["ntk", "--widths", "3,5,2", "--theta", "theta2.npy", "--x", "Xc.npy", "-o", "x"]
    return _concurrent(root, ctx, a, b, "G.npy", 8)


def _concurrent_init(root, ctx):
    a = ["init", "--widths", "64,512,512,10", "--seed", "1", "-o", "x"]
    b = ["init", "--widths", "64,512,512,10", "--seed", "2", "-o", "x"]
    return _concurrent(root, ctx, a, b, "theta.npy", 6)


def _concurrent_flow(root, ctx):
    a = ["flow", "--widths", "3,200,2", "--samples", "6", "--seed", "1", "-o", "x"]
    b = ["flow", "--widths", "3,200,2", "--samples", "6", "--seed", "2", "-o", "x"]
    return _concurrent(root, ctx, a, b, "outdir", 4, is_dir=True)


# ------------------------------------------------------------------------------------------------ 6 inputs

# (command, option or None for the positional, fixture name, shape, vector?)
FILE_OPTIONS = [
    ("pinv", None, "A.npy"), ("rank", None, "A.npy"), ("gram", None, "D.npy"),
    ("jacobian", "--theta", "theta.npy"), ("jacobian", "--x", "X.npy"),
    ("ntk", "--theta", "theta.npy"), ("ntk", "--x", "X.npy"), ("ntk-x2", "--x2", "X2.npy"),
    ("ot-assign", "--x", "P.npy"), ("ot-assign", "--y", "Q.npy"),
    ("sinkhorn", "--a", "a.npy"), ("sinkhorn", "--b", "b.npy"),
    ("dln-geodesic", "--a", "G1.npy"), ("dln-geodesic", "--b", "G2.npy"),
    ("bw", "--a", "S1.npy"), ("bw", "--b", "S2.npy"),
    ("bw-lyapunov", "--a", "S1.npy"), ("bw-lyapunov", "--x", "S2.npy"), ("bw-mean", "--a", "S1.npy"), ("bw-mean", "--b", "S2.npy"),
    ("dln-metric", "--w", "S1.npy"), ("dln-metric", "--x", "G1.npy"), ("dln-distance", "--a", "G1.npy"), ("dln-distance", "--b", "G2.npy"),
    ("dln-distance-reg", "--a", "Gs.npy"),
    ("dln-flow", "--w", "G1.npy"), ("dln-flow", "--target", "S2.npy"),
    ("flow-xy", "--theta", "theta.npy"), ("flow-xy", "--x", "X.npy"), ("flow-xy", "--y", "Y.npy"),
    ("gd-vs-prox-own", "--x", "Xw.npy"), ("gd-vs-prox-own", "--y", "Yw.npy"), ("gd-vs-prox-own", "--theta", "Ww.npy"),
    ("gd-vs-prox-own", "--signs", "Sw.npy"), ("init-scale-own", "--theta", "Ww.npy"), ("jko-own", "--x", "Xw.npy"),
    ("jko-own", "--y", "Yw.npy"),
    ("wasserstein-sliced-own", "--x", "Xw.npy"), ("wasserstein-sliced-own", "--y", "Yw.npy"), ("wasserstein-sliced-own", "--theta", "Ww.npy"),
    ("wasserstein-sliced-own", "--signs", "Sw.npy"), ("wasserstein-pde-own", "--x", "Xw.npy"), ("wasserstein-pde-own", "--y", "Yw.npy"),
    ("wasserstein-pde-own", "--theta", "Ww.npy"), ("wasserstein-signed-own", "--theta", "Ww.npy"), ("wasserstein-signed-own", "--signs", "Sw.npy"),
    ("wasserstein-classic-own", "--x", "Xw.npy"), ("wasserstein-classic-own", "--theta", "Ww.npy"),
]
VECTOR_FIXTURES = {"theta.npy", "a.npy", "b.npy", "Yw.npy", "Sw.npy"}


def _npz_bytes(inner):
    import io
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("arr_0.npy", inner)
    return buf.getvalue()


def _variants(fixture):
    vals, shape = FIXTURES[fixture]
    good = npy.npy_bytes(vals, shape)
    n = len(vals)
    rows, cols = (shape[0], shape[1]) if len(shape) == 2 else (shape[0], 1)
    hdr = npy.header_bytes(npy.header_dict("<f8", False, shape))
    with_nan = list(vals)
    with_nan[n // 2] = float("nan")
    with_inf = list(vals)
    with_inf[n - 1] = float("inf")
    with_minf = list(vals)
    with_minf[0] = float("-inf")
    fortran_vals = [vals[i * cols + j] for j in range(cols) for i in range(rows)]
    v = [
        # label, bytes or special, expected codes, same-result-as-plain?
        ("empty-file", b"", DATA),
        ("wrong-magic", b"\x93NUMPX" + good[6:], DATA),
        ("text-file", b"1.0 2.0 3.0\n4.0 5.0 6.0\n", DATA),
        ("csv-text", b"# comment\n" + b"1,2,3\n" * 6, DATA),
        ("truncated-header", good[:20], DATA),
        ("magic-only", good[:6], DATA),
        ("header-unterminated-dict", npy.header_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (%d, " % shape[0])
         + npy.pack(vals), DATA),
        ("header-not-a-dict", npy.header_bytes("[1, 2, 3]") + npy.pack(vals), DATA),
        ("header-missing-shape", npy.header_bytes("{'descr': '<f8', 'fortran_order': False, }") + npy.pack(vals), DATA),
        ("header-length-beyond-file", good[:8] + struct.pack("<H", 60000) + good[10:], DATA),
        ("huge-claimed-shape", npy.npy_bytes(None, (100000000, 100000000) if len(shape) == 2 else (10**16,),
                                             data=npy.pack(vals)), {DATA, MEMORY}),
        ("shape-product-overflows", npy.npy_bytes(None, (2**62, 2**62) if len(shape) == 2 else (2**63 - 1,),
                                                  data=npy.pack(vals)), {DATA, MEMORY}),
        ("negative-shape", npy.npy_bytes(None, (-1, cols) if len(shape) == 2 else (-1,), data=npy.pack(vals)), DATA),
        ("truncated-data", good[:len(hdr) + 8 * n // 2], DATA),
        ("data-missing", hdr, DATA),
        ("dtype-complex128", npy.npy_bytes(None, shape, descr="<c16", data=npy.pack(vals + vals)), DATA),
        ("dtype-bytes-S4", npy.npy_bytes(None, shape, descr="|S4", data=b"abcd" * n), DATA),
        ("dtype-unicode-U3", npy.npy_bytes(None, shape, descr="<U3", data=b"\0" * 12 * n), DATA),
        ("dtype-int16", npy.npy_bytes(None, shape, descr="<i2", data=b"\x01\x00" * n), DATA),
        ("dtype-bool", npy.npy_bytes(None, shape, descr="|b1", data=b"\x01" * n), DATA),
        ("dtype-float16", npy.npy_bytes(None, shape, descr="<f2", data=b"\x00\x3c" * n), DATA),
        ("dtype-object", npy.npy_bytes(None, shape, descr="|O", data=b"\x80\x04N." * n), DATA),
        ("dtype-uint64", npy.npy_bytes(None, shape, descr="<u8", data=b"\x01" + b"\x00" * 7 + b"\x02" + b"\x00" * 7 * (n - 1)
                                       + b"\x00" * (n - 2)), DATA),
        ("dtype-structured", npy.header_bytes("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (%d,), }" % n)
         + npy.pack(vals), DATA),
        ("three-d", npy.npy_bytes(vals + vals, (2,) + tuple(shape) if len(shape) == 2 else (2, n, 1)), DATA),
        ("zero-d-scalar", npy.header_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (), }") + npy.pack([1.0]),
         DATA),
        ("nan-entry", npy.npy_bytes(with_nan, shape), DATA),
        ("inf-entry", npy.npy_bytes(with_inf, shape), DATA),
        ("minus-inf-entry", npy.npy_bytes(with_minf, shape), DATA),
        ("zero-rows", npy.npy_bytes([], (0, cols) if len(shape) == 2 else (0,)), DATA),
        ("zero-cols", npy.npy_bytes([], (rows, 0)), DATA) if len(shape) == 2 else None,
        ("npz-zip", _npz_bytes(good), {0, DATA}, True),
        ("version-9", good[:6] + b"\x09\x00" + good[8:], DATA),
        ("fortran-flag-garbage", npy.header_bytes("{'descr': '<f8', 'fortran_order': Maybe, 'shape': %s, }"
                                                  % (str(tuple(shape)) if len(shape) == 2 else "(%d,)" % n))
         + npy.pack(vals), DATA),
        ("trailing-garbage", good + b"\xde\xad\xbe\xef" * 5, {0, DATA}),
        # valid encodings: same numbers, same result
        ("valid-fortran-order", npy.npy_bytes(fortran_vals, shape, fortran=True), 0, True),
        ("valid-big-endian", npy.npy_bytes(vals, shape, descr=">f8"), 0, True),
        ("valid-version-2", npy.npy_bytes(vals, shape, version=(2, 0)), 0, True),
        ("valid-float32", npy.npy_bytes(vals, shape, descr="<f4"), {0, DATA} if fixture in ("a.npy", "b.npy") else 0, False),
    ]
    if fixture in VECTOR_FIXTURES:
        v.append(("matrix-for-vector", npy.npy_bytes(vals[:n - n % 2], (2, n // 2)), DATA))
        v.append(("valid-column-vector", npy.npy_bytes(vals, (n, 1)), {0, DATA}, False))
    else:
        v.append(("vector-for-matrix", npy.npy_bytes(vals, (n,)), {0, DATA}))
    return [x for x in v if x is not None]


def _same_as_plain(cmd, argv_plain):
    """Post-check: the result equals the plain-file run's (same numbers, another valid encoding)."""
    o = output_of(cmd)

    def fn(root, r, ctx):
        if r.rc != 0:
            return []
        ref = "ref.npy" if o and not o.endswith("dir") else "refdir"
        argv = opt(None, "-o", ref, argv_plain) if o else argv_plain
        rr = ctx.run(argv, root, timeout=30)
        if rr.rc != 0:
            return ["suite error: the plain run failed: %s" % rr.describe()]
        if o is None:
            return [] if rr.stdout == r.stdout else ["result: stdout differs from the plain file's: %r vs %r"
                                                      % (r.out_text[:80], rr.out_text[:80])]
        if o.endswith("dir"):
            return []
        a = open(os.path.join(root, o), "rb").read()
        b = open(os.path.join(root, ref), "rb").read()
        return [] if a == b else ["result: output differs from the plain C-order float64 file's"]
    return fn


def input_cases():
    out = []
    fifo_done = set()
    for cmd, option, fixture in FILE_OPTIONS:
        base = BASE[cmd]
        label_opt = option or "positional"

        def argv_with(path, base=base, option=option, fixture=fixture, cmd=cmd):
            if option is None:
                a = list(base)
                a[a.index(fixture)] = path
                return a
            return opt(cmd, option, path, base)

        cid = "%s/%s" % (cmd, label_opt)
        out.append(Case("6-inputs", "input/%s/missing" % cid, argv_with("nosuch.npy"), NOINPUT, mention=["nosuch.npy"]))
        out.append(Case("6-inputs", "input/%s/missing-in-missing-dir" % cid, argv_with("nodir/x.npy"), NOINPUT,
                        mention=["nodir/x.npy"]))
        out.append(Case("6-inputs", "input/%s/directory" % cid, argv_with("adir.npy"), NOINPUT, setup=make_dir("adir.npy"),
                        mention=["adir.npy"]))
        out.append(Case("6-inputs", "input/%s/path-through-file" % cid, argv_with("afile/x.npy"), NOINPUT,
                        mention=["afile/x.npy"]))
        out.append(Case("6-inputs", "input/%s/dev-null" % cid, argv_with("/dev/null"), {NOINPUT, DATA},
                        note="a character device, not a regular file"))
        out.append(Case("6-inputs", "input/%s/broken-symlink" % cid, argv_with("dangling.npy"), NOINPUT,
                        setup=lambda root: os.symlink("nowhere.npy", os.path.join(root, "dangling.npy"))))
        if cmd not in fifo_done:
            fifo_done.add(cmd)
            out.append(Case("6-inputs", "input/%s/fifo" % cid, argv_with("pipe.npy"), NOINPUT, setup=make_fifo("pipe.npy"),
                            timeout=4, max_seconds=2, mention=["pipe.npy"], note="must not block on open/read"))
        out.append(Case("6-inputs", "input/%s/empty-name" % cid, argv_with(""), {USAGE, NOINPUT}))
        for item in _variants(fixture):
            label, blob, codes = item[0], item[1], item[2]
            same = len(item) > 3 and item[3]
            post = _same_as_plain(cmd.replace("-xy", "-xy"), base) if same and cmd not in ("flow-xy",) else None
            mention = [("bad.npy", option) if option else "bad.npy"] if codes == DATA else []
            out.append(Case("6-inputs", "input/%s/%s" % (cid, label), argv_with("bad.npy"), codes,
                            setup=write_bytes("bad.npy", blob), mention=mention, post=post, timeout=20, max_seconds=5))
    # Data that is well-formed but does not fit: 65.
    vals = FIXTURES
    fit = [
        ("ntk/x-wrong-cols", opt("ntk", "--x", "X4.npy"), write_fixture_variant("X4.npy", npy.matrix_values(6, 4, 3), (6, 4))),
        ("ntk/theta-too-short", opt("ntk", "--theta", "th31.npy"), write_fixture_variant("th31.npy", vals["theta.npy"][0][:31], (31,))),
        ("ntk/theta-too-long", opt("ntk", "--theta", "th33.npy"), write_fixture_variant("th33.npy", vals["theta.npy"][0] + [0.1], (33,))),
        ("ntk/x2-wrong-cols", opt("ntk-x2", "--x2", "X4.npy"), write_fixture_variant("X4.npy", npy.matrix_values(4, 4, 3), (4, 4))),
        ("jacobian/x-wrong-cols", opt("jacobian", "--x", "X4.npy"), write_fixture_variant("X4.npy", npy.matrix_values(6, 4, 3), (6, 4))),
        ("jacobian/theta-too-short", opt("jacobian", "--theta", "th31.npy"), write_fixture_variant("th31.npy", vals["theta.npy"][0][:31], (31,))),
        ("ot-assign/different-rows", opt("ot-assign", "--y", "Q7.npy"), write_fixture_variant("Q7.npy", npy.matrix_values(7, 2, 3), (7, 2))),
        ("ot-assign/different-cols", opt("ot-assign", "--y", "Q3.npy"), write_fixture_variant("Q3.npy", npy.matrix_values(8, 3, 3), (8, 3))),
        ("sinkhorn/a-wrong-length", opt("sinkhorn", "--a", "a15.npy"), write_fixture_variant("a15.npy", [1 / 15] * 15, (15,))),
        ("sinkhorn/a-negative", opt("sinkhorn", "--a", "aneg.npy"), write_fixture_variant("aneg.npy", [0.2] + [-0.1] + [0.9 / 14] * 14, (16,))),
        ("sinkhorn/a-sums-to-2", opt("sinkhorn", "--a", "a2.npy"), write_fixture_variant("a2.npy", [2 * v for v in vals["a.npy"][0]], (16,))),
        ("sinkhorn/a-all-zero", opt("sinkhorn", "--a", "a0.npy"), write_fixture_variant("a0.npy", [0.0] * 16, (16,))),
        ("dln/a-b-different-sizes", opt("dln-geodesic", "--b", "B4.npy"), write_fixture_variant("B4.npy", npy.diag_matrix([1, 2, 3, 4.0]), (4, 4))),
        ("dln/a-not-square", opt("dln-geodesic", "--a", "A34.npy"), write_fixture_variant("A34.npy", npy.matrix_values(3, 4, 3), (3, 4))),
        ("dln/a-singular", opt("dln-geodesic", "--a", "Asing.npy"), write_fixture_variant("Asing.npy", npy.diag_matrix([1, 0, 3.0]), (3, 3))),
        ("dln-shoot/a-singular", opt("dln-shoot", "--a", "Asing.npy"), write_fixture_variant("Asing.npy", npy.diag_matrix([1, 0, 3.0]), (3, 3))),
        ("dln-metric/w-singular", opt("dln-metric", "--w", "Asing.npy"), write_fixture_variant("Asing.npy", npy.diag_matrix([1, 0, 3.0]), (3, 3))),
        ("dln-metric/x-different-size", opt("dln-metric", "--x", "B4.npy"), write_fixture_variant("B4.npy", npy.diag_matrix([1, 2, 3, 4.0]), (4, 4))),
        ("dln-metric/w-not-square", opt("dln-metric", "--w", "A34.npy"), write_fixture_variant("A34.npy", npy.matrix_values(3, 4, 3), (3, 4))),
        ("dln-distance/b-singular", opt("dln-distance", "--b", "Asing.npy"), write_fixture_variant("Asing.npy", npy.diag_matrix([1, 0, 3.0]), (3, 3))),
        ("dln-distance/opposite-det", opt("dln-distance", "--b", "Aneg.npy"), write_fixture_variant("Aneg.npy", npy.diag_matrix([1, -1, 2.0]), (3, 3))),
        ("dln-distance/a-b-different-sizes", opt("dln-distance", "--b", "B4.npy"), write_fixture_variant("B4.npy", npy.diag_matrix([1, 2, 3, 4.0]), (4, 4))),
        ("dln-distance-reg/a-b-different-sizes", opt("dln-distance-reg", "--b", "B4.npy"), write_fixture_variant("B4.npy", npy.diag_matrix([1, 2, 3, 4.0]), (4, 4))),
        ("dln-distance-reg/a-not-square", opt("dln-distance-reg", "--a", "A34.npy"), write_fixture_variant("A34.npy", npy.matrix_values(3, 4, 3), (3, 4))),
        ("dln-flow/target-different-size", opt("dln-flow", "--target", "B4.npy"), write_fixture_variant("B4.npy", npy.diag_matrix([1, 2, 3, 4.0]), (4, 4))),
        ("dln-flow-up/factors-wrong-size", ["dln", "flow", "--upstairs", "--factors", "A34.npy", "--target", "S2.npy", "-o", "out.npy"],
         write_fixture_variant("A34.npy", npy.matrix_values(3, 4, 3), (3, 4))),
        ("bw/a-not-symmetric", opt("bw", "--a", "Ansym.npy"), write_fixture_variant("Ansym.npy", [2, 1, 0, 0, 2, 0, 0, 0, 2.0], (3, 3))),
        ("bw/a-not-positive-definite", opt("bw", "--a", "Aneg.npy"), write_fixture_variant("Aneg.npy", npy.diag_matrix([1, -1, 2.0]), (3, 3))),
        ("bw/a-b-different-sizes", opt("bw", "--b", "B4.npy"), write_fixture_variant("B4.npy", npy.diag_matrix([1, 2, 3, 4.0]), (4, 4))),
        ("bw-lyapunov/a-not-symmetric", opt("bw-lyapunov", "--a", "Ansym.npy"), write_fixture_variant("Ansym.npy", [2, 1, 0, 0, 2, 0, 0, 0, 2.0], (3, 3))),
        ("bw-lyapunov/a-not-positive-definite", opt("bw-lyapunov", "--a", "Aneg.npy"), write_fixture_variant("Aneg.npy", npy.diag_matrix([1, -1, 2.0]), (3, 3))),
        ("bw-lyapunov/x-different-size", opt("bw-lyapunov", "--x", "B4.npy"), write_fixture_variant("B4.npy", npy.diag_matrix([1, 2, 3, 4.0]), (4, 4))),
        ("bw-lyapunov/a-not-square", opt("bw-lyapunov", "--a", "A34.npy"), write_fixture_variant("A34.npy", npy.matrix_values(3, 4, 3), (3, 4))),
        ("bw-mean/b-not-positive-definite", opt("bw-mean", "--b", "Aneg.npy"), write_fixture_variant("Aneg.npy", npy.diag_matrix([1, -1, 2.0]), (3, 3))),
        ("bw-mean/b-singular", opt("bw-mean", "--b", "Asing.npy"), write_fixture_variant("Asing.npy", npy.diag_matrix([1, 0, 3.0]), (3, 3))),
        ("bw-mean/a-b-different-sizes", opt("bw-mean", "--b", "B4.npy"), write_fixture_variant("B4.npy", npy.diag_matrix([1, 2, 3, 4.0]), (4, 4))),
        ("flow/x-y-different-rows", opt("flow-xy", "--y", "Y5.npy"), write_fixture_variant("Y5.npy", npy.matrix_values(5, 2, 3), (5, 2))),
        ("flow/y-cols-not-last-width", opt("flow-xy", "--y", "Y3.npy"), write_fixture_variant("Y3.npy", npy.matrix_values(6, 3, 3), (6, 3))),
        ("flow/x-cols-not-first-width", opt("flow-xy", "--x", "X4.npy"), write_fixture_variant("X4.npy", npy.matrix_values(6, 4, 3), (6, 4))),
        ("flow/theta-wrong-length", opt("flow-xy", "--theta", "th31.npy"), write_fixture_variant("th31.npy", vals["theta.npy"][0][:31], (31,))),
        ("gram/zero-columns", ["gram", "D0.npy", "-o", "out.npy"], write_fixture_variant("D0.npy", [], (6, 0))),
    ]
    for label, argv, setup in fit:
        out.append(Case("6-inputs", "fit/%s" % label, argv, DATA, setup=setup, timeout=20,
                        note="well-formed file whose shape or values do not fit"))
    # A path with bytes that are not UTF-8.
    out.append(Case("6-inputs", "input/pinv/non-utf8-path-missing", ["pinv", b"\xff\xfe.npy", "-o", "out.npy"], NOINPUT))
    return out


# ------------------------------------------------------------------------------------------------ 7 parser


def parser_cases():
    out = []
    # help in every form, for every command path
    for path in [[]] + COMMAND_PATHS:
        name = " ".join(path) or "root"
        out.append(Case("7-parser", "help/%s/--help" % name, path + ["--help"], 0, stdout="help"))
        out.append(Case("7-parser", "help/%s/-h" % name, path + ["-h"], 0, stdout="help"))
        out.append(Case("7-parser", "help/%s/help-sub" % name, ["help"] + path, 0, stdout="help"))
    out += [
        Case("7-parser", "help/help-unknown", ["help", "bogus"], USAGE, mention=["bogus"]),
        Case("7-parser", "help/help-unknown-nested", ["help", "ot", "bogus"], USAGE, mention=["bogus"]),
        Case("7-parser", "help/no-arguments", [], {0, USAGE}, stdout="help"),
        Case("7-parser", "help/group-without-sub", ["ot"], {0, USAGE}),
        Case("7-parser", "help/group-without-sub-wasserstein", ["wasserstein"], {0, USAGE}),
        Case("7-parser", "help/-h-after-bad-option", ["ntk", "--bogus", "-h"], {0, USAGE}),
        Case("7-parser", "unknown/subcommand", ["bogus"], USAGE, mention=["bogus"]),
        Case("7-parser", "unknown/nested-subcommand", ["ot", "bogus"], USAGE, mention=["bogus"]),
        Case("7-parser", "unknown/subcommand-typo", ["pinvv", "A.npy"], USAGE, mention=["pinvv"]),
        Case("7-parser", "unknown/subcommand-case", ["PINV", "A.npy", "-o", "out.npy"], USAGE, mention=["PINV"]),
        Case("7-parser", "unknown/single-dash-long", ["pinv", "A.npy", "-output", "out.npy"], USAGE),
        Case("7-parser", "unknown/short-cluster", ["pinv", "A.npy", "-oout.npy"], {0, USAGE}),
        Case("7-parser", "flag/info-check-fallback-with-value", ["info", "--check-fallback=1"], USAGE,
             mention=["--check-fallback"]),
        Case("7-parser", "positional/extra", ["pinv", "A.npy", "A.npy", "-o", "out.npy"], USAGE, mention=["A.npy"]),
        Case("7-parser", "positional/missing", ["pinv", "-o", "out.npy"], USAGE),
        Case("7-parser", "positional/missing-rank", ["rank"], USAGE),
        Case("7-parser", "value/long-100k", opt("dln-sv", "--points", "9" * 100000), USAGE, mention=["--points"]),
        Case("7-parser", "value/whitespace", opt("dln-sv", "--points", " 7"), {0, USAGE}),
        Case("7-parser", "value/unicode-digits", opt("dln-sv", "--points", "٧"), USAGE, mention=["--points"]),
        Case("7-parser", "value/enum-case", opt("flow", "--stepper", "Euler"), USAGE, mention=["--stepper", "Euler"]),
        Case("7-parser", "value/enum-empty", opt("flow", "--stepper", ""), USAGE, mention=["--stepper"]),
        Case("7-parser", "value/backend-bogus", BASE["pinv"] + ["--backend", "cuda"], USAGE, mention=["--backend", "cuda"]),
        Case("7-parser", "value/seed-negative", opt("flow", "--seed", "-1"), USAGE, mention=["--seed", "-1"]),
        Case("7-parser", "value/seed-overflow", opt("flow", "--seed", "18446744073709551616"), USAGE, mention=["--seed"]),
        Case("7-parser", "value/seed-max-ok", opt("flow", "--seed", "18446744073709551615"), 0),
        Case("7-parser", "value/depth-bogus", opt("dln-geodesic", "--depth", "infinity"), {0, USAGE}),
        Case("7-parser", "value/depth-minus-inf", opt("dln-geodesic", "--depth", "-inf"), USAGE, mention=["--depth"]),
        Case("7-parser", "value/negative-number-value", opt("flow", "--s-end", "-5"), USAGE, mention=["--s-end", "-5"]),
        Case("7-parser", "value/negative-number-short-form", opt("flow", "--s-end", "-1"), USAGE, mention=["--s-end", "-1"]),
        Case("7-parser", "value/option-as-value", ["pinv", "A.npy", "-o", "--rtol"], {USAGE}, mention=["-o"],
             note="'--rtol' taken as the output path would be a surprise"),
    ]
    # Per command: unknown option, repeated option, missing value, missing required option, equals forms.
    required = {
        "pinv": ["-o"], "gram": ["-o"], "jacobian": ["--widths", "--theta", "--x", "-o"],
        "ntk": ["--widths", "--theta", "--x", "-o"], "ot-assign": ["--x", "--y", "-o"],
        "sinkhorn": ["--n", "--a", "--b", "-o"], "dln-geodesic": ["--a", "--b", "-o"], "bw": ["--a", "--b", "-o"],
        "init": ["--widths", "-o"],
    }
    for cmd, argv in BASE.items():
        new = cmd in NEW_COMMANDS
        out.append(Case("7-parser", "options/%s/unknown" % cmd, argv + ["--bogus", "1"], USAGE, mention=["--bogus"], new=new))
        out.append(Case("7-parser", "options/%s/unknown-equals" % cmd, argv + ["--bogus=1"], USAGE, mention=["--bogus"], new=new))
        out.append(Case("7-parser", "options/%s/unknown-short" % cmd, argv + ["-Z"], USAGE, mention=["-Z"], new=new))
        out.append(Case("7-parser", "options/%s/stray-positional" % cmd, argv + ["stray"], USAGE, mention=["stray"], new=new))
        # the last option with its value dropped
        opts = [i for i, x in enumerate(argv) if x.startswith("-")]
        if opts:
            i = opts[-1]
            name = argv[i]
            out.append(Case("7-parser", "options/%s/missing-value" % cmd, argv[:i] + argv[i + 2:] + [name], USAGE,
                            mention=[name.lstrip("-")], new=new))
            out.append(Case("7-parser", "options/%s/given-twice" % cmd, argv + [name, argv[i + 1]], USAGE,
                            mention=[name.lstrip("-")], new=new, note="options given twice"))
            if name.startswith("--"):
                eq = argv[:i] + argv[i + 2:] + ["%s=%s" % (name, argv[i + 1])]
                out.append(Case("7-parser", "options/%s/equals-form" % cmd, eq, 0, new=new))
                out.append(Case("7-parser", "options/%s/equals-empty" % cmd, argv[:i] + argv[i + 2:] + [name + "="], USAGE,
                                mention=[name], new=new))
        for r in required.get(cmd, []):
            out.append(Case("7-parser", "required/%s/%s" % (cmd, r), without(argv, r), USAGE,
                            mention=["--output" if r == "-o" else r], new=new))
    # Global options (new): --version, --json, --quiet, --threads.
    out += [
        Case("7-parser", "global/--version", ["--version"], 0, stdout="version", new=True),
        Case("7-parser", "global/help-mentions-version", ["--help"], 0, new=True,
             post=lambda root, r, ctx: [] if "--version" in r.out_text else ["help: root --help does not list --version"]),
    ]
    for cmd in ["pinv", "rank", "ntk", "ot-assign", "bw", "dln-sv", "flow", "sinkhorn", "info", "init"]:
        argv = BASE[cmd]
        post = _run_json_complete("outdir") if cmd in DIR_OUTPUT else None
        out += [
            Case("7-parser", "global/%s/--json" % cmd, argv + ["--json"], 0, stdout="json", new=True),
            Case("7-parser", "global/%s/--json-before-subcommand" % cmd, ["--json"] + argv, {0, USAGE}, stdout="json", new=True,
                 note="placement before the subcommand is not promised"),
            Case("7-parser", "global/%s/--json-failure" % cmd, argv + ["--json", "--bogus"], USAGE, stdout="json", new=True),
            Case("7-parser", "global/%s/--quiet" % cmd, argv + ["--quiet"], 0, stdout="quiet", new=True, post=post)
            if cmd != "rank" else
            Case("7-parser", "global/%s/--quiet" % cmd, argv + ["--quiet"], 0, new=True),
            Case("7-parser", "global/%s/--threads-1" % cmd, argv + ["--threads", "1"], 0, new=True),
            Case("7-parser", "global/%s/--threads-before-subcommand" % cmd, ["--threads", "2"] + argv, {0, USAGE}, new=True,
                 note="placement before the subcommand is not promised"),
            Case("7-parser", "global/%s/--threads-0" % cmd, argv + ["--threads", "0"], USAGE, mention=["--threads", "0"], new=True),
            Case("7-parser", "global/%s/--threads-negative" % cmd, argv + ["--threads", "-1"], USAGE, mention=["--threads", "-1"], new=True),
            Case("7-parser", "global/%s/--threads-abc" % cmd, argv + ["--threads", "abc"], USAGE, mention=["--threads", "abc"], new=True),
            Case("7-parser", "global/%s/--threads-huge" % cmd, argv + ["--threads", "100000000"], USAGE, mention=["--threads"], new=True),
        ]
    out += [
        Case("7-parser", "global/pinv/--json-with-stdout-output", opt("pinv", "-o", "-") + ["--json"], USAGE, new=True,
             mention=["--json"], note="both want stdout: contradictory"),
        Case("7-parser", "global/rank/--json-and-quiet", BASE["rank"] + ["--json", "--quiet"], {0, USAGE}, new=True),
        Case("7-parser", "global/flow/--json-stopped", opt("flow", "--max-steps", "1") + ["--json"], STOPPED,
             stdout="json", new=True),
        Case("7-parser", "global/pinv/--json-missing-input", opt("pinv", "-o", "out.npy", ["pinv", "nosuch.npy", "-o", "x"])
             + ["--json"], NOINPUT, stdout="json", new=True),
        Case("7-parser", "global/--json-unknown-subcommand", ["bogus", "--json"], USAGE, stdout="json", new=True),
        Case("7-parser", "global/--version-after-subcommand", ["rank", "--version"], {0, USAGE}, new=True),
    ]
    return out


# ------------------------------------------------------------------------------------------------ 8 ntk-spectrum

# QN = 12, K = 32: four largest eigenpairs from a 5-vector basis and one restart cannot all converge (the smallest
# end takes the dense route at QN ≤ 8192, where --max-iter does not apply).
SPECTRUM_STOPPED = opt("ntk-spectrum", "--k", "4") + ["--which", "largest", "--ncv", "5", "--max-iter", "1"]


def spectrum_cases():
    """ntk-spectrum: option ranges tied to QN (X.npy is 6×3, widths 3,5,2: QN = 12), refusals, not converging."""
    b = BASE["ntk-spectrum"]
    fast = dict(max_seconds=5, timeout=20)
    out = [
        Case("8-spectrum", "valid/ntk-spectrum/smallest", b + ["--which", "smallest"], 0, post=_run_json_complete("outdir"),
             **fast),
        Case("8-spectrum", "valid/ntk-spectrum/chain", b + ["--sensitivities", "chain"], 0, **fast),
        Case("8-spectrum", "valid/ntk-spectrum/probe-converged", b + ["--probe", "converged"], 0, **fast),
        Case("8-spectrum", "valid/ntk-spectrum/smallest-lanczos", b + ["--which", "smallest", "--dense-limit", "0"], 0, **fast),
        Case("8-spectrum", "valid/ntk-spectrum/keep-deep", ["ntk-spectrum", "--widths", "3,4,4,2", "--theta", "th442.npy",
                                                             "--x", "X.npy", "--k", "3", "--sensitivities", "keep", "-o", "outdir"],
             0, setup=write_fixture_variant("th442.npy", _theta_values([3, 4, 4, 2], 5), (3 * 4 + 4 + 4 * 4 + 4 + 4 * 2 + 2,)),
             **fast),
        Case("8-spectrum", "valid/ntk-spectrum/swift-backend", b + ["--backend", "swift"], 0, **fast),
        # One process only (tangentflow-mpi refuses --precision single: scripts/test-distributed.sh), hence the ids.
        Case("8-spectrum", "valid/ntk-spectrum-single/default", b + ["--precision", "single", "--tol", "1e-6"], 0,
             post=_run_json_complete("outdir"), **fast),
        Case("8-spectrum", "valid/ntk-spectrum-single/default-tol", b + ["--precision", "single"], 0,
             post=_run_json_complete("outdir"), note="--tol defaults to 1e-6 with --precision single", **fast),
        Case("8-spectrum", "valid/ntk-spectrum-single/keep-deep",
             ["ntk-spectrum", "--widths", "3,4,4,2", "--theta", "th442.npy", "--x", "X.npy", "--k", "3", "--sensitivities", "keep",
              "--precision", "single", "--tol", "1e-5", "-o", "outdir"],
             0, setup=write_fixture_variant("th442.npy", _theta_values([3, 4, 4, 2], 5), (3 * 4 + 4 + 4 * 4 + 4 + 4 * 2 + 2,)),
             **fast),
        Case("8-spectrum", "valid/ntk-spectrum/k-qn-minus-1", opt("ntk-spectrum", "--k", "11"), 0, **fast),
        Case("8-spectrum", "valid/ntk-spectrum/ncv-equals-qn", b + ["--ncv", "12"], 0, **fast),
        Case("8-spectrum", "stopped/ntk-spectrum/max-iter-1-largest", SPECTRUM_STOPPED, STOPPED, mention=["converged"],
             post=_run_json_not_complete("outdir"), **fast),
        Case("8-spectrum", "refusal/ntk-spectrum/x-50M-rows-lanczos-basis", opt("ntk-spectrum", "--x", "Xhuge.npy"), MEMORY,
             setup=sparse_npy("Xhuge.npy", (50000000, 3)), note="QN = 10^8: the Lanczos basis alone is 16 GB", **fast),
        Case("8-spectrum", "refusal/ntk/points-to-ntk-spectrum", opt("ntk", "--x", "Xbig.npy"), MEMORY, mention=["ntk-spectrum"],
             setup=sparse_npy("Xbig.npy", (200000, 3)), note="the dense refusal names the matrix-free route", **fast),
    ]
    bad = [
        ("k-0", ["--k", "0"]), ("k-equals-qn", ["--k", "12"]), ("k-above-qn", ["--k", "13"]), ("k-huge", ["--k", "1e9"]),
        ("k-negative", ["--k", "-2"]), ("k-fraction", ["--k", "2.5"]), ("ncv-equals-k", ["--ncv", "2"]),
        ("ncv-above-qn", ["--ncv", "13"]), ("ncv-zero", ["--ncv", "0"]), ("tol-0", ["--tol", "0"]), ("tol-nan", ["--tol", "nan"]),
        ("tol-1", ["--tol", "1"]), ("tol-negative", ["--tol", "-1e-8"]), ("max-iter-0", ["--max-iter", "0"]),
        ("max-iter-inf", ["--max-iter", "inf"]), ("which-bogus", ["--which", "middle"]),
        ("sensitivities-bogus", ["--sensitivities", "sometimes"]), ("probe-bogus", ["--probe", "fast"]),
        ("dense-limit-negative", ["--dense-limit", "-1"]), ("dense-limit-huge", ["--dense-limit", "20000000"]),
        ("dense-limit-fraction", ["--dense-limit", "1e3.5"]), ("dense-limit-nan", ["--dense-limit", "nan"]),
        ("precision-bogus", ["--precision", "half"]), ("precision-single-smallest", ["--precision", "single", "--which", "smallest"]),
        ("precision-single-swift", ["--precision", "single", "--backend", "swift", "--tol", "1e-6"]),
    ]
    for label, extra in bad:
        argv = list(b)
        for i in range(0, len(extra), 2):
            argv = opt("ntk-spectrum", extra[i], extra[i + 1], argv)
        out.append(Case("8-spectrum", "usage/ntk-spectrum/%s" % label, argv, USAGE, mention=[extra[0].lstrip("-")], **fast))
    out.append(Case("8-spectrum", "usage/ntk-spectrum-single/tol-below-single", b + ["--tol", "1e-8", "--precision", "single"], USAGE,
                    mention=["tol"], **fast))
    return out


# ------------------------------------------------------------------------------------------------ all


# ------------------------------------------------------------------------------------------------ ot assign --cost

def ot_assign_cost_cases():
    """`ot assign --cost` with SciPy's linear_sum_assignment conventions: rectangular both ways, empty shapes,
    +inf forbidden (-inf with --maximize), infeasible and invalid entries refused with 65 naming the file,
    and --cost mixed with --x/--y (or neither) a usage error."""
    inf, nan = float("inf"), float("nan")
    C = ["ot", "assign", "--cost", "C.npy", "-o", "out.npy"]
    fx = lambda values, shape: write_fixture_variant("C.npy", values, shape)
    out = []
    ok = [
        ("square", [4, 1, 3, 2, 0, 5, 3, 2, 2], (3, 3)),
        ("wide-2x4", [1, 2, 3, 4, 2, 4, 6, 8], (2, 4)),
        ("tall-4x2", [1, 2, 3, 4, 2, 4, 6, 8], (4, 2)),
        ("negative", [-1, -2, -3, -4], (2, 2)),
        ("empty-0x3", [], (0, 3)),
        ("empty-2x0", [], (2, 0)),
        ("empty-0x0", [], (0, 0)),
        ("forbidden-feasible", [inf, 1, 2, inf], (2, 2)),
        ("1x1", [7.0], (1, 1)),
        ("huge-finite", [1e308, -1e308, 1e308, 1e307], (2, 2)),
    ]
    for name, values, shape in ok:
        out.append(Case("0-baseline", "valid/ot-assign-cost/%s" % name, C, 0, setup=fx(values, shape), timeout=30,
                        post=post_file_exists("out.npy")))
    out.append(Case("0-baseline", "valid/ot-assign-cost/maximize-neginf-forbidden", C + ["--maximize"], 0,
                    setup=fx([-inf, 1, 2, -inf], (2, 2)), timeout=30, post=post_file_exists("out.npy")))
    bad = [
        ("infeasible-inf-column", [inf, 0, 0, inf, 1, 0, inf, 0, 1], (3, 3), []),
        ("infeasible-all-inf", [inf] * 6, (2, 3), []),
        ("nan", [nan, 1, 1, 1], (2, 2), []),
        ("neginf", [1, -inf, 1, 1], (2, 2), []),
        ("maximize-posinf", [1, inf, 1, 1], (2, 2), ["--maximize"]),
        ("maximize-infeasible", [-inf, -inf, 0, 0], (2, 2), ["--maximize"]),
    ]
    for name, values, shape, extra in bad:
        out.append(Case("6-inputs", "input/ot-assign-cost/%s" % name, C + extra, 65, setup=fx(values, shape),
                        mention=["C.npy"], timeout=30))
    usage = [
        ("cost-and-x", C + ["--x", "P.npy", "--y", "Q.npy"]),
        ("neither", ["ot", "assign", "-o", "out.npy"]),
        ("x-without-y", ["ot", "assign", "--x", "P.npy", "-o", "out.npy"]),
        ("maximize-with-points", BASE["ot-assign"] + ["--maximize"]),
    ]
    for name, argv in usage:
        out.append(Case("7-parser", "parser/ot-assign-cost/%s" % name, argv, 64, setup=fx([1, 2, 3, 4], (2, 2)),
                        timeout=30))
    return out


def all_cases():
    return (baseline_cases() + ot_assign_cost_cases() + size_cases() + refusal_cases() + unbounded_cases() + [
        c for c in lies_cases() if c] + writes_cases() + input_cases() + parser_cases() + spectrum_cases())
