// RUN: dnn-opt %s --dnn-attach-nvvm-targets='chips=sm_80,sm_90' | FileCheck %s
// RUN: not dnn-opt %s --dnn-attach-nvvm-targets='chips=gfx90a' 2>&1 | FileCheck %s --check-prefix=BAD

// One target per architecture, so that gpu-module-to-binary emits one object
// each (upstream's nvvm-attach-target replaces the list with one target).
// CHECK: gpu.module @dnn_kernels [#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">, #nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">]
// BAD: error: not an NVVM target: chip 'gfx90a', O3
module attributes {gpu.container_module} {
  gpu.module @dnn_kernels {
  }
}
