// RUN: dnn-opt %s --pass-pipeline='builtin.module(dnn.model(dnn-infer-shapes))' | FileCheck %s

// Result types that were left dynamic are refined from static operands.
// CHECK-LABEL: dnn.model @refine
dnn.model @refine {
  %x = dnn.input "x" : tensor<2x3xf32>
  %y = dnn.input "y" : tensor<3xf32>
  // CHECK: dnn.add %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<3xf32>
  %0 = dnn.add %x, %y : tensor<2x3xf32>, tensor<3xf32>
  // CHECK: dnn.transpose %{{.*}} perm [1, 0] : tensor<2x3xf32>
  %1 = dnn.transpose %0 perm [1, 0] : tensor<2x3xf32>
  // CHECK: dnn.output "t" %{{.*}} : tensor<3x2xf32>
  dnn.output "t" %1 : tensor<3x2xf32>
}
