#!/usr/bin/env bash
# The main job from a fresh clone: set-up and build, then compile the MLP
# example to a shared library, show its signature with `dnn-run info`,
# initialise its parameters and classify a batch of inputs with
# `dnn-run predict`. Everything it writes goes to build/main-job/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh

out=build/main-job
rm -rf "${out}"
mkdir -p "${out}"

echo "== dnnc examples/mlp.dnn -o ${out}/mlp.so"
./build/bin/dnnc examples/mlp.dnn -o "${out}/mlp.so"
echo "== dnn-run info"
./build/bin/dnn-run info "${out}/mlp.so"
echo "== dnn-run init"
./build/bin/dnn-run init "${out}/mlp.so" --seed 42 -o "${out}/mlp.safetensors"

# Eight inputs as a float32 .npy (NumPy from Debian's python3-numpy, which
# scripts/setup.sh installs).
/usr/bin/python3 - "${out}/x.npy" <<'PY'
import sys
import numpy as np
rng = np.random.default_rng(0)
np.save(sys.argv[1], rng.random((8, 784), dtype=np.float32))
PY

echo "== dnn-run predict"
./build/bin/dnn-run predict "${out}/mlp.so" --params "${out}/mlp.safetensors" \
  --input x="${out}/x.npy" --out "${out}/predictions"
/usr/bin/python3 - "${out}/predictions" <<'PY'
import sys
import numpy as np
probs = np.load(sys.argv[1] + "/probs.npy")
predicted = np.load(sys.argv[1] + "/predicted.npy")
for i, (p, c) in enumerate(zip(probs, predicted)):
    print(f"input {i}: class {c} (p = {p[c]:.3f})")
PY
