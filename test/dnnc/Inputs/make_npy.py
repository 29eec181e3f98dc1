"""Writes a .npy file of random values: make_npy.py OUT DTYPE DIM... [--fortran]."""
import sys

import numpy as np

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out, dtype, dims = args[0], args[1], [int(d) for d in args[2:]]
values = np.random.RandomState(0).uniform(-1.0, 1.0, size=dims)
array = values.astype(dtype) if np.dtype(dtype).kind == "f" else (values * 10).astype(dtype)
if "--fortran" in sys.argv:
    array = np.asfortranarray(array)
np.save(out, array)
