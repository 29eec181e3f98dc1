// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg),cse,canonicalize,func.func(dnn-tile-and-vectorize{vector-width=16}),canonicalize,cse)' | FileCheck %s

// The im2col columns of a filter gradient (6x5x5 window, rows of 10, 12
// output channels, which do not fill a register for the direct kernel): one
// forall iteration per output row (c, n, oh) copies the 25 window rows into
// its columns, instead of one pass over the batch per window offset.
// CHECK-LABEL: func.func @filter_grad_columns(
// CHECK-SAME:    %[[X:.*]]: tensor<?x6x14x14xf32>
// CHECK:         %[[COLS:.*]] = scf.forall (%[[C:.*]], %[[N:.*]], %[[OH:.*]]) in (6, %{{.*}}, 10) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<6x5x5x?x10x10xf32>)
// CHECK:           vector.transfer_read %[[X]][%[[N]], %[[C]], %[[OH]], %c0]{{.*}} : tensor<?x6x14x14xf32>, vector<1x1x1x10xf32>
// CHECK-COUNT-25:  vector.transfer_write {{.*}} : vector<10xf32>, tensor<1x5x5x1x1x10xf32>
// CHECK:           tensor.parallel_insert_slice {{.*}} [1, 5, 5, 1, 1, 10] [1, 1, 1, 1, 1, 1]
// CHECK-NOT:     tensor.insert_slice {{.*}} into {{.*}} : tensor<6x?x10x10xf32> into tensor<6x5x5x?x10x10xf32>
// CHECK:         tensor.collapse_shape %[[COLS]]
func.func @filter_grad_columns(%x: tensor<?x6x14x14xf32>, %dy: tensor<?x12x10x10xf32>) -> tensor<12x6x5x5xf32> {
  %dw = dnn.conv2d_filter_grad %x, %dy stride [1, 1] padding [0, 0] : tensor<?x6x14x14xf32>, tensor<?x12x10x10xf32> -> tensor<12x6x5x5xf32>
  return %dw : tensor<12x6x5x5xf32>
}

// -----

// Strided windows: each window row is read as one contiguous span of the
// input row and its every second element picked by a shuffle.
// CHECK-LABEL: func.func @strided_columns(
// CHECK:         scf.forall ({{.*}}) in (3, %{{.*}}, 4) shared_outs({{.*}}) -> (tensor<3x3x3x?x4x4xf32>)
// CHECK:           vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, 6] : vector<8xf32>, vector<8xf32>
// CHECK-NEXT:      vector.transfer_write {{.*}} : vector<4xf32>, tensor<1x3x3x1x1x4xf32>
// CHECK-NEXT:      vector.shuffle %{{.*}}, %{{.*}} [1, 3, 5, 7] : vector<8xf32>, vector<8xf32>
// CHECK-COUNT-8:   vector.transfer_write {{.*}} : vector<4xf32>, tensor<1x3x3x1x1x4xf32>
// CHECK-NOT:       vector.transfer_write
// CHECK:           tensor.parallel_insert_slice
func.func @strided_columns(%x: tensor<?x3x9x9xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<?x4x4x4xf32> {
  %0 = dnn.conv2d %x, %w stride [2, 2] padding [0, 0] : tensor<?x3x9x9xf32>, tensor<4x3x3x3xf32>
  return %0 : tensor<?x4x4x4xf32>
}

// -----

// col2im of an input gradient (5x5 window, unit stride): one forall
// iteration per plane (n, c) walks the 10 output rows; each window offset's
// column row is moved to its columns by a shuffle and added to one of the
// rows of dx in registers (4 carried, the fifth starts at zero); the
// finished row is written once per step, the last 4 after the loop. No
// pass per window offset, no fill of dx. The column rows are not read from
// a matmul's column gradients: each is computed from dy's 16 rows oh (read
// once per step) and the filter, the sum over the 16 output channels split
// in two chains (even and odd f) for the KW offsets of a window row at
// once: 5 * 2 products and 5 * 14 FMAs per window row. No matmul, no
// transpose of dy.
// CHECK-LABEL: func.func @input_grad(
// CHECK-SAME:    %[[DY:[^:]*]]: tensor<?x16x10x10xf32>, %[[W:[^:]*]]: tensor<16x6x5x5xf32>
// CHECK-NOT:     linalg.fill
// CHECK-NOT:     linalg.matmul
// CHECK-NOT:     linalg.transpose
// CHECK:         scf.forall (%[[N:.*]], %[[C:.*]]) in (%{{.*}}, 6) shared_outs(%{{.*}}) -> (tensor<?x6x14x14xf32>)
// CHECK:           scf.for %[[OH:.*]] = %c0 to %c10 step %c1 iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %[[Z:.*]], %{{.*}} = %[[Z]], %{{.*}} = %[[Z]], %{{.*}} = %[[Z]]) -> (tensor<1x1x14x14xf32>, vector<14xf32>, vector<14xf32>, vector<14xf32>, vector<14xf32>)
// CHECK-COUNT-16:    vector.transfer_read %[[DY]][%[[N]], %{{.*}}, %[[OH]], %c0]{{.*}} : tensor<?x16x10x10xf32>, vector<10xf32>
// CHECK:             tensor.extract %[[W]][%c0, %[[C]], %c0, %c0] : tensor<16x6x5x5xf32>
// CHECK-COUNT-70:    vector.fma {{.*}} : vector<10xf32>
// CHECK:             vector.shuffle %{{.*}}, %{{.*}} [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10] : vector<10xf32>, vector<10xf32>
// CHECK:             vector.shuffle %{{.*}}, %{{.*}} [10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10] : vector<10xf32>, vector<10xf32>
// CHECK-COUNT-280:   vector.fma {{.*}} : vector<10xf32>
// CHECK-NOT:         vector.fma
// CHECK:             vector.transfer_write %{{.*}}, %{{.*}}[%c0, %c0, %[[OH]], %c0] {{.*}} : vector<14xf32>, tensor<1x1x14x14xf32>
// CHECK:             scf.yield
// CHECK-COUNT-4:   vector.transfer_write {{.*}} : vector<14xf32>, tensor<1x1x14x14xf32>
// CHECK:           tensor.parallel_insert_slice {{.*}} [1, 1, 14, 14] [1, 1, 1, 1]
// CHECK-NOT:     tensor.insert_slice {{.*}} : tensor<?x6x10x10xf32> into tensor<?x6x14x14xf32>
func.func @input_grad(%dy: tensor<?x16x10x10xf32>, %w: tensor<16x6x5x5xf32>, %x: tensor<?x6x14x14xf32>) -> tensor<?x6x14x14xf32> {
  %0 = dnn.conv2d_input_grad %dy, %w like %x stride [1, 1] padding [0, 0] : tensor<?x16x10x10xf32>, tensor<16x6x5x5xf32>, tensor<?x6x14x14xf32> -> tensor<?x6x14x14xf32>
  return %0 : tensor<?x6x14x14xf32>
}

// -----

// With 32 output channels, dy's rows and the 5 rows of dx need 37 registers
// (24 for them on AVX-512): the column gradients stay a matmul, and each
// column row is read from them.
// CHECK-LABEL: func.func @input_grad_many_channels(
// CHECK:         %[[COLS:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1, 2], [3, 4, 5]] output_shape [6, 5, 5, %{{.*}}, 10, 10]
// CHECK:         scf.forall (%[[N:.*]], %[[C:.*]]) in (%{{.*}}, 6) shared_outs(%{{.*}}) -> (tensor<?x6x14x14xf32>)
// CHECK:           scf.for %[[OH:.*]] = %c0 to %c10
// CHECK:             vector.transfer_read %[[COLS]][%[[C]], %c0, %c0, %[[N]], %[[OH]], %c0]{{.*}} : tensor<6x5x5x?x10x10xf32>, vector<10xf32>
// CHECK-NOT:         vector.fma {{.*}} : vector<10xf32>
// CHECK:             scf.yield
func.func @input_grad_many_channels(%dy: tensor<?x32x10x10xf32>, %w: tensor<32x6x5x5xf32>, %x: tensor<?x6x14x14xf32>) -> tensor<?x6x14x14xf32> {
  %0 = dnn.conv2d_input_grad %dy, %w like %x stride [1, 1] padding [0, 0] : tensor<?x32x10x10xf32>, tensor<32x6x5x5xf32>, tensor<?x6x14x14xf32> -> tensor<?x6x14x14xf32>
  return %0 : tensor<?x6x14x14xf32>
}

// -----

// Stride 2 with padding 1 (3x3 window): two rows of dx are finished per
// output row, and the shuffles put a column row's lanes two apart; the
// rows past the last window (the padded dx is 10 rows, the windows reach 9)
// are written as zeros.
// CHECK-LABEL: func.func @input_grad_strided(
// CHECK:         scf.forall ({{.*}}) in (%{{.*}}, 3) shared_outs({{.*}}) -> (tensor<?x3x10x10xf32>)
// CHECK:           scf.for {{.*}} -> (tensor<1x1x10x10xf32>, vector<10xf32>)
// CHECK:             vector.shuffle %{{.*}}, %{{.*}} [0, 4, 1, 4, 2, 4, 3, 4, 4, 4] : vector<4xf32>, vector<4xf32>
// CHECK:             vector.shuffle %{{.*}}, %{{.*}} [4, 0, 4, 1, 4, 2, 4, 3, 4, 4] : vector<4xf32>, vector<4xf32>
// CHECK-COUNT-2:     vector.transfer_write {{.*}} : vector<10xf32>, tensor<1x1x10x10xf32>
// CHECK:             scf.yield
// CHECK:           vector.transfer_write {{.*}}[%c0, %c0, %c8, %c0] {{.*}} : vector<10xf32>, tensor<1x1x10x10xf32>
// CHECK:           vector.transfer_write %[[ZERO:cst.*]], {{.*}}[%c0, %c0, %c9, %c0] {{.*}} : vector<10xf32>, tensor<1x1x10x10xf32>
// CHECK:         tensor.extract_slice {{.*}}[0, 0, 1, 1] [%{{.*}}, 3, 8, 8] [1, 1, 1, 1]
func.func @input_grad_strided(%dy: tensor<?x2x4x4xf32>, %w: tensor<2x3x3x3xf32>, %x: tensor<?x3x8x8xf32>) -> tensor<?x3x8x8xf32> {
  %0 = dnn.conv2d_input_grad %dy, %w like %x stride [2, 2] padding [1, 1] : tensor<?x2x4x4xf32>, tensor<2x3x3x3xf32>, tensor<?x3x8x8xf32> -> tensor<?x3x8x8xf32>
  return %0 : tensor<?x3x8x8xf32>
}

// -----

// Windows that skip rows (stride 3 > KH = 2) keep a pass per window offset.
// CHECK-LABEL: func.func @input_grad_gaps(
// CHECK-COUNT-4: tensor.insert_slice {{.*}} [1, 1, 3, 3]
func.func @input_grad_gaps(%dy: tensor<?x2x3x3xf32>, %w: tensor<2x3x2x2xf32>, %x: tensor<?x3x9x9xf32>) -> tensor<?x3x9x9xf32> {
  %0 = dnn.conv2d_input_grad %dy, %w like %x stride [3, 3] padding [0, 0] : tensor<?x2x3x3xf32>, tensor<2x3x2x2xf32>, tensor<?x3x9x9xf32> -> tensor<?x3x9x9xf32>
  return %0 : tensor<?x3x9x9xf32>
}
