#!/usr/bin/env python3
"""The MLP training step's large matmuls, compiled by dnnc against OpenBLAS, in one run.

dnnc's figure is the largest parallel region of `dnn-run profile` for each matmul's
source location (its register-tiled loop nest, with the bias or relu_grad epilogue fused
into it where the step has one; the step's other regions are listed by the profile itself); OpenBLAS's is numpy's `a @ b` on the same shapes, run through the
OpenMP OpenBLAS that bench/run-cpu-bench.sh gives PyTorch. Both on the same number of
threads; GFLOP/s = 2 M N K / median time. The FMA peak is measured here too: one AVX-512
FMA stream per thread (bench/fma_peak.c).

usage: bench/matmul_shapes.py BUILD_DIR MODEL.so THREADS
"""
import os
import re
import subprocess
import sys
import time

build, library, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])

# (what, dnn-run profile region pattern, M, K, N)
SHAPES = [
    ("h1 = x @ w1", r"train_step#\d+ mlp\.dnn:12:23(, .*)?$", 128, 784, 512),
    ("dw1 = x^T @ dh1", r"train_step#\d+ dce/dw1 \(mlp\.dnn:12:23\)(, .*)?$", 784, 128, 512),
    ("dw2 = h1^T @ dh2", r"train_step#\d+ dce/dw2 \(mlp\.dnn:13:24\)(, .*)?$", 512, 128, 256),
    ("dh1 = dh2 @ w2^T", r"train_step#\d+ dce/dh1 \(mlp\.dnn:13:24\)(, .*)?$", 128, 256, 512),
]

profile = subprocess.run(
    [f"{build}/bin/dnn-run", "profile", library, "--seed", "1", "--batch-size", "128",
     "--threads", str(threads), "--steps", "300"],
    check=True, capture_output=True, text=True).stdout
regions = []
for line in profile.splitlines():
    m = re.match(r"\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+[\d.]+%\s+(.*)$", line)
    if m:
        regions.append((float(m.group(3)), m.group(4)))

peak = float(subprocess.run([f"{build}/bench/fma_peak", str(threads)], check=True,
                            capture_output=True, text=True).stdout.split()[0])

env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
openblas = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
if os.path.exists(openblas):
    env["LD_LIBRARY_PATH"] = openblas + ":" + env.get("LD_LIBRARY_PATH", "")
numpy_code = """
import numpy as np, sys, time
m, k, n = map(int, sys.argv[1:4])
a = np.random.rand(m, k).astype(np.float32); b = np.random.rand(k, n).astype(np.float32)
for _ in range(20): a @ b
ts = []
for _ in range(300):
    t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)
print(sorted(ts)[len(ts) // 2] * 1e6)
"""

print(f"threads {threads}, FMA peak {peak:.0f} GFLOP/s")
print("| matmul | M x K x N | dnnc us | dnnc GFLOP/s | % peak | OpenBLAS us | OpenBLAS GFLOP/s | % peak |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for what, pattern, m, k, n in SHAPES:
    mean_us = max((us for us, name in regions if re.search(pattern, name)), default=None)
    blas_us = float(subprocess.run(["/usr/bin/python3", "-c", numpy_code, str(m), str(k), str(n)],
                                   env=env, check=True, capture_output=True, text=True).stdout)
    flop = 2.0 * m * n * k
    cells = [what, f"{m} x {k} x {n}"]
    if mean_us:
        g = flop / mean_us / 1e3
        cells += [f"{mean_us:.0f}", f"{g:.0f}", f"{100 * g / peak:.0f}%"]
    else:
        cells += ["?", "?", "?"]
    g = flop / blas_us / 1e3
    cells += [f"{blas_us:.0f}", f"{g:.0f}", f"{100 * g / peak:.0f}%"]
    print("| " + " | ".join(cells) + " |")
