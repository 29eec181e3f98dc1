// RUN: dnn-opt %s --dnn-merge-gpu-modules | FileCheck %s

// gpu-kernel-outlining makes module names unique but names every kernel of a
// function after it: merged, a kernel whose name is taken takes its module's.
// CHECK-LABEL: func.func @entry
// CHECK:         gpu.launch_func @dnn_kernels::@entry_kernel blocks
// CHECK:         gpu.launch_func @dnn_kernels::@entry_kernel_0 blocks
// CHECK:       gpu.module @dnn_kernels {
// CHECK:         gpu.func @entry_kernel(
// CHECK:         gpu.func @entry_kernel_0(
// CHECK-NOT:   gpu.module
module attributes {gpu.container_module} {
  func.func @entry(%a: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    gpu.launch_func @entry_kernel::@entry_kernel blocks in (%c1, %c1, %c1) threads in (%c4, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @entry_kernel_0::@entry_kernel blocks in (%c1, %c1, %c1) threads in (%c4, %c1, %c1) args(%a : memref<4xf32>)
    return
  }
  gpu.module @entry_kernel {
    gpu.func @entry_kernel(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @entry_kernel_0 {
    gpu.func @entry_kernel(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
}
