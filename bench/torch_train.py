#!/usr/bin/python3
"""PyTorch (CPU) side of the training-step benchmark (see docs/performance.md).

Builds examples/mlp.dnn or examples/lenet5.dnn as a torch.nn.Module with the
parameters dnnc starts from (a .safetensors file from `dnn-run init`) and the
optimizer of the model's `train with` (read from `dnn-run info`: Adam, SGD or
SGD with momentum, same hyperparameters). It first checks one training step
against dnnc: from the same parameters and one random batch (floats uniform
in [0, 1), labels uniform over the classes), one torch step and one
`dnn-run train --steps 1` on that batch as a single-batch .npy data set must
give the same updated parameters within --tolerance (largest absolute
difference; the optimizer's state is compared too). Then, for each batch size
and thread count, it times one training step on a fixed random batch,

    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(module(x), labels)
    loss.backward()
    opt.step()

starting from the initial parameters and a fresh optimizer for each
configuration; every figure is the median of several timed runs after a
warm-up.

Run with Debian's PyTorch (`scripts/setup.sh --bench`):

  /usr/bin/python3 bench/torch_train.py --model mlp --lib mlp.so \\
      --params mlp.safetensors [--dnn-run build/bin/dnn-run] \\
      [--batch-sizes 128] [--threads 1,2] [--json out.json]

Prints one line per configuration; --json writes the results for
bench/report.py. Models, parameter loading, thread settings and the timing
loop are those of bench/torch_predict.py (bench/torch_common.py).
"""

import argparse
import os
import re
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ in bench/ for torch_common
from torch_common import (MODELS, OPTIMIZER_PREFIX, add_common_args, dnnc_layout, init_threads,
                          load_params, read_safetensors, run_tool, set_threads, thread_counts,
                          time_batches, write_json)

# ---------------------------------------------------------------------------
# The optimizer of `train with`, as `dnn-run info` prints it:
#   train with adam(beta1=0.9, beta2=0.999, eps=1e-08, lr=0.001, weight_decay=0), state ...

_TRAIN_WITH = re.compile(r"^\s*train with (\w+)\(([^)]*)\)", re.MULTILINE)


def read_optimizer(args):
    """(kind, {hyperparameter: value}) of the library's model."""
    info = run_tool([args.dnn_run, "info", args.lib])
    m = _TRAIN_WITH.search(info)
    if not m:
        raise RuntimeError(f"{args.lib}: the model has no `train with` optimizer "
                           f"(dnn-run info:\n{info})")
    hyper = {}
    for item in filter(None, (s.strip() for s in m.group(2).split(","))):
        key, _, value = item.partition("=")
        hyper[key] = float(value)
    return m.group(1), hyper


def make_optimizer(kind, h, params):
    """torch.optim's counterpart of a dnnc optimizer (docs/language.md:
    dnnc follows torch.optim 1.13's update order)."""
    if kind == "adam":
        return torch.optim.Adam(params, lr=h["lr"], betas=(h["beta1"], h["beta2"]),
                                eps=h["eps"], weight_decay=h.get("weight_decay", 0.0))
    if kind == "sgd":
        return torch.optim.SGD(params, lr=h["lr"], weight_decay=h.get("weight_decay", 0.0))
    if kind == "momentum":
        return torch.optim.SGD(params, lr=h["lr"], momentum=h["beta"], dampening=0.0,
                               nesterov=False, weight_decay=h.get("weight_decay", 0.0))
    raise RuntimeError(f"optimizer '{kind}' has no torch counterpart here")


def describe_optimizer(kind, h):
    return f"{kind}(" + ", ".join(f"{k}={v:g}" for k, v in sorted(h.items())) + ")"


# ---------------------------------------------------------------------------


def num_classes(module):
    with torch.no_grad():
        return int(module(torch.zeros((1,) + module.input_shape)).shape[-1])


def train_step(module, opt, x, labels):
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(module(x), labels)
    loss.backward()
    opt.step()
    return loss


def check_against_dnnc(module, initial, optimizer, classes, args, rng):
    """One training step from the initial parameters on one random batch, in
    torch and with `dnn-run train --steps 1`; returns the largest differences
    of the updated parameters and optimizer state (raises when either is
    outside its tolerance)."""
    batch = args.check_batch
    x = rng.random((batch,) + module.input_shape, dtype=np.float32)
    labels = rng.integers(0, classes, size=batch, dtype=np.int32)
    with tempfile.TemporaryDirectory(prefix=f"dnnc-bench-train-{args.model}-") as tmp:
        x_path = os.path.join(tmp, "x.npy")
        labels_path = os.path.join(tmp, "labels.npy")
        after_path = os.path.join(tmp, "after.safetensors")
        np.save(x_path, x)
        np.save(labels_path, labels)
        # One batch holding the whole data set, in file order: the step sees
        # exactly the samples torch does.
        out = run_tool([args.dnn_run, "train", args.lib, "--params", args.params,
                        "--data", f"x={x_path},labels={labels_path}", "--epochs", "1",
                        "--batch-size", str(batch), "--steps", "1", "--no-shuffle",
                        "--save", after_path, "--quiet"])
        dnnc = read_safetensors(after_path)[0]

    load_params(module, initial)
    opt = make_optimizer(*optimizer, module.parameters())
    loss = train_step(module, opt, torch.from_numpy(x), torch.from_numpy(labels).long())
    torch_params = dnnc_layout(module, dict(module.named_parameters()))

    def diffs(ours, what):
        """|dnnc - torch| of every value of `ours` ({dnnc name: array})."""
        out = []
        for name, value in ours.items():
            theirs = dnnc[what + name]
            if value.shape != theirs.shape:
                raise RuntimeError(f"{what}{name}: shape {theirs.shape} in dnnc, "
                                   f"{value.shape} in torch")
            out.append(np.abs(theirs.astype(np.float64) - value).ravel())
        return np.concatenate(out)

    param_diff = diffs(torch_params, "")
    moved = max(float(np.max(np.abs(v - initial[name]))) for name, v in torch_params.items())
    # Adam's first step moves a param by lr * g / (|g| + eps): where 0 < |g|
    # is within two orders of eps it turns the rounding error of g into up to
    # lr * error / eps. Those values are left out of the params check; the
    # optimizer state, which holds g itself, is compared everywhere.
    grads = np.concatenate([g.ravel() for g in dnnc_layout(
        module, {attr: p.grad for attr, p in module.named_parameters()}).values()])
    amplified = np.zeros(grads.shape, dtype=bool)
    if optimizer[0] == "adam":
        amplified = (grads != 0) & (np.abs(grads) < 100 * optimizer[1]["eps"])
    # The state (Adam: exp_avg = (1 - beta1) g, exp_avg_sq = (1 - beta2) g^2)
    # carries the gradients, which the first Adam step mostly hides: compared
    # relative to its largest value.
    state_diff = {}
    by_param = dict(module.named_parameters())
    for slot in sorted({k for st in opt.state.values() for k in st if k != "step"}):
        state = dnnc_layout(module, {attr: opt.state[p][slot] for attr, p in by_param.items()})
        scale = max(float(np.max(np.abs(v))) for v in state.values())
        state_diff[slot] = float(np.max(diffs(state, f"{OPTIMIZER_PREFIX}{slot}."))) / (
            scale or 1.0)
    result = {"batch": batch, "steps": 1,
              "max_abs_diff_params": float(np.max(param_diff[~amplified], initial=0.0)),
              "params_compared": int(np.sum(~amplified)), "num_params": int(param_diff.size),
              "max_abs_diff_params_small_grad": float(np.max(param_diff[amplified],
                                                             initial=0.0)),
              "max_abs_update": moved,
              "max_rel_diff_state": state_diff, "torch_loss": float(loss),
              "tolerance": args.tolerance, "state_tolerance": args.state_tolerance}
    m = re.search(r"train loss (\S+)", out)
    if m:
        result["dnnc_loss"] = float(m.group(1))  # printed to 4 digits
    if not result["max_abs_diff_params"] <= args.tolerance:
        raise RuntimeError(f"{args.model}: after one step the params differ from dnnc's by "
                           f"{result['max_abs_diff_params']:.3g} (tolerance {args.tolerance:g}, "
                           f"{result['params_compared']} of {result['num_params']} values "
                           "compared)")
    for slot, d in state_diff.items():
        if not d <= args.state_tolerance:
            raise RuntimeError(f"{args.model}: after one step the optimizer state {slot} "
                               f"differs from dnnc's by {d:.3g} of its largest value "
                               f"(tolerance {args.state_tolerance:g})")
    return result


def time_config(module, initial, optimizer, classes, batch, threads, args):
    set_threads(threads)
    # Every configuration starts from the same parameters and a fresh
    # optimizer, as dnnc-bench-train does.
    load_params(module, initial)
    opt = make_optimizer(*optimizer, module.parameters())
    gen = torch.Generator().manual_seed(batch)
    x = torch.rand((batch,) + module.input_shape, generator=gen)
    labels = torch.randint(0, classes, (batch,), generator=gen)
    return time_batches(args.model, batch, threads,
                       lambda: train_step(module, opt, x, labels), args)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(ap, batch_sizes="128")
    ap.add_argument("--check-batch", type=int, default=128)
    ap.add_argument("--tolerance", type=float, default=1e-6,
                    help="largest absolute difference of the params after one step")
    ap.add_argument("--state-tolerance", type=float, default=1e-4,
                    help="largest difference of the optimizer state after one step, "
                         "relative to the state's largest value")
    args = ap.parse_args()

    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    threads_list = thread_counts(args.threads)

    optimizer = read_optimizer(args)
    initial = read_safetensors(args.params)[0]
    # torch's optimizer starts from zero state: so must dnnc's.
    for name, value in initial.items():
        if name.startswith(OPTIMIZER_PREFIX) and np.any(value):
            raise ValueError(f"{args.params} holds optimizer state ('{name}' is not zero); "
                             "start from a file of `dnn-run init`")
    torch.manual_seed(0)
    module = MODELS[args.model]()
    module.train()
    load_params(module, initial)
    classes = num_classes(module)
    blas_path, openblas = init_threads()
    if not openblas:
        print(f"torch_train.py: warning: torch's BLAS ({blas_path}) is not OpenBLAS; "
              "matmuls may run on the slow reference BLAS (scripts/setup.sh --bench)",
              file=sys.stderr)

    set_threads(max(threads_list))
    check = check_against_dnnc(module, initial, optimizer, classes, args,
                               np.random.default_rng(args.seed))
    state = ", ".join(f"{k} {v:.1e}" for k, v in check["max_rel_diff_state"].items())
    print(f"torch {args.model}: one {describe_optimizer(*optimizer)} step on a batch of "
          f"{check['batch']} matches dnnc: max |params diff| {check['max_abs_diff_params']:.2e} "
          f"on {check['params_compared']} of {check['num_params']} values (updates up to "
          f"{check['max_abs_update']:.2e}; where 0 < |grad| < 100 eps: "
          f"{check['max_abs_diff_params_small_grad']:.2e}), relative state diff "
          f"{state or 'none'}, loss {check['torch_loss']:.4g}", flush=True)

    results = []
    for batch in batch_sizes:
        for threads in threads_list:
            r = time_config(module, initial, optimizer, classes, batch, threads, args)
            results.append(r)
            print(f"torch {args.model} train batch {batch:>4} threads {threads}: "
                  f"{r['samples_per_second']:>12,.0f} samples/s "
                  f"({r['seconds_per_batch'] * 1e3:,.2f} ms/step)", flush=True)

    if args.json:
        write_json(args.json, args.model, check, results, blas_path, openblas,
                   optimizer=describe_optimizer(*optimizer), classes=classes)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, ValueError, KeyError, OSError) as e:
        print(f"torch_train.py: error: {e}", file=sys.stderr)
        sys.exit(1)
