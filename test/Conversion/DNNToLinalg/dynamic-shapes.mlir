// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' | FileCheck %s

// Every `?` of a result is sized with tensor.dim on an operand that has that
// dimension unbroadcast, so one lowering serves every batch size.

// The dynamic size comes from the second operand when the first one is
// broadcast along it.
// CHECK-DAG: #[[$ROW0:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @size_from_second_operand(
// CHECK-SAME:    %[[A:.*]]: tensor<1x4xf32>, %[[B:.*]]: tensor<?x4xf32>)
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         %[[N:.*]] = tensor.dim %[[B]], %[[C0]] : tensor<?x4xf32>
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[$ROW0]], #[[$ID]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      outs(%[[EMPTY]] : tensor<?x4xf32>)
func.func @size_from_second_operand(%a: tensor<1x4xf32>, %b: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = dnn.add %a, %b : tensor<1x4xf32>, tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// An outer product: each dynamic dim from a different operand.
// CHECK-LABEL: func.func @outer_product(
// CHECK-SAME:    %[[A:.*]]: tensor<?x1xf32>, %[[B:.*]]: tensor<?xf32>)
// CHECK:         %[[M:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x1xf32>
// CHECK:         %[[N:.*]] = tensor.dim %[[B]], %{{.*}} : tensor<?xf32>
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%[[M]], %[[N]]) : tensor<?x?xf32>
// CHECK:         linalg.generic {{.*}} outs(%[[EMPTY]] : tensor<?x?xf32>)
func.func @outer_product(%a: tensor<?x1xf32>, %b: tensor<?xf32>) -> tensor<?x?xf32> {
  %0 = dnn.mul %a, %b : tensor<?x1xf32>, tensor<?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// matmul: rows from dim 0 of the lhs, columns from dim 1 of the rhs.
// CHECK-LABEL: func.func @matmul_all_dynamic(
// CHECK-SAME:    %[[A:.*]]: tensor<?x?xf32>, %[[B:.*]]: tensor<?x?xf32>)
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         %[[M:.*]] = tensor.dim %[[A]], %[[C0]] : tensor<?x?xf32>
// CHECK:         %[[C1:.*]] = arith.constant 1 : index
// CHECK:         %[[N:.*]] = tensor.dim %[[B]], %[[C1]] : tensor<?x?xf32>
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%[[M]], %[[N]]) : tensor<?x?xf32>
// CHECK:         %[[FILL:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[EMPTY]] : tensor<?x?xf32>)
// CHECK:         linalg.matmul ins(%[[A]], %[[B]] : tensor<?x?xf32>, tensor<?x?xf32>) outs(%[[FILL]] : tensor<?x?xf32>)
func.func @matmul_all_dynamic(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %0 = dnn.matmul %a, %b : tensor<?x?xf32>, tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// A reduction keeps the dynamic sizes of the axes it does not reduce.
// CHECK-LABEL: func.func @reduce_keeps_dynamic_dims(
// CHECK-SAME:    %[[A:.*]]: tensor<?x?x8xf32>)
// CHECK:         %[[D0:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x?x8xf32>
// CHECK:         %[[D1:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x?x8xf32>
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%[[D0]], %[[D1]]) : tensor<?x?xf32>
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%[[EMPTY]] : tensor<?x?xf32>)
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
func.func @reduce_keeps_dynamic_dims(%a: tensor<?x?x8xf32>) -> tensor<?x?xf32> {
  %0 = dnn.sum %a axes [2] : tensor<?x?x8xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// The mean over a dynamic axis counts it with tensor.dim; keepdims sizes
// the expanded result from the reduced tensor.
// CHECK-LABEL: func.func @mean_dynamic_axis_keepdims(
// CHECK-SAME:    %[[A:.*]]: tensor<?x?xf32>)
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:         %[[C1:.*]] = arith.constant 1 : index
// CHECK:         %[[K:.*]] = tensor.dim %[[A]], %[[C1]] : tensor<?x?xf32>
// CHECK:         %[[COUNT:.*]] = arith.muli %{{.*}}, %[[K]] : index
// CHECK:         %[[I:.*]] = arith.index_cast %[[COUNT]] : index to i64
// CHECK:         %[[F:.*]] = arith.sitofp %[[I]] : i64 to f32
// CHECK:         %[[MEAN:.*]] = linalg.generic
// CHECK:           arith.divf %{{.*}}, %[[F]] : f32
// CHECK:         %[[N:.*]] = tensor.dim %[[MEAN]], %{{.*}} : tensor<?xf32>
// CHECK:         tensor.expand_shape %[[MEAN]] {{\[\[}}0, 1]] output_shape [%[[N]], 1] : tensor<?xf32> into tensor<?x1xf32>
func.func @mean_dynamic_axis_keepdims(%a: tensor<?x?xf32>) -> tensor<?x1xf32> {
  %0 = dnn.mean %a axes [1] keepdims : tensor<?x?xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// reshape to [-1] multiplies every dynamic dim.
// CHECK-LABEL: func.func @reshape_all_dynamic(
// CHECK-SAME:    %[[A:.*]]: tensor<?x?xf32>)
// CHECK:         %[[D0:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x?xf32>
// CHECK:         %[[P0:.*]] = arith.muli %{{.*}}, %[[D0]] : index
// CHECK:         %[[D1:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x?xf32>
// CHECK:         %[[P1:.*]] = arith.muli %[[P0]], %[[D1]] : index
// CHECK:         %[[SIZE:.*]] = arith.divui %[[P1]], %{{.*}} : index
// CHECK:         %[[SHAPE:.*]] = tensor.from_elements %[[SIZE]] : tensor<1xindex>
// CHECK:         tensor.reshape %[[A]](%[[SHAPE]]) : (tensor<?x?xf32>, tensor<1xindex>) -> tensor<?xf32>
func.func @reshape_all_dynamic(%a: tensor<?x?xf32>) -> tensor<?xf32> {
  %0 = dnn.reshape %a to [-1] : tensor<?x?xf32>
  return %0 : tensor<?xf32>
}

// -----

// Pooling a dynamic batch.
// CHECK-LABEL: func.func @avgpool_dynamic_batch(
// CHECK-SAME:    %[[X:.*]]: tensor<?x3x5x5xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x3x5x5xf32>
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x3x2x2xf32>
// CHECK:         linalg.pooling_nchw_sum
// CHECK-SAME:      outs(%{{.*}} : tensor<?x3x2x2xf32>)
// CHECK:         %[[M:.*]] = tensor.dim %{{.*}}, %{{.*}} : tensor<?x3x2x2xf32>
// CHECK:         tensor.empty(%[[M]]) : tensor<?x3x2x2xf32>
// CHECK:         arith.divf
func.func @avgpool_dynamic_batch(%x: tensor<?x3x5x5xf32>) -> tensor<?x3x2x2xf32> {
  %0 = dnn.avgpool2d %x size [2, 2] stride [2, 2] padding [0, 0] : tensor<?x3x5x5xf32>
  return %0 : tensor<?x3x2x2xf32>
}

// -----

// Windows that tile a dynamic batch: the strided planes and their result
// take the batch from tensor.dim.
// CHECK-LABEL: func.func @avgpool_tiled_dynamic_batch(
// CHECK-SAME:    %[[X:.*]]: tensor<?x3x4x4xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x3x4x4xf32>
// CHECK:         tensor.extract_slice %[[X]][0, 0, 0, 0] [%[[N]], 3, 2, 2] [1, 1, 2, 2]
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x3x2x2xf32>
// CHECK:         linalg.generic
// CHECK-SAME:      outs(%[[EMPTY]] : tensor<?x3x2x2xf32>)
func.func @avgpool_tiled_dynamic_batch(%x: tensor<?x3x4x4xf32>) -> tensor<?x3x2x2xf32> {
  %0 = dnn.avgpool2d %x size [2, 2] stride [2, 2] padding [0, 0] : tensor<?x3x4x4xf32>
  return %0 : tensor<?x3x2x2xf32>
}
