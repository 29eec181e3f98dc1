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

import os
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
from torch_reference import Harness  # noqa: E402

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


def main():
    harness = Harness("layer-norm-torch", __doc__)
    harness.compile("ln", MODEL)

    rng = np.random.default_rng(7)
    rows = [rng.normal(0, s, 12) for s in (1e-3, 1, 1e3)]
    rows += [rng.normal(0, 1, 12) + 10, np.full(12, 3.0), rng.uniform(-5, 5, 12)]
    x = np.stack(rows + [rng.normal(0, 2, 12) for _ in range(10)]).astype(np.float32)
    c = rng.uniform(-1, 1, x.shape).astype(np.float32)
    np.save(harness.path("x.npy"), x)
    np.save(harness.path("c.npy"), c)
    harness.entry("predict", "ln", {"x": harness.path("x.npy")}, "predict")
    harness.entry("grad", "ln", {"x": harness.path("x.npy"), "c": harness.path("c.npy")}, "grad")

    params, _ = read_safetensors(harness.path("ln.safetensors"))
    a = torch.ones(12, dtype=torch.float32, requires_grad=True)
    g = torch.tensor(params["g"], requires_grad=True)
    b = torch.tensor(params["b"], requires_grad=True)
    xt, ct = torch.from_numpy(x), torch.from_numpy(c)
    h = xt * a
    y = F.layer_norm(h, (12,), g, b)
    z = F.layer_norm(h, (12,), eps=0.1)
    ((y * ct).sum() + 0.5 * (z * ct * ct).sum()).backward()

    out = lambda name: np.load(harness.path(name))
    for name, want in [("predict/y.npy", y), ("predict/z.npy", z), ("grad/grad.a.npy", a.grad),
                       ("grad/grad.g.npy", g.grad), ("grad/grad.b.npy", b.grad)]:
        harness.compare(name, out(name), want.detach().numpy(), ATOL, RTOL, relative_to_max=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
