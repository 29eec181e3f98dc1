// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' | FileCheck %s

// one_hot: a parallel generic over [labels..., classes] that compares each
// label with the index of the new last axis.
// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @one_hot(
// CHECK-SAME:    %[[T:.*]]: tensor<?xi32>) -> tensor<?x10xf32>
// CHECK:         %[[N:.*]] = tensor.dim %[[T]], %{{.*}} : tensor<?xi32>
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x10xf32>
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [#[[$IN]], #[[$OUT]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[T]] : tensor<?xi32>) outs(%[[EMPTY]] : tensor<?x10xf32>)
// CHECK:         ^bb0(%[[L:.*]]: i32, %{{.*}}: f32):
// CHECK-NEXT:      %[[C:.*]] = linalg.index 1 : index
// CHECK-NEXT:      %[[LI:.*]] = arith.index_cast %[[L]] : i32 to index
// CHECK-NEXT:      %[[HIT:.*]] = arith.cmpi eq, %[[LI]], %[[C]] : index
// CHECK-DAG:       %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG:       %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           %[[V:.*]] = arith.select %[[HIT]], %[[ONE]], %[[ZERO]] : f32
// CHECK-NEXT:      linalg.yield %[[V]] : f32
// CHECK:         return %[[R]]
func.func @one_hot(%t: tensor<?xi32>) -> tensor<?x10xf32> {
  %0 = dnn.one_hot %t classes 10 : tensor<?xi32>
  return %0 : tensor<?x10xf32>
}

// -----

// Labels of rank 2 get a third axis.
// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @one_hot_rank2(
// CHECK:         tensor.empty() : tensor<2x3x4xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[$IN]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK:           linalg.index 2 : index
// CHECK:           arith.cmpi eq
func.func @one_hot_rank2(%t: tensor<2x3xi32>) -> tensor<2x3x4xf32> {
  %0 = dnn.one_hot %t classes 4 : tensor<2x3xi32>
  return %0 : tensor<2x3x4xf32>
}
