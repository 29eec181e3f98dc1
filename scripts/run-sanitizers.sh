#!/usr/bin/env bash
# Tests under AddressSanitizer + UndefinedBehaviorSanitizer, in build-sanitize/
# (cmake -DDNNC_SANITIZE=ON; see CMakeLists.txt). Any sanitizer report fails the test it
# happens in: UBSan halts on the first error, ASan reports leaks at exit; malloc may return
# null, since the runtime's out-of-memory paths (tested) rely on it.
#
#   scripts/run-sanitizers.sh --runtime   the runtime's and dnn-run's data readers' unit tests
#                                         (part of scripts/run-tests.sh; a few minutes)
#   scripts/run-sanitizers.sh             every unit and lit test but the slow trainings and
#                                         the installed-package test (instruments the whole
#                                         compiler: about 1.5 hours of building on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake -S . -B build-sanitize -G Ninja -DDNNC_SANITIZE=ON > /dev/null
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [[ "${1:-}" == "--runtime" ]]; then
  targets=(dnnrt-unittests dnn-npy-unittests dnn-run-data-unittests)
  cmake --build build-sanitize --target "${targets[@]}"
  for t in "${targets[@]}"; do
    echo "run-sanitizers: $t"
    build-sanitize/bin/$t --gtest_brief=1
  done
  # The CUDA driver loader and launch calls, against the recording fake driver
  # (one process per group: a process loads its driver once).
  cmake --build build-sanitize --target dnnrt-cuda-unittests
  fake=build-sanitize/lib/libdnn-fake-cuda.so
  echo "run-sanitizers: dnnrt-cuda-unittests"
  DNN_CUDA_DRIVER=$fake build-sanitize/bin/dnnrt-cuda-unittests --gtest_brief=1 --gtest_filter='FakeDriver.*'
  DNN_CUDA_DRIVER=$fake FAKE_CUDA_DEVICES=0 build-sanitize/bin/dnnrt-cuda-unittests --gtest_brief=1 --gtest_filter='NoDevice.*'
  DNN_CUDA_DRIVER=/nonexistent/libcuda.so.1 build-sanitize/bin/dnnrt-cuda-unittests --gtest_brief=1 --gtest_filter='NoDriver.*'
  exit 0
fi
cmake --build build-sanitize
ctest --test-dir build-sanitize --output-on-failure -LE slow -E '^app-example$' "$@"
