#!/usr/bin/python3
"""PyTorch (CPU) side of the inference benchmark (see docs/performance.md).

Builds examples/mlp.dnn or examples/lenet5.dnn as a torch.nn.Module, loads the
parameters dnnc uses (a .safetensors file from `dnn-run init`, parsed with
numpy), checks on one random batch that its outputs match those of the dnnc
library (`dnn-run predict` on an .npy written here) within --tolerance, then
times inference (forward, softmax and argmax: what entry `predict` computes)
under torch.no_grad() for each batch size and thread count. Every figure is
the median of several timed runs after a warm-up.

Run with Debian's PyTorch (`scripts/setup.sh --bench`):

  /usr/bin/python3 bench/torch_predict.py --model mlp --lib mlp.so \\
      --params mlp.safetensors [--dnn-run build/bin/dnn-run] \\
      [--batch-sizes 1,32,256] [--threads 1,2] [--json out.json]

Prints one line per configuration; --json writes the results for
bench/report.py.
"""

import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ---------------------------------------------------------------------------
# safetensors, with numpy only: u64 LE header length, JSON header, raw data.

_DTYPES = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8", "F16": "<f2"}


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (header_len,) = np.frombuffer(blob[:8], dtype="<u8")
    header_len = int(header_len)
    if 8 + header_len > len(blob):
        raise ValueError(f"{path}: header length {header_len} past the end of the file")
    header = json.loads(blob[8 : 8 + header_len].decode("utf-8"))
    data = memoryview(blob)[8 + header_len :]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor '{name}' has unsupported dtype {entry['dtype']}")
        begin, end = entry["data_offsets"]
        shape = tuple(entry["shape"])
        array = np.frombuffer(data[begin:end], dtype=dtype)
        if array.size != int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"{path}: tensor '{name}' has {array.size} values for shape {shape}")
        tensors[name] = array.reshape(shape).copy()
    return tensors


# ---------------------------------------------------------------------------
# The models of examples/*.dnn.


class Mlp(nn.Module):
    """examples/mlp.dnn: 784-512-256-10 with ReLU."""

    input_shape = (784,)

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 512)
        self.fc2 = nn.Linear(512, 256)
        self.fc3 = nn.Linear(256, 10)

    def forward(self, x):
        h1 = F.relu(self.fc1(x))
        h2 = F.relu(self.fc2(h1))
        return self.fc3(h2)

    # torch module attribute -> (dnnc parameter, transpose)
    param_map = {
        "fc1.weight": ("w1", True), "fc1.bias": ("b1", False),
        "fc2.weight": ("w2", True), "fc2.bias": ("b2", False),
        "fc3.weight": ("w3", True), "fc3.bias": ("b3", False),
    }


class LeNet5(nn.Module):
    """examples/lenet5.dnn: NCHW 1x28x28, conv5(pad 2)-pool-conv5-pool-120-84-10."""

    input_shape = (1, 28, 28)

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, stride=1, padding=2)
        self.c2 = nn.Conv2d(6, 16, 5)
        self.f1 = nn.Linear(400, 120)
        self.f2 = nn.Linear(120, 84)
        self.f3 = nn.Linear(84, 10)

    def forward(self, x):
        a1 = F.max_pool2d(F.relu(self.c1(x)), kernel_size=2, stride=2)
        a2 = F.max_pool2d(F.relu(self.c2(a1)), kernel_size=2, stride=2)
        h1 = F.relu(self.f1(torch.flatten(a2, 1)))
        h2 = F.relu(self.f2(h1))
        return self.f3(h2)

    param_map = {
        "c1.weight": ("c1", False), "c1.bias": ("c1b", False),  # conv: [F, C, KH, KW] as dnnc
        "c2.weight": ("c2", False), "c2.bias": ("c2b", False),
        "f1.weight": ("f1", True), "f1.bias": ("f1b", False),   # dense: dnnc stores [in, out]
        "f2.weight": ("f2", True), "f2.bias": ("f2b", False),
        "f3.weight": ("f3", True), "f3.bias": ("f3b", False),
    }


MODELS = {"mlp": Mlp, "lenet5": LeNet5}


def load_params(module, params):
    state = {}
    for attr, (name, transpose) in module.param_map.items():
        if name not in params:
            raise KeyError(f"parameter '{name}' missing from the checkpoint")
        value = params[name].T if transpose else params[name]
        value = torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))
        expected = tuple(module.state_dict()[attr].shape)
        if tuple(value.shape) != expected:
            raise ValueError(f"parameter '{name}' has shape {tuple(params[name].shape)}, "
                             f"expected {expected} for {attr} (transpose={transpose})")
        state[attr] = value
    unused = set(params) - {n for n, _ in module.param_map.values()}
    if unused:
        raise ValueError(f"checkpoint has parameters the model does not use: {sorted(unused)}")
    module.load_state_dict(state, strict=True)


def predict(module, x):
    """What entry `predict` computes: probs = softmax(logits), predicted = argmax(logits)."""
    logits = module(x)
    return F.softmax(logits, dim=-1), torch.argmax(logits, dim=-1)


# ---------------------------------------------------------------------------
# Threads. torch.set_num_threads sets OpenMP's (and oneDNN's) thread count.
# Debian's libtorch does its matmuls in the system BLAS; with the pthreads
# build of OpenBLAS that has a pool of its own, which torch.set_num_threads
# leaves alone: set its count too, or "1 thread" would not be. (Its pool then
# still competes with OpenMP's spinning threads: run-cpu-bench.sh selects the
# OpenMP build of OpenBLAS, which shares them.)


def _blas_library():
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line and "/" in line}
    except OSError:
        return None, None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        if hasattr(lib, "openblas_set_num_threads"):
            return lib, path
    return None, sorted(paths)[0] if paths else None


_BLAS, BLAS_PATH = None, None


def set_threads(n):
    torch.set_num_threads(n)
    if _BLAS is not None:
        _BLAS.openblas_set_num_threads(ctypes.c_int(n))
    actual = torch.get_num_threads()
    if actual != n:
        raise RuntimeError(f"torch.set_num_threads({n}) left {actual} threads")
    if _BLAS is not None and hasattr(_BLAS, "openblas_get_num_threads"):
        blas_threads = _BLAS.openblas_get_num_threads()
        if blas_threads != n:
            raise RuntimeError(f"openblas_set_num_threads({n}) left {blas_threads} threads")


# ---------------------------------------------------------------------------


def check_against_dnnc(module, args, rng):
    """Runs one random batch through torch and `dnn-run predict`; returns the
    largest difference of probs (raises when outside the tolerance)."""
    batch = args.check_batch
    x = rng.random((batch,) + module.input_shape, dtype=np.float32)
    with tempfile.TemporaryDirectory(prefix=f"dnnc-bench-{args.model}-") as tmp:
        x_path = os.path.join(tmp, "x.npy")
        out_dir = os.path.join(tmp, "out")
        np.save(x_path, x)
        cmd = [args.dnn_run, "predict", args.lib, "--params", args.params,
               "--input", f"x={x_path}", "--out", out_dir]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n"
                               f"{proc.stdout}{proc.stderr}")
        dnnc_probs = np.load(os.path.join(out_dir, "probs.npy"))
        dnnc_pred = np.load(os.path.join(out_dir, "predicted.npy"))

    with torch.no_grad():
        probs, pred = predict(module, torch.from_numpy(x))
    probs, pred = probs.numpy(), pred.numpy()

    if dnnc_probs.shape != probs.shape or dnnc_pred.shape != pred.shape:
        raise RuntimeError(f"output shapes differ: dnnc probs {dnnc_probs.shape}, predicted "
                           f"{dnnc_pred.shape}; torch {probs.shape}, {pred.shape}")
    max_diff = float(np.max(np.abs(dnnc_probs.astype(np.float64) - probs)))
    if not max_diff <= args.tolerance:
        raise RuntimeError(f"{args.model}: probs differ from dnnc by {max_diff:.3g} "
                           f"(tolerance {args.tolerance:g})")
    # argmax may legitimately differ only where the two largest logits tie
    # within rounding; then the two largest probabilities do too.
    top2 = np.sort(probs, axis=-1)[:, -2:]
    decided = (top2[:, 1] - top2[:, 0]) > 2 * args.tolerance
    mismatched = int(np.sum((dnnc_pred != pred) & decided))
    if mismatched:
        raise RuntimeError(f"{args.model}: predicted differs from dnnc on {mismatched} samples")
    return {"batch": batch, "max_abs_diff_probs": max_diff,
            "predicted_equal": int(np.sum(dnnc_pred == pred)), "tolerance": args.tolerance}


def time_config(module, batch, threads, args):
    set_threads(threads)
    x = torch.rand((batch,) + module.input_shape, generator=torch.Generator().manual_seed(batch))
    with torch.no_grad():
        # Warm-up: at least --warmup seconds and 5 calls; also sizes each run.
        calls, start = 0, time.perf_counter()
        while calls < 5 or time.perf_counter() - start < args.warmup:
            predict(module, x)
            calls += 1
        per_call = (time.perf_counter() - start) / calls
        iters = max(1, int(args.run_time / per_call))
        runs = []
        for _ in range(args.repetitions):
            t0 = time.perf_counter()
            for _ in range(iters):
                predict(module, x)
            runs.append((time.perf_counter() - t0) / iters)
    median = statistics.median(runs)
    return {"model": args.model, "batch": batch, "threads": threads,
            "seconds_per_batch": median, "samples_per_second": batch / median,
            "iterations_per_run": iters, "runs": runs}


def main():
    global _BLAS, BLAS_PATH
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, choices=sorted(MODELS))
    ap.add_argument("--lib", required=True, help="the model library built by dnnc")
    ap.add_argument("--params", required=True, help=".safetensors from `dnn-run init`")
    ap.add_argument("--dnn-run", default=os.path.join(ROOT, "build", "bin", "dnn-run"))
    ap.add_argument("--batch-sizes", default="1,32,256")
    ap.add_argument("--threads", default=None,
                    help="comma-separated thread counts (default: 1 and every CPU)")
    ap.add_argument("--check-batch", type=int, default=32)
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=1, help="seed of the check batch")
    ap.add_argument("--warmup", type=float, default=0.3, help="seconds of warm-up per config")
    ap.add_argument("--run-time", type=float, default=0.3, help="seconds per timed run")
    ap.add_argument("--repetitions", type=int, default=7, help="timed runs (median reported)")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()

    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    if args.threads:
        thread_counts = [int(t) for t in args.threads.split(",")]
    else:
        cpus = len(os.sched_getaffinity(0))
        thread_counts = [1] + ([cpus] if cpus > 1 else [])

    torch.manual_seed(0)
    module = MODELS[args.model]()
    module.eval()
    load_params(module, read_safetensors(args.params))
    _BLAS, BLAS_PATH = _blas_library()
    if _BLAS is None:
        print(f"torch_predict.py: warning: torch's BLAS ({BLAS_PATH}) is not OpenBLAS; "
              "matmuls may run on the slow reference BLAS (scripts/setup.sh --bench)",
              file=sys.stderr)

    set_threads(max(thread_counts))
    check = check_against_dnnc(module, args, np.random.default_rng(args.seed))
    print(f"torch {args.model}: outputs match dnnc on a batch of {check['batch']} "
          f"(max |probs diff| {check['max_abs_diff_probs']:.2e}, "
          f"predicted equal {check['predicted_equal']}/{check['batch']})", flush=True)

    results = []
    for batch in batch_sizes:
        for threads in thread_counts:
            r = time_config(module, batch, threads, args)
            results.append(r)
            print(f"torch {args.model} batch {batch:>4} threads {threads}: "
                  f"{r['samples_per_second']:>12,.0f} samples/s "
                  f"({r['seconds_per_batch'] * 1e6:,.1f} us/batch)", flush=True)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"model": args.model, "torch_version": torch.__version__,
                       "torch_parallel": torch.__config__.parallel_info(),
                       "blas": BLAS_PATH,
                       "openblas_threads_set": _BLAS is not None,
                       "check": check, "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, ValueError, KeyError, OSError) as e:
        print(f"torch_predict.py: error: {e}", file=sys.stderr)
        sys.exit(1)
