// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg),cse)' | FileCheck %s

// Windows that tile the input (2x2, stride 2, no padding): maxpool2d and
// maxpool2d_argmax lower to the same elementwise op over the four strided
// planes of x, which CSE merges: one pass yields each window's maximum and
// the offset of its first maximum.
// CHECK-LABEL: func.func @forward_records_argmax(
// CHECK-SAME:    %[[X:.*]]: tensor<?x6x28x28xf32>)
// CHECK-NOT:     "reduction"
// CHECK:         %[[X00:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [%{{.*}}, 6, 14, 14] [1, 1, 2, 2]
// CHECK:         %[[X01:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 1] [%{{.*}}, 6, 14, 14] [1, 1, 2, 2]
// CHECK:         %[[X10:.*]] = tensor.extract_slice %[[X]][0, 0, 1, 0] [%{{.*}}, 6, 14, 14] [1, 1, 2, 2]
// CHECK:         %[[X11:.*]] = tensor.extract_slice %[[X]][0, 0, 1, 1] [%{{.*}}, 6, 14, 14] [1, 1, 2, 2]
// CHECK:         %[[POOL:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK-SAME:      ins(%[[X00]], %[[X01]], %[[X10]], %[[X11]] : {{.*}}) outs(%{{.*}}, %{{.*}} : tensor<?x6x14x14xf32>, tensor<?x6x14x14xi32>)
// CHECK-NOT:       tensor.extract
// CHECK:           arith.maximumf
// CHECK:           arith.cmpf ogt
// CHECK:           linalg.yield
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[POOL]]#0, %[[POOL]]#1
func.func @forward_records_argmax(%x: tensor<?x6x28x28xf32>) -> (tensor<?x6x14x14xf32>, tensor<?x6x14x14xi32>) {
  %0 = dnn.maxpool2d %x size [2, 2] stride [2, 2] padding [0, 0] : tensor<?x6x28x28xf32>
  %1 = dnn.maxpool2d_argmax %x size [2, 2] stride [2, 2] padding [0, 0] : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xi32>
  return %0, %1 : tensor<?x6x14x14xf32>, tensor<?x6x14x14xi32>
}

// -----

// The gradient for tiling windows reads only the recorded offsets and dy:
// per window offset (kh, kw), an elementwise pass over the windows writes dy
// where that offset is the maximum into the strided window of dx at
// (kh, kw): contiguous reads, no gathers, every element of dx written once,
// and x not read at all.
// CHECK-LABEL: func.func @tiled_windows(
// CHECK-SAME:    %[[ARG:.*]]: tensor<?x6x14x14xi32>, %[[DY:.*]]: tensor<?x6x14x14xf32>)
// CHECK-NOT:     "reduction"
// CHECK:         %[[DX:.*]] = tensor.empty(%{{.*}}) : tensor<?x6x28x28xf32>
// CHECK:         %[[W0:.*]] = tensor.extract_slice %[[DX]][0, 0, 0, 0] [%{{.*}}, 6, 14, 14] [1, 1, 2, 2]
// CHECK:         %[[P0:.*]] = linalg.generic {{.*}} ins(%[[ARG]], %[[DY]] : {{.*}}) outs(%[[W0]] : tensor<?x6x14x14xf32>)
// CHECK-NOT:       tensor.extract
// CHECK:           arith.cmpi eq
// CHECK:         tensor.insert_slice %[[P0]] into %[[DX]][0, 0, 0, 0] [%{{.*}}, 6, 14, 14] [1, 1, 2, 2]
// CHECK:         tensor.insert_slice {{.*}}[0, 0, 0, 1] [%{{.*}}, 6, 14, 14] [1, 1, 2, 2]
// CHECK:         tensor.insert_slice {{.*}}[0, 0, 1, 0] [%{{.*}}, 6, 14, 14] [1, 1, 2, 2]
// CHECK:         %[[R:.*]] = tensor.insert_slice {{.*}}[0, 0, 1, 1] [%{{.*}}, 6, 14, 14] [1, 1, 2, 2]
// CHECK-NOT:     "reduction"
// CHECK:         return %[[R]]
func.func @tiled_windows(%argmax: tensor<?x6x14x14xi32>, %dy: tensor<?x6x14x14xf32>) -> tensor<?x6x28x28xf32> {
  %0 = dnn.maxpool2d_argmax_grad %argmax, %dy size [2, 2] stride [2, 2] padding [0, 0] : tensor<?x6x14x14xi32>, tensor<?x6x14x14xf32> -> tensor<?x6x28x28xf32>
  return %0 : tensor<?x6x28x28xf32>
}

// -----

// Overlapping, padded windows keep the general form: the first maximum of
// each window is a reduction over the window (padding never wins), and the
// forward pooling stays linalg.pooling_nchw_max.
// CHECK-LABEL: func.func @overlapping_windows_argmax(
// CHECK:         tensor.pad
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK-SAME:      outs(%{{.*}}, %{{.*}} : tensor<?x2x4x4xf32>, tensor<?x2x4x4xi32>)
func.func @overlapping_windows_argmax(%x: tensor<?x2x7x7xf32>) -> tensor<?x2x4x4xi32> {
  %0 = dnn.maxpool2d_argmax %x size [3, 3] stride [2, 2] padding [1, 1] : tensor<?x2x7x7xf32> -> tensor<?x2x4x4xi32>
  return %0 : tensor<?x2x4x4xi32>
}

// -----

// Their gradient: each element sums the gradients of every window that
// contains it and whose recorded maximum it is (a reduction over the window
// offsets, reading the argmax).
// CHECK-LABEL: func.func @overlapping_windows_grad(
// CHECK-SAME:    %[[ARG:.*]]: tensor<?x2x4x4xi32>,
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK:           tensor.extract %[[ARG]]
// CHECK-SAME:      tensor<?x2x4x4xi32>
func.func @overlapping_windows_grad(%argmax: tensor<?x2x4x4xi32>, %dy: tensor<?x2x4x4xf32>) -> tensor<?x2x7x7xf32> {
  %0 = dnn.maxpool2d_argmax_grad %argmax, %dy size [3, 3] stride [2, 2] padding [1, 1] : tensor<?x2x4x4xi32>, tensor<?x2x4x4xf32> -> tensor<?x2x7x7xf32>
  return %0 : tensor<?x2x7x7xf32>
}

// -----

// Average pooling over windows that tile the input: one elementwise op over
// the strided planes, summed in window order and divided by the window size.
// CHECK-LABEL: func.func @avgpool_tiled(
// CHECK-SAME:    %[[X:.*]]: tensor<?x3x8x9xf32>)
// CHECK-NOT:     linalg.pooling_nchw_sum
// CHECK:         %[[P:.*]] = tensor.extract_slice %[[X]][0, 0, 1, 2] [%{{.*}}, 3, 4, 3] [1, 1, 2, 3]
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK:           arith.addf
// CHECK:           arith.divf %{{.*}}, %{{.*}} : f32
func.func @avgpool_tiled(%x: tensor<?x3x8x9xf32>) -> tensor<?x3x4x3xf32> {
  %0 = dnn.avgpool2d %x size [2, 3] stride [2, 3] padding [0, 0] : tensor<?x3x8x9xf32>
  return %0 : tensor<?x3x4x3xf32>
}

// -----

// Its gradient: per window offset, dy / 6 into the strided window of dx.
// CHECK-LABEL: func.func @avgpool_tiled_grad(
// CHECK-SAME:    %[[DY:.*]]: tensor<?x3x4x3xf32>,
// CHECK-NOT:     "reduction"
// CHECK:         %[[DX:.*]] = tensor.empty(%{{.*}}) : tensor<?x3x8x9xf32>
// CHECK:         %[[W0:.*]] = tensor.extract_slice %[[DX]][0, 0, 0, 0] [%{{.*}}, 3, 4, 3] [1, 1, 2, 3]
// CHECK:         linalg.generic {{.*}} ins(%[[DY]] : tensor<?x3x4x3xf32>) outs(%[[W0]] : tensor<?x3x4x3xf32>)
// CHECK:           arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK-COUNT-5: tensor.insert_slice
// CHECK:         %[[R:.*]] = tensor.insert_slice {{.*}}[0, 0, 1, 2] [%{{.*}}, 3, 4, 3] [1, 1, 2, 3]
// CHECK:         return %[[R]]
func.func @avgpool_tiled_grad(%dy: tensor<?x3x4x3xf32>, %x: tensor<?x3x8x9xf32>) -> tensor<?x3x8x9xf32> {
  %0 = dnn.avgpool2d_grad %dy like %x size [2, 3] stride [2, 3] padding [0, 0] : tensor<?x3x4x3xf32>, tensor<?x3x8x9xf32> -> tensor<?x3x8x9xf32>
  return %0 : tensor<?x3x8x9xf32>
}

// -----

// Overlapping windows (3x3, stride 2, padding 1): avgpool2d_grad gathers, for
// each dx element (h, w) and window offset (kh, kw), dy of the window at
// ((h + 1 - kh) / 2, (w + 1 - kw) / 2) when that division is exact and the
// window exists, times 1/9 (padding counted); a reduction over (kh, kw) into
// a zero-filled dx, so no two iterations write one element.
// CHECK-LABEL: func.func @avgpool_overlapping_grad(
// CHECK-SAME:    %[[DY:.*]]: tensor<?x2x4x4xf32>,
// CHECK:         %[[ZERO:.*]] = linalg.fill
// CHECK:         linalg.generic
// CHECK-SAME:        iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK-SAME:        outs(%[[ZERO]] : tensor<?x2x7x7xf32>)
// CHECK:           %[[H:.*]] = linalg.index 2 : index
// CHECK:           %[[KH:.*]] = linalg.index 4 : index
// CHECK:           %[[HP:.*]] = arith.addi %[[H]], %{{.*}} : index
// CHECK:           arith.subi %[[HP]], %[[KH]] : index
// CHECK:           %[[QH:.*]] = arith.divui %{{.*}}, %{{.*}} : index
// CHECK:           arith.remui %{{.*}}, %{{.*}} : index
// CHECK:           %[[OH:.*]] = arith.select %{{.*}}, %[[QH]], %{{.*}} : index
// CHECK:           %[[QW:.*]] = arith.divui %{{.*}}, %{{.*}} : index
// CHECK:           %[[OW:.*]] = arith.select %{{.*}}, %[[QW]], %{{.*}} : index
// CHECK:           %[[G:.*]] = tensor.extract %[[DY]][%{{.*}}, %{{.*}}, %[[OH]], %[[OW]]]
// CHECK:           %[[NINTH:.*]] = arith.constant 0.111111112 : f32
// CHECK:           %[[SHARE:.*]] = arith.mulf %[[G]], %[[NINTH]] : f32
// CHECK:           %[[C:.*]] = arith.select %{{.*}}, %[[SHARE]], %{{.*}} : f32
// CHECK:           arith.addf %{{.*}}, %[[C]] : f32
func.func @avgpool_overlapping_grad(%dy: tensor<?x2x4x4xf32>, %x: tensor<?x2x7x7xf32>) -> tensor<?x2x7x7xf32> {
  %0 = dnn.avgpool2d_grad %dy like %x size [3, 3] stride [2, 2] padding [1, 1] : tensor<?x2x4x4xf32>, tensor<?x2x7x7xf32> -> tensor<?x2x7x7xf32>
  return %0 : tensor<?x2x7x7xf32>
}
