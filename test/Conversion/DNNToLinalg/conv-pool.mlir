// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg{convolutions=im2col}))' | FileCheck %s

// conv2d as one matmul over im2col columns (convolutions=im2col; the default
// picks per convolution, conv-algorithm.mlir): zero-pad H and W with
// tensor.pad; for each of the KH x KW window offsets, copy a strided window
// of x (n and c swapped) into its plane of the columns
// [C, KH, KW, N, OH, OW]; then w [F, C*KH*KW] @ columns [C*KH*KW, N*OH*OW],
// and one generic that puts N first again and adds the bias.
// CHECK-DAG: #[[$SWAP:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d0, d2, d3)>
// CHECK-DAG: #[[$BIAS:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func.func @conv_bias_padding(
// CHECK-SAME:    %[[X:.*]]: tensor<?x1x28x28xf32>, %[[W:.*]]: tensor<6x1x5x5xf32>, %[[B:.*]]: tensor<6xf32>)
// CHECK:         %[[PAD:.*]] = tensor.pad %[[X]] low[0, 0, 2, 2] high[0, 0, 2, 2]
// CHECK:         } : tensor<?x1x28x28xf32> to tensor<?x1x32x32xf32>
// CHECK:         tensor.empty(%{{.*}}) : tensor<1x5x5x?x28x28xf32>
// CHECK-COUNT-25: linalg.transpose ins(%{{.*}} : tensor<?x1x28x28xf32>) outs(%{{.*}} : tensor<1x?x28x28xf32>) permutation = [1, 0, 2, 3]
// CHECK:         %[[COLS:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2], [3, 4, 5]] : tensor<1x5x5x?x28x28xf32> into tensor<25x?xf32>
// CHECK:         %[[WM:.*]] = tensor.collapse_shape %[[W]] {{\[\[}}0], [1, 2, 3]] : tensor<6x1x5x5xf32> into tensor<6x25xf32>
// CHECK:         %[[P:.*]] = linalg.matmul ins(%[[WM]], %[[COLS]] : tensor<6x25xf32>, tensor<25x?xf32>)
// CHECK:         %[[E:.*]] = tensor.expand_shape %[[P]] {{\[\[}}0], [1, 2, 3]] {{.*}} : tensor<6x?xf32> into tensor<6x?x28x28xf32>
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [#[[$SWAP]], #[[$BIAS]], #{{.*}}]
// CHECK-SAME:      ins(%[[E]], %[[B]] : tensor<6x?x28x28xf32>, tensor<6xf32>)
// CHECK:           arith.addf
// CHECK:         return %[[R]]
func.func @conv_bias_padding(%x: tensor<?x1x28x28xf32>, %w: tensor<6x1x5x5xf32>, %b: tensor<6xf32>) -> tensor<?x6x28x28xf32> {
  %0 = dnn.conv2d %x, %w, %b stride [1, 1] padding [2, 2] : tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>
  return %0 : tensor<?x6x28x28xf32>
}

// -----

// Without bias or padding, at a static batch: no tensor.pad, windows of x
// read with the stride, static column and product shapes.
// CHECK-LABEL: func.func @conv_stride(
// CHECK-SAME:    %[[X:.*]]: tensor<2x3x9x9xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>)
// CHECK-NOT:     tensor.pad
// CHECK:         tensor.extract_slice %[[X]][0, 0, 0, 0] [2, 3, 4, 4] [1, 1, 2, 2]
// CHECK:         tensor.extract_slice %[[X]][0, 0, 2, 2] [2, 3, 4, 4] [1, 1, 2, 2]
// CHECK:         tensor.collapse_shape {{.*}} into tensor<27x32xf32>
// CHECK:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x27xf32>, tensor<27x32xf32>) outs(%{{.*}} : tensor<4x32xf32>)
// CHECK:         tensor.expand_shape {{.*}} into tensor<4x2x4x4xf32>
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%{{.*}} : tensor<4x2x4x4xf32>) outs(%{{.*}} : tensor<2x4x4x4xf32>)
func.func @conv_stride(%x: tensor<2x3x9x9xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<2x4x4x4xf32> {
  %0 = dnn.conv2d %x, %w stride [2, 2] padding [0, 0] : tensor<2x3x9x9xf32>, tensor<4x3x3x3xf32>
  return %0 : tensor<2x4x4x4xf32>
}

// -----

// Padding and stride per dimension.
// CHECK-LABEL: func.func @conv_asymmetric(
// CHECK:         tensor.pad %{{.*}} low[0, 0, 1, 0] high[0, 0, 1, 0]
// CHECK:         } : tensor<1x1x5x5xf32> to tensor<1x1x7x5xf32>
// CHECK:         tensor.extract_slice %{{.*}}[0, 0, 2, 2] [1, 1, 5, 2] [1, 1, 1, 2]
// CHECK:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<1x9xf32>, tensor<9x10xf32>)
// CHECK:         linalg.generic
// CHECK-SAME:      outs(%{{.*}} : tensor<1x1x5x2xf32>)
func.func @conv_asymmetric(%x: tensor<1x1x5x5xf32>, %w: tensor<1x1x3x3xf32>) -> tensor<1x1x5x2xf32> {
  %0 = dnn.conv2d %x, %w stride [1, 2] padding [1, 0] : tensor<1x1x5x5xf32>, tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x5x2xf32>
}

// -----

// Max pooling over overlapping windows: linalg.pooling_nchw_max over a
// window-shaped empty tensor, accumulating from -inf. (Windows that tile the
// input read strided planes instead: pool-windows.mlir.)
// CHECK-LABEL: func.func @maxpool(
// CHECK-SAME:    %[[X:.*]]: tensor<?x6x29x29xf32>)
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-NOT:     tensor.pad
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x6x29x29xf32>
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x6x14x14xf32>
// CHECK:         %[[FILL:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%[[EMPTY]] : tensor<?x6x14x14xf32>)
// CHECK:         %[[WINDOW:.*]] = tensor.empty() : tensor<3x3xf32>
// CHECK:         %[[R:.*]] = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME:      ins(%[[X]], %[[WINDOW]] : tensor<?x6x29x29xf32>, tensor<3x3xf32>) outs(%[[FILL]] : tensor<?x6x14x14xf32>)
// CHECK:         return %[[R]]
func.func @maxpool(%x: tensor<?x6x29x29xf32>) -> tensor<?x6x14x14xf32> {
  %0 = dnn.maxpool2d %x size [3, 3] stride [2, 2] padding [0, 0] : tensor<?x6x29x29xf32>
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
