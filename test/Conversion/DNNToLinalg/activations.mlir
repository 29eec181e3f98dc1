// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' | FileCheck %s

// CHECK-DAG: #[[$ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @relu(
// CHECK-SAME:    %[[A:.*]]: tensor<?x8xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x8xf32>
// CHECK:         %[[INIT:.*]] = tensor.empty(%[[N]]) : tensor<?x8xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[$ID2]], #[[$ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[A]] : tensor<?x8xf32>) outs(%[[INIT]] : tensor<?x8xf32>)
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           %[[R:.*]] = arith.maximumf %[[X]], %[[ZERO]] : f32
// CHECK-NEXT:      linalg.yield %[[R]] : f32
func.func @relu(%a: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = dnn.relu %a : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// sigmoid(x) = 1 / (1 + exp(-x)).
// CHECK-LABEL: func.func @sigmoid(
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[NEG:.*]] = arith.negf %[[X]] : f32
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[NEG]] : f32
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[DEN:.*]] = arith.addf %[[ONE]], %[[E]] : f32
// CHECK-NEXT:      %[[ONE2:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[R:.*]] = arith.divf %[[ONE2]], %[[DEN]] : f32
// CHECK-NEXT:      linalg.yield %[[R]] : f32
func.func @sigmoid(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = dnn.sigmoid %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @tanh(
// CHECK:         ^bb0(%[[X:.*]]: f64, %{{.*}}: f64):
// CHECK-NEXT:      %[[R:.*]] = math.tanh %[[X]] : f64
// CHECK-NEXT:      linalg.yield %[[R]] : f64
func.func @tanh(%a: tensor<4xf64>) -> tensor<4xf64> {
  %0 = dnn.tanh %a : tensor<4xf64>
  return %0 : tensor<4xf64>
}

// -----

// leaky_relu(x) = x > 0 ? x : slope * x.
// CHECK-LABEL: func.func @leaky_relu(
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG:       %[[SLOPE:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG:       %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           %[[POS:.*]] = arith.cmpf ogt, %[[X]], %[[ZERO]] : f32
// CHECK:           %[[SCALED:.*]] = arith.mulf %[[X]], %[[SLOPE]] : f32
// CHECK:           %[[R:.*]] = arith.select %[[POS]], %[[X]], %[[SCALED]] : f32
// CHECK-NEXT:      linalg.yield %[[R]] : f32
func.func @leaky_relu(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = dnn.leaky_relu %a slope 0.25 : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// silu(x) = x / (1 + exp(-x)): one divide, no separate sigmoid and multiply.
// CHECK-LABEL: func.func @silu(
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[NEG:.*]] = arith.negf %[[X]] : f32
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[NEG]] : f32
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[DEN:.*]] = arith.addf %[[ONE]], %[[E]] : f32
// CHECK-NEXT:      %[[R:.*]] = arith.divf %[[X]], %[[DEN]] : f32
// CHECK-NEXT:      linalg.yield %[[R]] : f32
func.func @silu(%a: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = dnn.silu %a : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// softplus(x) = max(x, 0) + log1p(exp(-|x|)), which never exponentiates a
// positive number (log(1 + exp(x)) overflows for x > 88).
// CHECK-LABEL: func.func @softplus(
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[ABS:.*]] = math.absf %[[X]] : f32
// CHECK-NEXT:      %[[NEG:.*]] = arith.negf %[[ABS]] : f32
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[NEG]] : f32
// CHECK-NEXT:      %[[L:.*]] = math.log1p %[[E]] : f32
// CHECK-NEXT:      %[[M:.*]] = arith.maximumf %[[X]], %{{.*}} : f32
// CHECK-NEXT:      %[[R:.*]] = arith.addf %[[M]], %[[L]] : f32
// CHECK-NEXT:      linalg.yield %[[R]] : f32
func.func @softplus(%a: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = dnn.softplus %a : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
