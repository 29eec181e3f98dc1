// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' | FileCheck %s

// conv2d: zero-pad H and W with tensor.pad, start the accumulator at the
// bias broadcast over N, H and W, then linalg.conv_2d_nchw_fchw.
// CHECK-DAG: #[[$BIAS:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @conv_bias_padding(
// CHECK-SAME:    %[[X:.*]]: tensor<?x1x28x28xf32>, %[[W:.*]]: tensor<6x1x5x5xf32>, %[[B:.*]]: tensor<6xf32>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[PAD:.*]] = tensor.pad %[[X]] low[0, 0, 2, 2] high[0, 0, 2, 2]
// CHECK:           tensor.yield %[[ZERO]] : f32
// CHECK:         } : tensor<?x1x28x28xf32> to tensor<?x1x32x32xf32>
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x1x28x28xf32>
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x6x28x28xf32>
// CHECK:         %[[INIT:.*]] = linalg.generic {indexing_maps = [#[[$BIAS]], #[[$ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME:      ins(%[[B]] : tensor<6xf32>) outs(%[[EMPTY]] : tensor<?x6x28x28xf32>)
// CHECK:         ^bb0(%[[V:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      linalg.yield %[[V]] : f32
// CHECK:         %[[R:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
// CHECK-SAME:      ins(%[[PAD]], %[[W]] : tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) outs(%[[INIT]] : tensor<?x6x28x28xf32>)
// CHECK:         return %[[R]]
func.func @conv_bias_padding(%x: tensor<?x1x28x28xf32>, %w: tensor<6x1x5x5xf32>, %b: tensor<6xf32>) -> tensor<?x6x28x28xf32> {
  %0 = dnn.conv2d %x, %w, %b stride [1, 1] padding [2, 2] : tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>
  return %0 : tensor<?x6x28x28xf32>
}

// -----

// Without bias or padding: no tensor.pad, a zero-filled accumulator, and the
// stride on the named op.
// CHECK-LABEL: func.func @conv_stride(
// CHECK-SAME:    %[[X:.*]]: tensor<2x3x9x9xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>)
// CHECK-NOT:     tensor.pad
// CHECK:         %[[EMPTY:.*]] = tensor.empty() : tensor<2x4x4x4xf32>
// CHECK:         %[[FILL:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[EMPTY]] : tensor<2x4x4x4xf32>)
// CHECK:         linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME:      ins(%[[X]], %[[W]] : tensor<2x3x9x9xf32>, tensor<4x3x3x3xf32>) outs(%[[FILL]] : tensor<2x4x4x4xf32>)
func.func @conv_stride(%x: tensor<2x3x9x9xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<2x4x4x4xf32> {
  %0 = dnn.conv2d %x, %w stride [2, 2] padding [0, 0] : tensor<2x3x9x9xf32>, tensor<4x3x3x3xf32>
  return %0 : tensor<2x4x4x4xf32>
}

// -----

// CHECK-LABEL: func.func @conv_asymmetric(
// CHECK:         tensor.pad %{{.*}} low[0, 0, 1, 0] high[0, 0, 1, 0]
// CHECK:         } : tensor<1x1x5x5xf32> to tensor<1x1x7x5xf32>
// CHECK:         linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<[1, 2]> : tensor<2xi64>}
// CHECK-SAME:      outs(%{{.*}} : tensor<1x1x5x2xf32>)
func.func @conv_asymmetric(%x: tensor<1x1x5x5xf32>, %w: tensor<1x1x3x3xf32>) -> tensor<1x1x5x2xf32> {
  %0 = dnn.conv2d %x, %w stride [1, 2] padding [1, 0] : tensor<1x1x5x5xf32>, tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x5x2xf32>
}

// -----

// Max pooling: linalg.pooling_nchw_max over a window-shaped empty tensor,
// accumulating from -inf.
// CHECK-LABEL: func.func @maxpool(
// CHECK-SAME:    %[[X:.*]]: tensor<?x6x28x28xf32>)
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-NOT:     tensor.pad
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x6x28x28xf32>
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x6x14x14xf32>
// CHECK:         %[[FILL:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%[[EMPTY]] : tensor<?x6x14x14xf32>)
// CHECK:         %[[WINDOW:.*]] = tensor.empty() : tensor<2x2xf32>
// CHECK:         %[[R:.*]] = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME:      ins(%[[X]], %[[WINDOW]] : tensor<?x6x28x28xf32>, tensor<2x2xf32>) outs(%[[FILL]] : tensor<?x6x14x14xf32>)
// CHECK:         return %[[R]]
func.func @maxpool(%x: tensor<?x6x28x28xf32>) -> tensor<?x6x14x14xf32> {
  %0 = dnn.maxpool2d %x size [2, 2] stride [2, 2] padding [0, 0] : tensor<?x6x28x28xf32>
  return %0 : tensor<?x6x14x14xf32>
}

// -----

// Max pooling pads with -inf, so that padding never wins.
// CHECK-LABEL: func.func @maxpool_padding(
// CHECK-SAME:    %[[X:.*]]: tensor<1x1x4x4xf32>)
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[PAD:.*]] = tensor.pad %[[X]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:           tensor.yield %[[NEGINF]] : f32
// CHECK:         } : tensor<1x1x4x4xf32> to tensor<1x1x6x6xf32>
// CHECK:         linalg.pooling_nchw_max
// CHECK-SAME:      ins(%[[PAD]], %{{.*}} : tensor<1x1x6x6xf32>, tensor<2x2xf32>)
func.func @maxpool_padding(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x3x3xf32> {
  %0 = dnn.maxpool2d %x size [2, 2] stride [2, 2] padding [1, 1] : tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x3x3xf32>
}

// -----

// Average pooling: zero padding that counts in the mean, pooling_nchw_sum,
// then a division by the window size (3 * 3).
// CHECK-LABEL: func.func @avgpool(
// CHECK-SAME:    %[[X:.*]]: tensor<1x2x6x6xf32>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[PAD:.*]] = tensor.pad %[[X]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:           tensor.yield %[[ZERO]] : f32
// CHECK:         %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<1x2x3x3xf32>)
// CHECK:         %[[WINDOW:.*]] = tensor.empty() : tensor<3x3xf32>
// CHECK:         %[[SUM:.*]] = linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME:      ins(%[[PAD]], %[[WINDOW]] : tensor<1x2x8x8xf32>, tensor<3x3xf32>) outs(%[[FILL]] : tensor<1x2x3x3xf32>)
// CHECK:         %[[COUNT:.*]] = arith.constant 9.000000e+00 : f32
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<1x2x3x3xf32>)
// CHECK:           arith.divf %{{.*}}, %[[COUNT]] : f32
// CHECK:         return %[[R]]
// CHECK-NOT:     linalg.pooling_nchw_max
func.func @avgpool(%x: tensor<1x2x6x6xf32>) -> tensor<1x2x3x3xf32> {
  %0 = dnn.avgpool2d %x size [3, 3] stride [2, 2] padding [1, 1] : tensor<1x2x6x6xf32>
  return %0 : tensor<1x2x3x3xf32>
}
