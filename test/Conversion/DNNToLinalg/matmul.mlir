// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' | FileCheck %s

// 2-D operands: linalg.matmul into a zero-filled accumulator whose dynamic
// row count comes from the lhs.
// CHECK-LABEL: func.func @matmul_2d(
// CHECK-SAME:    %[[A:.*]]: tensor<?x784xf32>, %[[B:.*]]: tensor<784x10xf32>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[N:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x784xf32>
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x10xf32>
// CHECK:         %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<?x10xf32>)
// CHECK:         %[[R:.*]] = linalg.matmul ins(%[[A]], %[[B]] : tensor<?x784xf32>, tensor<784x10xf32>) outs(%[[FILL]] : tensor<?x10xf32>) -> tensor<?x10xf32>
// CHECK:         return %[[R]]
func.func @matmul_2d(%a: tensor<?x784xf32>, %b: tensor<784x10xf32>) -> tensor<?x10xf32> {
  %0 = dnn.matmul %a, %b : tensor<?x784xf32>, tensor<784x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// 3-D operands with the same batch size: linalg.batch_matmul.
// CHECK-LABEL: func.func @batch_matmul(
// CHECK-SAME:    %[[A:.*]]: tensor<4x3x5xf64>, %[[B:.*]]: tensor<4x5x2xf64>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f64
// CHECK:         %[[EMPTY:.*]] = tensor.empty() : tensor<4x3x2xf64>
// CHECK:         %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : f64) outs(%[[EMPTY]] : tensor<4x3x2xf64>)
// CHECK:         linalg.batch_matmul ins(%[[A]], %[[B]] : tensor<4x3x5xf64>, tensor<4x5x2xf64>) outs(%[[FILL]] : tensor<4x3x2xf64>)
// CHECK-NOT:     linalg.generic
func.func @batch_matmul(%a: tensor<4x3x5xf64>, %b: tensor<4x5x2xf64>) -> tensor<4x3x2xf64> {
  %0 = dnn.matmul %a, %b : tensor<4x3x5xf64>, tensor<4x5x2xf64>
  return %0 : tensor<4x3x2xf64>
}

// -----

// A dynamic batch that both operands share is still a batch_matmul.
// CHECK-LABEL: func.func @batch_matmul_dynamic(
// CHECK-SAME:    %[[A:.*]]: tensor<?x3x5xf32>, %[[B:.*]]: tensor<?x5x2xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x3x5xf32>
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x3x2xf32>
// CHECK:         linalg.batch_matmul ins(%[[A]], %[[B]] : tensor<?x3x5xf32>, tensor<?x5x2xf32>)
func.func @batch_matmul_dynamic(%a: tensor<?x3x5xf32>, %b: tensor<?x5x2xf32>) -> tensor<?x3x2xf32> {
  %0 = dnn.matmul %a, %b : tensor<?x3x5xf32>, tensor<?x5x2xf32>
  return %0 : tensor<?x3x2xf32>
}

// -----

// A 2-D rhs broadcast over the lhs batch: a generic over (b, m, n, k) with k
// the reduction; the rhs map has no batch dim.
// CHECK-DAG: #[[$LHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[$RHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @broadcast_rhs(
// CHECK-SAME:    %[[A:.*]]: tensor<?x3x5xf32>, %[[B:.*]]: tensor<5x2xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x3x5xf32>
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x3x2xf32>
// CHECK:         %[[FILL:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[EMPTY]] : tensor<?x3x2xf32>)
// CHECK:         linalg.generic {indexing_maps = [#[[$LHS]], #[[$RHS]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME:      ins(%[[A]], %[[B]] : tensor<?x3x5xf32>, tensor<5x2xf32>) outs(%[[FILL]] : tensor<?x3x2xf32>)
// CHECK:         ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[P:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT:      linalg.yield %[[S]] : f32
// CHECK-NOT:     linalg.batch_matmul
func.func @broadcast_rhs(%a: tensor<?x3x5xf32>, %b: tensor<5x2xf32>) -> tensor<?x3x2xf32> {
  %0 = dnn.matmul %a, %b : tensor<?x3x5xf32>, tensor<5x2xf32>
  return %0 : tensor<?x3x2xf32>
}

// -----

// A batch of 1 stretches: the lhs reads batch index 0.
// CHECK-DAG: #[[$LHS:.*]] = affine_map<(d0, d1, d2, d3) -> (0, d1, d3)>
// CHECK-DAG: #[[$RHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @broadcast_unit_batch(
// CHECK:         linalg.generic {indexing_maps = [#[[$LHS]], #[[$RHS]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME:      outs(%{{.*}} : tensor<4x3x2xf32>)
// CHECK-NOT:     linalg.batch_matmul
func.func @broadcast_unit_batch(%a: tensor<1x3x5xf32>, %b: tensor<4x5x2xf32>) -> tensor<4x3x2xf32> {
  %0 = dnn.matmul %a, %b : tensor<1x3x5xf32>, tensor<4x5x2xf32>
  return %0 : tensor<4x3x2xf32>
}

// -----

// Batch dims align on the right and broadcast both ways: [2,1] x [7] -> [2,7].
// CHECK-DAG: #[[$LHS:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d2, d4)>
// CHECK-DAG: #[[$RHS:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4, d3)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @broadcast_4d(
// CHECK:         tensor.empty() : tensor<2x7x3x2xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[$LHS]], #[[$RHS]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
func.func @broadcast_4d(%a: tensor<2x1x3x5xf32>, %b: tensor<7x5x2xf32>) -> tensor<2x7x3x2xf32> {
  %0 = dnn.matmul %a, %b : tensor<2x1x3x5xf32>, tensor<7x5x2xf32>
  return %0 : tensor<2x7x3x2xf32>
}

// -----

// A transposed lhs (the x^T of a weight gradient x^T @ dy) is read in place
// through the matmul's lhs map, not materialized by linalg.transpose; a
// transposed rhs still is.
// CHECK-DAG:   #[[$LHS:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG:   #[[$RHS:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG:   #[[$OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @transposed_lhs(
// CHECK-SAME:    %[[X:.*]]: tensor<?x784xf32>, %[[DY:.*]]: tensor<?x512xf32>)
// CHECK-NOT:     linalg.transpose
// CHECK:         linalg.matmul indexing_maps = [#[[$LHS]], #[[$RHS]], #[[$OUT]]] ins(%[[X]], %[[DY]] : tensor<?x784xf32>, tensor<?x512xf32>) outs(%{{.*}} : tensor<784x512xf32>)
func.func @transposed_lhs(%x: tensor<?x784xf32>, %dy: tensor<?x512xf32>) -> tensor<784x512xf32> {
  %xt = dnn.transpose %x perm [1, 0] : tensor<?x784xf32>
  %0 = dnn.matmul %xt, %dy : tensor<784x?xf32>, tensor<?x512xf32>
  return %0 : tensor<784x512xf32>
}

// CHECK-LABEL: func.func @transposed_rhs(
// CHECK:         linalg.transpose
// CHECK:         linalg.matmul ins(
func.func @transposed_rhs(%dy: tensor<?x10xf32>, %w: tensor<256x10xf32>) -> tensor<?x256xf32> {
  %wt = dnn.transpose %w perm [1, 0] : tensor<256x10xf32>
  %0 = dnn.matmul %dy, %wt : tensor<?x10xf32>, tensor<10x256xf32>
  return %0 : tensor<?x256xf32>
}
