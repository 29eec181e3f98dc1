"""What the PyTorch sides of the benchmarks share (bench/torch_predict.py,
bench/torch_train.py; see docs/performance.md): the models of
examples/mlp.dnn, examples/lenet5.dnn and examples/cifar_cnn.dnn as torch.nn.Modules, loading dnnc's
parameters into them (a .safetensors file parsed with numpy) and reading them
back, thread settings (torch's and OpenBLAS's), the timing loop, running
dnn-run, and the options both scripts take.

Run with Debian's PyTorch (`scripts/setup.sh --bench`); not a script itself.
"""

import ctypes
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

sys.path.insert(0, os.path.join(ROOT, "tools", "python"))
from dnnc_safetensors import read_safetensors  # noqa: E402  (re-exported to the scripts)

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


class CifarCnn(nn.Module):
    """examples/cifar_cnn.dnn: NCHW 3x32x32, (conv3 pad 1, relu, pool) x 2 with 32 and 64
    channels, then 4096-128-10."""

    input_shape = (3, 32, 32)

    def __init__(self):
        super().__init__()
        self.k1 = nn.Conv2d(3, 32, 3, padding=1)
        self.k2 = nn.Conv2d(32, 64, 3, padding=1)
        self.f1 = nn.Linear(4096, 128)
        self.f2 = nn.Linear(128, 10)

    def forward(self, x):
        a1 = F.max_pool2d(F.relu(self.k1(x)), kernel_size=2, stride=2)
        a2 = F.max_pool2d(F.relu(self.k2(a1)), kernel_size=2, stride=2)
        h = F.relu(self.f1(torch.flatten(a2, 1)))
        return self.f2(h)

    param_map = {
        "k1.weight": ("k1", False), "k1.bias": ("k1b", False),
        "k2.weight": ("k2", False), "k2.bias": ("k2b", False),
        "f1.weight": ("f1", True), "f1.bias": ("f1b", False),
        "f2.weight": ("f2", True), "f2.bias": ("f2b", False),
    }


MODELS = {"mlp": Mlp, "lenet5": LeNet5, "cifar_cnn": CifarCnn}


# A trainable model's checkpoint also holds its optimizer state, tensors
# "optimizer.<slot>.<param>" (docs/runtime-abi.md); they are not parameters.
OPTIMIZER_PREFIX = "optimizer."


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
    unused = {n for n in params if not n.startswith(OPTIMIZER_PREFIX)} - {
        n for n, _ in module.param_map.values()}
    if unused:
        raise ValueError(f"checkpoint has parameters the model does not use: {sorted(unused)}")
    module.load_state_dict(state, strict=True)


def dnnc_layout(module, values):
    """{dnnc param name: numpy array in dnnc's layout} from `values`, a dict
    {module attribute: tensor} of parameters or of per-parameter state."""
    out = {}
    for attr, (name, transpose) in module.param_map.items():
        value = values[attr].detach().numpy()
        out[name] = value.T if transpose else value
    return out


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


def init_threads():
    """Finds the BLAS torch loaded (call after torch is imported, once);
    returns (path, whether it is OpenBLAS, whose threads set_threads sets)."""
    global _BLAS, BLAS_PATH
    _BLAS, BLAS_PATH = _blas_library()
    return BLAS_PATH, _BLAS is not None


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


def thread_counts(text):
    """--threads: a comma-separated list, default 1 and every CPU."""
    if text:
        return [int(t) for t in text.split(",")]
    cpus = len(os.sched_getaffinity(0))
    return [1] + ([cpus] if cpus > 1 else [])


# ---------------------------------------------------------------------------
# Timing and tools.


def time_calls(fn, warmup, run_time, repetitions):
    """Calls fn() for at least `warmup` seconds and 5 calls (which also sizes
    each run), then `repetitions` runs of about `run_time` seconds; returns
    (median seconds per call, calls per run, seconds per call of each run)."""
    calls, start = 0, time.perf_counter()
    while calls < 5 or time.perf_counter() - start < warmup:
        fn()
        calls += 1
    per_call = (time.perf_counter() - start) / calls
    iters = max(1, int(run_time / per_call))
    runs = []
    for _ in range(repetitions):
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        runs.append((time.perf_counter() - t0) / iters)
    return statistics.median(runs), iters, runs


def time_batches(model, batch, threads, fn, args):
    """Times fn() (one batch) with time_calls and the options of `args`; the
    record of one configuration in the JSON of write_json."""
    median, iters, runs = time_calls(fn, args.warmup, args.run_time, args.repetitions)
    return {"model": model, "batch": batch, "threads": threads,
            "seconds_per_batch": median, "samples_per_second": batch / median,
            "iterations_per_run": iters, "runs": runs}


def run_tool(cmd):
    """Runs a command (dnn-run); raises with its output when it fails."""
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n"
                           f"{proc.stdout}{proc.stderr}")
    return proc.stdout


def add_common_args(ap, batch_sizes):
    """The options torch_predict.py and torch_train.py share."""
    ap.add_argument("--model", required=True, choices=sorted(MODELS))
    ap.add_argument("--lib", required=True, help="the model library built by dnnc")
    ap.add_argument("--params", required=True, help=".safetensors from `dnn-run init`")
    ap.add_argument("--dnn-run", default=os.path.join(ROOT, "build", "bin", "dnn-run"))
    ap.add_argument("--batch-sizes", default=batch_sizes)
    ap.add_argument("--threads", default=None,
                    help="comma-separated thread counts (default: 1 and every CPU)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the check batch")
    ap.add_argument("--warmup", type=float, default=0.3, help="seconds of warm-up per config")
    ap.add_argument("--run-time", type=float, default=0.3, help="seconds per timed run")
    ap.add_argument("--repetitions", type=int, default=7, help="timed runs (median reported)")
    ap.add_argument("--json", help="write the results here")


def write_json(path, model, check, results, blas_path, openblas, **extra):
    """The results for bench/report.py, with the versions and settings."""
    with open(path, "w") as f:
        json.dump({"model": model, "torch_version": torch.__version__,
                   "torch_parallel": torch.__config__.parallel_info(),
                   "blas": blas_path,
                   "openblas_threads_set": openblas,
                   **extra,
                   "check": check, "results": results}, f, indent=1)
