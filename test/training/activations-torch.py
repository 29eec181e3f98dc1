#!/usr/bin/python3
"""silu, softplus and gelu against torch.nn.functional, values and gradients.

docs/language.md promises that `silu(x)` is torch.nn.functional.silu and
`softplus(x)` is torch.nn.functional.softplus (beta 1), and `gelu(x)` /
`gelu(x, approximate="tanh")` torch.nn.functional.gelu. A model scales its
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

import os
import sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:
    print(f"activations-torch: skipped ({e})")
    sys.exit(77)

sys.dont_write_bytecode = True  # no __pycache__ beside the shared module
from torch_reference import Harness  # noqa: E402

RTOL, ATOL = 2e-6, 1e-6

MODEL = """
model act {
  input x: f32[N, 16]
  param a: f32[16] = ones()
  let h = x * a
  output silu_h = silu(h)
  output softplus_h = softplus(h)
  output gelu_h = gelu(h)
  output gelu_tanh_h = gelu(h, approximate="tanh")
  loss l = sum(silu(h)) + 0.5 * sum(softplus(h)) + 0.25 * sum(gelu(h)) + 0.125 * sum(gelu(h, approximate="tanh"))
}
"""


def main():
    harness = Harness("activations-torch", __doc__)
    harness.compile("act", MODEL)

    rng = np.random.default_rng(7)
    x = np.concatenate([
        np.linspace(-100, 100, 16 * 8, dtype=np.float32),
        rng.uniform(-3, 3, 16 * 7).astype(np.float32),
        np.array([0, -0.0, 20, 20.5, -20, 88, 89, -88, -89, 1e-3, -1e-3, 30, -30, 5, -5, 19.9],
                 np.float32),
    ]).reshape(16, 16)
    np.save(harness.path("x.npy"), x)
    harness.entry("predict", "act", {"x": harness.path("x.npy")}, "predict")
    harness.entry("grad", "act", {"x": harness.path("x.npy")}, "grad")

    xt = torch.from_numpy(x)
    a = torch.ones(16, dtype=torch.float32, requires_grad=True)
    h = xt * a
    silu, softplus = F.silu(h), F.softplus(h)
    gelu, gelu_tanh = F.gelu(h), F.gelu(h, approximate="tanh")
    (silu.sum() + 0.5 * softplus.sum() + 0.25 * gelu.sum() + 0.125 * gelu_tanh.sum()).backward()

    out = lambda name: np.load(harness.path(name))
    harness.compare("silu", out("predict/silu_h.npy"), silu.detach().numpy(), ATOL, RTOL)
    harness.compare("softplus", out("predict/softplus_h.npy"), softplus.detach().numpy(), ATOL, RTOL)
    harness.compare("gelu", out("predict/gelu_h.npy"), gelu.detach().numpy(), ATOL, RTOL)
    harness.compare("gelu tanh", out("predict/gelu_tanh_h.npy"), gelu_tanh.detach().numpy(), ATOL, RTOL)
    harness.compare("grad.a", out("grad/grad.a.npy"), a.grad.numpy(), ATOL, RTOL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
