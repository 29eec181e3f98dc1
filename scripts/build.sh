#!/usr/bin/env bash
# Installs what is missing, then configures and builds dnnc in ./build (Ninja, ccache, lld).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake -S . -B build -G Ninja
cmake --build build
