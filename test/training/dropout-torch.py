#!/usr/bin/python3
"""dropout against torch.nn.functional.dropout: scaling, rates, modes.

docs/language.md promises that `dropout(x, p)` is torch's inverted dropout
in training mode (each element zeroed with probability p, the others scaled
by 1 / (1 - p)) and the identity in inference mode, with masks from a
counter-based hash instead of torch's generator. A model drops x * a with
p = 0.3 and x * b with p = 0.6 (two sites) and sums both into its loss; on
x = ones, `dnn-run grad` then shows each mask: grad.a = mask1 / (1 - 0.3),
grad.b = mask2 / (1 - 0.6). Checked:

- every kept element is scaled by exactly torch's factor (torch's
  F.dropout(ones, p) nonzero values), every other is 0;
- the fraction dropped is p within 5 binomial standard deviations, for
  torch's masks too;
- the two sites' masks are independent: both dropped in p1 * p2 of the
  elements, within 5 standard deviations;
- `dnn-run predict` (inference mode) returns x unchanged, bit for bit;
- a second `dnn-run grad` from a checkpoint one step later draws other
  masks (the key follows the step), and the same step draws the same ones.

Exits 77 (skipped) without torch or NumPy.

  dropout-torch.py --dnnc build/bin/dnnc --dnn-run build/bin/dnn-run \\
      --work-dir build/test/training/dropout-torch
"""

import os
import sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:
    print(f"dropout-torch: skipped ({e})")
    sys.exit(77)

sys.dont_write_bytecode = True  # no __pycache__ beside the shared module
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tools", "python"))
from torch_reference import Harness  # noqa: E402

D = 20000
P1, P2 = 0.3, 0.6

MODEL = f"""
model drop {{
  input x: f32[N, {D}]
  param a: f32[{D}] = ones()
  param b: f32[{D}] = ones()
  output y = dropout(x * a, p={P1})
  loss l = sum(dropout(x * a, p={P1})) + sum(dropout(x * b, p={P2}))
  train with sgd(lr=1e-30)
}}
"""


def fail(message):
    sys.exit(f"dropout-torch: {message}")


def check_rate(what, dropped, p, n):
    sigma = np.sqrt(p * (1 - p) / n)
    rate = dropped.mean()
    if abs(rate - p) > 5 * sigma:
        fail(f"{what}: dropped {rate:.4f} of {n} elements, expected {p} +- {5 * sigma:.4f}")
    print(f"{what}: dropped {rate:.4f} of {n} (p = {p}, 5 sigma = {5 * sigma:.4f})")


def main():
    harness = Harness("dropout-torch", __doc__)
    harness.compile("drop", MODEL)
    ones = harness.path("ones.npy")
    np.save(ones, np.ones((1, D), np.float32))
    harness.entry("grad", "drop", {"x": ones}, "grad")
    grad_a = np.load(harness.path("grad/grad.a.npy"))
    grad_b = np.load(harness.path("grad/grad.b.npy"))

    torch.manual_seed(0)
    for what, grad, p in [("site 1", grad_a, P1), ("site 2", grad_b, P2)]:
        reference = F.dropout(torch.ones(D), p, training=True).numpy()
        scale = reference[reference != 0][0]
        values = set(np.unique(grad).tolist())
        if not values <= {0.0, float(scale)}:
            fail(f"{what}: values {sorted(values)[:4]}..., expected 0 and torch's {scale!r}")
        print(f"{what}: kept elements scaled by {scale!r}, as torch")
        check_rate(what, grad == 0, p, D)
        check_rate(f"torch at p = {p}", reference == 0, p, D)
    both = (grad_a == 0) & (grad_b == 0)
    check_rate("both sites", both, P1 * P2, D)

    x = np.random.default_rng(3).normal(0, 1, (2, D)).astype(np.float32)
    np.save(harness.path("x.npy"), x)
    harness.entry("predict", "drop", {"x": harness.path("x.npy")}, "predict")
    if not np.array_equal(np.load(harness.path("predict/y.npy")), x):
        fail("predict changed x: dropout is not the identity in inference mode")
    print("predict: x unchanged (inference mode)")

    # One SGD step with lr = 1e-30 leaves the params but advances the step:
    # grad then draws the next step's masks.
    harness.run([harness.args.dnn_run, "train", harness.path("drop.so"), "--params",
                 harness.path("drop.safetensors"), "--data", f"x={ones}", "--batch-size", "1",
                 "--epochs", "1", "--quiet", "--save", harness.path("step1.safetensors")])
    harness.run([harness.args.dnn_run, "grad", harness.path("drop.so"), "--params",
                 harness.path("step1.safetensors"), "--input", f"x={ones}", "--out",
                 harness.path("grad1")])
    next_a = np.load(harness.path("grad1/grad.a.npy"))
    changed = (next_a == 0) != (grad_a == 0)
    check_rate("next step against this one (mask changes)", changed, 2 * P1 * (1 - P1), D)
    harness.entry("grad", "drop", {"x": ones}, "grad-again")
    if not np.array_equal(np.load(harness.path("grad-again/grad.a.npy")), grad_a):
        fail("the same step drew another mask")
    print("the same step draws the same mask")
    return 0


if __name__ == "__main__":
    sys.exit(main())
