#!/usr/bin/env python3
"""Hostile command-line suite for `tangentflow`: runs the built binary on hundreds of table-driven cases and
checks the exit-status / message / file contract (see cases.py for the tables, README of the suite below).

Usage:
    python3 Tests/HostileCLI/hostile.py [--bin PATH] [--jobs 2] [--filter SUBSTR] [--timeout 60] [-v]
                                         [--list] [--keep]

Each case runs in a fresh temporary folder (the process's cwd) under RLIMIT_AS = 8 GiB and a wall-clock
timeout (the process group is killed on timeout). The last line printed is `N passed, N failed`; the exit
code is 0 iff nothing failed. Cases tagged [new] test features being added (--version, init, --json,
--quiet, --threads, `-o -`, run.json); they count like any other case.

Python 3 standard library only.
"""

import argparse
import concurrent.futures
import json
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # leave no __pycache__ in the repository

import npyfiles  # noqa: E402
from cases import CLASS_TITLES, Case, all_cases, make_fixtures  # noqa: E402

ADDRESS_SPACE = 8 * 1024**3
FORBIDDEN = ["TangentFlowError", "invalidArgument(", "malformedFile(", "Swift.", "Foundation.", "NSCocoaErrorDomain",
             "Fatal error", "NSError", "UsageError", "CommandFailure", "Error Domain=", "_swift", "Thread 0 ",
             "Stack dump", "Current stack trace", "Segmentation fault", "Illegal instruction"]
TEMP_RE = re.compile(r"^\..*tmp", re.IGNORECASE)


# -------------------------------------------------------------------------------------------------- processes


class Result:
    """One finished (or killed) process."""

    def __init__(self, argv, rc, stdout, stderr, elapsed, timed_out):
        self.argv = argv
        self.rc = rc  # negative: killed by that signal
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed
        self.timed_out = timed_out

    @property
    def err_text(self):
        return self.stderr.decode("utf-8", "replace")

    @property
    def out_text(self):
        return self.stdout.decode("utf-8", "replace")

    def describe(self):
        if self.timed_out:
            return "TIMEOUT after %.1f s" % self.elapsed
        if self.rc < 0:
            try:
                name = signal.Signals(-self.rc).name
            except ValueError:
                name = str(-self.rc)
            return "killed by signal %s after %.2f s" % (name, self.elapsed)
        return "exit %d after %.2f s" % (self.rc, self.elapsed)


def _preexec(fsize):
    def fn():
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        # Python ignores SIGXFSZ and SIGPIPE; the tool must cope with the defaults on its own.
        for s in (signal.SIGXFSZ, signal.SIGPIPE):
            signal.signal(s, signal.SIG_DFL)
    return fn


def run_process(binary, argv, cwd, timeout, fsize=None, stdin=None, stdout_path=None, env=None):
    """Runs `binary argv…` in `cwd`; `argv` items may be str or bytes. Kills the process group on timeout."""
    full = [binary] + list(argv)
    e = dict(os.environ)
    e.pop("TANGENTFLOW_JSON", None)
    if env:
        e.update(env)
    stdout_f = open(stdout_path, "wb") if stdout_path else subprocess.PIPE
    start = time.monotonic()
    try:
        p = subprocess.Popen(full, cwd=cwd, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                             stdout=stdout_f, stderr=subprocess.PIPE, preexec_fn=_preexec(fsize),
                             start_new_session=True, env=e)
    finally:
        if stdout_path:
            stdout_f.close()
    timed_out = False
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
    elapsed = time.monotonic() - start
    return Result(full, p.returncode, out or b"", err or b"", elapsed, timed_out)


def start_process(binary, argv, cwd, fsize=None):
    """A process started now and collected later (concurrent writers)."""
    e = dict(os.environ)
    return subprocess.Popen([binary] + list(argv), cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=_preexec(fsize), start_new_session=True, env=e)


# -------------------------------------------------------------------------------------------------- checks


def snapshot(root):
    """{relative path: (size, mtime_ns, kind)} of everything under root (symlinks not followed)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            out[os.path.relpath(p, root)] = (st.st_size, st.st_mtime_ns, stat.S_IFMT(st.st_mode))
    return out


def temp_litter(root):
    """Files left behind whose name starts with '.' and contains 'tmp' (the atomic-write temp files)."""
    bad = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + dirnames:
            if TEMP_RE.match(name):
                bad.append(os.path.relpath(os.path.join(dirpath, name), root))
    return bad


def check_npy_blob(blob, label):
    """Problems with an .npy written by the tool: unparsable, or non-finite entries."""
    try:
        descr, fortran, shape, values = npyfiles.read_npy(blob)
    except npyfiles.NpyError as e:
        return ["%s: not a valid .npy (%s)" % (label, e)]
    bad = npyfiles.nonfinite_count(values)
    if bad:
        return ["%s: %d non-finite value(s) of %d in an output written with exit 0" % (label, bad, len(values))]
    return []


_NONFINITE_CSV = re.compile(r"(?i)(?<![A-Za-z_])(nan|[-+]?inf(inity)?)(?![A-Za-z_])")


def check_csv(path, rel):
    """A CSV column that is non-finite everywhere is read as 'not applicable' (e.g. the cross-entropy columns of a
    squared-loss flow); a column with finite values AND a NaN/inf somewhere is a non-finite result."""
    import csv
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2:
        return []
    header, body = rows[0], rows[1:]
    for j, name in enumerate(header):
        cells = [r[j] for r in body if j < len(r)]
        bad = [i for i, c in enumerate(cells) if _NONFINITE_CSV.fullmatch(c.strip())]
        if bad and len(bad) < len(cells):
            return ["%s: column %r has non-finite value %r at data row %d (exit 0)" % (rel, name, cells[bad[0]], bad[0] + 1)]
    return []


def check_written_files(root, before, skip=()):
    """Every .npy/.csv created or modified by the run is readable and finite."""
    problems = []
    after = snapshot(root)
    for rel, meta in sorted(after.items()):
        if meta[2] != stat.S_IFREG or before.get(rel) == meta or rel in skip:
            continue
        path = os.path.join(root, rel)
        if rel.endswith(".npy"):
            if meta[0] > 512 * 1024**2:
                continue
            with open(path, "rb") as f:
                problems += check_npy_blob(f.read(), rel)
        elif rel.endswith(".csv") and meta[0] < 64 * 1024**2:
            problems += check_csv(path, rel)
    return problems


def check_message(case, r):
    """On failure: at most 2 non-empty stderr lines, 'Error: …' then optionally 'Hint: …', no Swift names."""
    problems = []
    text = r.err_text
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        problems.append("message: stderr is empty on failure (expected 'Error: …')")
    else:
        if not lines[0].startswith("Error: "):
            problems.append("message: first stderr line does not start with 'Error: ': %r" % lines[0][:160])
        if len(lines) > 2:
            problems.append("message: %d non-empty stderr lines (at most 2: Error + Hint)" % len(lines))
        elif len(lines) == 2 and not lines[1].startswith("Hint: "):
            problems.append("message: second stderr line is not 'Hint: …': %r" % lines[1][:160])
        first = lines[0]
        for m in case.mention:
            alts = m if isinstance(m, tuple) else (m,)
            if not any(a in first for a in alts):
                problems.append("message: Error line does not name %s: %r" % (" or ".join(repr(a) for a in alts), first[:200]))
    for token in FORBIDDEN:
        if token in text:
            problems.append("message: stderr leaks %r" % token)
    return problems


def check_json_stdout(r, require_ok):
    problems = []
    text = r.out_text.strip()
    if not text and not require_ok:
        return []
    try:
        obj = json.loads(text)
    except ValueError:
        return ["json: stdout is not exactly one JSON object: %r" % text[:200]]
    if not isinstance(obj, dict):
        return ["json: stdout is JSON but not an object"]
    if require_ok:
        missing = [k for k in ("version", "command", "options", "status", "results") if k not in obj]
        if missing:
            problems.append("json: missing keys %s" % missing)
        if obj.get("status") != "ok":
            problems.append("json: status is %r on success (expected 'ok')" % obj.get("status"))
    elif obj.get("status") == "ok":
        problems.append("json: status 'ok' on a failed run")
    return problems


def evaluate(case, r, root, before, ctx):
    """The standard checks of one run against its case."""
    problems = []
    if r.timed_out:
        return ["crash: %s (expected %s)" % (r.describe(), case.expect_text())]
    if r.rc < 0:
        problems.append("crash: %s (expected %s)" % (r.describe(), case.expect_text()))
        return problems
    if r.rc == 70:
        problems.append("crash: exit 70 (internal error) (expected %s)" % case.expect_text())
    elif r.rc not in case.expect:
        problems.append("exit: got %d, expected %s" % (r.rc, case.expect_text()))
    if case.max_seconds is not None and r.elapsed > case.max_seconds:
        problems.append("time: took %.2f s (limit %.1f s)" % (r.elapsed, case.max_seconds))
    if r.rc != 0 and case.check_message:
        problems += check_message(case, r)
    if r.rc == 0 and case.check_finite:
        problems += ["files: " + p for p in check_written_files(root, before)]
    if r.rc != 0:
        litter = temp_litter(root)
        if litter:
            problems.append("files: temp files left after a failed run: %s" % litter[:5])
    if case.stdout == "npy" and r.rc == 0:
        problems += ["stdout: " + p for p in check_npy_blob(r.stdout, "stdout")]
    elif case.stdout == "json":
        problems += check_json_stdout(r, require_ok=(r.rc == 0))
    elif case.stdout == "help" and r.rc == 0:
        if not r.out_text.strip():
            problems.append("help: stdout is empty")
        elif not any("tangentflow " in ln for ln in r.out_text.splitlines()):
            problems.append("help: no line containing 'tangentflow ' (an example)")
    elif case.stdout == "version" and r.rc == 0:
        if not re.search(r"\d+\.\d+", r.out_text):
            problems.append("version: stdout has no version number: %r" % r.out_text[:100])
    elif case.stdout == "quiet" and r.rc == 0 and r.err_text.strip():
        problems.append("quiet: stderr not empty on success under --quiet: %r" % r.err_text[:100])
    for path, data in case.preserve.items():
        if r.rc == 0:
            continue
        full = os.path.join(root, path)
        try:
            with open(full, "rb") as f:
                now = f.read()
        except OSError as e:
            problems.append("files: pre-existing %s is gone after a failed run (%s)" % (path, e.strerror))
            continue
        if now != data:
            problems.append("files: pre-existing %s was modified by a failed run (%d → %d bytes)" % (path, len(data), len(now)))
    if case.post:
        problems += case.post(root, r, ctx)
    return problems


# -------------------------------------------------------------------------------------------------- driver


class Context:
    """What a case's setup/post/custom functions may use."""

    def __init__(self, binary, timeout, verbose):
        self.binary = binary
        self.timeout = timeout
        self.verbose = verbose
        self.keep = False
        self.temp_litter = temp_litter

    def start(self, argv, cwd, fsize=None):
        return start_process(self.binary, argv, cwd, fsize)

    def run(self, argv, cwd, timeout=None, **kw):
        return run_process(self.binary, argv, cwd, min(timeout or self.timeout, self.timeout), **kw)


def run_case(case, ctx):
    root = tempfile.mkdtemp(prefix="hostile-")
    try:
        make_fixtures(root)
        if case.setup:
            case.setup(root)
        if case.custom:
            problems, shown = case.custom(root, ctx)
            return case, problems, shown, 0.0
        before = snapshot(root)
        stdout_path = os.path.join(root, case.stdout_to) if case.stdout_to else None
        r = ctx.run(case.argv, root, timeout=case.timeout, fsize=case.fsize, stdout_path=stdout_path)
        problems = evaluate(case, r, root, before, ctx)
        return case, problems, r, r.elapsed
    except Exception as e:  # a bug in the suite must not look like a pass
        import traceback
        return case, ["suite error: %s" % traceback.format_exc(limit=3)], None, 0.0
    finally:
        if not ctx.keep:
            shutil.rmtree(root, ignore_errors=True)


def shell_quote(a):
    if isinstance(a, bytes):
        return "$'" + "".join("\\x%02x" % b if b >= 0x80 or b < 0x20 else chr(b) for b in a) + "'"
    if a == "" or re.search(r"[^\w@%+=:,./-]", a):
        return "'" + a.replace("'", "'\"'\"'") + "'"
    return a


def format_failure(case, problems, r):
    lines = ["FAIL [%s]%s %s" % (case.cls, " [new]" if case.new else "", case.id)]
    if isinstance(r, Result):
        lines.append("  $ tangentflow " + " ".join(shell_quote(a) for a in r.argv[1:]))
        lines.append("  → " + r.describe())
        err = r.err_text.strip()
        if err:
            shown = err if len(err) <= 600 else err[:600] + " …"
            lines += ["  stderr| " + ln for ln in shown.splitlines()[:8]]
    elif isinstance(r, str):
        lines.append("  " + r)
    lines.append("  expected: " + case.expect_text() + (" — " + case.note if case.note else ""))
    lines += ["  ✗ " + p for p in problems]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_bin = ".build/release/tangentflow" if os.path.exists(".build/release/tangentflow") else ".build/debug/tangentflow"
    ap.add_argument("--bin", default=default_bin, help="the tangentflow binary (default: %(default)s)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--filter", action="append", default=[], help="run only cases whose id or class contains this (repeatable)")
    ap.add_argument("--timeout", type=float, default=60.0, help="wall-clock cap per process, seconds")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case as it finishes")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folders")
    ap.add_argument("--brief", action="store_true", help="one line per failure instead of the full report")
    args = ap.parse_args()

    cases = all_cases()
    ids = set()
    for c in cases:
        assert c.id not in ids, "duplicate case id " + c.id
        ids.add(c.id)
    if args.filter:
        cases = [c for c in cases if any(f in c.id or f == c.cls for f in args.filter)]
    if args.list:
        for c in cases:
            print("%-10s %s%s  → %s" % (c.cls, c.id, " [new]" if c.new else "", c.expect_text()))
        print("%d cases" % len(cases))
        return 0
    binary = os.path.abspath(args.bin)
    if not os.access(binary, os.X_OK):
        print("error: no executable at %s (build it, or pass --bin)" % binary, file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    ctx = Context(binary, args.timeout, args.verbose)
    ctx.keep = args.keep
    # Heavy cases first so that the pool ends on short ones.
    cases.sort(key=lambda c: -c.weight)
    results = []
    lock = threading.Lock()
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_case, c, ctx) for c in cases]
        for fut in concurrent.futures.as_completed(futures):
            case, problems, r, elapsed = fut.result()
            with lock:
                results.append((case, problems, r))
                if args.verbose:
                    status = "ok  " if not problems else "FAIL"
                    extra = r.describe() if isinstance(r, Result) else ""
                    print("%s %-9s %s  (%s)" % (status, case.cls, case.id, extra), flush=True)
    wall = time.monotonic() - t0

    failed = [(c, p, r) for c, p, r in results if p]
    order = list(CLASS_TITLES)
    failed.sort(key=lambda t: (order.index(t[0].cls) if t[0].cls in order else 99, t[0].new, t[0].id))
    if failed:
        print("\n" + "=" * 100)
        for c, p, r in failed:
            if args.brief:
                what = r.describe() if isinstance(r, Result) else ""
                print("FAIL %-11s %s%s | %s | %s" % (c.cls, c.id, " [new]" if c.new else "", what, " ; ".join(x.split("\n")[0] for x in p)))
            else:
                print(format_failure(c, p, r))
                print()
    # Per-class summary, with new-feature cases apart and the kinds of problem found.
    print("=" * 100)
    print("%-44s %7s %7s %7s   %s" % ("class", "cases", "failed", "[new]", "problem kinds among failures"))
    for cls in order:
        rows = [(c, p) for c, p, _ in results if c.cls == cls]
        if not rows:
            continue
        bad = [(c, p) for c, p in rows if p]
        kinds = {}
        for c, p in bad:
            for k in {x.split(":")[0] for x in p}:
                kinds[k] = kinds.get(k, 0) + 1
        msg_only = sum(1 for c, p in bad if all(x.startswith("message:") for x in p))
        kinds["(message only)"] = msg_only
        print("%-44s %7d %7d %7d   %s" % (
            "%s %s" % (cls, CLASS_TITLES[cls]), len(rows), len(bad), sum(1 for c, _ in bad if c.new),
            ", ".join("%s %d" % kv for kv in sorted(kinds.items(), key=lambda kv: -kv[1]))))
    print("wall time %.1f s, %d jobs, binary %s" % (wall, args.jobs, binary))
    n_fail = len(failed)
    print("%d passed, %d failed" % (len(results) - n_fail, n_fail))
    return 0 if n_fail == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
