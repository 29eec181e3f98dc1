#!/usr/bin/env bash
# Every check that needs an NVIDIA GPU, in one run (about 5 minutes on an H100 once built):
#   1. every example compiled with --target=cuda and checked against the reference
#      interpreter by dnn-verify (predict, eval, grad and train_step at batch 1, 7 and 128);
#   2. the MNIST MLP trained on the GPU to the CPU's bound (5 epochs, test accuracy >= 97.5%);
#   3. the dnnc side of the GPU benchmark: MLP and LeNet-5 train_step (batch 128) and predict
#      (batch 1, 32, 256) through the runtime, as bench/ times the CPU libraries.
# Without a GPU it prints why and exits 77 (CTest's skip code: test/CMakeLists.txt runs it as
# the test `gpu-check`, labelled slow and gpu).
#   scripts/gpu-check.sh [BUILD_DIR]      (default: build; built with scripts/build.sh if absent)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
if ! { command -v nvidia-smi > /dev/null && nvidia-smi -L 2> /dev/null | grep -q '^GPU'; }; then
  echo "gpu-check: no NVIDIA GPU here (nvidia-smi lists none): skipped"
  exit 77
fi
nvidia-smi -L
[ -x "${build}/bin/dnnc" ] || ./scripts/build.sh
out="${build}/gpu-check"
status=0
rm -rf "${out}" && mkdir -p "${out}"

echo "== 1. dnn-verify of every example on the GPU"
for model in examples/*.dnn; do
  name=$(basename "${model}" .dnn)
  "${build}/bin/dnnc" "${model}" --target=cuda -o "${out}/${name}.so"
  "${build}/bin/dnn-verify" "${model}" "${out}/${name}.so"
done

echo "== 2. MNIST MLP trained on the GPU"
# A lent GPU machine reaches nothing outside: MNIST comes with the working tree
# (DNNC_DATA_DIR, as scripts/fetch-mnist.sh lays it out) or from the cache.
mnist=$(scripts/mnist-dir.sh)
if [ -f "${mnist}/train-images-idx3-ubyte" ] || [ -f "${mnist}/train-images-idx3-ubyte.gz" ]; then
  DNNC_EXTRA_FLAGS=--target=cuda test/training/train-and-check.sh "${build}" mlp \
    "test accuracy" ">=" 0.975 -- --seed 1 --data mnist --eval-data mnist --epochs 5 \
    --batch-size 128 --quiet
else
  echo "gpu-check: no MNIST at ${mnist} (set DNNC_DATA_DIR): training left out" >&2
  status=1
fi

echo "== 3. dnnc on the GPU: train_step and predict"
for name in mlp lenet5; do
  "${build}/bin/dnn-run" init "${out}/${name}.so" --seed 1 -o "${out}/${name}.safetensors"
  "${build}/bin/dnnc-bench-train" --model_lib="${out}/${name}.so" \
    --params="${out}/${name}.safetensors" --batch_sizes=128 --threads=1 \
    --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
  "${build}/bin/dnnc-bench-predict" --model_lib="${out}/${name}.so" \
    --params="${out}/${name}.safetensors" --batch_sizes=1,32,256 --threads=1 \
    --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
done
[ "${status}" = 0 ] && echo "gpu-check: all passed" || echo "gpu-check: incomplete (above)"
exit "${status}"
