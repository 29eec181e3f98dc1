#!/usr/bin/python3
"""batch_norm against torch.nn.functional.batch_norm: both modes, gradients,
running statistics.

docs/language.md promises that `batch_norm(x, running_mean, running_var,
weight, bias, momentum, eps)` is torch.nn.functional.batch_norm with
training=True in grad and train_step and training=False in predict and eval.
A model normalizes a [N, 6] input (scaled by a parameter `a`, all ones) and a
[N, 3, 4, 5] input (momentum 0.3, eps 1e-3), and weights the outputs by fixed
patterns in its loss. Checked against torch in float32 with autograd:

- `dnn-run grad`: the loss and the gradients of `a`, the weights and the
  biases with the batch's statistics;
- `dnn-run train` for one SGD step on the same batch: the running
  statistics torch's batch_norm leaves after that forward pass (the
  variance's unbiased form) and the params after the step;
- `dnn-run predict` from that checkpoint: the outputs with the running
  statistics.

Every value must agree within |dnnc - torch| <= ATOL + RTOL * max|torch|.
Exits 77 (skipped) without torch or NumPy.

  batch-norm-torch.py --dnnc build/bin/dnnc --dnn-run build/bin/dnn-run \\
      --work-dir build/test/training/batch-norm-torch
"""

import os
import sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:
    print(f"batch-norm-torch: skipped ({e})")
    sys.exit(77)

sys.dont_write_bytecode = True  # no __pycache__ beside the shared module
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tools", "python"))
from dnnc_safetensors import read_safetensors  # noqa: E402
from torch_reference import Harness  # noqa: E402

# Relative to each tensor's largest value.
RTOL, ATOL = 2e-5, 1e-6
LR = 0.1

MODEL = f"""
model bn {{
  input x: f32[N, 6]
  input s: f32[N, 3, 4, 5]
  input c: f32[N, 6]
  input cs: f32[N, 3, 4, 5]
  param a: f32[6] = ones()
  param g: f32[6] = uniform(0.5, 1.5)
  param b: f32[6] = uniform(-1, 1)
  param g2: f32[3] = uniform(0.5, 1.5)
  param b2: f32[3] = uniform(-1, 1)
  buffer m: f32[6] = zeros()
  buffer v: f32[6] = ones()
  buffer m2: f32[3] = zeros()
  buffer v2: f32[3] = ones()
  let h = batch_norm(x * a, m, v, g, b)
  let t = batch_norm(s, m2, v2, g2, b2, momentum=0.3, eps=1e-3)
  output y = h
  output z = t
  loss l = sum(h * c) + sum(t * t * cs)
  train with sgd(lr={LR})
}}
"""


def main():
    harness = Harness("batch-norm-torch", __doc__)
    harness.compile("bn", MODEL)

    rng = np.random.default_rng(11)
    n = 9
    x = (rng.normal(0, 3, (n, 6)) + rng.normal(0, 5, 6)).astype(np.float32)
    s = rng.normal(1, 2, (n, 3, 4, 5)).astype(np.float32)
    c = rng.uniform(-1, 1, x.shape).astype(np.float32)
    cs = rng.uniform(-1, 1, s.shape).astype(np.float32)
    files = {}
    for name, value in [("x", x), ("s", s), ("c", c), ("cs", cs)]:
        files[name] = harness.path(f"{name}.npy")
        np.save(files[name], value)
    harness.entry("grad", "bn", files, "grad")
    data = ",".join(f"{k}={v}" for k, v in files.items())
    harness.run([harness.args.dnn_run, "train", harness.path("bn.so"), "--params",
                 harness.path("bn.safetensors"), "--data", data, "--batch-size", str(n),
                 "--epochs", "1", "--no-shuffle", "--quiet", "--save",
                 harness.path("trained.safetensors")])
    harness.run([harness.args.dnn_run, "predict", harness.path("bn.so"), "--params",
                 harness.path("trained.safetensors"), "--input", f"x={files['x']}",
                 "--input", f"s={files['s']}", "--out", harness.path("predict")])

    params, _ = read_safetensors(harness.path("bn.safetensors"))
    leaf = lambda name: torch.tensor(params[name], requires_grad=True)
    a = torch.ones(6, dtype=torch.float32, requires_grad=True)
    g, b, g2, b2 = leaf("g"), leaf("b"), leaf("g2"), leaf("b2")
    stats = {k: torch.tensor(params[k]) for k in ("m", "v", "m2", "v2")}
    xt, st = torch.from_numpy(x), torch.from_numpy(s)
    h = F.batch_norm(xt * a, stats["m"], stats["v"], g, b, training=True, momentum=0.1,
                     eps=1e-5)
    t = F.batch_norm(st, stats["m2"], stats["v2"], g2, b2, training=True, momentum=0.3,
                     eps=1e-3)
    loss = (h * torch.from_numpy(c)).sum() + (t * t * torch.from_numpy(cs)).sum()
    loss.backward()

    out = lambda name: np.load(harness.path(name))
    harness.compare("grad/l.npy", out("grad/l.npy"), loss.detach().numpy(), ATOL, RTOL,
                    relative_to_max=True)
    for name, p in [("a", a), ("g", g), ("b", b), ("g2", g2), ("b2", b2)]:
        harness.compare(f"grad/grad.{name}.npy", out(f"grad/grad.{name}.npy"),
                        p.grad.numpy(), ATOL, RTOL, relative_to_max=True)

    trained, _ = read_safetensors(harness.path("trained.safetensors"))
    for name in ("m", "v", "m2", "v2"):
        harness.compare(f"running statistic {name}", trained[name], stats[name].numpy(),
                        ATOL, RTOL, relative_to_max=True)
    new = {}
    for name, p in [("a", a), ("g", g), ("b", b), ("g2", g2), ("b2", b2)]:
        new[name] = (p - LR * p.grad).detach()
        harness.compare(f"param {name} after the step", trained[name], new[name].numpy(),
                        ATOL, RTOL, relative_to_max=True)

    # Inference with the moved statistics and the stepped params.
    y = F.batch_norm(xt * new["a"], stats["m"], stats["v"], new["g"], new["b"],
                     training=False, eps=1e-5)
    z = F.batch_norm(st, stats["m2"], stats["v2"], new["g2"], new["b2"], training=False,
                     eps=1e-3)
    harness.compare("predict/y.npy", out("predict/y.npy"), y.numpy(), ATOL, RTOL,
                    relative_to_max=True)
    harness.compare("predict/z.npy", out("predict/z.npy"), z.numpy(), ATOL, RTOL,
                    relative_to_max=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
