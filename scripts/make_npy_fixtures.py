#!/usr/bin/env python3
"""Writes the tiny golden .npy files read by Tests/TangentFlowTests/NpyFileTests.swift.

Run from anywhere:  python3 scripts/make_npy_fixtures.py
Output:             Tests/TangentFlowTests/Resources/npy/*.npy  (each well under 1 KiB)

The values are small dyadic rationals (exact in float32 and float64) plus a few special values, so the Swift
tests compare them with `==`. If you change a value here, change the matching constant in NpyFileTests.swift.
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "TangentFlowTests", "Resources", "npy")

# A[i, j] = 10 i + j + 0.25 (i < 3, j < 4), minus sign on odd j: shape, order and signs all visible.
A = np.array([[(10 * i + j + 0.25) * (-1 if j % 2 else 1) for j in range(4)] for i in range(3)], dtype="<f8")


def save(name, array, version=None):
    path = os.path.join(OUT, name)
    if version is None:
        np.save(path, array)
    else:
        with open(path, "wb") as f:
            np.lib.format.write_array(f, array, version=version)
    back = np.load(path)  # every fixture must round-trip through NumPy itself
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array, equal_nan=array.dtype.kind == "f")
    return path


def main():
    os.makedirs(OUT, exist_ok=True)
    # float64, C order, 3×4 (np.save's default layout).
    save("f8_c_3x4.npy", A)
    # float64, Fortran order, same values: the header says fortran_order True.
    save("f8_fortran_3x4.npy", np.asfortranarray(A))
    # float32, C order, 2×3.
    save("f4_2x3.npy", np.array([[1.5, -2.25, 3.0], [0.125, -0.0, 65504.0]], dtype="<f4"))
    # big-endian float64, C order, 2×2.
    save("be_f8_2x2.npy", np.array([[1.0, -2.5], [1e300, 2.0 ** -1074]], dtype=">f8"))
    # int64 1-D (labels), including values outside the int32 range.
    save("i8_vec.npy", np.array([3, -1, 0, 42, 2 ** 40, -(2 ** 62)], dtype="<i8"))
    # int32 1-D.
    save("i4_vec.npy", np.array([7, -7, 2 ** 31 - 1, -(2 ** 31)], dtype="<i4"))
    # float64 1-D with special values.
    save("f8_vec_special.npy", np.array([1.0, -0.0, np.inf, -np.inf, np.nan, 5e-324], dtype="<f8"))
    # float64 C order 2×3, version 2.0 header (4-byte header length).
    save("v2_f8_2x3.npy", np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype="<f8"), version=(2, 0))
    for name in sorted(os.listdir(OUT)):
        print(f"{name}: {os.path.getsize(os.path.join(OUT, name))} bytes")


if __name__ == "__main__":
    main()
