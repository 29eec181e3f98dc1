// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' | FileCheck %s

// A reduction is a linalg.generic whose reduced axes are "reduction"
// iterators and whose output map drops them, into a filled accumulator.

// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @sum_middle_axis(
// CHECK-SAME:    %[[A:.*]]: tensor<?x4x5xf32>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[N:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x4x5xf32>
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x5xf32>
// CHECK:         %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<?x5xf32>)
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [#[[$IN]], #[[$OUT]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK-SAME:      ins(%[[A]] : tensor<?x4x5xf32>) outs(%[[FILL]] : tensor<?x5xf32>)
// CHECK:         ^bb0(%[[X:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[ACC]], %[[X]] : f32
// CHECK-NEXT:      linalg.yield %[[S]]
// CHECK:         return %[[R]] : tensor<?x5xf32>
func.func @sum_middle_axis(%a: tensor<?x4x5xf32>) -> tensor<?x5xf32> {
  %0 = dnn.sum %a axes [1] : tensor<?x4x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

// No axes means all axes: a 0-d result.
// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @sum_all_int(
// CHECK:         %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK:         %[[EMPTY:.*]] = tensor.empty() : tensor<i32>
// CHECK:         linalg.fill ins(%[[ZERO]] : i32) outs(%[[EMPTY]] : tensor<i32>)
// CHECK:         linalg.generic {indexing_maps = [#[[$IN]], #[[$OUT]]], iterator_types = ["reduction", "reduction"]}
// CHECK:           arith.addi %{{.*}}, %{{.*}} : i32
func.func @sum_all_int(%a: tensor<3x4xi32>) -> tensor<i32> {
  %0 = dnn.sum %a axes [] : tensor<3x4xi32>
  return %0 : tensor<i32>
}

// -----

// All axes with keepdims: a rank-0 expand_shape to 1x1.
// CHECK-LABEL: func.func @sum_all_keepdims(
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK:         %[[E:.*]] = tensor.expand_shape %[[R]] [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
// CHECK:         return %[[E]]
func.func @sum_all_keepdims(%a: tensor<3x4xf32>) -> tensor<1x1xf32> {
  %0 = dnn.sum %a axes [] keepdims : tensor<3x4xf32>
  return %0 : tensor<1x1xf32>
}

// -----

// mean = sum / count, with the count of the reduced axes (4 * 5 = 20) as a
// float; keepdims re-inserts the unit dims with tensor.expand_shape, in axis
// order whatever the order of `axes`.
// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-LABEL: func.func @mean_keepdims(
// CHECK-SAME:    %[[A:.*]]: tensor<?x4x5xf32>)
// CHECK:         %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[$IN]], #[[$OUT]]], iterator_types = ["parallel", "reduction", "reduction"]}
// CHECK:           arith.addf
// CHECK:         %[[C20:.*]] = arith.constant 20 : index
// CHECK:         %[[I:.*]] = arith.index_cast %[[C20]] : index to i64
// CHECK:         %[[COUNT:.*]] = arith.sitofp %[[I]] : i64 to f32
// CHECK:         %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<?xf32>)
// CHECK:           arith.divf %{{.*}}, %[[COUNT]] : f32
// CHECK:         %[[D:.*]] = tensor.dim %[[MEAN]], %{{.*}} : tensor<?xf32>
// CHECK:         %[[E:.*]] = tensor.expand_shape %[[MEAN]] {{\[\[}}0, 1, 2]] output_shape [%[[D]], 1, 1] : tensor<?xf32> into tensor<?x1x1xf32>
// CHECK:         return %[[E]]
func.func @mean_keepdims(%a: tensor<?x4x5xf32>) -> tensor<?x1x1xf32> {
  %0 = dnn.mean %a axes [2, 1] keepdims : tensor<?x4x5xf32>
  return %0 : tensor<?x1x1xf32>
}

// -----

// The count of a dynamic axis comes from tensor.dim.
// CHECK-LABEL: func.func @mean_dynamic_count(
// CHECK-SAME:    %[[A:.*]]: tensor<?x4xf32>)
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK:         %[[N:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x4xf32>
// CHECK:         %[[C4:.*]] = arith.constant 4 : index
// CHECK:         %[[COUNT:.*]] = arith.muli %[[C4]], %[[N]] : index
// CHECK:         %[[I:.*]] = arith.index_cast %[[COUNT]] : index to i64
// CHECK:         %[[F:.*]] = arith.sitofp %[[I]] : i64 to f32
// CHECK:         linalg.generic {{.*}} iterator_types = []} ins(%[[SUM]] : tensor<f32>)
// CHECK:           arith.divf %{{.*}}, %[[F]] : f32
func.func @mean_dynamic_count(%a: tensor<?x4xf32>) -> tensor<f32> {
  %0 = dnn.mean %a axes [0, 1] : tensor<?x4xf32>
  return %0 : tensor<f32>
}

// -----

// max starts from -inf and combines with maximumf.
// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @max_float(
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         linalg.fill ins(%[[NEGINF]] : f32)
// CHECK:         linalg.generic {indexing_maps = [#[[$IN]], #[[$OUT]]], iterator_types = ["reduction", "parallel"]}
// CHECK:         ^bb0(%[[X:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      arith.maximumf %[[ACC]], %[[X]] : f32
func.func @max_float(%a: tensor<3x4xf32>) -> tensor<4xf32> {
  %0 = dnn.max %a axes [0] : tensor<3x4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Integer max starts from INT32_MIN; keepdims of a leading axis.
// CHECK-LABEL: func.func @max_int_keepdims(
// CHECK:         %[[LOW:.*]] = arith.constant -2147483648 : i32
// CHECK:         linalg.fill ins(%[[LOW]] : i32)
// CHECK:         %[[R:.*]] = linalg.generic
// CHECK:           arith.maxsi %{{.*}}, %{{.*}} : i32
// CHECK:         tensor.expand_shape %[[R]] {{\[\[}}0, 1]] output_shape [1, 4] : tensor<4xi32> into tensor<1x4xi32>
func.func @max_int_keepdims(%a: tensor<3x4xi32>) -> tensor<1x4xi32> {
  %0 = dnn.max %a axes [0] keepdims : tensor<3x4xi32>
  return %0 : tensor<1x4xi32>
}

// -----

// min starts from +inf and combines with minimumf.
// CHECK-LABEL: func.func @min_float(
// CHECK:         %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK:         linalg.fill ins(%[[INF]] : f32)
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:           arith.minimumf %{{.*}}, %{{.*}} : f32
func.func @min_float(%a: tensor<3x4xf32>) -> tensor<3xf32> {
  %0 = dnn.min %a axes [1] : tensor<3x4xf32>
  return %0 : tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @min_int(
// CHECK:         %[[HIGH:.*]] = arith.constant 2147483647 : i32
// CHECK:         linalg.fill ins(%[[HIGH]] : i32)
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK:           arith.minsi %{{.*}}, %{{.*}} : i32
func.func @min_int(%a: tensor<3x4xi32>) -> tensor<i32> {
  %0 = dnn.min %a axes [] : tensor<3x4xi32>
  return %0 : tensor<i32>
}

// -----

// argmax reduces (value, index) pairs. An element wins if it is greater, or
// equal with a smaller index, so ties go to the first index in any loop
// order. The result is the index tensor.
// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @argmax(
// CHECK-SAME:    %[[A:.*]]: tensor<?x10xf32>)
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[VALUES:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<?xf32>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK:         %[[INDICES:.*]] = linalg.fill ins(%[[ZERO]] : i32) outs(%{{.*}} : tensor<?xi32>)
// CHECK:         %[[R:.*]]:2 = linalg.generic {indexing_maps = [#[[$IN]], #[[$OUT]], #[[$OUT]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:      ins(%[[A]] : tensor<?x10xf32>) outs(%[[VALUES]], %[[INDICES]] : tensor<?xf32>, tensor<?xi32>)
// CHECK:         ^bb0(%[[X:.*]]: f32, %[[BEST:.*]]: f32, %[[BESTI:.*]]: i32):
// CHECK-NEXT:      %[[IDX:.*]] = linalg.index 1 : index
// CHECK-NEXT:      %[[I:.*]] = arith.index_cast %[[IDX]] : index to i32
// CHECK-NEXT:      %[[GT:.*]] = arith.cmpf ogt, %[[X]], %[[BEST]] : f32
// CHECK-NEXT:      %[[EQ:.*]] = arith.cmpf oeq, %[[X]], %[[BEST]] : f32
// CHECK-NEXT:      %[[EARLIER:.*]] = arith.cmpi slt, %[[I]], %[[BESTI]] : i32
// CHECK-NEXT:      %[[TIE:.*]] = arith.andi %[[EQ]], %[[EARLIER]] : i1
// CHECK-NEXT:      %[[TAKE:.*]] = arith.ori %[[GT]], %[[TIE]] : i1
// CHECK-NEXT:      %[[V:.*]] = arith.select %[[TAKE]], %[[X]], %[[BEST]] : f32
// CHECK-NEXT:      %[[NI:.*]] = arith.select %[[TAKE]], %[[I]], %[[BESTI]] : i32
// CHECK-NEXT:      linalg.yield %[[V]], %[[NI]] : f32, i32
// CHECK:         return %[[R]]#1 : tensor<?xi32>
func.func @argmax(%a: tensor<?x10xf32>) -> tensor<?xi32> {
  %0 = dnn.argmax %a axis 1 : tensor<?x10xf32>
  return %0 : tensor<?xi32>
}

// -----

// Integer argmax compares with cmpi and starts from INT32_MIN.
// CHECK-LABEL: func.func @argmax_int_axis0(
// CHECK:         arith.constant -2147483648 : i32
// CHECK:         %[[R:.*]]:2 = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]
// CHECK:           linalg.index 0 : index
// CHECK:           arith.cmpi sgt
// CHECK:           arith.cmpi eq
// CHECK:           arith.cmpi slt
// CHECK:         return %[[R]]#1 : tensor<4xi32>
func.func @argmax_int_axis0(%a: tensor<3x4xi32>) -> tensor<4xi32> {
  %0 = dnn.argmax %a axis 0 : tensor<3x4xi32>
  return %0 : tensor<4xi32>
}

// -----

// count: the product of the reduced sizes, the dynamic batch read with
// tensor.dim, as a float scalar (batch_norm's divisor); no loop.
// CHECK-LABEL: func.func @count(
// CHECK-SAME:      %[[X:.*]]: tensor<?x4x5x5xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x4x5x5xf32>
// CHECK:         %[[C25:.*]] = arith.constant 25 : index
// CHECK:         %[[P:.*]] = arith.muli %[[C25]], %[[N]] : index
// CHECK:         %[[I:.*]] = arith.index_cast %[[P]] : index to i64
// CHECK:         %[[F:.*]] = arith.sitofp %[[I]] : i64 to f32
// CHECK:         %[[R:.*]] = tensor.from_elements %[[F]] : tensor<f32>
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[R]] : tensor<f32>
func.func @count(%x: tensor<?x4x5x5xf32>) -> tensor<f32> {
  %0 = dnn.count %x axes [0, 2, 3] : tensor<?x4x5x5xf32> -> tensor<f32>
  return %0 : tensor<f32>
}
