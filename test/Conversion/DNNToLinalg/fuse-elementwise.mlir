// RUN: dnn-opt %s --pass-pipeline='builtin.module(func.func(dnn-fuse-elementwise))' | FileCheck %s

// A matmul whose result is reshaped (the im2col product read back as NCHW)
// stays a named linalg.matmul: the reshape is not folded into it, while the
// elementwise ops after it still fuse into one generic.
// CHECK-LABEL: func.func @matmul_then_reshape(
// CHECK:         %[[P:.*]] = linalg.matmul
// CHECK:         %[[E:.*]] = tensor.expand_shape %[[P]]
// CHECK:         linalg.generic {{.*}} ins(%[[E]]
// CHECK:           arith.addf
// CHECK:           arith.maximumf
// CHECK-NOT:     linalg.generic
// CHECK:         return
#swap = affine_map<(d0, d1, d2, d3) -> (d1, d0, d2, d3)>
#bias = affine_map<(d0, d1, d2, d3) -> (d1)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @matmul_then_reshape(%w: tensor<4x27xf32>, %cols: tensor<27x32xf32>, %b: tensor<4xf32>) -> tensor<2x4x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x32xf32>) -> tensor<4x32xf32>
  %p = linalg.matmul ins(%w, %cols : tensor<4x27xf32>, tensor<27x32xf32>) outs(%f : tensor<4x32xf32>) -> tensor<4x32xf32>
  %x = tensor.expand_shape %p [[0], [1, 2, 3]] output_shape [4, 2, 4, 4] : tensor<4x32xf32> into tensor<4x2x4x4xf32>
  %o = tensor.empty() : tensor<2x4x4x4xf32>
  %y = linalg.generic {indexing_maps = [#swap, #bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %b : tensor<4x2x4x4xf32>, tensor<4xf32>) outs(%o : tensor<2x4x4x4xf32>) {
  ^bb0(%v: f32, %c: f32, %out: f32):
    %s = arith.addf %v, %c : f32
    linalg.yield %s : f32
  } -> tensor<2x4x4x4xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y : tensor<2x4x4x4xf32>) outs(%o : tensor<2x4x4x4xf32>) {
  ^bb0(%v: f32, %out: f32):
    %m = arith.maximumf %v, %zero : f32
    linalg.yield %m : f32
  } -> tensor<2x4x4x4xf32>
  return %r : tensor<2x4x4x4xf32>
}
