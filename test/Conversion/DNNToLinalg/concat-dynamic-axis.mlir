// BUG: concat along a dynamic (`?`) axis. The dnn dialect accepts it (the
// shared shape rule gives the result `?` on that axis), but ConcatOpLowering
// uses the static sizes of the axis as insert_slice offsets and as the size of
// the result, so ShapedType::kDynamic leaks into the IR and the pass produces
// an invalid tensor.insert_slice ("expected the number of 'offsets' to match
// the number of dynamic entries in 'static_offsets' (0 vs 1)"). The offsets
// and the result size along the axis should come from tensor.dim.

// RUN: dnn-opt %s --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' 2>&1 | FileCheck %s

// CHECK-NOT: error
// CHECK-LABEL: func.func @concat_dynamic_axis(
// CHECK-SAME:    %[[A:.*]]: tensor<?x3xf32>, %[[B:.*]]: tensor<?x3xf32>)
// CHECK:         tensor.dim %[[A]]
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%{{.*}}) : tensor<?x3xf32>
// CHECK:         %[[R0:.*]] = tensor.insert_slice %[[A]] into %[[EMPTY]][0, 0] [%{{.*}}, 3] [1, 1]
// CHECK:         %[[R1:.*]] = tensor.insert_slice %[[B]] into %[[R0]][%{{.*}}, 0] [%{{.*}}, 3] [1, 1]
// CHECK:         return %[[R1]]
// CHECK-NOT: error
func.func @concat_dynamic_axis(%a: tensor<?x3xf32>, %b: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = dnn.concat %a, %b axis 0 : tensor<?x3xf32>, tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
