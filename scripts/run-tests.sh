#!/usr/bin/env bash
# The whole test suite from a fresh clone: set-up, build, then lit + GoogleTest + fuzzing via CTest,
# then the runtime's unit tests again under ASan + UBSan (scripts/run-sanitizers.sh --runtime).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
ctest --test-dir build --output-on-failure
./scripts/run-sanitizers.sh --runtime
