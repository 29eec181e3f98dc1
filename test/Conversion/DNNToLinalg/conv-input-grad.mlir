// RUN: dnn-opt %s --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' | FileCheck %s

// The input gradient of a stride-2, padding-1 convolution as a matmul then
// col2im: the column gradients w^T [C*KH*KW, F] @ dy' [F, N*OH*OW] (w^T read
// in place through the lhs map, dy with F first), then, for each of the 3x3
// window offsets, one elementwise add of its plane into a strided window of
// the zero-filled, padded dx; the padding is sliced off at the end.
// CHECK-DAG: #[[$LHS_T:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-LABEL: func.func @input_grad(
// CHECK-SAME:    %[[DY:.*]]: tensor<?x2x4x4xf32>, %[[W:.*]]: tensor<2x3x3x3xf32>
// CHECK:         %[[WM:.*]] = tensor.collapse_shape %[[W]] {{\[\[}}0], [1, 2, 3]] : tensor<2x3x3x3xf32> into tensor<2x27xf32>
// CHECK:         %[[DYT:.*]] = linalg.transpose ins(%[[DY]] : tensor<?x2x4x4xf32>) {{.*}} permutation = [1, 0, 2, 3]
// CHECK:         %[[DYM:.*]] = tensor.collapse_shape %[[DYT]] {{\[\[}}0], [1, 2, 3]] : tensor<2x?x4x4xf32> into tensor<2x?xf32>
// CHECK:         %[[COLS:.*]] = linalg.matmul indexing_maps = [#[[$LHS_T]], {{.*}}] ins(%[[WM]], %[[DYM]] : tensor<2x27xf32>, tensor<2x?xf32>)
// CHECK:         %[[PLANES:.*]] = tensor.expand_shape %[[COLS]] {{.*}} into tensor<3x3x3x?x4x4xf32>
// CHECK:         %[[DXP:.*]] = linalg.fill {{.*}} -> tensor<?x3x10x10xf32>
// CHECK:         %[[WIN:.*]] = tensor.extract_slice %[[DXP]][0, 0, 0, 0] [%{{.*}}, 3, 4, 4] [1, 1, 2, 2]
// CHECK:         %[[PLANE:.*]] = tensor.extract_slice %[[PLANES]][0, 0, 0, 0, 0, 0] [3, 1, 1, %{{.*}}, 4, 4]
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[PLANE]] : tensor<3x?x4x4xf32>) outs(%[[WIN]] : tensor<?x3x4x4xf32>)
// CHECK:           arith.addf
// CHECK:         tensor.insert_slice %[[SUM]] into %[[DXP]][0, 0, 0, 0] [%{{.*}}, 3, 4, 4] [1, 1, 2, 2]
// CHECK-COUNT-8: tensor.insert_slice %{{.*}} [1, 1, 2, 2]
// CHECK:         %[[DX:.*]] = tensor.extract_slice %{{.*}}[0, 0, 1, 1] [%{{.*}}, 3, 8, 8] [1, 1, 1, 1] : tensor<?x3x10x10xf32> to tensor<?x3x8x8xf32>
// CHECK:         return %[[DX]]
func.func @input_grad(%dy: tensor<?x2x4x4xf32>, %w: tensor<2x3x3x3xf32>, %x: tensor<?x3x8x8xf32>) -> tensor<?x3x8x8xf32> {
  %0 = dnn.conv2d_input_grad %dy, %w like %x stride [2, 2] padding [1, 1] : tensor<?x2x4x4xf32>, tensor<2x3x3x3xf32>, tensor<?x3x8x8xf32> -> tensor<?x3x8x8xf32>
  return %0 : tensor<?x3x8x8xf32>
}
