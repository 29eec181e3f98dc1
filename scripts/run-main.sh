#!/usr/bin/env bash
# The main job from a fresh clone: set-up (including MNIST) and build, then
# compile the MLP example to a shared library, show its signature with
# `dnn-run info`, and train it on MNIST with `dnn-run train`, printing
# progress, per-epoch test loss and accuracy, and the final test accuracy.
# Everything it writes goes to build/main-job/.
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
echo "== dnn-run train: MNIST, Adam (lr 1e-3), batch 128, 5 epochs"
# MNIST is fetched and checked by scripts/setup.sh (scripts/fetch-mnist.sh).
./build/bin/dnn-run train "${out}/mlp.so" --seed 42 --data mnist --eval-data mnist \
  --epochs 5 --batch-size 128 --save "${out}/mlp.safetensors" \
  --curve "${out}/loss.csv" --plot "${out}/loss.svg"
echo "== wrote ${out}/mlp.safetensors, ${out}/loss.csv and ${out}/loss.svg"
