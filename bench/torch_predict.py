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
bench/report.py. The models, parameter loading, thread settings and timing
loop are shared with bench/torch_train.py (bench/torch_common.py).
"""

import argparse
import os
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ in bench/ for torch_common
from torch_common import (MODELS, add_common_args, init_threads, load_params,
                          read_safetensors, run_tool, set_threads, thread_counts, time_batches,
                          write_json)


def predict(module, x):
    """What entry `predict` computes: probs = softmax(logits), predicted = argmax(logits)."""
    logits = module(x)
    return F.softmax(logits, dim=-1), torch.argmax(logits, dim=-1)


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
        run_tool([args.dnn_run, "predict", args.lib, "--params", args.params,
                  "--input", f"x={x_path}", "--out", out_dir])
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
        return time_batches(args.model, batch, threads, lambda: predict(module, x), args)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(ap, batch_sizes="1,32,256")
    ap.add_argument("--check-batch", type=int, default=32)
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()

    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    threads_list = thread_counts(args.threads)

    torch.manual_seed(0)
    module = MODELS[args.model]()
    module.eval()
    load_params(module, read_safetensors(args.params)[0])
    blas_path, openblas = init_threads()
    if not openblas:
        print(f"torch_predict.py: warning: torch's BLAS ({blas_path}) is not OpenBLAS; "
              "matmuls may run on the slow reference BLAS (scripts/setup.sh --bench)",
              file=sys.stderr)

    set_threads(max(threads_list))
    check = check_against_dnnc(module, args, np.random.default_rng(args.seed))
    print(f"torch {args.model}: outputs match dnnc on a batch of {check['batch']} "
          f"(max |probs diff| {check['max_abs_diff_probs']:.2e}, "
          f"predicted equal {check['predicted_equal']}/{check['batch']})", flush=True)

    results = []
    for batch in batch_sizes:
        for threads in threads_list:
            r = time_config(module, batch, threads, args)
            results.append(r)
            print(f"torch {args.model} batch {batch:>4} threads {threads}: "
                  f"{r['samples_per_second']:>12,.0f} samples/s "
                  f"({r['seconds_per_batch'] * 1e6:,.1f} us/batch)", flush=True)

    if args.json:
        write_json(args.json, args.model, check, results, blas_path, openblas)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, ValueError, KeyError, OSError) as e:
        print(f"torch_predict.py: error: {e}", file=sys.stderr)
        sys.exit(1)
