// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(dnn.model(dnn-pool-before-activation))' | FileCheck %s

// relu then max pooling becomes max pooling then relu, on the pooled tensor.
// CHECK-LABEL: dnn.model @conv_block
// CHECK:         %[[X:.*]] = dnn.input "x"
// CHECK:         %[[POOL:.*]] = dnn.maxpool2d %[[X]] size [2, 2] stride [2, 2] padding [0, 0] : tensor<?x6x28x28xf32>
// CHECK:         %[[RELU:.*]] = dnn.relu %[[POOL]] : tensor<?x6x14x14xf32>
// CHECK:         dnn.output "y" %[[RELU]]
// CHECK-NOT:     dnn.relu
dnn.model @conv_block {
  %x = dnn.input "x" symbols ["N"] : tensor<?x6x28x28xf32>
  %r = dnn.relu %x : tensor<?x6x28x28xf32>
  %p = dnn.maxpool2d %r size [2, 2] stride [2, 2] padding [0, 0] : tensor<?x6x28x28xf32>
  dnn.output "y" %p : tensor<?x6x14x14xf32>
}

// -----

// An activation with another user stays where it is: pooling first would
// compute it twice.
// CHECK-LABEL: dnn.model @shared_relu
// CHECK:         %[[RELU:.*]] = dnn.relu
// CHECK:         dnn.maxpool2d %[[RELU]]
dnn.model @shared_relu {
  %x = dnn.input "x" symbols ["N"] : tensor<?x2x4x4xf32>
  %r = dnn.relu %x : tensor<?x2x4x4xf32>
  %p = dnn.maxpool2d %r size [2, 2] stride [2, 2] padding [0, 0] : tensor<?x2x4x4xf32>
  dnn.output "y" %p : tensor<?x2x2x2xf32>
  dnn.output "r" %r : tensor<?x2x4x4xf32>
}

// -----

// Average pooling does not commute with relu, nor max pooling with
// leaky_relu (rounding can tie distinct inputs).
// CHECK-LABEL: dnn.model @other_pairs
// CHECK:         %[[RELU:.*]] = dnn.relu
// CHECK:         dnn.avgpool2d %[[RELU]]
// CHECK:         %[[LEAKY:.*]] = dnn.leaky_relu
// CHECK:         dnn.maxpool2d %[[LEAKY]]
dnn.model @other_pairs {
  %x = dnn.input "x" symbols ["N"] : tensor<?x2x4x4xf32>
  %r = dnn.relu %x : tensor<?x2x4x4xf32>
  %a = dnn.avgpool2d %r size [2, 2] stride [2, 2] padding [0, 0] : tensor<?x2x4x4xf32>
  %l = dnn.leaky_relu %x slope 1.000000e-01 : tensor<?x2x4x4xf32>
  %m = dnn.maxpool2d %l size [2, 2] stride [2, 2] padding [0, 0] : tensor<?x2x4x4xf32>
  dnn.output "a" %a : tensor<?x2x2x2xf32>
  dnn.output "m" %m : tensor<?x2x2x2xf32>
}
