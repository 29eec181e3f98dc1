// log(sigmoid(x)) lowers to -softplus(-x), never through log of an
// underflowed sigmoid.
// RUN: dnn-opt %s --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' | FileCheck %s

// CHECK-LABEL: func.func @log_sigmoid
// CHECK: linalg.generic
// CHECK: arith.negf
// CHECK: arith.maximumf
// CHECK: math.absf
// CHECK: math.exp
// CHECK: math.log1p
// CHECK-NOT: math.log %
// CHECK: return
func.func @log_sigmoid(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = dnn.sigmoid %x : tensor<?x4xf32>
  %1 = dnn.log %0 : tensor<?x4xf32>
  return %1 : tensor<?x4xf32>
}
