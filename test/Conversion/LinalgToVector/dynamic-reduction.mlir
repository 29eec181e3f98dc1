// RUN: dnn-opt %s --pass-pipeline='builtin.module(func.func(dnn-tile-and-vectorize{vector-width=16}),canonicalize)' | FileCheck %s

// A bias gradient: the sum over a dynamic batch of each column. Threads take
// chunks of 64 columns; the batch is stepped one row at a time, each step
// adding a vector<64xf32> into an accumulator that stays in registers (read
// before the loop, written after it).
// CHECK-LABEL: func.func @bias_grad(
// CHECK-SAME:    %[[DY:.*]]: tensor<?x512xf32>, %[[INIT:.*]]: tensor<512xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[DY]]
// CHECK:         scf.forall (%[[J:.*]]) = (0) to (512) step (64) shared_outs(%[[OUT:.*]] = %[[INIT]])
// CHECK:           %[[ACC_TILE:.*]] = tensor.extract_slice %[[OUT]][%[[J]]] [64] [1]
// CHECK:           %[[ACC0:.*]] = vector.transfer_read %[[ACC_TILE]]{{.*}} : tensor<64xf32>, vector<64xf32>
// CHECK:           %[[SUM:.*]] = scf.for %[[I:.*]] = %{{.*}} to %[[N]] step %{{.*}} iter_args(%[[ACC:.*]] = %[[ACC0]]) -> (vector<64xf32>)
// CHECK:             %[[ROW:.*]] = vector.transfer_read %[[DY]][%[[I]], %[[J]]]{{.*}} : tensor<?x512xf32>, vector<1x64xf32>
// CHECK:             %[[ROW1:.*]] = vector.shape_cast %[[ROW]] : vector<1x64xf32> to vector<64xf32>
// CHECK:             %[[NEXT:.*]] = arith.addf %[[ACC]], %[[ROW1]] : vector<64xf32>
// CHECK:             scf.yield %[[NEXT]]
// CHECK:           vector.transfer_write %[[SUM]], %[[ACC_TILE]]
#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d1)>
func.func @bias_grad(%dy: tensor<?x512xf32>, %init: tensor<512xf32>) -> tensor<512xf32> {
  %0 = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["reduction", "parallel"]}
      ins(%dy : tensor<?x512xf32>) outs(%init : tensor<512xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<512xf32>
  return %0 : tensor<512xf32>
}
