// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg),cse,canonicalize,func.func(dnn-tile-and-vectorize{vector-width=16}),canonicalize,cse)' | FileCheck %s

// The max-pooling gradient over 2x2 windows that tile dx (four elementwise
// passes, one per window offset, each inserted into a strided window of dx)
// becomes one forall iteration per window row (n, c, ph): the argmax and dy
// rows read once, the four bodies on vectors of 14 lanes, the two offsets of
// each window row interleaved (a shuffle, which canonicalizes to
// vector.interleave) and written as whole rows of 28.
// CHECK-LABEL: func.func @maxpool_grad(
// CHECK-SAME:    %[[ARG:.*]]: tensor<?x6x14x14xi32>, %[[DY:.*]]: tensor<?x6x14x14xf32>)
// CHECK:         %[[DX:.*]] = tensor.empty(%{{.*}}) : tensor<?x6x28x28xf32>
// CHECK:         %[[R:.*]] = scf.forall (%[[N:.*]], %[[C:.*]], %[[PH:.*]]) in (%{{.*}}, 6, 14) shared_outs(%[[OUT:.*]] = %[[DX]])
// CHECK:           %[[A:.*]] = vector.transfer_read %[[ARG]][%[[N]], %[[C]], %[[PH]], %c0]{{.*}} : tensor<?x6x14x14xi32>, vector<14xi32>
// CHECK:           %[[G:.*]] = vector.transfer_read %[[DY]][%[[N]], %[[C]], %[[PH]], %c0]{{.*}} : tensor<?x6x14x14xf32>, vector<14xf32>
// CHECK-NOT:       vector.transfer_read
// CHECK:           vector.interleave %{{.*}}, %{{.*}} : vector<14xf32> -> vector<28xf32>
// CHECK:           vector.transfer_write %{{.*}} : vector<28xf32>, tensor<1x1x2x28xf32>
// CHECK:           vector.interleave
// CHECK:           vector.transfer_write %{{.*}} : vector<28xf32>, tensor<1x1x2x28xf32>
// CHECK:           tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[N]], %[[C]], %{{.*}}, 0] [1, 1, 2, 28] [1, 1, 1, 1]
// CHECK-NOT:     tensor.insert_slice
// CHECK:         return %[[R]]
func.func @maxpool_grad(%argmax: tensor<?x6x14x14xi32>, %dy: tensor<?x6x14x14xf32>) -> tensor<?x6x28x28xf32> {
  %0 = dnn.maxpool2d_argmax_grad %argmax, %dy size [2, 2] stride [2, 2] padding [0, 0] : tensor<?x6x14x14xi32>, tensor<?x6x14x14xf32> -> tensor<?x6x28x28xf32>
  return %0 : tensor<?x6x28x28xf32>
}

// -----

// Windows of three columns keep a pass per window offset (strided windows
// of dx).
// CHECK-LABEL: func.func @three_columns(
// CHECK-COUNT-6: tensor.insert_slice {{.*}} [1, 1, 2, 3]
func.func @three_columns(%dy: tensor<?x3x4x3xf32>, %x: tensor<?x3x8x9xf32>) -> tensor<?x3x8x9xf32> {
  %0 = dnn.avgpool2d_grad %dy like %x size [2, 3] stride [2, 3] padding [0, 0] : tensor<?x3x4x3xf32>, tensor<?x3x8x9xf32> -> tensor<?x3x8x9xf32>
  return %0 : tensor<?x3x8x9xf32>
}
