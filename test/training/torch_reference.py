"""What the CTests that compare a compiled model with torch share.

Each compiles a small model with dnnc, initialises its params with dnn-run,
runs dnn-run predict / grad on inputs it writes, and compares the results
with torch's in float64 (`compare`).
"""

import argparse
import os
import subprocess
import sys

import numpy as np


class Harness:
    """The command line (--dnnc, --dnn-run, --work-dir) and the steps."""

    def __init__(self, tag, doc):
        self.tag = tag
        ap = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
        ap.add_argument("--dnnc", required=True)
        ap.add_argument("--dnn-run", required=True)
        ap.add_argument("--work-dir", required=True)
        self.args = ap.parse_args()
        os.makedirs(self.args.work_dir, exist_ok=True)

    def path(self, name):
        return os.path.join(self.args.work_dir, name)

    def run(self, cmd):
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0:
            sys.exit(f"{self.tag}: command failed (exit {proc.returncode}): "
                     f"{' '.join(cmd)}\n{proc.stdout}")

    def compile(self, name, model):
        """Compiles `model` (DSL text) to NAME.so, params (seed 1) in NAME.safetensors."""
        with open(self.path(f"{name}.dnn"), "w") as f:
            f.write(model)
        self.run([self.args.dnnc, self.path(f"{name}.dnn"), "-o", self.path(f"{name}.so")])
        self.run([self.args.dnn_run, "init", self.path(f"{name}.so"), "--seed", "1", "-o",
                  self.path(f"{name}.safetensors")])

    def entry(self, command, name, inputs, out):
        """dnn-run COMMAND (predict, grad) of NAME.so on {input: .npy path}."""
        flags = [arg for k, v in inputs.items() for arg in ("--input", f"{k}={v}")]
        self.run([self.args.dnn_run, command, self.path(f"{name}.so"), "--params",
                  self.path(f"{name}.safetensors"), *flags, "--out", self.path(out)])

    def compare(self, name, got, want, atol, rtol, relative_to_max=False):
        """|dnnc - torch| <= atol + rtol * |torch| element by element, or
        rtol * max |torch| with `relative_to_max`."""
        got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
        if got.shape != want.shape:
            sys.exit(f"{self.tag}: {name}: shape {got.shape}, torch {want.shape}")
        scale = np.abs(want).max() if relative_to_max else np.abs(want)
        tol = atol + rtol * scale
        bad = np.abs(got - want) > tol
        if bad.any():
            i = np.unravel_index(np.argmax(np.abs(got - want)), got.shape)
            sys.exit(f"{self.tag}: {name}: {int(bad.sum())} values differ from torch; "
                     f"the largest at {i}: dnnc {got[i]!r}, torch {want[i]!r}")
        bound = f"{atol + rtol * scale:g}" if relative_to_max else f"{atol:g} + {rtol:g} |torch|"
        print(f"{name}: {got.size} values within {bound} of torch")
