#!/usr/bin/env bash
# CPU inference benchmark, dnnc against PyTorch, in one command (see docs/performance.md):
#
#   ./scripts/setup.sh --bench      # once: Debian's python3-torch and OpenBLAS
#   ./bench/run-cpu-bench.sh
#
# Uses the existing build (runs ./scripts/build.sh only when build/bin/dnnc is missing),
# compiles examples/mlp.dnn and examples/lenet5.dnn into build/bench/, initialises their
# parameters with a fixed seed, times entry "predict" with dnnc-bench-predict (Google
# Benchmark) and the same models in PyTorch (bench/torch_predict.py, which first checks that
# its outputs match dnnc's), for batch sizes 1, 32, 256 on 1 thread and on every CPU, prints
# the table and writes it into docs/performance.md.
#
# Environment: DNNC_BENCH_SEED (parameter seed, default 1), DNNC_BENCH_MODELS (default
# "mlp lenet5"), DNNC_BENCH_REPETITIONS (default 5), DNNC_BENCH_DOC (default
# docs/performance.md; empty: do not write it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$root/build
out=$build/bench
python=/usr/bin/python3
seed=${DNNC_BENCH_SEED:-1}
read -r -a models <<<"${DNNC_BENCH_MODELS:-mlp lenet5}"
reps=${DNNC_BENCH_REPETITIONS:-5}
doc=${DNNC_BENCH_DOC-docs/performance.md}
batches=1,32,256
ncpu=$(nproc)
threads=1
if [ "$ncpu" -gt 1 ]; then threads=1,$ncpu; fi

if [ ! -x "$build/bin/dnnc" ] || [ ! -x "$build/bin/dnn-run" ]; then
  ./scripts/build.sh
fi
if ! "$python" -c 'import torch, numpy' 2>/dev/null; then
  echo "run-cpu-bench: PyTorch is missing for $python; run ./scripts/setup.sh --bench" >&2
  exit 1
fi
mkdir -p "$out"
# PyTorch runs with the OpenMP build of OpenBLAS (from `setup.sh --bench`) even where the
# system's libblas.so.3 is another one: the pthreads build's thread pool competes with
# torch's OpenMP threads and makes multi-threaded timings erratic.
torch_ld_path=${LD_LIBRARY_PATH:-}
openblas_omp=/usr/lib/x86_64-linux-gnu/openblas-openmp
if [ -e "$openblas_omp/libblas.so.3" ]; then
  torch_ld_path=$openblas_omp${torch_ld_path:+:$torch_ld_path}
else
  echo "run-cpu-bench: warning: $openblas_omp missing (run ./scripts/setup.sh --bench);" \
    "PyTorch uses the system's libblas.so.3" >&2
fi

# The benchmark driver: CMake's (target dnnc-bench-predict) when built, else compiled here
# by hand against the tools' static library.
bench=$build/bin/dnnc-bench-predict
if [ ! -x "$bench" ]; then
  bench=$out/dnnc-bench-predict
  lib=$build/tools/lib/libdnnModelLibrary.a
  if [ ! -x "$bench" ] || [ bench/predict_bench.cpp -nt "$bench" ] || [ "$lib" -nt "$bench" ]; then
    cxx=$(command -v clang++-22 || echo /usr/lib/llvm-22/bin/clang++)
    echo "== compiling $bench"
    "$cxx" -O2 -std=c++17 -I"$root/include" -I"$root/tools/lib" bench/predict_bench.cpp "$lib" \
      -lbenchmark -lpthread -ldl -o "$bench"
  fi
fi

for m in "${models[@]}"; do
  echo "== dnnc examples/$m.dnn -o $out/$m.so"
  "$build/bin/dnnc" "examples/$m.dnn" -o "$out/$m.so"
  "$build/bin/dnn-run" init "$out/$m.so" --seed "$seed" -o "$out/$m.safetensors"
done

busy=$(pgrep -f 'ninja|clang' | wc -l || true)
if [ "$busy" -gt 0 ]; then
  echo "run-cpu-bench: warning: $busy compiler/ninja processes are running; figures may be disturbed" >&2
fi

dnnc_json=() torch_json=()
for m in "${models[@]}"; do
  echo "== dnnc-bench-predict $m"
  "$bench" --model_lib="$out/$m.so" --params="$out/$m.safetensors" \
    --batch_sizes="$batches" --threads="$threads" \
    --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
    --benchmark_min_time=0.3 --benchmark_format=json >"$out/$m.dnnc.json"
  dnnc_json+=("$out/$m.dnnc.json")

  echo "== torch_predict.py $m"
  LD_LIBRARY_PATH="$torch_ld_path" "$python" bench/torch_predict.py --model "$m" --lib "$out/$m.so" \
    --params "$out/$m.safetensors" --dnn-run "$build/bin/dnn-run" \
    --batch-sizes "$batches" --threads "$threads" --json "$out/$m.torch.json"
  torch_json+=("$out/$m.torch.json")
done

busy_after=$(pgrep -f 'ninja|clang' | wc -l || true)
note=()
if [ "$busy" -gt 0 ] || [ "$busy_after" -gt 0 ]; then
  note=(--note "other compile jobs were running during the run (figures disturbed)")
fi

echo
"$python" bench/report.py --dnnc "${dnnc_json[@]}" --torch "${torch_json[@]}" \
  --dnnc-bin "$build/bin/dnnc" ${doc:+--doc "$doc"} "${note[@]}"
