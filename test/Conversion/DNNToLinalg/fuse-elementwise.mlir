// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(dnn-fuse-elementwise))' | FileCheck %s

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

// -----

// An elementwise producer is not fused into a reduction that reads each of
// its elements several times: the filter gradient reads dy once per input
// channel and window offset, so relu_grad's mask stays a pass of its own
// (fused, it would run KH*KW times per element and hide the filter
// gradient's structure from its direct kernel). A reduction that reads each
// element once (the row sum) still takes its producer.
// CHECK-LABEL: func.func @no_fusion_into_filter_gradient(
// CHECK:         %[[MASKED:.*]] = linalg.generic
// CHECK:           arith.select
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %[[MASKED]] :
// CHECK:           arith.mulf
// CHECK:         linalg.generic
// CHECK:           arith.cmpf
// CHECK:           arith.addf
// CHECK-NOT:     linalg.generic
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#x = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d1, d5 + d2, d6 + d3)>
#dy = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d0, d5, d6)>
#dw = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @no_fusion_into_filter_gradient(%x: tensor<2x1x6x6xf32>, %g: tensor<2x3x4x4xf32>, %a: tensor<2x3x4x4xf32>, %m: tensor<4x8xf32>) -> (tensor<3x1x3x3xf32>, tensor<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3x4x4xf32>
  %masked = linalg.generic {indexing_maps = [#id4, #id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%g, %a : tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) outs(%e : tensor<2x3x4x4xf32>) {
  ^bb0(%gv: f32, %av: f32, %out: f32):
    %pos = arith.cmpf ogt, %av, %zero : f32
    %r = arith.select %pos, %gv, %zero : f32
    linalg.yield %r : f32
  } -> tensor<2x3x4x4xf32>
  %we = tensor.empty() : tensor<3x1x3x3xf32>
  %wf = linalg.fill ins(%zero : f32) outs(%we : tensor<3x1x3x3xf32>) -> tensor<3x1x3x3xf32>
  %dw = linalg.generic {indexing_maps = [#x, #dy, #dw], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %masked : tensor<2x1x6x6xf32>, tensor<2x3x4x4xf32>) outs(%wf : tensor<3x1x3x3xf32>) {
  ^bb0(%xv: f32, %dv: f32, %acc: f32):
    %p = arith.mulf %xv, %dv : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<3x1x3x3xf32>
  %me = tensor.empty() : tensor<4x8xf32>
  %relu = linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<4x8xf32>) outs(%me : tensor<4x8xf32>) {
  ^bb0(%v: f32, %out: f32):
    %pos = arith.cmpf ogt, %v, %zero : f32
    %r = arith.select %pos, %v, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %se = tensor.empty() : tensor<4xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%se : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]}
      ins(%relu : tensor<4x8xf32>) outs(%sf : tensor<4xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %dw, %sum : tensor<3x1x3x3xf32>, tensor<4xf32>
}
