#!/usr/bin/env bash
# The whole test suite from a fresh clone: set-up, build, then lit + GoogleTest + fuzzing via CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
ctest --test-dir build --output-on-failure
