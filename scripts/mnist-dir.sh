#!/usr/bin/env bash
# Prints the folder that holds MNIST for dnnc (scripts/fetch-mnist.sh downloads it there,
# `dnn-run train --data mnist` reads it from there):
#   ${DNNC_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dnnc}/mnist
set -euo pipefail
echo "${DNNC_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dnnc}/mnist"
