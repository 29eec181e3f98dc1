#!/usr/bin/env bash
# Installs what dnnc needs to build and test on Debian 12 (bookworm), then downloads MNIST
# (scripts/fetch-mnist.sh; the training tests need it); fast no-op when all is present.
# Debian's PyTorch (python3-torch, for /usr/bin/python3) is installed too: the
# optimizer-steps test checks compiled training steps against torch.optim.
#   --bench  also installs what bench/run-cpu-bench.sh needs for fair timings of PyTorch:
#            OpenBLAS, the BLAS its libtorch recommends (without one, torch's matmuls run
#            on the reference BLAS), in its OpenMP build: it shares torch's OpenMP
#            threads, where the pthreads build's own pool competes with them (erratic
#            multi-threaded timings).
set -euo pipefail

BENCH=0
for arg in "$@"; do
  case "$arg" in
    --bench) BENCH=1 ;;
    -h|--help)
      echo "usage: scripts/setup.sh [--bench]   (then downloads MNIST with scripts/fetch-mnist.sh)"
      echo "  --bench  also install libopenblas0-openmp (for bench/run-cpu-bench.sh)"
      exit 0 ;;
    *) echo "dnnc setup: unknown argument '$arg' (usage: scripts/setup.sh [--bench])" >&2; exit 2 ;;
  esac
done

PACKAGES=(
  cmake ninja-build ccache
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22
  libclang-rt-22-dev
  libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev
  python3 python3-numpy python3-torch
  curl ca-certificates
)
if [ "$BENCH" -eq 1 ]; then
  PACKAGES+=(libopenblas0-openmp)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

install_missing() {
  echo "dnnc setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      SUDO="sudo"
    else
      echo "dnnc setup: not root and no sudo; please install as root:" >&2
      echo "  apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi

  export DEBIAN_FRONTEND=noninteractive
  if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
    $SUDO apt-get update
    if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
      echo "dnnc setup: could not install: ${missing[*]}" >&2
      echo "dnnc needs Debian 12 with the bookworm-security suite enabled (LLVM/MLIR 22 packages)." >&2
      exit 1
    fi
  fi
}

if [ ${#missing[@]} -gt 0 ]; then
  install_missing
fi

# MNIST into the data folder (scripts/mnist-dir.sh); fails when it cannot be downloaded.
"$(dirname "$0")/fetch-mnist.sh"
