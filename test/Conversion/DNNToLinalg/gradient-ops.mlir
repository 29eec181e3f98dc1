// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' | FileCheck %s

// The building blocks of the backward graph (the ops gradient rules emit),
// each one elementwise generic or a view.

// relu_grad: grad where x > 0; elsewhere 0 for relu (a select of the
// constant, so an infinite grad does not leak through as NaN) and
// slope * grad for leaky_relu.
// CHECK-LABEL: func.func @relu_grad(
// CHECK:         linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<?x3xf32>, tensor<?x3xf32>)
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %[[G:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[POS:.*]] = arith.cmpf ogt, %[[X]], %[[ZERO]] : f32
// CHECK-NEXT:      %[[R:.*]] = arith.select %[[POS]], %[[G]], %[[ZERO]] : f32
// CHECK-NEXT:      linalg.yield %[[R]]
// CHECK:         linalg.generic
// CHECK-NEXT:    ^bb0(%[[X2:.*]]: f32, %[[G2:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG:       %[[ZERO2:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:       %[[SLOPE:.*]] = arith.constant 1.000000e-01 : f32
// CHECK:           %[[SCALED:.*]] = arith.mulf %[[G2]], %[[SLOPE]] : f32
// CHECK-NEXT:      %[[POS2:.*]] = arith.cmpf ogt, %[[X2]], %[[ZERO2]] : f32
// CHECK-NEXT:      arith.select %[[POS2]], %[[G2]], %[[SCALED]] : f32
func.func @relu_grad(%x: tensor<?x3xf32>, %g: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %0 = dnn.relu_grad %x, %g slope 0.000000e+00 : tensor<?x3xf32>
  %1 = dnn.relu_grad %x, %g slope 1.000000e-01 : tensor<?x3xf32>
  return %0, %1 : tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

// gelu and its gradient: erf becomes upstream's polynomial approximation
// (fma chains and a divide, no math.erf left to call libm per element);
// the erf form's derivative adds x * exp(-x^2 / 2) / sqrt(2 pi), the tanh
// form's uses math.tanh of sqrt(2/pi) (x + 0.044715 x^3).
// CHECK-LABEL: func.func @gelu(
// CHECK-NOT:     math.erf
// CHECK:         linalg.generic
// CHECK:           math.fma
// CHECK:           arith.divf
// CHECK:           linalg.yield
// CHECK:         linalg.generic
// CHECK:           math.fma
// CHECK:           math.exp
// CHECK:           arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK:           linalg.yield
// CHECK:         linalg.generic
// CHECK-NOT:       math.fma
// CHECK:           math.tanh
// CHECK:           linalg.yield
// CHECK-NOT:     math.erf
func.func @gelu(%x: tensor<?x3xf32>, %g: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>) {
  %0 = dnn.gelu %x : tensor<?x3xf32>
  %1 = dnn.gelu_grad %x, %g : tensor<?x3xf32>
  %2 = dnn.gelu_grad %x, %g tanh : tensor<?x3xf32>
  return %0, %1, %2 : tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

// sign (abs's gradient): -1 or 1 by two ordered compares, else 0; equal
// (the mask of max's gradient): 1 or 0; maximum.
// CHECK-LABEL: func.func @sign_equal_maximum(
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG:       %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:       %[[MINUS:.*]] = arith.constant -1.000000e+00 : f32
// CHECK:           %[[NEG:.*]] = arith.cmpf olt, %[[X]], %[[ZERO]] : f32
// CHECK-NEXT:      %[[S:.*]] = arith.select %[[NEG]], %[[MINUS]], %[[ZERO]] : f32
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[POS:.*]] = arith.cmpf ogt, %[[X]], %[[ZERO]] : f32
// CHECK-NEXT:      arith.select %[[POS]], %[[ONE]], %[[S]] : f32
// CHECK:         ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG:       %[[ONE2:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG:       %[[ZERO2:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           %[[EQ:.*]] = arith.cmpf oeq, %[[A]], %[[B]] : f32
// CHECK-NEXT:      arith.select %[[EQ]], %[[ONE2]], %[[ZERO2]] : f32
// CHECK:         ^bb0(%[[C:.*]]: f32, %[[D:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      arith.maximumf %[[C]], %[[D]] : f32
func.func @sign_equal_maximum(%x: tensor<?x3xf32>, %m: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>) {
  %0 = dnn.sign %x : tensor<?x3xf32>
  %1 = dnn.equal %x, %m : tensor<?x3xf32>, tensor<?x3xf32>
  %2 = dnn.maximum %x, %m : tensor<?x3xf32>, tensor<?x3xf32>
  return %0, %1, %2 : tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

// broadcast_like (the gradient of a reduction): the reduced value read
// through a map that drops the broadcast axes; with divide_by_count (mean)
// divided by the number of elements it stands for, here N * 3.
// CHECK-DAG:   #[[$SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-DAG:   #[[$ROWS:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @broadcast_like(
// CHECK:         %[[COUNT:.*]] = arith.muli %c3, %{{.*}} : index
// CHECK:         %[[I:.*]] = arith.index_cast %[[COUNT]] : index to i64
// CHECK:         %[[F:.*]] = arith.sitofp %[[I]] : i64 to f32
// CHECK:         linalg.generic {indexing_maps = [#[[$SCALAR]], #{{.*}}]{{.*}} ins(%arg0 : tensor<f32>)
// CHECK:           arith.divf %{{.*}}, %[[F]] : f32
// CHECK:         linalg.generic {indexing_maps = [#[[$ROWS]], #{{.*}}]{{.*}} ins(%arg1 : tensor<?xf32>)
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      linalg.yield %[[IN]] : f32
func.func @broadcast_like(%s: tensor<f32>, %r: tensor<?xf32>, %like: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %0 = dnn.broadcast_like %s like %like axes [0, 1] divide_by_count : tensor<f32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %1 = dnn.broadcast_like %r like %like axes [1] : tensor<?xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  return %0, %1 : tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

// slice (concat's gradient): a view, no copy.
// CHECK-LABEL: func.func @slice(
// CHECK:         %[[N:.*]] = tensor.dim %arg0, %c0
// CHECK:         %[[S:.*]] = tensor.extract_slice %arg0[0, 3] [%[[N]], 3] [1, 1] : tensor<?x6xf32> to tensor<?x3xf32>
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[S]]
func.func @slice(%x: tensor<?x6xf32>) -> tensor<?x3xf32> {
  %0 = dnn.slice %x axis 1 start 3 : tensor<?x6xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
