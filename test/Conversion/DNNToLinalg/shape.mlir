// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' | FileCheck %s

// reshape builds the target shape as an index tensor; the -1 entry is the
// element count divided by the product of the known sizes.
// CHECK-LABEL: func.func @reshape_inferred_dim(
// CHECK-SAME:    %[[X:.*]]: tensor<?x784xf32>)
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C28:.*]] = arith.constant 28 : index
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x784xf32>
// CHECK:         %[[T0:.*]] = arith.muli %{{.*}}, %[[N]] : index
// CHECK:         %[[TOTAL:.*]] = arith.muli %[[T0]], %{{.*}} : index
// CHECK:         %[[KNOWN:.*]] = arith.constant 784 : index
// CHECK:         %[[INFERRED:.*]] = arith.divui %[[TOTAL]], %[[KNOWN]] : index
// CHECK:         %[[SHAPE:.*]] = tensor.from_elements %[[INFERRED]], %[[C1]], %[[C28]], %{{.*}} : tensor<4xindex>
// CHECK:         %[[R:.*]] = tensor.reshape %[[X]](%[[SHAPE]]) : (tensor<?x784xf32>, tensor<4xindex>) -> tensor<?x1x28x28xf32>
// CHECK:         return %[[R]]
func.func @reshape_inferred_dim(%x: tensor<?x784xf32>) -> tensor<?x1x28x28xf32> {
  %0 = dnn.reshape %x to [-1, 1, 28, 28] : tensor<?x784xf32>
  return %0 : tensor<?x1x28x28xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_static(
// CHECK-SAME:    %[[X:.*]]: tensor<3x4xf32>)
// CHECK-DAG:     %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG:     %[[C6:.*]] = arith.constant 6 : index
// CHECK:         %[[SHAPE:.*]] = tensor.from_elements %[[C2]], %[[C6]] : tensor<2xindex>
// CHECK:         tensor.reshape %[[X]](%[[SHAPE]]) : (tensor<3x4xf32>, tensor<2xindex>) -> tensor<2x6xf32>
func.func @reshape_static(%x: tensor<3x4xf32>) -> tensor<2x6xf32> {
  %0 = dnn.reshape %x to [2, 6] : tensor<3x4xf32>
  return %0 : tensor<2x6xf32>
}

// -----

// Reshaping to a scalar collapses every dim.
// CHECK-LABEL: func.func @reshape_to_scalar(
// CHECK-SAME:    %[[X:.*]]: tensor<1x1xf32>)
// CHECK-NEXT:    %[[R:.*]] = tensor.collapse_shape %[[X]] [] : tensor<1x1xf32> into tensor<f32>
// CHECK-NEXT:    return %[[R]]
func.func @reshape_to_scalar(%x: tensor<1x1xf32>) -> tensor<f32> {
  %0 = dnn.reshape %x to [] : tensor<1x1xf32>
  return %0 : tensor<f32>
}

// -----

// flatten collapses all dims but the first.
// CHECK-LABEL: func.func @flatten(
// CHECK-SAME:    %[[X:.*]]: tensor<?x16x5x5xf32>)
// CHECK-NEXT:    %[[R:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0], [1, 2, 3]] : tensor<?x16x5x5xf32> into tensor<?x400xf32>
// CHECK-NEXT:    return %[[R]]
func.func @flatten(%x: tensor<?x16x5x5xf32>) -> tensor<?x400xf32> {
  %0 = dnn.flatten %x : tensor<?x16x5x5xf32>
  return %0 : tensor<?x400xf32>
}

// -----

// Flattening a rank-2 tensor is the identity.
// CHECK-LABEL: func.func @flatten_rank2(
// CHECK-SAME:    %[[X:.*]]: tensor<?x7xf32>)
// CHECK-NEXT:    return %[[X]]
func.func @flatten_rank2(%x: tensor<?x7xf32>) -> tensor<?x7xf32> {
  %0 = dnn.flatten %x : tensor<?x7xf32>
  return %0 : tensor<?x7xf32>
}

// -----

// transpose is linalg.transpose; the dynamic result dim comes from the input
// dim that the permutation moves there.
// CHECK-LABEL: func.func @transpose(
// CHECK-SAME:    %[[X:.*]]: tensor<?x3x5xf32>)
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %[[C0]] : tensor<?x3x5xf32>
// CHECK:         %[[INIT:.*]] = tensor.empty(%[[N]]) : tensor<5x?x3xf32>
// CHECK:         %[[R:.*]] = linalg.transpose ins(%[[X]] : tensor<?x3x5xf32>) outs(%[[INIT]] : tensor<5x?x3xf32>) permutation = [2, 0, 1]
// CHECK:         return %[[R]]
func.func @transpose(%x: tensor<?x3x5xf32>) -> tensor<5x?x3xf32> {
  %0 = dnn.transpose %x perm [2, 0, 1] : tensor<?x3x5xf32>
  return %0 : tensor<5x?x3xf32>
}

// -----

// concat inserts each input into an empty result at its running offset.
// CHECK-LABEL: func.func @concat_static_axis(
// CHECK-SAME:    %[[A:.*]]: tensor<?x3xf32>, %[[B:.*]]: tensor<?x5xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x3xf32>
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x8xf32>
// CHECK:         %[[NA:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x3xf32>
// CHECK:         %[[R0:.*]] = tensor.insert_slice %[[A]] into %[[EMPTY]][0, 0] [%[[NA]], 3] [1, 1] : tensor<?x3xf32> into tensor<?x8xf32>
// CHECK:         %[[NB:.*]] = tensor.dim %[[B]], %{{.*}} : tensor<?x5xf32>
// CHECK:         %[[R1:.*]] = tensor.insert_slice %[[B]] into %[[R0]][0, 3] [%[[NB]], 5] [1, 1] : tensor<?x5xf32> into tensor<?x8xf32>
// CHECK:         return %[[R1]]
func.func @concat_static_axis(%a: tensor<?x3xf32>, %b: tensor<?x5xf32>) -> tensor<?x8xf32> {
  %0 = dnn.concat %a, %b axis 1 : tensor<?x3xf32>, tensor<?x5xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @concat_three(
// CHECK-SAME:    %[[A:.*]]: tensor<2x3xi32>, %[[B:.*]]: tensor<4x3xi32>, %[[C:.*]]: tensor<1x3xi32>)
// CHECK:         %[[EMPTY:.*]] = tensor.empty() : tensor<7x3xi32>
// CHECK:         %[[R0:.*]] = tensor.insert_slice %[[A]] into %[[EMPTY]][0, 0] [2, 3] [1, 1]
// CHECK:         %[[R1:.*]] = tensor.insert_slice %[[B]] into %[[R0]][2, 0] [4, 3] [1, 1]
// CHECK:         %[[R2:.*]] = tensor.insert_slice %[[C]] into %[[R1]][6, 0] [1, 3] [1, 1]
// CHECK:         return %[[R2]]
func.func @concat_three(%a: tensor<2x3xi32>, %b: tensor<4x3xi32>, %c: tensor<1x3xi32>) -> tensor<7x3xi32> {
  %0 = dnn.concat %a, %b, %c axis 0 : tensor<2x3xi32>, tensor<4x3xi32>, tensor<1x3xi32>
  return %0 : tensor<7x3xi32>
}
