"""Checks dnn-run's outputs for examples/mlp.dnn against NumPy.

check_mlp.py PARAMS.safetensors X.npy OUTDIR: recomputes probs and predicted
from the parameters in the checkpoint and prints "mlp outputs match".
"""
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    body = data[8 + length :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", info
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(body[begin:end], dtype="<f4").reshape(info["shape"])
    return tensors


params = read_safetensors(sys.argv[1])
x = np.load(sys.argv[2]).astype(np.float64)
out = sys.argv[3]
p = {k: v.astype(np.float64) for k, v in params.items()}
h1 = np.maximum(x @ p["w1"] + p["b1"], 0)
h2 = np.maximum(h1 @ p["w2"] + p["b2"], 0)
logits = h2 @ p["w3"] + p["b3"]
e = np.exp(logits - logits.max(axis=1, keepdims=True))
probs = e / e.sum(axis=1, keepdims=True)

got_probs = np.load(f"{out}/probs.npy")
got_predicted = np.load(f"{out}/predicted.npy")
assert got_probs.dtype == np.float32 and got_probs.shape == probs.shape, got_probs.shape
assert got_predicted.dtype == np.int32 and got_predicted.shape == (x.shape[0],)
assert np.allclose(got_probs, probs, rtol=1e-4, atol=1e-6), np.abs(got_probs - probs).max()
assert (got_predicted == logits.argmax(axis=1)).all(), (got_predicted, logits.argmax(axis=1))
# With random weights and inputs, ties in the logits do not occur in practice.
print("mlp outputs match")
