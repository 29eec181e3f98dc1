// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(dnn-fuse-shared-elementwise))' | FileCheck %s

// x@w+b is read by relu and, after the next layer (here a column sum),
// by relu_grad: it is fused into relu (its first user), the fused op yields
// both values, and relu_grad reads the stored x@w+b instead of recomputing
// it. The fused op's first user is then the next layer, which is not
// elementwise, so fusion stops there.
// CHECK-LABEL: func.func @dense_relu_and_grad(
// CHECK-SAME:    %[[MM:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<8xf32>, %[[DY:.*]]: tensor<4x8xf32>)
// CHECK:         %[[F:.*]]:2 = linalg.generic
// CHECK-SAME:      ins(%[[MM]], %[[B]] :
// CHECK:           %[[PRE:.*]] = arith.addf
// CHECK:           %[[ACT:.*]] = arith.maximumf %[[PRE]]
// CHECK:           linalg.yield %[[PRE]], %[[ACT]]
// CHECK:         %[[NEXT:.*]] = linalg.generic
// CHECK-SAME:      ins(%[[F]]#1 :
// CHECK:         %[[G:.*]] = linalg.generic
// CHECK-SAME:      ins(%[[F]]#0, %[[DY]] :
// CHECK-NOT:       arith.addf
// CHECK:         return %[[NEXT]], %[[G]]
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @dense_relu_and_grad(%mm: tensor<4x8xf32>, %b: tensor<8xf32>, %dy: tensor<4x8xf32>)
    -> (tensor<8xf32>, tensor<4x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %e1 = tensor.empty() : tensor<8xf32>
  %pre = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %b : tensor<4x8xf32>, tensor<8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%m: f32, %bias: f32, %o: f32):
    %s = arith.addf %m, %bias : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %act = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%pre : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%p: f32, %o: f32):
    %r = arith.maximumf %p, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %next = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%act : tensor<4x8xf32>) outs(%e1 : tensor<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %grad = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%pre, %dy : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%p: f32, %d: f32, %o: f32):
    %pos = arith.cmpf ogt, %p, %zero : f32
    %g = arith.select %pos, %d, %zero : f32
    linalg.yield %g : f32
  } -> tensor<4x8xf32>
  return %next, %grad : tensor<8xf32>, tensor<4x8xf32>
}

// -----

// The first user is a reduction: fusing would have to write the shared value
// from inside the reduction loop, so nothing changes.
// CHECK-LABEL: func.func @first_user_reduces(
// CHECK-COUNT-3: linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @first_user_reduces(%x: tensor<4x8xf32>) -> (tensor<8xf32>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %e1 = tensor.empty() : tensor<8xf32>
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%sq : tensor<4x8xf32>) outs(%e1 : tensor<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %neg = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sq : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<4x8xf32>
  return %sum, %neg : tensor<8xf32>, tensor<4x8xf32>
}

// -----

// A first user that reads the shared value twice (y * y) is not fused into:
// it would still read the value after the fusion, i.e. its own result once
// the other users are redirected (a use-after-free in the compiler before).
// CHECK-LABEL: func.func @square_of_shared(
// CHECK:         %[[Y:.*]] = linalg.generic
// CHECK:         %[[SQ:.*]] = linalg.generic
// CHECK-SAME:      ins(%[[Y]], %[[Y]] :
// CHECK:         return %[[Y]], %[[SQ]]
#id2 = affine_map<(d0) -> (d0)>
func.func @square_of_shared(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %y = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.tanh %a : f32
    linalg.yield %t : f32
  } -> tensor<8xf32>
  %sq = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel"]}
      ins(%y, %y : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  return %y, %sq : tensor<8xf32>, tensor<8xf32>
}

// -----

// A producer that gathers (tensor.extract in its body) is not fused into its
// users: they would gather too, i.e. run as scalar code instead of vectors.
// CHECK-LABEL: func.func @gathering_producer(
// CHECK:         %[[G:.*]] = linalg.generic
// CHECK:           tensor.extract
// CHECK:         %[[A:.*]] = linalg.generic {{.*}} ins(%[[G]], %{{.*}} :
// CHECK-NOT:       tensor.extract
// CHECK:         %[[B:.*]] = linalg.generic {{.*}} ins(%[[G]], %{{.*}} :
// CHECK:         return %[[A]], %[[B]]
#id3 = affine_map<(d0) -> (d0)>
func.func @gathering_producer(%x: tensor<8xf32>, %table: tensor<16xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %g = linalg.generic {indexing_maps = [#id3], iterator_types = ["parallel"]} outs(%e : tensor<8xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %v = tensor.extract %table[%i] : tensor<16xf32>
    linalg.yield %v : f32
  } -> tensor<8xf32>
  %a = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel"]}
      ins(%g, %x : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  %b = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel"]}
      ins(%g, %x : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.addf %p, %q : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  return %a, %b : tensor<8xf32>, tensor<8xf32>
}
