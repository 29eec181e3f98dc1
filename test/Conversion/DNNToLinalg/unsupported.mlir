// Convolution and pooling need static spatial dims (H, W), as the language
// requires; dynamic ones must fail with a diagnostic (and a failing exit
// code), never a crash or invalid IR. (Dynamic pooling channels, which the
// language allows, are covered by test/dnnc/pool-symbolic-channels.test.)

// RUN: not dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' 2>&1 | FileCheck %s

// CHECK: error: failed to legalize operation 'dnn.conv2d' that was explicitly marked illegal
func.func @conv_dynamic_spatial(%x: tensor<1x1x?x?xf32>, %w: tensor<1x1x3x3xf32>) -> tensor<1x1x?x?xf32> {
  %0 = dnn.conv2d %x, %w stride [1, 1] padding [0, 0] : tensor<1x1x?x?xf32>, tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x?x?xf32>
}

// -----

// CHECK: error: failed to legalize operation 'dnn.maxpool2d' that was explicitly marked illegal
func.func @maxpool_dynamic_spatial(%x: tensor<?x3x?x4xf32>) -> tensor<?x3x?x2xf32> {
  %0 = dnn.maxpool2d %x size [2, 2] stride [2, 2] padding [0, 0] : tensor<?x3x?x4xf32>
  return %0 : tensor<?x3x?x2xf32>
}

// -----

// CHECK: error: failed to legalize operation 'dnn.avgpool2d' that was explicitly marked illegal
func.func @avgpool_dynamic_spatial(%x: tensor<2x3x?x4xf32>) -> tensor<2x3x?x2xf32> {
  %0 = dnn.avgpool2d %x size [2, 2] stride [2, 2] padding [0, 0] : tensor<2x3x?x4xf32>
  return %0 : tensor<2x3x?x2xf32>
}
