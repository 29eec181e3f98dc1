// RUN: dnn-opt %s -canonicalize -split-input-file | FileCheck %s

// CHECK-LABEL: dnn.model @add_zero
dnn.model @add_zero {
  // CHECK: %[[X:.*]] = dnn.input "x"
  %x = dnn.input "x" symbols ["N"] : tensor<?x4xf32>
  %zero = dnn.constant dense<0.0> : tensor<f32>
  %0 = dnn.add %x, %zero : tensor<?x4xf32>, tensor<f32>
  %1 = dnn.add %zero, %0 : tensor<f32>, tensor<?x4xf32>
  %2 = dnn.sub %1, %zero : tensor<?x4xf32>, tensor<f32>
  // CHECK-NEXT: dnn.output "y" %[[X]]
  dnn.output "y" %2 : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: dnn.model @mul_div_one
dnn.model @mul_div_one {
  // CHECK: %[[X:.*]] = dnn.input "x"
  %x = dnn.input "x" : tensor<3xf32>
  %one = dnn.constant dense<1.0> : tensor<f32>
  %0 = dnn.mul %one, %x : tensor<f32>, tensor<3xf32>
  %1 = dnn.div %0, %one : tensor<3xf32>, tensor<f32>
  %2 = dnn.pow %1, 1.0 : tensor<3xf32>
  // CHECK-NEXT: dnn.output "y" %[[X]]
  dnn.output "y" %2 : tensor<3xf32>
}

// -----

// Adding a zero that broadcasts the operand to a larger shape must stay.
// CHECK-LABEL: dnn.model @broadcasting_identity_is_kept
dnn.model @broadcasting_identity_is_kept {
  %x = dnn.input "x" : tensor<3xf32>
  %zero = dnn.constant dense<0.0> : tensor<2x3xf32>
  // CHECK: dnn.add
  %0 = dnn.add %x, %zero : tensor<3xf32>, tensor<2x3xf32>
  dnn.output "y" %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: dnn.model @constant_fold
dnn.model @constant_fold {
  %a = dnn.constant dense<2.0> : tensor<f32>
  %b = dnn.constant dense<3.0> : tensor<f32>
  %0 = dnn.mul %a, %b : tensor<f32>, tensor<f32>
  %1 = dnn.sub %0, %a : tensor<f32>, tensor<f32>
  %2 = dnn.neg %1 : tensor<f32>
  // CHECK: %[[C:.*]] = dnn.constant dense<-4.000000e+00> : tensor<f32>
  // CHECK-NEXT: dnn.output "y" %[[C]]
  dnn.output "y" %2 : tensor<f32>
}

// -----

// CHECK-LABEL: dnn.model @double_negation
dnn.model @double_negation {
  // CHECK: %[[X:.*]] = dnn.input "x"
  %x = dnn.input "x" : tensor<3xf32>
  %0 = dnn.neg %x : tensor<3xf32>
  %1 = dnn.neg %0 : tensor<3xf32>
  // CHECK-NEXT: dnn.output "y" %[[X]]
  dnn.output "y" %1 : tensor<3xf32>
}

// -----

// CHECK-LABEL: dnn.model @idempotent_relu_and_stop_gradient
dnn.model @idempotent_relu_and_stop_gradient {
  %x = dnn.input "x" : tensor<3xf32>
  // CHECK: %[[R:.*]] = dnn.relu
  // CHECK-NOT: dnn.relu
  %0 = dnn.relu %x : tensor<3xf32>
  %1 = dnn.relu %0 : tensor<3xf32>
  // CHECK: %[[S:.*]] = dnn.stop_gradient %[[R]]
  // CHECK-NOT: dnn.stop_gradient
  %2 = dnn.stop_gradient %1 : tensor<3xf32>
  %3 = dnn.stop_gradient %2 : tensor<3xf32>
  // CHECK: dnn.output "y" %[[S]]
  dnn.output "y" %3 : tensor<3xf32>
}

// -----

// CHECK-LABEL: dnn.model @double_transpose
dnn.model @double_transpose {
  // CHECK: %[[X:.*]] = dnn.input "x"
  %x = dnn.input "x" : tensor<2x3x4xf32>
  %0 = dnn.transpose %x perm [0, 2, 1] : tensor<2x3x4xf32>
  %1 = dnn.transpose %0 perm [0, 2, 1] : tensor<2x4x3xf32>
  // CHECK-NEXT: dnn.output "y" %[[X]]
  dnn.output "y" %1 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: dnn.model @transpose_chain_composes
dnn.model @transpose_chain_composes {
  // CHECK: %[[X:.*]] = dnn.input "x"
  %x = dnn.input "x" : tensor<2x3x4xf32>
  // CHECK-NEXT: %[[T:.*]] = dnn.transpose %[[X]] perm [2, 0, 1] : tensor<2x3x4xf32>
  %0 = dnn.transpose %x perm [1, 0, 2] : tensor<2x3x4xf32>
  %1 = dnn.transpose %0 perm [2, 1, 0] : tensor<3x2x4xf32>
  // CHECK-NEXT: dnn.output "y" %[[T]]
  dnn.output "y" %1 : tensor<4x2x3xf32>
}

// -----

// CHECK-LABEL: dnn.model @reshape_of_reshape
dnn.model @reshape_of_reshape {
  // CHECK: %[[X:.*]] = dnn.input "x"
  %x = dnn.input "x" symbols ["N"] : tensor<?x784xf32>
  // CHECK-NEXT: %[[R:.*]] = dnn.reshape %[[X]] to [-1, 28, 28] : tensor<?x784xf32>
  %0 = dnn.reshape %x to [-1, 1, 28, 28] : tensor<?x784xf32>
  %1 = dnn.reshape %0 to [-1, 28, 28] : tensor<?x1x28x28xf32>
  // CHECK-NEXT: dnn.output "y" %[[R]]
  dnn.output "y" %1 : tensor<?x28x28xf32>
}

// -----

// CHECK-LABEL: dnn.model @reshape_round_trip
dnn.model @reshape_round_trip {
  // CHECK: %[[X:.*]] = dnn.input "x"
  %x = dnn.input "x" symbols ["N"] : tensor<?x784xf32>
  %0 = dnn.reshape %x to [-1, 1, 28, 28] : tensor<?x784xf32>
  %1 = dnn.flatten %0 : tensor<?x1x28x28xf32>
  %2 = dnn.reshape %1 to [-1, 784] : tensor<?x784xf32>
  // CHECK: dnn.output "y" %{{.*}} : tensor<?x784xf32>
  dnn.output "y" %2 : tensor<?x784xf32>
}

// -----

// CHECK-LABEL: dnn.model @trivial_shape_ops
dnn.model @trivial_shape_ops {
  // CHECK: %[[X:.*]] = dnn.input "x"
  %x = dnn.input "x" symbols ["N"] : tensor<?x4xf32>
  %0 = dnn.flatten %x : tensor<?x4xf32>
  %1 = dnn.transpose %0 perm [0, 1] : tensor<?x4xf32>
  %2 = dnn.concat %1 axis 0 : tensor<?x4xf32>
  %3 = dnn.reshape %2 to [-1, 4] : tensor<?x4xf32>
  // CHECK-NEXT: dnn.output "y" %[[X]]
  dnn.output "y" %3 : tensor<?x4xf32>
}

// -----

// Integer division by zero is not folded: run time reports it.
// CHECK-LABEL: dnn.model @no_fold_int_div_by_zero
dnn.model @no_fold_int_div_by_zero {
  %a = dnn.constant dense<3> : tensor<i32>
  %b = dnn.constant dense<0> : tensor<i32>
  // CHECK: dnn.div
  %0 = dnn.div %a, %b : tensor<i32>, tensor<i32>
  dnn.output "y" %0 : tensor<i32>
}
