// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(dnn-tile-and-vectorize{vector-width=16}),canonicalize,cse)' | FileCheck %s

// A sum over (N, H, W) per channel in the keepdims form batch_norm's
// statistics and their gradients take ([N, 1, C, 1, 1, H, W] into
// [1, C, 1, 1]): its innermost parallel dim is a unit dim, so as one op its
// tile was one scalar add chain per channel. The contiguous rows (H, W)
// become parallel partial sums over the batch: each (c, h) tile steps
// through the batch with its row accumulator in registers, loading whole
// rows of W; then each channel's partials are summed.
// CHECK-LABEL: func.func @channel_sum_of_squares(
// CHECK-SAME:    %[[X:.*]]: tensor<?x1x6x1x1x28x28xf32>, %[[INIT:.*]]: tensor<1x6x1x1xf32>)
// CHECK:         %[[ZEROS:.*]] = scf.forall (%{{.*}}, %{{.*}}) in (6, 28) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<1x6x1x1x28x28xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]]
// CHECK:         %[[PARTIAL:.*]] = scf.forall (%{{.*}}, %{{.*}}) in (6, 28) shared_outs(%{{.*}} = %[[ZEROS]]) -> (tensor<1x6x1x1x28x28xf32>)
// CHECK:           %[[ACC0:.*]] = vector.transfer_read {{.*}} : tensor<1x1x1x1x1x28xf32>, vector<1x1x1x1x1x28xf32>
// CHECK:           %[[SUM:.*]] = scf.for %{{.*}} = %{{.*}} to %[[N]] step %{{.*}} iter_args(%[[ACC:.*]] = %[[ACC0]]) -> (vector<1x1x1x1x1x28xf32>)
// CHECK:             %[[ROW:.*]] = vector.transfer_read {{.*}} : tensor<1x1x1x1x1x1x28xf32>, vector<1x1x1x1x1x1x28xf32>
// CHECK:             %[[SQ:.*]] = arith.mulf %[[ROW]], %[[ROW]]
// CHECK:             %[[SQ1:.*]] = vector.shape_cast %[[SQ]]
// CHECK:             %[[NEXT:.*]] = arith.addf %[[ACC]], %[[SQ1]] : vector<1x1x1x1x1x28xf32>
// CHECK:             scf.yield %[[NEXT]]
// CHECK:           vector.transfer_write %[[SUM]]
// CHECK:         %[[TOTAL:.*]] = scf.forall (%{{.*}}) in (6) shared_outs(%{{.*}} = %[[INIT]]) -> (tensor<1x6x1x1xf32>)
// CHECK:           tensor.extract_slice %[[PARTIAL]]
// CHECK:           vector.multi_reduction <add>, %{{.*}}, %{{.*}} [4, 5] : vector<1x1x1x1x28x28xf32> to vector<1x1x1x1xf32>
// CHECK:         return %[[TOTAL]]
#in = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3, d4, d5, d6)>
#out = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d2, d3, d4)>
func.func @channel_sum_of_squares(%x: tensor<?x1x6x1x1x28x28xf32>, %init: tensor<1x6x1x1xf32>) -> tensor<1x6x1x1xf32> {
  %0 = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["reduction", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<?x1x6x1x1x28x28xf32>) outs(%init : tensor<1x6x1x1xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %sq = arith.mulf %v, %v : f32
    %s = arith.addf %acc, %sq : f32
    linalg.yield %s : f32
  } -> tensor<1x6x1x1xf32>
  return %0 : tensor<1x6x1x1xf32>
}

// -----

// Not split: the channels as the innermost parallel dim (a convolution bias
// gradient), already a vector along them; a static batch, vectorized whole;
// a maximum, not a sum. No partials ([.., 28, 28] tensors) in any of them.
// CHECK-LABEL: func.func @along_channels(
// CHECK-NOT:     tensor<6x28x28xf32>
// CHECK:         return
#in4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#out4 = affine_map<(d0, d1, d2, d3) -> (d1)>
func.func @along_channels(%x: tensor<?x6x28x28xf32>, %init: tensor<6xf32>) -> tensor<6xf32> {
  %0 = linalg.generic {indexing_maps = [#in4, #out4], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<?x6x28x28xf32>) outs(%init : tensor<6xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// CHECK-LABEL: func.func @static_batch(
// CHECK-NOT:     tensor<1x6x1x1x28x28xf32>
// CHECK:         return
#in7 = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3, d4, d5, d6)>
#out7 = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d2, d3, d4)>
func.func @static_batch(%x: tensor<2x1x6x1x1x28x28xf32>, %init: tensor<1x6x1x1xf32>) -> tensor<1x6x1x1xf32> {
  %0 = linalg.generic {indexing_maps = [#in7, #out7], iterator_types = ["reduction", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<2x1x6x1x1x28x28xf32>) outs(%init : tensor<1x6x1x1xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<1x6x1x1xf32>
  return %0 : tensor<1x6x1x1xf32>
}

// CHECK-LABEL: func.func @channel_max(
// CHECK-NOT:     tensor<1x6x1x1x28x28xf32>
// CHECK:         return
func.func @channel_max(%x: tensor<?x1x6x1x1x28x28xf32>, %init: tensor<1x6x1x1xf32>) -> tensor<1x6x1x1xf32> {
  %0 = linalg.generic {indexing_maps = [#in7, #out7], iterator_types = ["reduction", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<?x1x6x1x1x28x28xf32>) outs(%init : tensor<1x6x1x1xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %m = arith.maximumf %acc, %v : f32
    linalg.yield %m : f32
  } -> tensor<1x6x1x1xf32>
  return %0 : tensor<1x6x1x1xf32>
}
