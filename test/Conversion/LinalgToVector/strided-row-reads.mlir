// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(dnn-tile-and-vectorize{vector-width=16}),canonicalize,cse)' | FileCheck %s

// The planes (kh, 0) and (kh, 1) of 2x2 pooling windows: each output row
// reads its input row once, contiguously (the 28 elements of the two
// windows' columns), and takes the even and the odd lanes with a shuffle;
// no element-by-element strided reads remain.
// CHECK-LABEL: func.func @pooling_planes(
// CHECK-SAME:    %[[X:.*]]: tensor<?x6x28x28xf32>
// CHECK:         scf.forall (%[[N:.*]], %[[C:.*]], %[[OH:.*]]) in
// CHECK:           %[[ROW:.*]] = affine.apply #{{.*}}()[%[[OH]]]
// CHECK:           %[[SPAN:.*]] = vector.transfer_read %[[X]][%[[N]], %[[C]], %[[ROW]], %c0]{{.*}} : tensor<?x6x28x28xf32>, vector<1x1x1x28xf32>
// CHECK-NOT:       vector.transfer_read
// CHECK:           %[[FLAT:.*]] = vector.shape_cast %[[SPAN]] : vector<1x1x1x28xf32> to vector<28xf32>
// CHECK:           vector.shuffle %[[FLAT]], %[[FLAT]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26]
// CHECK:           vector.shuffle %[[FLAT]], %[[FLAT]] [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27]
// CHECK:           arith.maximumf {{.*}} : vector<1x1x1x14xf32>
func.func @pooling_planes(%x: tensor<?x6x28x28xf32>, %n: index) -> tensor<?x6x14x14xf32> {
  %a = tensor.extract_slice %x[0, 0, 0, 0] [%n, 6, 14, 14] [1, 1, 2, 2] : tensor<?x6x28x28xf32> to tensor<?x6x14x14xf32>
  %b = tensor.extract_slice %x[0, 0, 0, 1] [%n, 6, 14, 14] [1, 1, 2, 2] : tensor<?x6x28x28xf32> to tensor<?x6x14x14xf32>
  %e = tensor.empty(%n) : tensor<?x6x14x14xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%a, %b : tensor<?x6x14x14xf32>, tensor<?x6x14x14xf32>) outs(%e : tensor<?x6x14x14xf32>) {
  ^bb0(%i: f32, %j: f32, %o: f32):
    %m = arith.maximumf %i, %j : f32
    linalg.yield %m : f32
  } -> tensor<?x6x14x14xf32>
  return %r : tensor<?x6x14x14xf32>
}

// -----

// When the stride-aligned span would run past the end of the row (columns 1
// and 4 of a row of 5, stride 3), the span starts at the row's first element
// and ends at its last (4 elements), and the shuffle takes lanes 0 and 3.
// CHECK-LABEL: func.func @span_at_the_end(
// CHECK-SAME:    %[[X:.*]]: tensor<2x5xf32>
// CHECK:         %[[SPAN:.*]] = vector.transfer_read %[[X]][%{{.*}}, %c1]{{.*}} : tensor<2x5xf32>, vector<1x4xf32>
// CHECK:         %[[FLAT:.*]] = vector.shape_cast %[[SPAN]] : vector<1x4xf32> to vector<4xf32>
// CHECK:         vector.shuffle %[[FLAT]], %[[FLAT]] [0, 3] : vector<4xf32>, vector<4xf32>
func.func @span_at_the_end(%x: tensor<2x5xf32>) -> tensor<2x2xf32> {
  %a = tensor.extract_slice %x[0, 1] [2, 2] [1, 3] : tensor<2x5xf32> to tensor<2x2xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a, b)>], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<2x2xf32>) outs(%e : tensor<2x2xf32>) {
  ^bb0(%i: f32, %o: f32):
    %m = arith.negf %i : f32
    linalg.yield %m : f32
  } -> tensor<2x2xf32>
  return %r : tensor<2x2xf32>
}

// -----

// Contiguous rows are left alone.
// CHECK-LABEL: func.func @unit_stride(
// CHECK-NOT:     vector.shuffle
func.func @unit_stride(%x: tensor<4x32xf32>) -> tensor<4x16xf32> {
  %a = tensor.extract_slice %x[0, 3] [4, 16] [1, 1] : tensor<4x32xf32> to tensor<4x16xf32>
  %e = tensor.empty() : tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a, b)>], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%i: f32, %o: f32):
    %m = arith.negf %i : f32
    linalg.yield %m : f32
  } -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}
