// Convolution and pooling with dynamic spatial dims: the output sizes are
// computed as (H + 2p - k) / s + 1 from tensor.dim. (Dynamic pooling
// channels are covered by test/dnnc/pool-symbolic-channels.test.)

// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' 2>&1 | FileCheck %s

// CHECK-LABEL: func.func @conv_dynamic_spatial
// CHECK: tensor.dim
// CHECK: arith.divui
// CHECK: linalg.conv_2d_nchw_fchw
func.func @conv_dynamic_spatial(%x: tensor<1x1x?x?xf32>, %w: tensor<1x1x3x3xf32>) -> tensor<1x1x?x?xf32> {
  %0 = dnn.conv2d %x, %w stride [1, 1] padding [0, 0] : tensor<1x1x?x?xf32>, tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x?x?xf32>
}

// -----

// CHECK-LABEL: func.func @maxpool_dynamic_spatial
// CHECK: arith.divui
// CHECK: linalg.pooling_nchw_max
func.func @maxpool_dynamic_spatial(%x: tensor<?x3x?x4xf32>) -> tensor<?x3x?x2xf32> {
  %0 = dnn.maxpool2d %x size [2, 2] stride [2, 2] padding [0, 0] : tensor<?x3x?x4xf32>
  return %0 : tensor<?x3x?x2xf32>
}

// -----

// CHECK-LABEL: func.func @avgpool_dynamic_spatial
// CHECK: arith.divui
// CHECK: linalg.pooling_nchw_sum
func.func @avgpool_dynamic_spatial(%x: tensor<2x3x?x4xf32>) -> tensor<2x3x?x2xf32> {
  %0 = dnn.avgpool2d %x size [2, 2] stride [2, 2] padding [0, 0] : tensor<2x3x?x4xf32>
  return %0 : tensor<2x3x?x2xf32>
}
