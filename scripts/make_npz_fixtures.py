#!/usr/bin/env python3
"""Writes the small golden .npz archives read by Tests/TangentFlowTests/NpzArchiveTests.swift.

Run from anywhere:  python3 scripts/make_npz_fixtures.py
Output:             Tests/TangentFlowTests/Resources/npz/  (about 60 KB in all)

Every archive is written by NumPy (np.savez: stored, method 0; np.savez_compressed: deflate, method 8) or by
Python's own zipfile module, and read back with np.load before it is kept, so the Swift reader is checked against
bytes it had no part in making. The values each archive holds are also saved as plain .npy files under
expected/ (NAME.npy for the array NAME), which the Swift tests read with the existing .npy reader and compare bit
for bit with what they read from the archives.

Archives:
  stored.npz             np.savez: the ARRAYS below (a positional array too, so one member is 'arr_0').
  compressed.npz         np.savez_compressed: the same arrays plus 'big' (64×48 float64, deflated).
  single.npz             np.savez of one array (member 'arr_0'): readable as plain 'single.npz'.
  zip64.npz              zipfile with ZIP64 everywhere: ZIP64 extra fields in the central directory (sizes and
                         local-header offsets), a ZIP64 end-of-central-directory record and locator, two stored
                         members and one deflated. Real ZIP64 needs members or offsets past 2 GiB, which no test
                         fixture should be, so the writer's ZIP64 thresholds are lowered to 0 while it writes;
                         the result is checked to contain those structures and to read back with zipfile and np.load.
  streamed.npz           zipfile writing to an unseekable stream, as when saving to a pipe: every member has a
                         data descriptor (flag bit 3) and zero sizes in its local header.
  zeros.npz              np.savez_compressed of a 1000×1000 float64 zero matrix: 8 MB that deflates to ~8 KB,
                         the seed of the zip-bomb tests (which rewrite its sizes).
  empty.npz              np.savez with no arrays: an archive with no members.
"""
import io
import os
import struct
import zipfile
from contextlib import contextmanager

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "TangentFlowTests", "Resources", "npz")
EXPECTED = os.path.join(OUT, "expected")

# A[i, j] = 10 i + j + 0.25 (i < 3, j < 4), minus sign on odd j: as in make_npy_fixtures.py.
A = np.array([[(10 * i + j + 0.25) * (-1 if j % 2 else 1) for j in range(4)] for i in range(3)], dtype="<f8")

ARRAYS = {
    "a": A,                                                                    # float64, C order, 3×4
    "fortran": np.asfortranarray(A),                                           # float64, Fortran order
    "v": np.array([1.5, -2.25, 0.0, np.inf, -np.inf, 5e-324], dtype="<f8"),    # float64 vector, specials
    "f4": np.array([[1.5, -2.25, 3.0], [0.125, -0.0, 65504.0]], dtype="<f4"),  # float32, 2×3
    "be": np.array([[1.0, -2.5], [1e300, 2.0 ** -1074]], dtype=">f8"),         # big-endian float64
    "labels": np.array([3, -1, 0, 42, 2 ** 40, -(2 ** 62)], dtype="<i8"),      # int64 vector
    "i4": np.array([7, -7, 2 ** 31 - 1, -(2 ** 31)], dtype="<i4"),            # int32 vector
    "stack": np.arange(12, dtype="<f8").reshape(2, 2, 3) - 5.5,               # 3-D (count, rows, cols)
    "empty": np.zeros((0, 3), dtype="<f8"),                                    # no elements
}
POSITIONAL = np.array([[2.0, -4.0], [8.0, 0.5]], dtype="<f8")                  # member 'arr_0'
# 64×48, smooth enough to deflate well, every entry distinct and not a short dyadic rational.
BIG = (np.sin(np.arange(64 * 48, dtype="<f8") / 7.0) * 1000.0).round(3).reshape(64, 48)


def check(path, expected):
    """The archive reads back with np.load (and zipfile's CRC check) as exactly `expected`."""
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None, f"{path}: bad CRC"
    with np.load(path) as z:
        assert sorted(z.files) == sorted(expected), (path, z.files)
        for name, value in expected.items():
            back = z[name]
            assert back.dtype == value.dtype and back.shape == value.shape, (path, name)
            assert np.array_equal(back, value, equal_nan=True), (path, name)


@contextmanager
def zip64_everywhere():
    """Lowers zipfile's ZIP64 thresholds so that it writes every ZIP64 structure for tiny members."""
    saved = zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT
    zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 0, 0
    try:
        yield
    finally:
        zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = saved


def write_members(zf, arrays, methods):
    for name, value in arrays.items():
        info = zipfile.ZipInfo(name + ".npy", date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = methods[name]
        with zf.open(info, "w", force_zip64=True) as f:
            np.lib.format.write_array(f, np.asanyarray(value), allow_pickle=False)


class Unseekable:
    """A write-only stream without seek or tell, like a pipe."""

    def __init__(self, sink):
        self.sink = sink

    def write(self, b):
        return self.sink.write(b)

    def flush(self):
        pass


def main():
    os.makedirs(EXPECTED, exist_ok=True)
    for name in os.listdir(OUT):
        if name.endswith(".npz"):
            os.remove(os.path.join(OUT, name))
    for name in os.listdir(EXPECTED):
        os.remove(os.path.join(EXPECTED, name))

    everything = dict(ARRAYS, arr_0=POSITIONAL, big=BIG)
    for name, value in everything.items():
        np.save(os.path.join(EXPECTED, name + ".npy"), value)

    stored = os.path.join(OUT, "stored.npz")
    np.savez(stored, POSITIONAL, **ARRAYS)
    check(stored, dict(ARRAYS, arr_0=POSITIONAL))
    with zipfile.ZipFile(stored) as zf:
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())

    compressed = os.path.join(OUT, "compressed.npz")
    np.savez_compressed(compressed, POSITIONAL, big=BIG, **ARRAYS)
    check(compressed, dict(ARRAYS, arr_0=POSITIONAL, big=BIG))
    with zipfile.ZipFile(compressed) as zf:
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist())

    single = os.path.join(OUT, "single.npz")
    np.savez(single, POSITIONAL)
    check(single, {"arr_0": POSITIONAL})

    zip64 = os.path.join(OUT, "zip64.npz")
    z64 = {"a": A, "labels": ARRAYS["labels"], "v": ARRAYS["v"]}
    methods = {"a": zipfile.ZIP_STORED, "labels": zipfile.ZIP_DEFLATED, "v": zipfile.ZIP_STORED}
    with zip64_everywhere(), zipfile.ZipFile(zip64, "w") as zf:
        write_members(zf, z64, methods)
    data = open(zip64, "rb").read()
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data, "no ZIP64 end record / locator"
    # Every central-directory entry defers both sizes to its ZIP64 extra field, and all but the first (at offset
    # 0) its local-header offset too. (The classic end record keeps the real, small values; the tests also try
    # it with the 0xFFFF / 0xFFFFFFFF placeholders.)
    cd = [k for k in range(len(data) - 3) if data[k:k + 4] == b"PK\x01\x02"]
    assert len(cd) == 3
    for k, at in enumerate(cd):
        assert struct.unpack("<II", data[at + 20:at + 28]) == (0xFFFFFFFF, 0xFFFFFFFF), "sizes not deferred"
        assert (struct.unpack("<I", data[at + 42:at + 46])[0] == 0xFFFFFFFF) == (k > 0), "offset not deferred"
    check(zip64, z64)

    streamed = os.path.join(OUT, "streamed.npz")
    buffer = io.BytesIO()
    s = {"a": A, "big": BIG}
    with zipfile.ZipFile(Unseekable(buffer), "w") as zf:
        write_members(zf, s, {"a": zipfile.ZIP_STORED, "big": zipfile.ZIP_DEFLATED})
    with open(streamed, "wb") as f:
        f.write(buffer.getvalue())
    with zipfile.ZipFile(streamed) as zf:
        assert all(i.flag_bits & 0x08 for i in zf.infolist()), "no data descriptors"
    check(streamed, s)

    zeros = os.path.join(OUT, "zeros.npz")
    np.savez_compressed(zeros, z=np.zeros((1000, 1000)))
    check(zeros, {"z": np.zeros((1000, 1000))})

    empty = os.path.join(OUT, "empty.npz")
    np.savez(empty)
    check(empty, {})

    total = 0
    for folder in (OUT, EXPECTED):
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                total += os.path.getsize(path)
                print(f"{os.path.relpath(path, OUT)}: {os.path.getsize(path)} bytes")
    print(f"total: {total} bytes")
    assert total < 100_000


if __name__ == "__main__":
    main()
