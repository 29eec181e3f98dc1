#!/usr/bin/python3
"""silu and softplus against torch.nn.functional, values and gradients.

docs/language.md promises that `silu(x)` is torch.nn.functional.silu and
`softplus(x)` is torch.nn.functional.softplus (beta 1). A model scales its
input by a parameter `a` (all ones) and outputs both functions of it, with a
loss that weights them differently; `dnn-run predict` gives the outputs and
`dnn-run grad` the gradient of the loss with respect to `a`, on inputs from
-100 to 100 (both sides of torch's softplus threshold of 20, and where
exp(-x) overflows in float32), small ones around zero, and zero itself.
torch computes the same in float32 with autograd. Every value must agree
within |dnnc - torch| <= ATOL + RTOL * |torch|. Exits 77 (skipped) without
torch or NumPy.

  activations-torch.py --dnnc build/bin/dnnc --dnn-run build/bin/dnn-run \\
      --work-dir build/test/training/activations-torch
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
    print(f"activations-torch: skipped ({e})")
    sys.exit(77)

RTOL, ATOL = 2e-6, 1e-6

MODEL = """
model act {
  input x: f32[N, 16]
  param a: f32[16] = ones()
  let h = x * a
  output silu_h = silu(h)
  output softplus_h = softplus(h)
  loss l = sum(silu(h)) + 0.5 * sum(softplus(h))
}
"""


def run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        sys.exit(f"activations-torch: command failed (exit {proc.returncode}): "
                 f"{' '.join(cmd)}\n{proc.stdout}")


def compare(name, got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        sys.exit(f"activations-torch: {name}: shape {got.shape}, torch {want.shape}")
    bad = np.abs(got - want) > ATOL + RTOL * np.abs(want)
    if bad.any():
        i = np.unravel_index(np.argmax(np.abs(got - want)), got.shape)
        sys.exit(f"activations-torch: {name}: {int(bad.sum())} values differ from torch; "
                 f"the largest at {i}: dnnc {got[i]!r}, torch {want[i]!r}")
    print(f"{name}: {got.size} values within {ATOL:g} + {RTOL:g} |torch| of torch")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dnnc", required=True)
    ap.add_argument("--dnn-run", required=True)
    ap.add_argument("--work-dir", required=True)
    args = ap.parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    path = lambda name: os.path.join(args.work_dir, name)

    with open(path("act.dnn"), "w") as f:
        f.write(MODEL)
    run([args.dnnc, path("act.dnn"), "-o", path("act.so")])
    run([args.dnn_run, "init", path("act.so"), "--seed", "1", "-o", path("act.safetensors")])

    rng = np.random.default_rng(7)
    x = np.concatenate([
        np.linspace(-100, 100, 16 * 8, dtype=np.float32),
        rng.uniform(-3, 3, 16 * 7).astype(np.float32),
        np.array([0, -0.0, 20, 20.5, -20, 88, 89, -88, -89, 1e-3, -1e-3, 30, -30, 5, -5, 19.9],
                 np.float32),
    ]).reshape(16, 16)
    np.save(path("x.npy"), x)
    run([args.dnn_run, "predict", path("act.so"), "--params", path("act.safetensors"),
         "--input", f"x={path('x.npy')}", "--out", path("predict")])
    run([args.dnn_run, "grad", path("act.so"), "--params", path("act.safetensors"),
         "--input", f"x={path('x.npy')}", "--out", path("grad")])

    xt = torch.from_numpy(x)
    a = torch.ones(16, dtype=torch.float32, requires_grad=True)
    h = xt * a
    silu, softplus = F.silu(h), F.softplus(h)
    (silu.sum() + 0.5 * softplus.sum()).backward()

    compare("silu", np.load(path("predict/silu_h.npy")), silu.detach().numpy())
    compare("softplus", np.load(path("predict/softplus_h.npy")), softplus.detach().numpy())
    compare("grad.a", np.load(path("grad/grad.a.npy")), a.grad.numpy())
    return 0


if __name__ == "__main__":
    sys.exit(main())
