// RUN: dnn-opt %s --split-input-file --dnn-outline-entries | FileCheck %s

// A model becomes func.func @<model>_predict (and @<model>_eval with a loss). Its arguments are every param,
// in declaration order, then only the inputs that reach an output (here
// "labels" feeds only the loss); its results are the outputs in order. The
// graph is cloned (only the ops the outputs need) and the model is erased.

// CHECK-NOT:   dnn.model
// CHECK-LABEL: func.func @mlp_predict(
// CHECK-SAME:    %[[W:[a-z0-9]+]]: tensor<4x3xf32>, %[[B:[a-z0-9]+]]: tensor<3xf32>, %[[X:[a-z0-9]+]]: tensor<?x4xf32>)
// CHECK-SAME:    -> (tensor<?x3xf32>, tensor<?xi32>)
// CHECK-SAME:    attributes {dnn.entry = "predict", dnn.inputs = ["x"], dnn.model = "mlp", dnn.outputs = ["probs", "predicted"], llvm.emit_c_interface}
// CHECK-NEXT:    %[[MM:.*]] = dnn.matmul %[[X]], %[[W]] : tensor<?x4xf32>, tensor<4x3xf32>
// CHECK-NEXT:    %[[LOGITS:.*]] = dnn.add %[[MM]], %[[B]] : tensor<?x3xf32>, tensor<3xf32>
// CHECK-NEXT:    %[[P:.*]] = dnn.softmax %[[LOGITS]] axis 1 : tensor<?x3xf32>
// CHECK-NEXT:    %[[AM:.*]] = dnn.argmax %[[LOGITS]] axis 1 : tensor<?x3xf32>
// CHECK-NEXT:    return %[[P]], %[[AM]] : tensor<?x3xf32>, tensor<?xi32>
// CHECK-NEXT:  }
// With a loss, @mlp_eval returns the outputs and the loss and takes every
// input they need. Without dnn-autodiff there is no grad or train_step.
// CHECK-LABEL: func.func @mlp_eval(
// CHECK-SAME:    tensor<?xi32>, %{{.*}}: tensor<?x4xf32>)
// CHECK-SAME:    -> (tensor<?x3xf32>, tensor<?xi32>, tensor<f32>)
// CHECK-SAME:    dnn.entry = "eval", dnn.inputs = ["labels", "x"], dnn.model = "mlp", dnn.outputs = ["probs", "predicted", "ce"]
// CHECK:         dnn.cross_entropy
// CHECK-NOT:   func.func @mlp_grad
// CHECK-NOT:   dnn.input
// CHECK-NOT:   dnn.param
// CHECK-NOT:   dnn.loss
// CHECK-NOT:   dnn.train
// CHECK-NOT:   dnn.model
dnn.model @mlp {
  %labels = dnn.input "labels" symbols ["N"] : tensor<?xi32>
  %x = dnn.input "x" symbols ["N"] : tensor<?x4xf32>
  %w = dnn.param "w" init he_normal : tensor<4x3xf32>
  %b = dnn.param "b" init zeros : tensor<3xf32>
  %0 = dnn.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32>
  %1 = dnn.add %0, %b : tensor<?x3xf32>, tensor<3xf32>
  %2 = dnn.softmax %1 axis 1 : tensor<?x3xf32>
  dnn.output "probs" %2 : tensor<?x3xf32>
  %3 = dnn.argmax %1 axis 1 : tensor<?x3xf32>
  dnn.output "predicted" %3 : tensor<?xi32>
  %4 = dnn.cross_entropy %1, %labels : tensor<?x3xf32>, tensor<?xi32>
  dnn.loss "ce" %4 : tensor<f32>
  dnn.train sgd with {lr = 0.1 : f64, weight_decay = 0.0 : f64}
}

// -----

// Params are arguments even when no output uses them.
// CHECK-LABEL: func.func @unused_param_predict(
// CHECK-SAME:    %{{.*}}: tensor<2xf32>, %[[X:[a-z0-9]+]]: tensor<2xf32>) -> tensor<2xf32>
// CHECK-SAME:    dnn.inputs = ["x"]
// CHECK-NEXT:    %[[R:.*]] = dnn.relu %[[X]] : tensor<2xf32>
// CHECK-NEXT:    return %[[R]]
dnn.model @unused_param {
  %p = dnn.param "p" init ones : tensor<2xf32>
  %x = dnn.input "x" : tensor<2xf32>
  %0 = dnn.relu %x : tensor<2xf32>
  dnn.output "y" %0 : tensor<2xf32>
}

// -----

// A model without outputs has no predict entry: nothing is left.
// CHECK-NOT:   func.func
// CHECK-NOT:   dnn.model
// CHECK-LABEL: module {
// CHECK-NEXT:  }
// CHECK-NOT:   func.func
dnn.model @loss_only {
  %x = dnn.input "x" : tensor<4xf32>
  %s = dnn.sum %x axes [] : tensor<4xf32>
  dnn.loss "l" %s : tensor<f32>
}
