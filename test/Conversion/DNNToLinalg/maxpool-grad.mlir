// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' | FileCheck %s

// Windows that tile the input (2x2, stride 2, no padding): two elementwise
// passes, no reduction. The first gives each window the offset of its first
// maximum from its four elements; the second gives each input element the
// window's gradient if it is that offset.
// CHECK-LABEL: func.func @tiled_windows(
// CHECK-SAME:    %[[X:.*]]: tensor<?x6x28x28xf32>, %[[DY:.*]]: tensor<?x6x14x14xf32>)
// CHECK-NOT:     "reduction"
// CHECK:         %[[FIRST:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK-SAME:      outs(%{{.*}} : tensor<?x6x14x14xi32>)
// CHECK-COUNT-4:   tensor.extract %[[X]]
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK-SAME:      outs(%{{.*}} : tensor<?x6x28x28xf32>)
// CHECK:           tensor.extract %[[FIRST]]
// CHECK:           tensor.extract %[[DY]]
// CHECK-NOT:     "reduction"
// CHECK:         return
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
