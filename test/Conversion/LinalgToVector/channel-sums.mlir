// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(dnn-tile-and-vectorize{vector-width=16}),canonicalize,cse)' | FileCheck %s

// A sum over (N, H, W) per channel, as batch_norm's statistics and their
// gradients take it: the contiguous rows (H, W) become parallel partial
// sums, one whole row of W per tile; each (c, h) tile steps through the
// dynamic batch with its row accumulator in registers, loading whole rows;
// then the partials of each channel are summed (a small static reduction).
// CHECK-LABEL: func.func @channel_sum_of_squares(
// CHECK-SAME:    %[[X:.*]]: tensor<?x6x28x28xf32>, %[[INIT:.*]]: tensor<6xf32>)
// CHECK:         %[[ZEROS:.*]] = scf.forall (%{{.*}}, %{{.*}}) in (6, 28) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<6x28x28xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]]
// CHECK:         %[[PARTIAL:.*]] = scf.forall (%[[C:.*]], %[[H:.*]]) in (6, 28) shared_outs(%{{.*}} = %[[ZEROS]]) -> (tensor<6x28x28xf32>)
// CHECK:           %[[ACC0:.*]] = vector.transfer_read {{.*}} : tensor<1x1x28xf32>, vector<1x1x28xf32>
// CHECK:           %[[SUM:.*]] = scf.for %{{.*}} = %{{.*}} to %[[N]] step %{{.*}} iter_args(%[[ACC:.*]] = %[[ACC0]]) -> (vector<1x1x28xf32>)
// CHECK:             %[[ROW:.*]] = vector.transfer_read {{.*}} : tensor<1x1x1x28xf32>, vector<1x1x1x28xf32>
// CHECK:             %[[SQ:.*]] = arith.mulf %[[ROW]], %[[ROW]] : vector<1x1x1x28xf32>
// CHECK:             %[[SQ1:.*]] = vector.shape_cast %[[SQ]]
// CHECK:             %[[NEXT:.*]] = arith.addf %[[ACC]], %[[SQ1]] : vector<1x1x28xf32>
// CHECK:             scf.yield %[[NEXT]] : vector<1x1x28xf32>
// CHECK:           vector.transfer_write %[[SUM]]
// CHECK:         %[[START:.*]] = vector.transfer_read %[[INIT]]{{.*}} : tensor<6xf32>, vector<6xf32>
// CHECK:         %[[TOTAL:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[START]]) -> (vector<6xf32>)
// CHECK:           tensor.extract_slice %[[PARTIAL]]
// CHECK:         %[[R:.*]] = vector.transfer_write %[[TOTAL]], %[[INIT]]
// CHECK:         return %[[R]] : tensor<6xf32>
#in = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#out = affine_map<(d0, d1, d2, d3) -> (d1)>
func.func @channel_sum_of_squares(%x: tensor<?x6x28x28xf32>, %init: tensor<6xf32>) -> tensor<6xf32> {
  %0 = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<?x6x28x28xf32>) outs(%init : tensor<6xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %sq = arith.mulf %v, %v : f32
    %s = arith.addf %acc, %sq : f32
    linalg.yield %s : f32
  } -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

// A static batch is vectorized whole already, and a maximum is not a sum:
// neither is split (no partial [6, 28, 28] tensor).
// CHECK-LABEL: func.func @static_batch(
// CHECK-NOT:     tensor<6x28x28xf32>
// CHECK:         return
#in = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#out = affine_map<(d0, d1, d2, d3) -> (d1)>
func.func @static_batch(%x: tensor<2x6x28x28xf32>, %init: tensor<6xf32>) -> tensor<6xf32> {
  %0 = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<2x6x28x28xf32>) outs(%init : tensor<6xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// CHECK-LABEL: func.func @channel_max(
// CHECK-NOT:     tensor<6x28x28xf32>
// CHECK:         return
func.func @channel_max(%x: tensor<?x6x28x28xf32>, %init: tensor<6xf32>) -> tensor<6xf32> {
  %0 = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<?x6x28x28xf32>) outs(%init : tensor<6xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %m = arith.maximumf %acc, %v : f32
    linalg.yield %m : f32
  } -> tensor<6xf32>
  return %0 : tensor<6xf32>
}
