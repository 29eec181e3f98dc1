#!/usr/bin/env bash
# The main job from a fresh clone: set-up, build, then compile every example
# and print the summary of its dnn-dialect IR.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
for model in examples/*.dnn; do
  echo "== ${model}"
  ./build/bin/dnnc "${model}" --emit=summary
done
