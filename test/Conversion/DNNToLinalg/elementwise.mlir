// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' | FileCheck %s

// Elementwise ops become one parallel linalg.generic whose indexing maps
// implement NumPy broadcasting; dynamic result sizes come from tensor.dim.

// CHECK-DAG: #[[$ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_broadcast(
// CHECK-SAME:    %[[A:.*]]: tensor<?x4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         %[[N:.*]] = tensor.dim %[[A]], %[[C0]] : tensor<?x4xf32>
// CHECK:         %[[INIT:.*]] = tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$ROW]], #[[$ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[A]], %[[B]] : tensor<?x4xf32>, tensor<4xf32>) outs(%[[INIT]] : tensor<?x4xf32>)
// CHECK:         ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[X]], %[[Y]] : f32
// CHECK-NEXT:      linalg.yield %[[S]] : f32
// CHECK:         return %[[R]]
func.func @add_broadcast(%a: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %0 = dnn.add %a, %b : tensor<?x4xf32>, tensor<4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// Size-1 dimensions that the result widens read index 0.
// CHECK-DAG: #[[$COL:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[$ROW0:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-DAG: #[[$ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @sub_int_outer(
// CHECK:         %[[INIT:.*]] = tensor.empty() : tensor<3x4xi32>
// CHECK:         linalg.generic {indexing_maps = [#[[$COL]], #[[$ROW0]], #[[$ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      outs(%[[INIT]] : tensor<3x4xi32>)
// CHECK:           arith.subi %{{.*}}, %{{.*}} : i32
// CHECK:         } -> tensor<3x4xi32>
func.func @sub_int_outer(%a: tensor<3x1xi32>, %b: tensor<1x4xi32>) -> tensor<3x4xi32> {
  %0 = dnn.sub %a, %b : tensor<3x1xi32>, tensor<1x4xi32>
  return %0 : tensor<3x4xi32>
}

// -----

// A rank-0 operand is read through an empty map.
// CHECK-DAG: #[[$ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @mul_scalar(
// CHECK:         linalg.generic {indexing_maps = [#[[$ID2]], #[[$SCALAR]], #[[$ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%{{.*}}, %{{.*}} : tensor<2x3xf64>, tensor<f64>)
// CHECK:           arith.mulf %{{.*}}, %{{.*}} : f64
func.func @mul_scalar(%a: tensor<2x3xf64>, %b: tensor<f64>) -> tensor<2x3xf64> {
  %0 = dnn.mul %a, %b : tensor<2x3xf64>, tensor<f64>
  return %0 : tensor<2x3xf64>
}

// -----

// CHECK-LABEL: func.func @mul_int(
// CHECK:         linalg.generic
// CHECK:           arith.muli %{{.*}}, %{{.*}} : i32
func.func @mul_int(%a: tensor<5xi32>, %b: tensor<5xi32>) -> tensor<5xi32> {
  %0 = dnn.mul %a, %b : tensor<5xi32>, tensor<5xi32>
  return %0 : tensor<5xi32>
}

// -----

// CHECK-LABEL: func.func @add_int(
// CHECK:         linalg.generic
// CHECK:           arith.addi %{{.*}}, %{{.*}} : i32
func.func @add_int(%a: tensor<5xi32>, %b: tensor<5xi32>) -> tensor<5xi32> {
  %0 = dnn.add %a, %b : tensor<5xi32>, tensor<5xi32>
  return %0 : tensor<5xi32>
}

// -----

// CHECK-LABEL: func.func @div(
// CHECK:         linalg.generic
// CHECK:           %[[Q:.*]] = arith.divf %{{.*}}, %{{.*}} : f32
// CHECK-NEXT:      linalg.yield %[[Q]]
func.func @div(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = dnn.div %a, %b : tensor<2x3xf32>, tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @div_int(
// CHECK:         linalg.generic
// CHECK:           arith.divsi %{{.*}}, %{{.*}} : i32
func.func @div_int(%a: tensor<5xi32>, %b: tensor<5xi32>) -> tensor<5xi32> {
  %0 = dnn.div %a, %b : tensor<5xi32>, tensor<5xi32>
  return %0 : tensor<5xi32>
}

// -----

// CHECK-DAG: #[[$ID1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @neg(
// CHECK:         linalg.generic {indexing_maps = [#[[$ID1]], #[[$ID1]]], iterator_types = ["parallel"]}
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[R:.*]] = arith.negf %[[X]] : f32
// CHECK-NEXT:      linalg.yield %[[R]]
func.func @neg(%a: tensor<3xf32>) -> tensor<3xf32> {
  %0 = dnn.neg %a : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Integers have no negation op: 0 - x.
// CHECK-LABEL: func.func @neg_int(
// CHECK:         ^bb0(%[[X:.*]]: i32, %{{.*}}: i32):
// CHECK:           %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK:           %[[R:.*]] = arith.subi %[[ZERO]], %[[X]] : i32
// CHECK-NEXT:      linalg.yield %[[R]]
func.func @neg_int(%a: tensor<3xi32>) -> tensor<3xi32> {
  %0 = dnn.neg %a : tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// CHECK-LABEL: func.func @abs(
// CHECK:         linalg.generic
// CHECK:           math.absf %{{.*}} : f32
func.func @abs(%a: tensor<3xf32>) -> tensor<3xf32> {
  %0 = dnn.abs %a : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// |x| of an integer is max(x, 0 - x), which vectorizes.
// CHECK-LABEL: func.func @abs_int(
// CHECK:         ^bb0(%[[X:.*]]: i32, %{{.*}}: i32):
// CHECK:           %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK:           %[[NEG:.*]] = arith.subi %[[ZERO]], %[[X]] : i32
// CHECK:           %[[R:.*]] = arith.maxsi %[[X]], %[[NEG]] : i32
// CHECK-NEXT:      linalg.yield %[[R]]
func.func @abs_int(%a: tensor<3xi32>) -> tensor<3xi32> {
  %0 = dnn.abs %a : tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// Each op is its own generic (fusion is a later pass); each one sizes its
// result from its own operand.
// CHECK-LABEL: func.func @exp_log_sqrt(
// CHECK-SAME:    %[[A:.*]]: tensor<?xf32>)
// CHECK:         %[[D0:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?xf32>
// CHECK:         %[[E0:.*]] = tensor.empty(%[[D0]]) : tensor<?xf32>
// CHECK:         %[[EXP:.*]] = linalg.generic {{.*}} ins(%[[A]] : tensor<?xf32>) outs(%[[E0]] : tensor<?xf32>)
// CHECK:           math.exp
// CHECK:         %[[D1:.*]] = tensor.dim %[[EXP]], %{{.*}} : tensor<?xf32>
// CHECK:         %[[E1:.*]] = tensor.empty(%[[D1]]) : tensor<?xf32>
// CHECK:         %[[LOG:.*]] = linalg.generic {{.*}} ins(%[[EXP]] : tensor<?xf32>) outs(%[[E1]] : tensor<?xf32>)
// CHECK:           math.log
// CHECK:         %[[SQRT:.*]] = linalg.generic {{.*}} ins(%[[LOG]] : tensor<?xf32>)
// CHECK:           math.sqrt
// CHECK:         return %[[SQRT]]
func.func @exp_log_sqrt(%a: tensor<?xf32>) -> tensor<?xf32> {
  %0 = dnn.exp %a : tensor<?xf32>
  %1 = dnn.log %0 : tensor<?xf32>
  %2 = dnn.sqrt %1 : tensor<?xf32>
  return %2 : tensor<?xf32>
}

// -----

// x ** 2 is a multiplication.
// CHECK-LABEL: func.func @pow_square(
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[X]], %[[X]] : f32
// CHECK-NEXT:      linalg.yield %[[R]]
// CHECK-NOT:     math.
func.func @pow_square(%a: tensor<3xf32>) -> tensor<3xf32> {
  %0 = dnn.pow %a, 2.0 : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// x ** 0.5 is a square root.
// CHECK-LABEL: func.func @pow_half(
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[R:.*]] = math.sqrt %[[X]] : f32
// CHECK-NEXT:      linalg.yield %[[R]]
func.func @pow_half(%a: tensor<3xf32>) -> tensor<3xf32> {
  %0 = dnn.pow %a, 0.5 : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Integral exponents are powers by squaring (plain multiplies); a negative
// one takes the reciprocal: x ** -3 = 1 / ((1 * x) * (x * x)).
// CHECK-LABEL: func.func @pow_int(
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:           %[[P1:.*]] = arith.mulf %[[ONE]], %[[X]] : f32
// CHECK:           %[[SQ:.*]] = arith.mulf %[[X]], %[[X]] : f32
// CHECK:           %[[P3:.*]] = arith.mulf %[[P1]], %[[SQ]] : f32
// CHECK:           %[[R:.*]] = arith.divf %{{.*}}, %[[P3]] : f32
// CHECK-NEXT:      linalg.yield %[[R]]
// CHECK-NOT:     math.
func.func @pow_int(%a: tensor<3xf32>) -> tensor<3xf32> {
  %0 = dnn.pow %a, -3.0 : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @pow_fractional(
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[E:.*]] = arith.constant 1.500000e+00 : f32
// CHECK:           %[[R:.*]] = math.powf %[[X]], %[[E]] : f32
// CHECK-NEXT:      linalg.yield %[[R]]
func.func @pow_fractional(%a: tensor<3xf32>) -> tensor<3xf32> {
  %0 = dnn.pow %a, 1.5 : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// stop_gradient is the identity in the forward pass.
// CHECK-LABEL: func.func @stop_gradient(
// CHECK-SAME:    %[[A:.*]]: tensor<3xf32>)
// CHECK-NEXT:    return %[[A]] : tensor<3xf32>
func.func @stop_gradient(%a: tensor<3xf32>) -> tensor<3xf32> {
  %0 = dnn.stop_gradient %a : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @constant(
// CHECK-NEXT:    %[[C:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:    return %[[C]]
func.func @constant() -> tensor<2xf32> {
  %0 = dnn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// x ** 5 = x * x^4, squaring twice.
// CHECK-LABEL: func.func @pow_five(
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[P1:.*]] = arith.mulf %{{.*}}, %[[X]] : f32
// CHECK:           %[[X2:.*]] = arith.mulf %[[X]], %[[X]] : f32
// CHECK:           %[[X4:.*]] = arith.mulf %[[X2]], %[[X2]] : f32
// CHECK:           %[[R:.*]] = arith.mulf %[[P1]], %[[X4]] : f32
// CHECK-NEXT:      linalg.yield %[[R]]
func.func @pow_five(%a: tensor<3xf32>) -> tensor<3xf32> {
  %0 = dnn.pow %a, 5.0 : tensor<3xf32>
  return %0 : tensor<3xf32>
}
