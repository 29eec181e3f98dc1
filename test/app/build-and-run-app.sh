#!/usr/bin/env bash
# The installed dnnc package end to end:
#   1. cmake --install BUILD_DIR into a temporary prefix;
#   2. configure and build examples/app against it (find_package(dnnc),
#      dnnc_add_model compiling examples/mlp.dnn with the installed dnnc);
#   3. run classify on images from .npy and raw f32 files, with parameters
#      from `dnn-run init` and from --seed, and check its output format and
#      that it predicts what `dnn-run predict` predicts.
#
#   build-and-run-app.sh BUILD_DIR SOURCE_DIR [CXX_COMPILER]
#
# Exits 77 (skipped) without ninja or NumPy for /usr/bin/python3.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 BUILD_DIR SOURCE_DIR [CXX_COMPILER]" >&2
  exit 2
fi
build=$1 src=$2 cxx=${3:-}
python=/usr/bin/python3 # the system Python, which has NumPy

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
step() { echo "== $*"; }
command -v ninja > /dev/null || skip "ninja is not installed"
"$python" -c 'import numpy' 2> /dev/null || skip "$python has no NumPy"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dnnc-app-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix app=$tmp/app-build data=$tmp/data
mkdir -p "$data"
# The installed dnnc must find its own runtime (PREFIX/lib/libdnnrt.a).
unset DNNC_RUNTIME_LIBRARY

step "install $build into $prefix"
cmake --install "$build" --prefix "$prefix" > "$tmp/install.log" ||
  { cat "$tmp/install.log"; fail "cmake --install failed"; }
for f in bin/dnnc bin/dnn-run lib/libdnnrt.a include/dnn/model.h include/dnn/runtime.h \
         include/dnn/training/Trainer.h lib/libdnnTraining.a \
         lib/cmake/dnnc/dnncConfig.cmake lib/cmake/dnnc/dnncConfigVersion.cmake \
         lib/cmake/dnnc/dnncAddModel.cmake; do
  [[ -e $prefix/$f ]] || fail "cmake --install did not install $f"
done
if command -v readelf > /dev/null; then
  for tool in dnnc dnn-run; do
    ! readelf -d "$prefix/bin/$tool" | grep -F "$(cd "$build" && pwd -P)" ||
      fail "installed $tool has an RPATH into the build tree"
  done
fi

step "configure and build examples/app against the installed package"
cmake -S "$src/examples/app" -B "$app" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -Ddnnc_DIR="$prefix/lib/cmake/dnnc" ${cxx:+"-DCMAKE_CXX_COMPILER=$cxx"} > "$tmp/configure.log" ||
  { cat "$tmp/configure.log"; fail "configuring examples/app failed"; }
cmake --build "$app" || fail "building examples/app failed"
[[ -f $app/mlp.so && -f $app/mlp.h && -x $app/classify ]] ||
  fail "the build did not produce mlp.so, mlp.h and classify"

step "parameters and images"
"$prefix/bin/dnn-run" init "$app/mlp.so" --seed 7 -o "$data/params.safetensors"
"$python" - "$data" << 'EOF'
import sys
import numpy as np
x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
np.save(f"{sys.argv[1]}/images.npy", x)
x.tofile(f"{sys.argv[1]}/images.f32")
EOF

step "classify"
"$app/classify" "$data/params.safetensors" "$data/images.npy" | tee "$data/classify.txt"
"$app/classify" "$data/params.safetensors" "$data/images.f32" > "$data/classify-raw.txt"
cmp -s "$data/classify.txt" "$data/classify-raw.txt" ||
  fail "classify gives different results for the same images as .npy and as raw f32"
"$app/classify" --seed 7 "$data/images.npy" > "$data/classify-seed.txt"
cmp -s "$data/classify.txt" "$data/classify-seed.txt" ||
  fail "classify --seed 7 differs from classify with the parameters of dnn-run init --seed 7"

step "compare with dnn-run predict"
"$prefix/bin/dnn-run" predict "$app/mlp.so" --params "$data/params.safetensors" \
  --input "x=$data/images.npy" --out "$data/out"
"$python" - "$data" << 'EOF'
import re
import sys
import numpy as np
d = sys.argv[1]
predicted = np.load(f"{d}/out/predicted.npy")
probs = np.load(f"{d}/out/probs.npy")
lines = open(f"{d}/classify.txt").read().splitlines()
if len(lines) != len(predicted):
    sys.exit(f"FAIL: classify printed {len(lines)} lines for {len(predicted)} images")
for i, line in enumerate(lines):
    m = re.fullmatch(r"image (\d+): class (\d) \(p = ([01]\.\d{4})\)", line)
    if not m:
        sys.exit(f"FAIL: unexpected classify output line: {line!r}")
    index, cls, p = int(m[1]), int(m[2]), float(m[3])
    if index != i or cls != predicted[i]:
        sys.exit(f"FAIL: image {i}: classify says {line!r}, dnn-run predict says class {predicted[i]}")
    if abs(p - probs[i, cls]) > 1e-4:
        sys.exit(f"FAIL: image {i}: classify says p = {p}, dnn-run predict says {probs[i, cls]:.6f}")
print(f"classify agrees with dnn-run predict on {len(lines)} images")
EOF

step "train from the app (dnnc::training)"
[[ -x $app/train ]] || fail "the build did not produce train"
"$app/train" "$app/mlp.so" 3 | tee "$data/train.txt"
[[ $(grep -c '^epoch [123]: train loss ' "$data/train.txt") == 3 ]] ||
  fail "train did not report three epochs"
grep -Eq '^final: step 36, test accuracy (0\.9[5-9]|1\.0)' "$data/train.txt" ||
  fail "train did not reach 95% on its separable synthetic classes in 36 steps"
if "$app/train" "$data/nowhere.so" 2> "$data/train-error.txt"; then
  fail "train succeeded without a model library"
fi
grep -q "^train: error: .*nowhere.so" "$data/train-error.txt" ||
  { cat "$data/train-error.txt"; fail "unexpected train error message"; }

step "errors"
if "$app/classify" "$data/missing.safetensors" "$data/images.npy" 2> "$data/error.txt"; then
  fail "classify succeeded without its parameters file"
fi
grep -q "^classify: error: cannot load the parameters: .*missing.safetensors" "$data/error.txt" ||
  { cat "$data/error.txt"; fail "unexpected error message"; }

echo "PASS"
