// RUN: dnn-opt %s -split-input-file --pass-pipeline='builtin.module(dnn.model(dnn-specialize-shapes{bind=N=128}))' | FileCheck %s
// RUN: not dnn-opt %s --pass-pipeline='builtin.module(dnn.model(dnn-specialize-shapes{bind=N=zero}))' 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: expected SYMBOL=SIZE with a positive size, got 'N=zero'

// The batch size reaches every value of the graph.
// CHECK-LABEL: dnn.model @mlp
dnn.model @mlp {
  // CHECK: dnn.input "x" : tensor<128x784xf32>
  %x = dnn.input "x" symbols ["N"] : tensor<?x784xf32>
  // CHECK: dnn.input "labels" : tensor<128xi32>
  %labels = dnn.input "labels" symbols ["N"] : tensor<?xi32>
  %w = dnn.param "w" init he_normal : tensor<784x10xf32>
  // CHECK: dnn.matmul %{{.*}}, %{{.*}} : tensor<128x784xf32>, tensor<784x10xf32>
  %0 = dnn.matmul %x, %w : tensor<?x784xf32>, tensor<784x10xf32>
  // CHECK: dnn.reshape %{{.*}} to [-1, 1, 28, 28] : tensor<128x784xf32>
  %1 = dnn.reshape %x to [-1, 1, 28, 28] : tensor<?x784xf32>
  // CHECK: dnn.maxpool2d %{{.*}} : tensor<128x1x28x28xf32>
  %2 = dnn.maxpool2d %1 size [2, 2] stride [2, 2] padding [0, 0] : tensor<?x1x28x28xf32>
  // CHECK: dnn.cross_entropy %{{.*}}, %{{.*}} : tensor<128x10xf32>, tensor<128xi32>
  %3 = dnn.cross_entropy %0, %labels : tensor<?x10xf32>, tensor<?xi32>
  // CHECK: dnn.output "pooled" %{{.*}} : tensor<128x1x14x14xf32>
  dnn.output "pooled" %2 : tensor<?x1x14x14xf32>
  dnn.loss "ce" %3 : tensor<f32>
}

// -----

// Only the named symbol is bound; others stay dynamic and keep their names.
// CHECK-LABEL: dnn.model @two_symbols
dnn.model @two_symbols {
  // CHECK: dnn.input "x" symbols ["T"] : tensor<128x?x8xf32>
  %x = dnn.input "x" symbols ["N", "T"] : tensor<?x?x8xf32>
  // CHECK: dnn.sum %{{.*}} axes [2] : tensor<128x?x8xf32>
  %0 = dnn.sum %x axes [2] : tensor<?x?x8xf32>
  // CHECK: dnn.output "s" %{{.*}} : tensor<128x?xf32>
  dnn.output "s" %0 : tensor<?x?xf32>
}
