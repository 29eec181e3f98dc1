// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(dnn-tile-and-vectorize{vector-width=16}),canonicalize,cse)' | FileCheck %s

// A convolution with unit strides as the direct kernel: one forall iteration
// per output row (n, oh); each channel's row (28 floats: a register and a
// piece of 12 lanes, masked) starts as its bias in registers, gets one FMA
// per piece, input channel and window offset with the input row read in
// place (no im2col copy), and is stored once. The bias broadcast that was
// the accumulator is gone.
// CHECK-LABEL: func.func @conv_bias(
// CHECK-SAME:    %[[X:.*]]: tensor<?x1x32x32xf32>, %[[W:.*]]: tensor<6x1x5x5xf32>, %[[B:.*]]: tensor<6xf32>)
// CHECK-NOT:     linalg.
// CHECK:         %[[OUT:.*]] = tensor.empty(%{{.*}}) : tensor<?x6x28x28xf32>
// CHECK:         scf.forall (%[[N:.*]], %[[OH:.*]]) in (%{{.*}}, 28) shared_outs(%[[SHARED:.*]] = %[[OUT]])
// CHECK:           %[[ROW:.*]] = tensor.extract_slice %[[SHARED]][%[[N]], 0, %[[OH]], 0] [1, 6, 1, 28]
// CHECK-COUNT-6:   tensor.extract %[[B]]
// CHECK:           vector.transfer_read %[[X]][%[[N]], %{{.*}}, %[[OH]], %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<?x1x32x32xf32>, vector<16xf32>
// CHECK:           %[[MASK:.*]] = vector.constant_mask [12] : vector<16xi1>
// CHECK:           vector.transfer_read %[[X]][%[[N]], %{{.*}}, %[[OH]], %{{.*}}], %{{.*}}, %[[MASK]] {in_bounds = [true]} : tensor<?x1x32x32xf32>, vector<16xf32>
// CHECK-COUNT-300: vector.fma {{.*}} : vector<16xf32>
// CHECK-COUNT-12:  vector.transfer_write {{.*}} : vector<16xf32>, tensor<1x6x1x28xf32>
// CHECK:           tensor.parallel_insert_slice {{.*}} into %[[SHARED]][%[[N]], 0, %[[OH]], 0] [1, 6, 1, 28]
// CHECK-NOT:     linalg.
func.func @conv_bias(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>, %b: tensor<6xf32>) -> tensor<?x6x28x28xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x1x32x32xf32>
  %empty = tensor.empty(%n) : tensor<?x6x28x28xf32>
  %init = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : tensor<6xf32>) outs(%empty : tensor<?x6x28x28xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<?x6x28x28xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) outs(%init : tensor<?x6x28x28xf32>) -> tensor<?x6x28x28xf32>
  return %y : tensor<?x6x28x28xf32>
}

// -----

// Rows of 10 (under 3/4 of a 16-lane register) with 16 output channels: the
// kernel vectorized along the channels. Per output row one accumulator per
// column, a vector of the 16 channels starting as the bias; each step
// (c, kh, kw) reads the packed filter's channel vector once and adds it times
// each of the window row's 10 input elements (broadcast); the 10 x 16 block
// is transposed into the 16 channel rows, each stored once (10 lanes).
// CHECK-LABEL: func.func @conv_short_rows(
// CHECK-SAME:    %[[X:.*]]: tensor<?x6x14x14xf32>, %[[W:.*]]: tensor<16x6x5x5xf32>, %[[B:.*]]: tensor<16xf32>)
// CHECK:         %[[PACKED:.*]] = scf.forall {{.*}} -> (tensor<6x5x5x16xf32>)
// CHECK:         scf.forall (%[[N:.*]], %[[OH:.*]]) in (%{{.*}}, 10) shared_outs(%[[SHARED:.*]] = %{{.*}}) -> (tensor<?x16x10x10xf32>)
// CHECK:           %[[BIAS:.*]] = vector.transfer_read %[[B]][%c0]{{.*}} : tensor<16xf32>, vector<16xf32>
// CHECK:           scf.for %[[C:.*]] = %c0 to %c6 step %c1 iter_args(%{{.*}} = %[[BIAS]], {{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:             vector.transfer_read %[[PACKED]][%[[C]], %c0, %c0, %c0]{{.*}} : tensor<6x5x5x16xf32>, vector<16xf32>
// CHECK:             tensor.extract %[[X]][%[[N]], %[[C]], %[[OH]], %c0] : tensor<?x6x14x14xf32>
// CHECK:             vector.fma {{.*}} : vector<16xf32>
// CHECK-COUNT-249:   vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT:         vector.fma
// CHECK:             scf.yield
// CHECK-COUNT-16:  vector.transfer_write {{.*}} : vector<10xf32>, tensor<1x16x1x10xf32>
// CHECK:           tensor.parallel_insert_slice {{.*}} into %[[SHARED]][%[[N]], 0, %[[OH]], 0] [1, 16, 1, 10]
func.func @conv_short_rows(%x: tensor<?x6x14x14xf32>, %w: tensor<16x6x5x5xf32>, %b: tensor<16xf32>) -> tensor<?x16x10x10xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x6x14x14xf32>
  %empty = tensor.empty(%n) : tensor<?x16x10x10xf32>
  %init = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : tensor<16xf32>) outs(%empty : tensor<?x16x10x10xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<?x16x10x10xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32>) outs(%init : tensor<?x16x10x10xf32>) -> tensor<?x16x10x10xf32>
  return %y : tensor<?x16x10x10xf32>
}

// -----

// Many channels, rows of 2 registers: blocks of 12 channels (24 accumulator
// registers), then the last 8; the input channels are a loop carrying the
// block's rows, starting from the fill's splat.
// CHECK-LABEL: func.func @conv_blocks(
// CHECK:         scf.forall
// CHECK:           scf.for
// CHECK-COUNT-216:   vector.fma {{.*}} : vector<16xf32>
// CHECK:           scf.for
// CHECK-COUNT-216:   vector.fma {{.*}} : vector<16xf32>
// CHECK:           scf.for
// CHECK-COUNT-144:   vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT:       vector<32xf32>
func.func @conv_blocks(%x: tensor<4x3x34x34xf32>, %w: tensor<32x3x3x3xf32>) -> tensor<4x32x32x32xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<4x32x32x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<4x32x32x32xf32>) -> tensor<4x32x32x32xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<4x3x34x34xf32>, tensor<32x3x3x3xf32>) outs(%init : tensor<4x32x32x32xf32>) -> tensor<4x32x32x32xf32>
  return %y : tensor<4x32x32x32xf32>
}

// -----

// An accumulator that is neither a fill nor a broadcast bias is read from
// the init tensor, which the kernel then updates in place.
// CHECK-LABEL: func.func @conv_accumulate(
// CHECK-SAME:    %{{.*}}: tensor<2x2x6x6xf32>, %{{.*}}: tensor<3x2x3x3xf32>, %[[ACC:.*]]: tensor<2x3x4x4xf32>)
// CHECK:         scf.forall {{.*}} shared_outs(%[[SHARED:.*]] = %[[ACC]])
// CHECK:           %[[MASK:.*]] = vector.constant_mask [4] : vector<16xi1>
// CHECK-COUNT-3:   vector.transfer_read {{.*}}, %[[MASK]] {{.*}} : tensor<1x3x1x4xf32>, vector<16xf32>
func.func @conv_accumulate(%x: tensor<2x2x6x6xf32>, %w: tensor<3x2x3x3xf32>, %acc: tensor<2x3x4x4xf32>) -> tensor<2x3x4x4xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<2x2x6x6xf32>, tensor<3x2x3x3xf32>) outs(%acc : tensor<2x3x4x4xf32>) -> tensor<2x3x4x4xf32>
  return %y : tensor<2x3x4x4xf32>
}

// -----

// Strided convolutions keep the row-wise code (conv-channels.mlir).
// CHECK-LABEL: func.func @conv_strided(
// CHECK-NOT:     vector.constant_mask
// CHECK:         return
func.func @conv_strided(%x: tensor<1x1x7x7xf32>, %w: tensor<2x1x3x3xf32>, %acc: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<1x1x7x7xf32>, tensor<2x1x3x3xf32>) outs(%acc : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// The filter gradient of a unit-stride convolution (convert-dnn-to-linalg's
// 7-loop generic): a forall over chunks of 8 images, each summing into a
// partial gradient of its own. Per (c, kh, block of output channels), the
// images and output rows are loops that carry one accumulator per (channel,
// kw, 16-lane piece of the row of 28): dy's row times x's row shifted by kw,
// the last piece masked to the row's 12 remaining lanes (zeros past the end).
// Each accumulator is reduced once per chunk; one generic then adds the
// partials of all chunks (vectorized as any reduction).
// CHECK-LABEL: func.func @filter_grad(
// CHECK-SAME:    %[[X:.*]]: tensor<?x1x32x32xf32>, %[[DY:.*]]: tensor<?x6x28x28xf32>)
// CHECK:         %[[CHUNKS:.*]] = affine.apply #{{.*}}()[%{{.*}}]
// CHECK:         %[[PARTIAL:.*]] = tensor.empty(%[[CHUNKS]]) : tensor<?x6x1x5x5xf32>
// CHECK:         scf.forall (%[[T:.*]]) in (%[[CHUNKS]]) shared_outs(%{{.*}} = %[[PARTIAL]])
// CHECK:           scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args({{.*}}) -> (vector<16xf32>
// CHECK:             scf.for %[[OH:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args({{.*}}) -> (vector<16xf32>
// CHECK:               vector.transfer_read %[[DY]][%[[N]], %{{.*}}, %[[OH]], %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<?x6x28x28xf32>, vector<16xf32>
// CHECK:               %[[MASK:.*]] = vector.constant_mask [12] : vector<16xi1>
// CHECK:               vector.transfer_read %[[DY]]{{.*}}, %[[MASK]] {in_bounds = [true]}
// CHECK-COUNT-20:      vector.fma {{.*}} : vector<16xf32>
// CHECK:           vector.reduction <add>
// CHECK:           tensor.parallel_insert_slice
// CHECK:         scf.forall
// CHECK:           tensor.extract_slice %{{.*}}[0, {{.*}} : tensor<?x6x1x5x5xf32> to tensor<?x1x1x1x5xf32>
// CHECK:           scf.for
// CHECK:             arith.addf
func.func @filter_grad(%x: tensor<?x1x32x32xf32>, %dy: tensor<?x6x28x28xf32>) -> tensor<6x1x5x5xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<6x1x5x5xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<6x1x5x5xf32>) -> tensor<6x1x5x5xf32>
  %dw = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d1, d5 + d2, d6 + d3)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d0, d5, d6)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %dy : tensor<?x1x32x32xf32>, tensor<?x6x28x28xf32>) outs(%init : tensor<6x1x5x5xf32>) {
  ^bb0(%a: f32, %g: f32, %acc: f32):
    %p = arith.mulf %a, %g : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<6x1x5x5xf32>
  return %dw : tensor<6x1x5x5xf32>
}

// -----

// A filter gradient whose 16 output channels fill a register, with a long
// window (6x5x5) on short rows (10): vectorized along the output channels.
// dy is transposed once to [N, OH, OW, F]; per chunk of 8 images and input
// channel, a block of 4 window rows carries 20 accumulators (one per
// window offset) through the loops over images and output rows; each output
// row is unrolled along the input row: 10 gradient vectors, each input
// element broadcast once and multiplied by the gradient vectors of the
// columns it contributes to (4 rows x 50 products), then the fifth window
// row likewise (5 accumulators, 50 products). No im2col columns.
// CHECK-LABEL: func.func @filter_grad_along_channels(
// CHECK-SAME:    %[[X:.*]]: tensor<?x6x14x14xf32>, %[[DY:.*]]: tensor<?x16x10x10xf32>)
// CHECK:         %[[LAST:[^ ]+]] = scf.forall ({{.*}}) in (%{{.*}}, 10, 10) shared_outs({{.*}}) -> (tensor<?x10x10x16xf32>)
// CHECK:         %[[PARTIAL:[^ ]+]] = tensor.empty(%{{.*}}) : tensor<?x6x5x5x16xf32>
// CHECK:         scf.forall (%{{.*}}) in (%{{.*}}) shared_outs(%{{.*}} = %[[PARTIAL]])
// CHECK:           scf.for %[[C:[^ ]+]] = %c0 to %c6 step %c1
// CHECK:             scf.for %[[N:[^ ]+]] = {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:               scf.for %[[OH:[^ ]+]] = %c0 to %c10 step %c1
// CHECK:                 vector.transfer_read %[[LAST]][%[[N]], %[[OH]], %c0, %c0]{{.*}} : tensor<?x10x10x16xf32>, vector<16xf32>
// CHECK:                 tensor.extract %[[X]][%[[N]], %[[C]], %[[OH]], %c0] : tensor<?x6x14x14xf32>
// CHECK-COUNT-200:       vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT:             vector.fma
// CHECK:                 scf.yield
// CHECK-COUNT-20:      vector.transfer_write {{.*}} : vector<16xf32>, tensor<1x6x5x5x16xf32>
// CHECK:               scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:                 scf.for
// CHECK-COUNT-50:          vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT:               vector.fma
// CHECK:                   scf.yield
// CHECK-COUNT-5:       vector.transfer_write {{.*}} : vector<16xf32>, tensor<1x6x5x5x16xf32>
// CHECK:           tensor.parallel_insert_slice
// CHECK-NOT:     linalg.matmul
func.func @filter_grad_along_channels(%x: tensor<?x6x14x14xf32>, %dy: tensor<?x16x10x10xf32>) -> tensor<16x6x5x5xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<16x6x5x5xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<16x6x5x5xf32>) -> tensor<16x6x5x5xf32>
  %dw = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d1, d5 + d2, d6 + d3)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d0, d5, d6)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %dy : tensor<?x6x14x14xf32>, tensor<?x16x10x10xf32>) outs(%init : tensor<16x6x5x5xf32>) {
  ^bb0(%a: f32, %g: f32, %acc: f32):
    %p = arith.mulf %a, %g : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<16x6x5x5xf32>
  return %dw : tensor<16x6x5x5xf32>
}
