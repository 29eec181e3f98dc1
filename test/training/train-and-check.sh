#!/usr/bin/env bash
# Compiles an example, trains it with dnn-run and checks the final metric.
#   train-and-check.sh BUILD_DIR EXAMPLE METRIC OP THRESHOLD -- DNN-RUN-TRAIN-ARGS...
# METRIC is a field of dnn-run's final line ("test accuracy", "test loss");
# OP is ">=" or "<=". Used by the CTest tests labelled "slow". DNNC_EXTRA_FLAGS are added
# to dnnc's command line (scripts/gpu-check.sh: --target=cuda).
set -euo pipefail
build=$1 example=$2 metric=$3 op=$4 threshold=$5
shift 5
[ "$1" = "--" ] && shift
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${build}/test/training/${example}"
rm -rf "${out}" && mkdir -p "${out}"
"${build}/bin/dnnc" "${root}/examples/${example}.dnn" ${DNNC_EXTRA_FLAGS:-} -o "${out}/${example}.so"
"${build}/bin/dnn-run" train "${out}/${example}.so" --curve "${out}/loss.csv" \
  --plot "${out}/loss.svg" --save "${out}/trained.safetensors" "$@" | tee "${out}/log.txt"
final=$(grep '^final:' "${out}/log.txt" | tail -1)
value=$(sed -n "s/.*${metric} \([0-9.eE+-]*\).*/\1/p" <<<"${final}")
if [ -z "${value}" ]; then
  echo "FAIL: no '${metric}' in: ${final}" >&2
  exit 1
fi
if awk -v v="${value}" -v t="${threshold}" -v op="${op}" \
     'BEGIN { exit !((op == ">=") ? (v >= t) : (v <= t)) }'; then
  echo "PASS: ${example}: ${metric} ${value} ${op} ${threshold}"
else
  echo "FAIL: ${example}: ${metric} ${value}, expected ${op} ${threshold}" >&2
  exit 1
fi
