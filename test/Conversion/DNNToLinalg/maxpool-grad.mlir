// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' | FileCheck %s

// Windows that tile the input (2x2, stride 2, no padding): no reduction.
// The first pass gives each window the offset of its first maximum from its
// four elements, read as four strided planes of x (elementwise, no gathers);
// then, per window offset (kh, kw), an elementwise pass over
// the windows writes dy where that offset is the maximum into the strided
// window of dx at (kh, kw): contiguous reads, no gathers, every element of dx
// written once.
// CHECK-LABEL: func.func @tiled_windows(
// CHECK-SAME:    %[[X:.*]]: tensor<?x6x28x28xf32>, %[[DY:.*]]: tensor<?x6x14x14xf32>)
// CHECK-NOT:     "reduction"
// CHECK:         %[[X00:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [%{{.*}}, 6, 14, 14] [1, 1, 2, 2]
// CHECK:         %[[X01:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 1] [%{{.*}}, 6, 14, 14] [1, 1, 2, 2]
// CHECK:         %[[X10:.*]] = tensor.extract_slice %[[X]][0, 0, 1, 0] [%{{.*}}, 6, 14, 14] [1, 1, 2, 2]
// CHECK:         %[[X11:.*]] = tensor.extract_slice %[[X]][0, 0, 1, 1] [%{{.*}}, 6, 14, 14] [1, 1, 2, 2]
// CHECK:         %[[FIRST:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK-SAME:      ins(%[[X00]], %[[X01]], %[[X10]], %[[X11]] : {{.*}}) outs(%{{.*}} : tensor<?x6x14x14xi32>)
// CHECK-NOT:       tensor.extract
// CHECK:           linalg.yield
// CHECK:         %[[DX:.*]] = tensor.empty(%{{.*}}) : tensor<?x6x28x28xf32>
// CHECK:         %[[W0:.*]] = tensor.extract_slice %[[DX]][0, 0, 0, 0] [%{{.*}}, 6, 14, 14] [1, 1, 2, 2]
// CHECK:         %[[P0:.*]] = linalg.generic {{.*}} ins(%[[FIRST]], %[[DY]] : {{.*}}) outs(%[[W0]] : tensor<?x6x14x14xf32>)
// CHECK-NOT:       tensor.extract
// CHECK:         tensor.insert_slice %[[P0]] into %[[DX]][0, 0, 0, 0] [%{{.*}}, 6, 14, 14] [1, 1, 2, 2]
// CHECK:         tensor.insert_slice {{.*}}[0, 0, 0, 1] [%{{.*}}, 6, 14, 14] [1, 1, 2, 2]
// CHECK:         tensor.insert_slice {{.*}}[0, 0, 1, 0] [%{{.*}}, 6, 14, 14] [1, 1, 2, 2]
// CHECK:         %[[R:.*]] = tensor.insert_slice {{.*}}[0, 0, 1, 1] [%{{.*}}, 6, 14, 14] [1, 1, 2, 2]
// CHECK-NOT:     "reduction"
// CHECK:         return %[[R]]
func.func @tiled_windows(%x: tensor<?x6x28x28xf32>, %dy: tensor<?x6x14x14xf32>) -> tensor<?x6x28x28xf32> {
  %0 = dnn.maxpool2d_grad %x, %dy size [2, 2] stride [2, 2] padding [0, 0] : tensor<?x6x28x28xf32>, tensor<?x6x14x14xf32> -> tensor<?x6x28x28xf32>
  return %0 : tensor<?x6x28x28xf32>
}

// -----

// Overlapping, padded windows keep the general form: a first maximum per
// window (a reduction over the window), then each element sums the gradients
// of every window that contains it (a reduction over the window offsets).
// CHECK-LABEL: func.func @overlapping_windows(
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
func.func @overlapping_windows(%x: tensor<?x2x7x7xf32>, %dy: tensor<?x2x4x4xf32>) -> tensor<?x2x7x7xf32> {
  %0 = dnn.maxpool2d_grad %x, %dy size [3, 3] stride [2, 2] padding [1, 1] : tensor<?x2x7x7xf32>, tensor<?x2x4x4xf32> -> tensor<?x2x7x7xf32>
  return %0 : tensor<?x2x7x7xf32>
}
