#!/usr/bin/python3
"""Peak resident memory of training the MNIST MLP, dnnc beside PyTorch (see
docs/performance.md; run by bench/run-cpu-bench.sh).

dnnc: the peak RSS of `dnn-run train MLP.so --data mnist --epochs 1
--batch-size 128` (from wait4's rusage), less the dataset as dnn-run holds it
(MNIST train and test as f32 images and i32 labels, computed from the IDX
files' dimensions). PyTorch: the peak RSS of a process that imports torch,
builds the same MLP with Adam and runs 50 training steps of batch 128 on a
random batch: no dataset at all, so the figure is what PyTorch needs before
any data.

  train_memory.py --lib mlp.so --params mlp.safetensors --dnn-run build/bin/dnn-run
                  --mnist DIR [--json out.json]
"""

import argparse
import json
import os
import resource
import struct
import subprocess
import sys

MIB = 1 << 20


def idx_count(path):
    """Number of elements in an IDX file (the product of its dimensions)."""
    with open(path, "rb") as f:
        header = f.read(4)
        rank = header[3]
        dims = struct.unpack(">" + "I" * rank, f.read(4 * rank))
    count = 1
    for d in dims:
        count *= d
    return count


def dataset_bytes(mnist):
    """Bytes of MNIST train + test as dnn-run holds them: 4 bytes per pixel and label."""
    total = 0
    for prefix in ("train", "t10k"):
        total += 4 * idx_count(os.path.join(mnist, f"{prefix}-images-idx3-ubyte"))
        total += 4 * idx_count(os.path.join(mnist, f"{prefix}-labels-idx1-ubyte"))
    return total


def peak_rss(cmd):
    """Peak RSS in bytes of `cmd` run as a child (its output discarded)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"train_memory: {' '.join(cmd)} failed:\n{proc.stderr.read().decode()}")
    return usage.ru_maxrss * 1024


TORCH_STEPS = """
import resource, sys, torch, torch.nn.functional as F
sys.path.insert(0, sys.argv[1])
from torch_common import Mlp
torch.set_num_threads(1)
model = Mlp()
opt = torch.optim.Adam(model.parameters(), lr=0.001)
x = torch.rand(128, 784)
labels = torch.randint(0, 10, (128,))
for _ in range(50):
    opt.zero_grad(set_to_none=True)
    F.cross_entropy(model(x), labels).backward()
    opt.step()
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", required=True)
    ap.add_argument("--params", required=True)
    ap.add_argument("--dnn-run", required=True)
    ap.add_argument("--mnist", required=True)
    ap.add_argument("--json")
    args = ap.parse_args()

    data = dataset_bytes(args.mnist)
    dnnc = peak_rss([args.dnn_run, "train", args.lib, "--params", args.params, "--data", "mnist",
                     "--eval-data", "mnist", "--epochs", "1", "--batch-size", "128"])
    here = os.path.dirname(os.path.abspath(__file__))
    torch_rss = peak_rss([sys.executable, "-c", TORCH_STEPS, here])
    result = {"dnnc_peak_rss": dnnc, "dataset_bytes": data, "dnnc_without_dataset": dnnc - data,
              "torch_peak_rss": torch_rss}
    print(f"MNIST MLP training, peak RSS: dnn-run {dnnc / MIB:.1f} MiB, of which the dataset "
          f"{data / MIB:.1f} MiB: {(dnnc - data) / MIB:.1f} MiB without it; PyTorch without "
          f"any dataset {torch_rss / MIB:.1f} MiB")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
