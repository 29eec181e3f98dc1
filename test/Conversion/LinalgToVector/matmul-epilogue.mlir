// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(dnn-tile-and-vectorize{vector-width=16}),canonicalize,cse)' | FileCheck %s

// A dense layer, relu(x @ w + b): the bias and relu run on each 8x32
// register tile of the matmul as soon as its reduction is done. The
// accumulator starts as a splat of the fill (no fill pass, no load), the
// epilogue reads it from registers, and only the layer's output is written.
// The batch is split into whole 8-row tiles and a rest of single rows.
// CHECK-LABEL: func.func @dense_relu(
// CHECK-SAME:    %[[X:.*]]: tensor<?x64xf32>, %[[W:.*]]: tensor<64x32xf32>, %[[B:.*]]: tensor<32xf32>)
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<8x32xf32>
// CHECK-NOT:     linalg.
// CHECK:         scf.forall (%[[I:.*]]) = (0) to (%{{.*}}) step (8) shared_outs(%[[OUT:.*]] =
// CHECK:           %[[SUM:.*]] = scf.for %{{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (vector<8x32xf32>)
// CHECK:             vector.transfer_read %[[X]]{{.*}} vector<8x8xf32>
// CHECK:             vector.transfer_read %[[W]]{{.*}} vector<8x32xf32>
// CHECK-COUNT-64:    vector.fma {{.*}} : vector<32xf32>
// CHECK:             scf.yield
// CHECK:           %[[BIAS:.*]] = vector.transfer_read %[[B]]{{.*}} : tensor<32xf32>, vector<8x32xf32>
// CHECK:           %[[PRE:.*]] = arith.addf %[[SUM]], %[[BIAS]] : vector<8x32xf32>
// CHECK:           %[[ACT:.*]] = arith.maximumf %[[PRE]], %[[ZERO]] : vector<8x32xf32>
// CHECK:           vector.transfer_write %[[ACT]]
// CHECK:           tensor.parallel_insert_slice
// CHECK:         scf.forall (%{{.*}}) in (%{{.*}}) shared_outs(
// CHECK:           scf.for {{.*}} -> (vector<1x32xf32>)
// CHECK:           arith.maximumf {{.*}} : vector<1x32xf32>
// CHECK-NOT:     linalg.
// CHECK:         return
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @dense_relu(%x: tensor<?x64xf32>, %w: tensor<64x32xf32>, %b: tensor<32xf32>) -> tensor<?x32xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x64xf32>
  %empty = tensor.empty(%n) : tensor<?x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x32xf32>) -> tensor<?x32xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<?x64xf32>, tensor<64x32xf32>) outs(%acc : tensor<?x32xf32>) -> tensor<?x32xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %b : tensor<?x32xf32>, tensor<32xf32>) outs(%empty : tensor<?x32xf32>) {
  ^bb0(%m: f32, %bias: f32, %out: f32):
    %s = arith.addf %m, %bias : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// A weight gradient x^T @ dy with no epilogue: the fill still folds into the
// accumulator's first value. The reduction over the dynamic batch runs in
// whole steps of 8, then one row at a time, both on the same registers.
// CHECK-LABEL: func.func @weight_grad(
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<8x32xf32>
// CHECK-NOT:     linalg.
// CHECK:         scf.forall (%{{.*}}) = (0) to (64) step (8)
// CHECK:           %[[STEPS:.*]] = scf.for {{.*}} step %c8 iter_args(%{{.*}} = %[[ZERO]]) -> (vector<8x32xf32>)
// CHECK:           %[[REST:.*]] = scf.for {{.*}} step %c1 iter_args(%{{.*}} = %[[STEPS]]) -> (vector<8x32xf32>)
// CHECK:           vector.transfer_write %[[REST]]
// CHECK-NOT:     linalg.
#lhsT = affine_map<(m, n, k) -> (k, m)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#res = affine_map<(m, n, k) -> (m, n)>
func.func @weight_grad(%x: tensor<?x64xf32>, %dy: tensor<?x32xf32>) -> tensor<64x32xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<64x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%empty : tensor<64x32xf32>) -> tensor<64x32xf32>
  %dw = linalg.matmul indexing_maps = [#lhsT, #rhs, #res]
      ins(%x, %dy : tensor<?x64xf32>, tensor<?x32xf32>) outs(%acc : tensor<64x32xf32>) -> tensor<64x32xf32>
  return %dw : tensor<64x32xf32>
}

// -----

// A matmul split into pieces, with no epilogue (the column gradients of a
// convolution's input gradient, w^T @ dy': 150 = 144 + 6 rows, the columns
// whole tiles of 32 and a rest of single columns): each piece starts its
// accumulator as a splat, and no pass fills the whole product first. With
// K = 16 and the columns of the batch, the tiles go row tile by row tile
// (the first forall dim, which the runtime hands out fastest, is the
// columns): the product is written as 8 contiguous rows at a time.
// CHECK-LABEL: func.func @split_no_epilogue(
// CHECK-DAG:     %[[ZERO8:.*]] = arith.constant dense<0.000000e+00> : vector<8x32xf32>
// CHECK-DAG:     %[[ZERO6:.*]] = arith.constant dense<0.000000e+00> : vector<6x32xf32>
// CHECK-NOT:     linalg.
// CHECK-NOT:     vector.transfer_write %cst
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%{{.*}}, 144) step (32, 8)
// CHECK:           scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO8]]) -> (vector<8x32xf32>)
// CHECK:         scf.forall
// CHECK:         scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (32)
// CHECK:           scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO6]]) -> (vector<6x32xf32>)
// CHECK-NOT:     linalg.
// CHECK:         return
func.func @split_no_epilogue(%w: tensor<16x150xf32>, %dy: tensor<16x?xf32>) -> tensor<150x?xf32> {
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %dy, %c1 : tensor<16x?xf32>
  %empty = tensor.empty(%n) : tensor<150x?xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%empty : tensor<150x?xf32>) -> tensor<150x?xf32>
  %cols = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>,
                                         affine_map<(m, n, k) -> (m, n)>]
      ins(%w, %dy : tensor<16x150xf32>, tensor<16x?xf32>) outs(%acc : tensor<150x?xf32>) -> tensor<150x?xf32>
  return %cols : tensor<150x?xf32>
}

// -----

// An optimizer step consumes the gradient but updates the param in place: it
// stays a streaming pass of its own after the matmul, whose tiles go down
// the columns (see findEpilogue).
// CHECK-LABEL: func.func @sgd_update(
// CHECK:         %[[GRAD:.*]] = scf.forall (%{{.*}}) = (0) to (64) step (8)
// CHECK:           vector.fma
// CHECK:         scf.forall (%{{.*}}) in (64)
// CHECK:           %[[G:.*]] = tensor.extract_slice %[[GRAD]]
// CHECK:           vector.transfer_read %[[G]]
// CHECK:           arith.mulf
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @sgd_update(%x: tensor<16x64xf32>, %dy: tensor<16x32xf32>, %w: tensor<64x32xf32>) -> tensor<64x32xf32> {
  %zero = arith.constant 0.0 : f32
  %lr = arith.constant -0.1 : f32
  %empty = tensor.empty() : tensor<64x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%empty : tensor<64x32xf32>) -> tensor<64x32xf32>
  %dw = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>,
                                       affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %dy : tensor<16x64xf32>, tensor<16x32xf32>) outs(%acc : tensor<64x32xf32>) -> tensor<64x32xf32>
  %new = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%dw : tensor<64x32xf32>) outs(%w : tensor<64x32xf32>) {
  ^bb0(%g: f32, %p: f32):
    %step = arith.mulf %g, %lr : f32
    %r = arith.addf %p, %step : f32
    linalg.yield %r : f32
  } -> tensor<64x32xf32>
  return %new : tensor<64x32xf32>
}

// -----

// A transpose in 16x16 register tiles: rows read whole, transposed by a
// shuffle network, written as rows; no per-element strided loads.
// CHECK-LABEL: func.func @transpose(
// CHECK:         scf.forall (%[[I:.*]], %[[J:.*]]) = (0, 0) to (64, 32) step (16, 16)
// CHECK:           %[[TILE:.*]] = vector.transfer_read %{{.*}}[%[[J]], %[[I]]]{{.*}} {in_bounds = [true, true]} : tensor<32x64xf32>, vector<16x16xf32>
// CHECK-COUNT-64:  vector.shuffle {{.*}} : vector<16xf32>, vector<16xf32>
// CHECK:           vector.transfer_write {{.*}} : vector<16x16xf32>, tensor<16x16xf32>
func.func @transpose(%a: tensor<32x64xf32>) -> tensor<64x32xf32> {
  %empty = tensor.empty() : tensor<64x32xf32>
  %t = linalg.transpose ins(%a : tensor<32x64xf32>) outs(%empty : tensor<64x32xf32>) permutation = [1, 0]
  return %t : tensor<64x32xf32>
}

// -----

// The batch's last rows (all of them at batch 1) are tiles of one row by 8
// registers: 8 independent FMA chains per step of K, each step reading 512
// contiguous bytes of w, where the whole tiles' width (2 registers) left one
// chain waiting on the FMA latency.
// CHECK-LABEL: func.func @single_rows_wide(
// CHECK:         scf.forall ({{.*}}) step (8, 32)
// CHECK:           -> (vector<8x32xf32>)
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%{{.*}}, 256) step (1, 128)
// CHECK:           scf.for {{.*}} -> (vector<1x128xf32>)
// CHECK-COUNT-8:     vector.fma {{.*}} : vector<128xf32>
// CHECK:           arith.addf {{.*}} : vector<1x128xf32>
func.func @single_rows_wide(%x: tensor<?x64xf32>, %w: tensor<64x256xf32>, %b: tensor<256xf32>) -> tensor<?x256xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x64xf32>
  %empty = tensor.empty(%n) : tensor<?x256xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x256xf32>) -> tensor<?x256xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<?x64xf32>, tensor<64x256xf32>) outs(%acc : tensor<?x256xf32>) -> tensor<?x256xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %b : tensor<?x256xf32>, tensor<256xf32>) outs(%empty : tensor<?x256xf32>) {
  ^bb0(%m: f32, %bias: f32, %out: f32):
    %s = arith.addf %m, %bias : f32
    linalg.yield %s : f32
  } -> tensor<?x256xf32>
  return %y : tensor<?x256xf32>
}
