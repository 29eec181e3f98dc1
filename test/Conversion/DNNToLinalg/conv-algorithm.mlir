// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' | FileCheck %s
// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg{convolutions=direct}))' | FileCheck %s --check-prefix=DIRECT
// RUN: not dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg{convolutions=fft}))' 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg{vector-width=8}))' | FileCheck %s --check-prefix=AVX2
// RUN: not dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg{vector-width=0}))' 2>&1 | FileCheck %s --check-prefix=BADWIDTH

// BAD: convolutions='fft' is not one of auto, im2col, direct
// BADWIDTH: convert-dnn-to-linalg: vector-width must be positive, got 0

// Inference (no filter gradient in the function): a convolution with unit
// strides is linalg.conv_2d_nchw_fchw on the padded input, its accumulator
// starting at the bias broadcast over the batch and the plane, for the
// direct kernel of dnn-tile-and-vectorize. No im2col columns, no matmul.
// CHECK-LABEL: func.func @predict_conv(
// CHECK-NOT:     linalg.matmul
// CHECK:         %[[PAD:.*]] = tensor.pad
// CHECK:         %[[INIT:.*]] = linalg.generic
// CHECK-SAME:      ins(%{{.*}} : tensor<16xf32>)
// CHECK:         linalg.conv_2d_nchw_fchw {{.*}}strides = dense<1>
// CHECK-SAME:      ins(%[[PAD]], %{{.*}} : tensor<?x6x18x18xf32>, tensor<16x6x5x5xf32>) outs(%[[INIT]] :
// CHECK-NOT:     linalg.matmul
func.func @predict_conv(%x: tensor<?x6x14x14xf32>, %w: tensor<16x6x5x5xf32>, %b: tensor<16xf32>) -> tensor<?x16x14x14xf32> {
  %0 = dnn.conv2d %x, %w, %b stride [1, 1] padding [2, 2] : tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32>, tensor<16xf32>
  return %0 : tensor<?x16x14x14xf32>
}

// -----

// Training with a long window (6x5x5) and 16 output channels (one 16-lane
// register): the filter gradient is the direct generic, which
// dnn-tile-and-vectorize vectorizes along the output channels; no im2col
// columns, no matmul.
// CHECK-LABEL: func.func @train_long_window(
// CHECK-NOT:     linalg.matmul
// CHECK:         linalg.conv_2d_nchw_fchw
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%{{.*}}, %{{.*}} : tensor<?x6x14x14xf32>, tensor<?x16x10x10xf32>) outs(%{{.*}} : tensor<16x6x5x5xf32>)
// CHECK-NOT:     linalg.matmul
// DIRECT-LABEL: func.func @train_long_window(
// DIRECT:         linalg.conv_2d_nchw_fchw
func.func @train_long_window(%x: tensor<?x6x14x14xf32>, %w: tensor<16x6x5x5xf32>, %dy: tensor<?x16x10x10xf32>) -> (tensor<?x16x10x10xf32>, tensor<16x6x5x5xf32>) {
  %y = dnn.conv2d %x, %w stride [1, 1] padding [0, 0] : tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32>
  %dw = dnn.conv2d_filter_grad %x, %dy stride [1, 1] padding [0, 0] : tensor<?x6x14x14xf32>, tensor<?x16x10x10xf32> -> tensor<16x6x5x5xf32>
  return %y, %dw : tensor<?x16x10x10xf32>, tensor<16x6x5x5xf32>
}

// -----

// A long window (6x5x5) whose 12 output channels do not fill a register:
// the filter gradient builds the im2col columns of x, but the forward
// convolution stays direct (a matmul over those columns streams them back
// from memory: slower, measured).
// CHECK-LABEL: func.func @train_long_window_few_channels(
// CHECK-NOT:     linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<12x150xf32>, tensor<150x?xf32>)
// CHECK:         linalg.conv_2d_nchw_fchw
// CHECK:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<150x?xf32>, tensor<?x12xf32>)
func.func @train_long_window_few_channels(%x: tensor<?x6x14x14xf32>, %w: tensor<12x6x5x5xf32>, %dy: tensor<?x12x10x10xf32>) -> (tensor<?x12x10x10xf32>, tensor<12x6x5x5xf32>) {
  %y = dnn.conv2d %x, %w stride [1, 1] padding [0, 0] : tensor<?x6x14x14xf32>, tensor<12x6x5x5xf32>
  %dw = dnn.conv2d_filter_grad %x, %dy stride [1, 1] padding [0, 0] : tensor<?x6x14x14xf32>, tensor<?x12x10x10xf32> -> tensor<12x6x5x5xf32>
  return %y, %dw : tensor<?x12x10x10xf32>, tensor<12x6x5x5xf32>
}

// -----

// Training with a short window (1x5x5) and rows of 24 (3/4 of two 16-lane
// registers): the filter gradient is the direct generic over
// (f, c, kh, kw, n, oh, ow), which dnn-tile-and-vectorize gives its kernel,
// so no im2col columns exist and the forward convolution is direct too.
// CHECK-LABEL: func.func @train_short_window(
// CHECK-NOT:     linalg.matmul
// CHECK:         linalg.conv_2d_nchw_fchw
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK-SAME:      ins(%{{.*}}, %{{.*}} : tensor<?x1x28x28xf32>, tensor<?x6x24x24xf32>) outs(%{{.*}} : tensor<6x1x5x5xf32>)
// CHECK-NOT:     linalg.matmul
func.func @train_short_window(%x: tensor<?x1x28x28xf32>, %w: tensor<6x1x5x5xf32>, %dy: tensor<?x6x24x24xf32>) -> (tensor<?x6x24x24xf32>, tensor<6x1x5x5xf32>) {
  %y = dnn.conv2d %x, %w stride [1, 1] padding [0, 0] : tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32>
  %dw = dnn.conv2d_filter_grad %x, %dy stride [1, 1] padding [0, 0] : tensor<?x1x28x28xf32>, tensor<?x6x24x24xf32> -> tensor<6x1x5x5xf32>
  return %y, %dw : tensor<?x6x24x24xf32>, tensor<6x1x5x5xf32>
}

// -----

// Strides other than 1 stay im2col matmuls (the direct kernel reads rows
// with unit stride), whatever the option says.
// CHECK-LABEL: func.func @strided(
// CHECK:         linalg.matmul
// DIRECT-LABEL: func.func @strided(
// DIRECT-NOT:     linalg.conv_2d_nchw_fchw
// DIRECT:         linalg.matmul
func.func @strided(%x: tensor<2x3x9x9xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<2x4x4x4xf32> {
  %0 = dnn.conv2d %x, %w stride [2, 2] padding [0, 0] : tensor<2x3x9x9xf32>, tensor<4x3x3x3xf32>
  return %0 : tensor<2x4x4x4xf32>
}

// -----

// Rows of 10 fill less than 3/4 of a 16-lane register: the filter gradient
// stays an im2col matmul; the forward convolution is direct.
// CHECK-LABEL: func.func @train_short_rows(
// CHECK:         linalg.conv_2d_nchw_fchw
// CHECK:         linalg.matmul
// DIRECT-LABEL: func.func @train_short_rows(
// DIRECT:         linalg.conv_2d_nchw_fchw
// DIRECT:         linalg.matmul
func.func @train_short_rows(%x: tensor<?x1x12x12xf32>, %w: tensor<4x1x3x3xf32>, %dy: tensor<?x4x10x10xf32>) -> (tensor<?x4x10x10xf32>, tensor<4x1x3x3xf32>) {
  %y = dnn.conv2d %x, %w stride [1, 1] padding [0, 0] : tensor<?x1x12x12xf32>, tensor<4x1x3x3xf32>
  %dw = dnn.conv2d_filter_grad %x, %dy stride [1, 1] padding [0, 0] : tensor<?x1x12x12xf32>, tensor<?x4x10x10xf32> -> tensor<4x1x3x3xf32>
  return %y, %dw : tensor<?x4x10x10xf32>, tensor<4x1x3x3xf32>
}

// -----

// The choice follows the target's vector width (the rule dnn-tile-and-vectorize
// shares, prefersDirectFilterGradient): 8 output channels under a long window
// fill one AVX2 register (8 lanes), so the filter gradient is the direct
// generic for the kernel along the channels there, and a matmul over im2col
// columns for AVX-512 (half a 16-lane register).
// CHECK-LABEL: func.func @train_eight_channels(
// CHECK:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<150x?xf32>, tensor<?x8xf32>)
// AVX2-LABEL:  func.func @train_eight_channels(
// AVX2-NOT:      linalg.matmul
// AVX2:          linalg.generic
// AVX2-SAME:       outs(%{{.*}} : tensor<8x6x5x5xf32>)
// AVX2-NOT:      linalg.matmul
func.func @train_eight_channels(%x: tensor<?x6x14x14xf32>, %w: tensor<8x6x5x5xf32>, %dy: tensor<?x8x10x10xf32>) -> (tensor<?x8x10x10xf32>, tensor<8x6x5x5xf32>) {
  %y = dnn.conv2d %x, %w stride [1, 1] padding [0, 0] : tensor<?x6x14x14xf32>, tensor<8x6x5x5xf32>
  %dw = dnn.conv2d_filter_grad %x, %dy stride [1, 1] padding [0, 0] : tensor<?x6x14x14xf32>, tensor<?x8x10x10xf32> -> tensor<8x6x5x5xf32>
  return %y, %dw : tensor<?x8x10x10xf32>, tensor<8x6x5x5xf32>
}

// -----

// A 1x16 window row: its 16 accumulators fit AVX-512's budget of 24, so 16
// output channels take the kernel along them; AVX2's budget is 12, and the
// rows of 10 fill too little of two 8-lane registers for the row kernel, so
// there the gradient is a matmul over im2col columns.
// CHECK-LABEL: func.func @train_wide_window_row(
// CHECK-NOT:     linalg.matmul
// CHECK:         linalg.generic
// CHECK-SAME:      outs(%{{.*}} : tensor<16x1x1x16xf32>)
// AVX2-LABEL:  func.func @train_wide_window_row(
// AVX2:          linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<16x?xf32>, tensor<?x16xf32>)
func.func @train_wide_window_row(%x: tensor<?x1x10x25xf32>, %w: tensor<16x1x1x16xf32>, %dy: tensor<?x16x10x10xf32>) -> (tensor<?x16x10x10xf32>, tensor<16x1x1x16xf32>) {
  %y = dnn.conv2d %x, %w stride [1, 1] padding [0, 0] : tensor<?x1x10x25xf32>, tensor<16x1x1x16xf32>
  %dw = dnn.conv2d_filter_grad %x, %dy stride [1, 1] padding [0, 0] : tensor<?x1x10x25xf32>, tensor<?x16x10x10xf32> -> tensor<16x1x1x16xf32>
  return %y, %dw : tensor<?x16x10x10xf32>, tensor<16x1x1x16xf32>
}
