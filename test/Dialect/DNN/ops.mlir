// RUN: dnn-opt %s | dnn-opt | FileCheck %s
// RUN: dnn-opt %s --mlir-print-op-generic | dnn-opt | FileCheck %s

// Every op of the dialect round-trips through its textual form.

// CHECK-LABEL: dnn.model @structure
dnn.model @structure {
  // CHECK: %[[X:.*]] = dnn.input "x" symbols ["N"] : tensor<?x4xf32>
  %x = dnn.input "x" symbols ["N"] : tensor<?x4xf32>
  // CHECK: dnn.input "scalar" : tensor<f32>
  %s = dnn.input "scalar" : tensor<f32>
  // CHECK: %[[W:.*]] = dnn.param "w" init uniform with {high = 5.000000e-01 : f64, low = -5.000000e-01 : f64} : tensor<4x3xf32>
  %w = dnn.param "w" init uniform with {low = -0.5 : f64, high = 0.5 : f64} : tensor<4x3xf32>
  // CHECK: dnn.param "b" init zeros : tensor<3xf32>
  %b = dnn.param "b" init zeros : tensor<3xf32>
  %y = dnn.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32>
  %l = dnn.sum %y axes [] : tensor<?x3xf32>
  // CHECK: dnn.output "y" %{{.*}} : tensor<?x3xf32>
  dnn.output "y" %y : tensor<?x3xf32>
  // CHECK: dnn.loss "l" %{{.*}} : tensor<f32>
  dnn.loss "l" %l : tensor<f32>
  // CHECK: dnn.train sgd with {lr = 1.000000e-01 : f64, weight_decay = 0.000000e+00 : f64}
  dnn.train sgd with {lr = 0.1 : f64, weight_decay = 0.0 : f64}
}

// CHECK-LABEL: dnn.model @elementwise
dnn.model @elementwise {
  %x = dnn.input "x" symbols ["N"] : tensor<?x4xf32>
  %v = dnn.input "v" : tensor<4xf32>
  %i = dnn.input "i" symbols ["N"] : tensor<?xi32>
  // CHECK: dnn.constant dense<2.000000e+00> : tensor<f32>
  %c = dnn.constant dense<2.0> : tensor<f32>
  // CHECK: dnn.add %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4xf32>
  %0 = dnn.add %x, %v : tensor<?x4xf32>, tensor<4xf32>
  // CHECK: dnn.sub
  %1 = dnn.sub %0, %c : tensor<?x4xf32>, tensor<f32>
  // CHECK: dnn.mul
  %2 = dnn.mul %1, %x : tensor<?x4xf32>, tensor<?x4xf32>
  // CHECK: dnn.div
  %3 = dnn.div %2, %v : tensor<?x4xf32>, tensor<4xf32>
  // CHECK: dnn.neg %{{.*}} : tensor<?x4xf32>
  %4 = dnn.neg %3 : tensor<?x4xf32>
  // CHECK: dnn.pow %{{.*}}, 2.000000e+00 : tensor<?x4xf32>
  %5 = dnn.pow %4, 2.0 : tensor<?x4xf32>
  // CHECK: dnn.relu
  %6 = dnn.relu %5 : tensor<?x4xf32>
  // CHECK: dnn.leaky_relu %{{.*}} slope 1.000000e-02 : tensor<?x4xf32>
  %7 = dnn.leaky_relu %6 slope 0.01 : tensor<?x4xf32>
  // CHECK: dnn.sigmoid
  %8 = dnn.sigmoid %7 : tensor<?x4xf32>
  // CHECK: dnn.silu %{{.*}} : tensor<?x4xf32>
  %silu = dnn.silu %8 : tensor<?x4xf32>
  // CHECK: dnn.softplus %{{.*}} : tensor<?x4xf32>
  %softplus = dnn.softplus %silu : tensor<?x4xf32>
  // CHECK: dnn.tanh
  %9 = dnn.tanh %8 : tensor<?x4xf32>
  // CHECK: dnn.exp
  %10 = dnn.exp %9 : tensor<?x4xf32>
  // CHECK: dnn.log
  %11 = dnn.log %10 : tensor<?x4xf32>
  // CHECK: dnn.sqrt
  %12 = dnn.sqrt %11 : tensor<?x4xf32>
  // CHECK: dnn.abs
  %13 = dnn.abs %12 : tensor<?x4xf32>
  // CHECK: dnn.stop_gradient
  %14 = dnn.stop_gradient %13 : tensor<?x4xf32>
  // CHECK: dnn.abs %{{.*}} : tensor<?xi32>
  %15 = dnn.abs %i : tensor<?xi32>
  dnn.output "o" %14 : tensor<?x4xf32>
  dnn.output "p" %15 : tensor<?xi32>
}

// CHECK-LABEL: dnn.model @reductions_and_shapes
dnn.model @reductions_and_shapes {
  %x = dnn.input "x" symbols ["N"] : tensor<?x784xf32>
  %y = dnn.input "y" symbols ["N"] : tensor<?x2x3xf32>
  // CHECK: dnn.softmax %{{.*}} axis 1 : tensor<?x784xf32>
  %0 = dnn.softmax %x axis 1 : tensor<?x784xf32>
  // CHECK: dnn.log_softmax %{{.*}} axis 1
  %1 = dnn.log_softmax %0 axis 1 : tensor<?x784xf32>
  // CHECK: dnn.sum %{{.*}} axes [1] keepdims : tensor<?x784xf32>
  %2 = dnn.sum %1 axes [1] keepdims : tensor<?x784xf32>
  // CHECK: dnn.mean %{{.*}} axes [0, 1] : tensor<?x784xf32>
  %3 = dnn.mean %1 axes [0, 1] : tensor<?x784xf32>
  // CHECK: dnn.max %{{.*}} axes [] : tensor<?x784xf32>
  %4 = dnn.max %1 axes [] : tensor<?x784xf32>
  // CHECK: dnn.min
  %5 = dnn.min %1 axes [0] : tensor<?x784xf32>
  // CHECK: dnn.argmax %{{.*}} axis 1 : tensor<?x784xf32>
  %6 = dnn.argmax %1 axis 1 : tensor<?x784xf32>
  // CHECK: dnn.reshape %{{.*}} to [-1, 1, 28, 28] : tensor<?x784xf32>
  %7 = dnn.reshape %x to [-1, 1, 28, 28] : tensor<?x784xf32>
  // CHECK: dnn.flatten %{{.*}} : tensor<?x1x28x28xf32>
  %8 = dnn.flatten %7 : tensor<?x1x28x28xf32>
  // CHECK: dnn.transpose %{{.*}} perm [0, 2, 1] : tensor<?x2x3xf32>
  %9 = dnn.transpose %y perm [0, 2, 1] : tensor<?x2x3xf32>
  // CHECK: dnn.concat %{{.*}}, %{{.*}} axis 1 : tensor<?x784xf32>, tensor<?x784xf32>
  %10 = dnn.concat %x, %8 axis 1 : tensor<?x784xf32>, tensor<?x784xf32>
  // CHECK: dnn.matmul %{{.*}}, %{{.*}} : tensor<?x3x2xf32>, tensor<?x2x3xf32>
  %11 = dnn.matmul %9, %y : tensor<?x3x2xf32>, tensor<?x2x3xf32>
  dnn.output "a" %2 : tensor<?x1xf32>
  dnn.output "b" %3 : tensor<f32>
  dnn.output "c" %4 : tensor<f32>
  dnn.output "d" %5 : tensor<784xf32>
  dnn.output "e" %6 : tensor<?xi32>
  dnn.output "f" %10 : tensor<?x1568xf32>
  dnn.output "g" %11 : tensor<?x3x3xf32>
}

// CHECK-LABEL: dnn.model @conv_and_losses
dnn.model @conv_and_losses {
  %x = dnn.input "x" symbols ["N"] : tensor<?x1x28x28xf32>
  %labels = dnn.input "labels" symbols ["N"] : tensor<?xi32>
  %w = dnn.param "w" init he_uniform : tensor<6x1x5x5xf32>
  %b = dnn.param "b" init zeros : tensor<6xf32>
  // CHECK: dnn.conv2d %{{.*}}, %{{.*}}, %{{.*}} stride [1, 1] padding [2, 2] : tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>
  %0 = dnn.conv2d %x, %w, %b stride [1, 1] padding [2, 2] : tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>
  // CHECK: dnn.conv2d %{{.*}}, %{{.*}} stride [2, 2] padding [0, 0] : tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32>{{$}}
  %1 = dnn.conv2d %x, %w stride [2, 2] padding [0, 0] : tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32>
  // CHECK: dnn.maxpool2d %{{.*}} size [2, 2] stride [2, 2] padding [0, 0] : tensor<?x6x28x28xf32>
  %2 = dnn.maxpool2d %0 size [2, 2] stride [2, 2] padding [0, 0] : tensor<?x6x28x28xf32>
  // CHECK: dnn.avgpool2d %{{.*}} size [3, 3] stride [1, 1] padding [1, 1] : tensor<?x6x14x14xf32>
  %3 = dnn.avgpool2d %2 size [3, 3] stride [1, 1] padding [1, 1] : tensor<?x6x14x14xf32>
  %4 = dnn.flatten %3 : tensor<?x6x14x14xf32>
  %logits = dnn.flatten %1 : tensor<?x6x12x12xf32>
  // CHECK: dnn.cross_entropy %{{.*}}, %{{.*}} : tensor<?x864xf32>, tensor<?xi32>
  %5 = dnn.cross_entropy %logits, %labels : tensor<?x864xf32>, tensor<?xi32>
  // CHECK: dnn.one_hot %{{.*}} classes 864 : tensor<?xi32>
  %6 = dnn.one_hot %labels classes 864 : tensor<?xi32>
  // CHECK: dnn.cross_entropy %{{.*}}, %{{.*}} : tensor<?x864xf32>, tensor<?x864xf32>
  %7 = dnn.cross_entropy %logits, %6 : tensor<?x864xf32>, tensor<?x864xf32>
  // CHECK: dnn.mse
  %8 = dnn.mse %logits, %6 : tensor<?x864xf32>, tensor<?x864xf32>
  %p = dnn.sigmoid %logits : tensor<?x864xf32>
  // CHECK: dnn.bce %{{.*}}, %{{.*}} : tensor<?x864xf32>, tensor<?x864xf32>
  %9 = dnn.bce %p, %6 : tensor<?x864xf32>, tensor<?x864xf32>
  // CHECK: dnn.bce_with_logits
  %10 = dnn.bce_with_logits %logits, %6 : tensor<?x864xf32>, tensor<?x864xf32>
  // CHECK: dnn.accuracy %{{.*}}, %{{.*}} : tensor<?x864xf32>, tensor<?xi32>
  %11 = dnn.accuracy %logits, %labels : tensor<?x864xf32>, tensor<?xi32>
  dnn.output "pooled" %4 : tensor<?x1176xf32>
  dnn.output "ce2" %7 : tensor<f32>
  dnn.output "mse" %8 : tensor<f32>
  dnn.output "bce" %9 : tensor<f32>
  dnn.output "bcel" %10 : tensor<f32>
  dnn.output "acc" %11 : tensor<f32>
  dnn.loss "ce" %5 : tensor<f32>
  // CHECK: dnn.train adam with
  dnn.train adam with {lr = 1.0e-3 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64, weight_decay = 0.0 : f64}
}
