#!/usr/bin/env bash
# CPU benchmark of inference and training steps, dnnc against PyTorch, in one command (see
# docs/performance.md):
#
#   ./scripts/setup.sh --bench      # once: Debian's python3-torch (default set-up) and OpenMP OpenBLAS
#   ./bench/run-cpu-bench.sh
#
# Uses the existing build (runs ./scripts/build.sh only when build/bin/dnnc is missing),
# compiles examples/mlp.dnn, examples/lenet5.dnn and examples/cifar_cnn.dnn into build/bench/ and initialises their
# parameters with a fixed seed. Then, for each model, on 1 thread and on every CPU:
#
# - predict: times entry "predict" with dnnc-bench-predict (Google Benchmark) and the same
#   model in PyTorch (bench/torch_predict.py, which first checks that its outputs match
#   dnnc's), for batch sizes 1, 32, 256;
# - train: times one training step (dnn_session_train_step: forward, backward, the update of
#   the model's `train with` optimizer) with dnnc-bench-train and the same step in PyTorch
#   (bench/torch_train.py, which first checks that one step from the same params and batch
#   gives dnnc's updated params), for batch size 128.
#
# With the MLP's training step, it also measures the peak RSS of `dnn-run train` on MNIST less
# the dataset, beside PyTorch's (bench/train_memory.py). It prints the tables and writes them into docs/performance.md; then, with the MLP's
# training step, the GFLOP/s of its large matmuls next to OpenBLAS's at the same shapes
# (bench/matmul_shapes.py, printed only).
#
# Environment: DNNC_BENCH_KINDS (default "predict train"), DNNC_BENCH_SEED (parameter seed,
# default 1), DNNC_BENCH_MODELS (default "mlp lenet5 cifar_cnn"), DNNC_BENCH_REPETITIONS (default 5),
# DNNC_BENCH_TRAIN_BATCHES (default 128; comma-separated), DNNC_BENCH_DOC (default
# docs/performance.md; empty: do not write it). A kind left out keeps its table in the
# document as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$root/build
out=$build/bench
python=/usr/bin/python3
seed=${DNNC_BENCH_SEED:-1}
read -r -a models <<<"${DNNC_BENCH_MODELS:-mlp lenet5 cifar_cnn}"
reps=${DNNC_BENCH_REPETITIONS:-5}
doc=${DNNC_BENCH_DOC-docs/performance.md}
read -r -a kinds <<<"${DNNC_BENCH_KINDS:-predict train}"
batches=1,32,256
train_batches=${DNNC_BENCH_TRAIN_BATCHES:-128}
run_predict=0 run_train=0
for k in "${kinds[@]}"; do
  case $k in
    predict) run_predict=1 ;;
    train) run_train=1 ;;
    *) echo "run-cpu-bench: DNNC_BENCH_KINDS: unknown kind '$k' (predict, train)" >&2; exit 2 ;;
  esac
done
if [ $run_predict = 0 ] && [ $run_train = 0 ]; then
  echo "run-cpu-bench: DNNC_BENCH_KINDS selects nothing (predict, train)" >&2
  exit 2
fi
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

# The benchmark drivers are CMake targets (bench/CMakeLists.txt): brought up to date here.
cmake --build "$build" --target dnnc-bench-predict dnnc-bench-train dnn-run dnnc
bench_predict=$build/bin/dnnc-bench-predict
bench_train=$build/bin/dnnc-bench-train

for m in "${models[@]}"; do
  echo "== dnnc examples/$m.dnn -o $out/$m.so"
  "$build/bin/dnnc" "examples/$m.dnn" -o "$out/$m.so"
  "$build/bin/dnn-run" init "$out/$m.so" --seed "$seed" -o "$out/$m.safetensors"
done

busy=$(pgrep -f 'ninja|clang' | wc -l || true)
if [ "$busy" -gt 0 ]; then
  echo "run-cpu-bench: warning: $busy compiler/ninja processes are running; figures may be disturbed" >&2
fi
# Other work (test suites, too, not only compilers) is seen in the CPU time: every process's,
# from /proc/stat, less this script's and its children's, from /proc/$$/stat (clock ticks).
cpu_sample() {
  local _ user nice system idle iowait irq softirq steal stat f
  read -r _ user nice system idle iowait irq softirq steal _ </proc/stat
  stat=$(</proc/$$/stat)
  read -r -a f <<<"${stat##*) }" # fields from 3 on: utime, stime, cutime, cstime at 14-17
  echo "$((user + nice + system + irq + softirq + steal))" \
    "$((user + nice + system + idle + iowait + irq + softirq + steal))" \
    "$((f[11] + f[12] + f[13] + f[14]))"
}
read -r busy0 total0 ours0 < <(cpu_sample)

# One benchmark of one model on both sides:
#   bench_pair MODEL DRIVER TORCH_SCRIPT BATCHES MIN_SECONDS JSON_SUFFIX
bench_pair() {
  local m=$1 driver=$2 script=$3 sizes=$4 seconds=$5 suffix=$6
  echo "== $(basename "$driver") $m"
  "$driver" --model_lib="$out/$m.so" --params="$out/$m.safetensors" \
    --batch_sizes="$sizes" --threads="$threads" \
    --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
    --benchmark_min_time="$seconds" --benchmark_format=json >"$out/$m.dnnc$suffix.json"
  echo "== $script $m"
  LD_LIBRARY_PATH="$torch_ld_path" "$python" "bench/$script" --model "$m" \
    --lib "$out/$m.so" --params "$out/$m.safetensors" --dnn-run "$build/bin/dnn-run" \
    --batch-sizes "$sizes" --threads "$threads" --run-time "$seconds" \
    --json "$out/$m.torch$suffix.json"
}

report=()
for m in "${models[@]}"; do
  if [ $run_predict = 1 ]; then
    bench_pair "$m" "$bench_predict" torch_predict.py "$batches" 0.3 ""
  fi
  if [ $run_train = 1 ]; then
    # A step takes milliseconds to a tenth of a second: longer runs than for predict.
    bench_pair "$m" "$bench_train" torch_train.py "$train_batches" 0.5 -train
  fi
done
for m in "${models[@]}"; do
  if [ $run_predict = 1 ]; then
    report+=(--dnnc "$out/$m.dnnc.json" --torch "$out/$m.torch.json")
  fi
  if [ $run_train = 1 ]; then
    report+=(--dnnc-train "$out/$m.dnnc-train.json" --torch-train "$out/$m.torch-train.json")
  fi
done

# Peak memory of training the MNIST MLP (dnn-run, less the dataset) beside PyTorch's.
mnist=$(./scripts/mnist-dir.sh)
if [ $run_train = 1 ] && [[ " ${models[*]} " == *" mlp "* ]]; then
  if [ -e "$mnist/train-images-idx3-ubyte" ]; then
    echo "== train_memory.py mlp"
    "$python" bench/train_memory.py --lib "$out/mlp.so" --params "$out/mlp.safetensors" \
      --dnn-run "$build/bin/dnn-run" --mnist "$mnist" --json "$out/mlp.memory.json"
    report+=(--memory "$out/mlp.memory.json")
  else
    echo "run-cpu-bench: MNIST missing in $mnist (scripts/fetch-mnist.sh): no memory figure" >&2
  fi
fi

busy_after=$(pgrep -f 'ninja|clang' | wc -l || true)
read -r busy1 total1 ours1 < <(cpu_sample)
others=$(( (busy1 - busy0 - (ours1 - ours0)) * 100 / (total1 - total0 > 0 ? total1 - total0 : 1) ))
note=()
if [ "$busy" -gt 0 ] || [ "$busy_after" -gt 0 ]; then
  note=(--note "other compile jobs were running during the run (figures disturbed)")
elif [ "$others" -ge 5 ]; then
  echo "run-cpu-bench: warning: other processes used ${others}% of the CPU time during the run" >&2
  note=(--note "other processes used ${others}% of the CPU time during the run (figures disturbed)")
fi

echo
"$python" bench/report.py "${report[@]}" --dnnc-bin "$build/bin/dnnc" ${doc:+--doc "$doc"} \
  "${note[@]}"

# The training step's large matmuls against OpenBLAS at the same shapes, with the FMA peak
# (printed, not written to the document): when the MLP's training step was measured.
if [ $run_train = 1 ] && [[ " ${models[*]} " == *" mlp "* ]]; then
  cc=$(command -v clang-22 || echo /usr/lib/llvm-22/bin/clang)
  "$cc" -O2 -march=native bench/fma_peak.c -lpthread -o "$out/fma_peak"
  for t in ${threads//,/ }; do
    echo
    "$python" bench/matmul_shapes.py "$build" "$out/mlp.so" "$t"
  done
fi

# How far apart the cores are (printed): the cost of a cache line one thread
# wrote and another reads, which bounds what a second thread gives the
# memory-bound passes (docs/performance.md, "Two cores on two dies").
if [ "$ncpu" -gt 1 ]; then
  cc=$(command -v clang-22 || echo /usr/lib/llvm-22/bin/clang)
  "$cc" -O2 bench/core_to_core.c -lpthread -o "$out/core_to_core"
  echo
  "$out/core_to_core"
fi
