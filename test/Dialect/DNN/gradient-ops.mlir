// The ops only the autodiff pass builds round-trip through their custom
// assembly (and the generic form).
// RUN: dnn-opt %s | dnn-opt | FileCheck %s
// RUN: dnn-opt %s --mlir-print-op-generic | dnn-opt | FileCheck %s

// CHECK-LABEL: dnn.model @grads
dnn.model @grads {
  %x = dnn.input "x" symbols ["N"] : tensor<?x3xf64>
  %y = dnn.input "y" symbols ["N"] : tensor<?xi32>
  
  // CHECK: dnn.maximum %{{.*}}, %{{.*}} : tensor<?x3xf64>, tensor<f64>
  %eps = dnn.constant dense<1.0e-12> : tensor<f64>
  %0 = dnn.maximum %x, %eps : tensor<?x3xf64>, tensor<f64>
  // CHECK: dnn.one_hot %{{.*}} classes 3 to f64 : tensor<?xi32>
  %1 = dnn.one_hot %y classes 3 to f64 : tensor<?xi32>
  // CHECK: dnn.one_hot %{{.*}} classes 3 : tensor<?xi32>
  %2 = dnn.one_hot %y classes 3 : tensor<?xi32>
  // CHECK: dnn.equal %{{.*}}, %{{.*}} : tensor<?x3xf64>, tensor<?x3xf64>
  %3 = dnn.equal %0, %1 : tensor<?x3xf64>, tensor<?x3xf64>
  dnn.output "m" %3 : tensor<?x3xf64>
  dnn.output "h" %2 : tensor<?x3xf32>
}
