// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' | FileCheck %s

// apply_optimizer: one elementwise pass per parameter, the gradient its
// input and the parameter and state its outputs, updated in place (the
// generic writes into the buffers it reads); the scalar factors that
// depend on lr and the step are computed once, in f64, outside the pass.

// momentum (torch.optim.SGD with momentum): v = beta v + g; p += -lr v.
// CHECK-LABEL: func.func @momentum(
// CHECK-SAME:    %[[P:.*]]: tensor<4xf32>, %[[G:.*]]: tensor<4xf32>, %[[V:.*]]: tensor<4xf32>, %[[LR:.*]]: tensor<f64>
// CHECK:         %[[L:.*]] = tensor.extract %[[LR]][] : tensor<f64>
// CHECK:         %[[NEG:.*]] = arith.negf %[[L]] : f64
// CHECK:         %[[STEP:.*]] = arith.truncf %[[NEG]] : f64 to f32
// CHECK:         %[[R:.*]]:2 = linalg.generic {{.*}} ins(%[[G]] : tensor<4xf32>) outs(%[[P]], %[[V]] : tensor<4xf32>, tensor<4xf32>)
// CHECK-NEXT:    ^bb0(%[[GI:.*]]: f32, %[[PI:.*]]: f32, %[[VI:.*]]: f32):
// CHECK-NEXT:      %[[BETA:.*]] = arith.constant 0.899999976 : f32
// CHECK-NEXT:      %[[DECAYED:.*]] = arith.mulf %[[VI]], %[[BETA]] : f32
// CHECK-NEXT:      %[[NV:.*]] = arith.addf %[[DECAYED]], %[[GI]] : f32
// CHECK-NEXT:      %[[UPD:.*]] = arith.mulf %[[NV]], %[[STEP]] : f32
// CHECK-NEXT:      %[[NP:.*]] = arith.addf %[[PI]], %[[UPD]] : f32
// CHECK-NEXT:      linalg.yield %[[NP]], %[[NV]] : f32, f32
// CHECK:         return %[[R]]#0, %[[R]]#1
func.func @momentum(%p: tensor<4xf32>, %g: tensor<4xf32>, %v: tensor<4xf32>, %lr: tensor<f64>, %step: tensor<i32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %new_param, %new_state = dnn.apply_optimizer momentum %p, %g state(%v) lr %lr step %step with {beta = 9.000000e-01 : f64, lr = 1.000000e-01 : f64, weight_decay = 0.000000e+00 : f64} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f64>, tensor<i32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %new_param, %new_state : tensor<4xf32>, tensor<4xf32>
}

// -----

// sgd with weight decay: g' = g + wd p; p += -lr g'.
// CHECK-LABEL: func.func @sgd_decay(
// CHECK:         linalg.generic
// CHECK-NEXT:    ^bb0(%[[GI:.*]]: f32, %[[PI:.*]]: f32):
// CHECK-NEXT:      %[[WD:.*]] = arith.constant 0.00999999977 : f32
// CHECK-NEXT:      %[[D:.*]] = arith.mulf %[[PI]], %[[WD]] : f32
// CHECK-NEXT:      %[[GD:.*]] = arith.addf %[[GI]], %[[D]] : f32
// CHECK-NEXT:      %[[UPD:.*]] = arith.mulf %[[GD]], %{{.*}} : f32
// CHECK-NEXT:      arith.addf %[[PI]], %[[UPD]] : f32
func.func @sgd_decay(%p: tensor<4xf32>, %g: tensor<4xf32>, %lr: tensor<f64>, %step: tensor<i32>) -> tensor<4xf32> {
  %new_param = dnn.apply_optimizer sgd %p, %g lr %lr step %step with {lr = 1.000000e-01 : f64, weight_decay = 1.000000e-02 : f64} : (tensor<4xf32>, tensor<4xf32>, tensor<f64>, tensor<i32>) -> tensor<4xf32>
  return %new_param : tensor<4xf32>
}

// -----

// adam (torch.optim.Adam's single-tensor form): the bias corrections
// 1 - beta^t from the step counter, in f64, outside the pass;
// m = beta1 m + (1 - beta1) g, v = beta2 v + (1 - beta2) g^2,
// p += -(lr / (1 - beta1^t)) m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
// CHECK-LABEL: func.func @adam(
// CHECK:         %[[T:.*]] = tensor.extract %{{.*}}[] : tensor<i32>
// CHECK:         %[[TF:.*]] = arith.sitofp %[[T]] : i32 to f64
// CHECK:         math.powf %{{.*}}, %[[TF]] : f64
// CHECK:         math.powf %{{.*}}, %[[TF]] : f64
// CHECK:         %[[C2:.*]] = math.sqrt %{{.*}} : f64
// CHECK:         %[[C2F:.*]] = arith.truncf %[[C2]] : f64 to f32
// CHECK:         linalg.generic {{.*}} outs(%{{.*}}, %{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK:           %[[SQ:.*]] = math.sqrt %{{.*}} : f32
// CHECK-NEXT:      %[[CORR:.*]] = arith.divf %[[SQ]], %[[C2F]] : f32
// CHECK:           arith.addf %[[CORR]], %{{.*}} : f32
// CHECK:           linalg.yield %{{.*}}, %{{.*}}, %{{.*}} : f32, f32, f32
// CHECK-NOT:     math.powf
func.func @adam(%p: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %lr: tensor<f64>, %step: tensor<i32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %new_param, %new_state:2 = dnn.apply_optimizer adam %p, %g state(%m, %v) lr %lr step %step with {beta1 = 9.000000e-01 : f64, beta2 = 9.990000e-01 : f64, eps = 1.000000e-08 : f64, lr = 1.000000e-03 : f64, weight_decay = 0.000000e+00 : f64} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f64>, tensor<i32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return %new_param, %new_state#0, %new_state#1 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
