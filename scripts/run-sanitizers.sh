#!/usr/bin/env bash
# The unit and lit suites under AddressSanitizer + UndefinedBehaviorSanitizer: builds
# build-sanitize/ (cmake -DDNNC_SANITIZE=ON; see CMakeLists.txt) and runs CTest there without
# the slow training tests (label "slow") and the installed-package test (which links a plain
# app). Any sanitizer report fails the test it happens in: UBSan halts on the first error,
# ASan reports leaks at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake -S . -B build-sanitize -G Ninja -DDNNC_SANITIZE=ON
cmake --build build-sanitize
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir build-sanitize --output-on-failure -LE slow -E '^app-example$' "$@"
