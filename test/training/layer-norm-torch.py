#!/usr/bin/python3
"""layer_norm against torch.nn.functional.layer_norm, values and gradients.

docs/language.md promises that `layer_norm(x, weight, bias, eps)` is
torch.nn.functional.layer_norm(x, x.shape[-1:], weight, bias, eps). A model
scales its input by a parameter `a` (all ones), normalizes it with a weight
and bias from the same params file, once with the default eps and once with
eps = 0.1 and no weight or bias, and weights the outputs by a fixed pattern
in its loss; `dnn-run predict` gives the outputs and `dnn-run grad` the
gradients of the loss with respect to `a`, the weight and the bias, on rows
of very different scales (1e-3 to 1e3, an offset of 10, a constant row).
(Rows with a large offset are ill-conditioned in float32: dnnc and torch
both lose digits to the centering there, differently; test/Numerics/
layer-norm.dnn checks them against the reference interpreter's doubles.)
torch computes the same in float32 with autograd. Every value must agree
within |dnnc - torch| <= ATOL + RTOL * max|torch|. Exits 77 (skipped) without
torch or NumPy.

  layer-norm-torch.py --dnnc build/bin/dnnc --dnn-run build/bin/dnn-run \\
      --work-dir build/test/training/layer-norm-torch
"""

import argparse
import os
import subprocess
import sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:
    print(f"layer-norm-torch: skipped ({e})")
    sys.exit(77)

sys.dont_write_bytecode = True  # no __pycache__ beside the shared module
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tools", "python"))
from dnnc_safetensors import read_safetensors  # noqa: E402

# Relative to each tensor's largest value.
RTOL, ATOL = 2e-5, 1e-6

MODEL = """
model ln {
  input x: f32[N, 12]
  input c: f32[N, 12]
  param a: f32[12] = ones()
  param g: f32[12] = uniform(0.5, 1.5)
  param b: f32[12] = uniform(-1, 1)
  let h = x * a
  output y = layer_norm(h, g, b)
  output z = layer_norm(h, eps=0.1)
  loss l = sum(layer_norm(h, g, b) * c) + 0.5 * sum(layer_norm(h, eps=0.1) * c * c)
}
"""


def run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        sys.exit(f"layer-norm-torch: command failed (exit {proc.returncode}): "
                 f"{' '.join(cmd)}\n{proc.stdout}")


def compare(name, got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        sys.exit(f"layer-norm-torch: {name}: shape {got.shape}, torch {want.shape}")
    tol = ATOL + RTOL * np.abs(want).max()
    bad = np.abs(got - want) > tol
    if bad.any():
        i = np.unravel_index(np.argmax(np.abs(got - want)), got.shape)
        sys.exit(f"layer-norm-torch: {name}: {int(bad.sum())} values differ from torch by more "
                 f"than {tol:g}; the largest at {i}: dnnc {got[i]!r}, torch {want[i]!r}")
    print(f"{name}: {got.size} values within {tol:g} of torch")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dnnc", required=True)
    ap.add_argument("--dnn-run", required=True)
    ap.add_argument("--work-dir", required=True)
    args = ap.parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    path = lambda name: os.path.join(args.work_dir, name)

    with open(path("ln.dnn"), "w") as f:
        f.write(MODEL)
    run([args.dnnc, path("ln.dnn"), "-o", path("ln.so")])
    run([args.dnn_run, "init", path("ln.so"), "--seed", "1", "-o", path("ln.safetensors")])

    rng = np.random.default_rng(7)
    rows = [rng.normal(0, s, 12) for s in (1e-3, 1, 1e3)]
    rows += [rng.normal(0, 1, 12) + 10, np.full(12, 3.0), rng.uniform(-5, 5, 12)]
    x = np.stack(rows + [rng.normal(0, 2, 12) for _ in range(10)]).astype(np.float32)
    c = rng.uniform(-1, 1, x.shape).astype(np.float32)
    np.save(path("x.npy"), x)
    np.save(path("c.npy"), c)
    inputs = ["--input", f"x={path('x.npy')}", "--input", f"c={path('c.npy')}"]
    run([args.dnn_run, "predict", path("ln.so"), "--params", path("ln.safetensors"),
         "--input", f"x={path('x.npy')}", "--out", path("predict")])
    run([args.dnn_run, "grad", path("ln.so"), "--params", path("ln.safetensors"), *inputs,
         "--out", path("grad")])

    params, _ = read_safetensors(path("ln.safetensors"))
    a = torch.ones(12, dtype=torch.float32, requires_grad=True)
    g = torch.tensor(params["g"], requires_grad=True)
    b = torch.tensor(params["b"], requires_grad=True)
    xt, ct = torch.from_numpy(x), torch.from_numpy(c)
    h = xt * a
    y = F.layer_norm(h, (12,), g, b)
    z = F.layer_norm(h, (12,), eps=0.1)
    ((y * ct).sum() + 0.5 * (z * ct * ct).sum()).backward()

    compare("y", np.load(path("predict/y.npy")), y.detach().numpy())
    compare("z", np.load(path("predict/z.npy")), z.detach().numpy())
    compare("grad.a", np.load(path("grad/grad.a.npy")), a.grad.numpy())
    compare("grad.g", np.load(path("grad/grad.g.npy")), g.grad.numpy())
    compare("grad.b", np.load(path("grad/grad.b.npy")), b.grad.numpy())
    return 0


if __name__ == "__main__":
    sys.exit(main())
