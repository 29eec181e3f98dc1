// RUN: dnn-opt %s -split-input-file -verify-diagnostics

dnn.model @m {
  %x = dnn.input "x" : tensor<3x4xf32>
  %w = dnn.input "w" : tensor<5x2xf32>
  // expected-error@+1 {{'dnn.matmul' op inner dimensions 4 and 5 differ}}
  %0 = dnn.matmul %x, %w : tensor<3x4xf32>, tensor<5x2xf32>
}

// -----

dnn.model @m {
  %x = dnn.input "x" : tensor<3x4xf32>
  %y = dnn.input "y" : tensor<3xf32>
  // expected-error@+1 {{'dnn.add' op dimensions 4 and 3 are not broadcast-compatible}}
  %0 = dnn.add %x, %y : tensor<3x4xf32>, tensor<3xf32>
}

// -----

dnn.model @m {
  %x = dnn.input "x" : tensor<3x4xf32>
  %y = dnn.input "y" : tensor<3x4xf64>
  // expected-error@+1 {{'dnn.add' op operands have different element types f32 and f64}}
  %0 = dnn.add %x, %y : tensor<3x4xf32>, tensor<3x4xf64>
}

// -----

dnn.model @m {
  %x = dnn.input "x" : tensor<3x4xf32>
  // expected-error@+1 {{'dnn.softmax' op axis 2 is out of range for a tensor of rank 2}}
  %0 = dnn.softmax %x axis 2 : tensor<3x4xf32>
}

// -----

dnn.model @m {
  %x = dnn.input "x" : tensor<3x4xf32>
  // expected-error@+1 {{'dnn.sum' op axis 1 is repeated}}
  %0 = dnn.sum %x axes [1, 1] : tensor<3x4xf32>
}

// -----

dnn.model @m {
  %x = dnn.input "x" : tensor<3x4xf32>
  // expected-error@+1 {{'dnn.reshape' op cannot reshape [3, 4] into [5, 2]: the element counts differ}}
  %0 = dnn.reshape %x to [5, 2] : tensor<3x4xf32>
}

// -----

dnn.model @m {
  %x = dnn.input "x" symbols ["N"] : tensor<?x4xf32>
  // expected-error@+1 {{'dnn.reshape' op shape may have at most one dynamic (-1) dimension}}
  %0 = dnn.reshape %x to [-1, -1] : tensor<?x4xf32>
}

// -----

dnn.model @m {
  %x = dnn.input "x" : tensor<2x3xf32>
  // expected-error@+1 {{'dnn.transpose' op [0, 0] is not a permutation of the axes 0..1}}
  %0 = dnn.transpose %x perm [0, 0] : tensor<2x3xf32>
}

// -----

dnn.model @m {
  %x = dnn.input "x" : tensor<1x3x8x8xf32>
  %w = dnn.input "w" : tensor<4x1x3x3xf32>
  // expected-error@+1 {{'dnn.conv2d' op input has 3 channels but the filter expects 1}}
  %0 = dnn.conv2d %x, %w stride [1, 1] padding [0, 0] : tensor<1x3x8x8xf32>, tensor<4x1x3x3xf32>
}

// -----

dnn.model @m {
  %x = dnn.input "x" : tensor<1x3x8x8xf32>
  // expected-error@+1 {{'dnn.maxpool2d' op padding 2 must be at most half the window size 2}}
  %0 = dnn.maxpool2d %x size [2, 2] stride [2, 2] padding [2, 2] : tensor<1x3x8x8xf32>
}

// -----

dnn.model @m {
  %x = dnn.input "x" : tensor<4x10xf32>
  %y = dnn.input "y" : tensor<5xi32>
  // expected-error@+1 {{'dnn.cross_entropy' op class-index targets must have shape [4], got [5]}}
  %0 = dnn.cross_entropy %x, %y : tensor<4x10xf32>, tensor<5xi32>
}

// -----

dnn.model @m {
  %x = dnn.input "x" : tensor<4x10xf32>
  %y = dnn.input "y" : tensor<4xi32>
  // expected-error@+1 {{'dnn.mse' op expects a float target}}
  %0 = dnn.mse %x, %y : tensor<4x10xf32>, tensor<4xi32>
}

// -----

dnn.model @m {
  // expected-error@+1 {{'dnn.input' op names 0 symbols but its type has 1 dynamic dimensions}}
  %x = dnn.input "x" : tensor<?x4xf32>
}

// -----

dnn.model @m {
  // expected-error@+1 {{'dnn.param' op parameter 'w' must have a static shape}}
  %w = dnn.param "w" init zeros : tensor<?x4xf32>
}

// -----

dnn.model @m {
  // expected-error@+1 {{'dnn.param' op initializer uniform: argument 'low' must be less than 'high'}}
  %w = dnn.param "w" init uniform with {low = 1.0 : f64, high = 0.0 : f64} : tensor<4xf32>
}

// -----

dnn.model @m {
  // expected-error@+1 {{'dnn.param' op initializer he_normal: unexpected argument 'gain'}}
  %w = dnn.param "w" init he_normal with {gain = 1.0 : f64} : tensor<4x4xf32>
}

// -----

dnn.model @m {
  // expected-error@+1 {{'dnn.param' op initializer glorot_normal needs a weight of rank 2 or more to define its fans}}
  %w = dnn.param "w" init glorot_normal with {gain = 1.0 : f64} : tensor<4xf32>
}

// -----

dnn.model @m {
  // expected-note@+1 {{previously defined here}}
  %x = dnn.input "x" : tensor<4xf32>
  // expected-error@+1 {{'dnn.input' op duplicate name 'x'}}
  %y = dnn.input "x" : tensor<4xf32>
}

// -----

dnn.model @m {
  %x = dnn.input "x" : tensor<f32>
  // expected-note@+1 {{previous loss here}}
  dnn.loss "a" %x : tensor<f32>
  // expected-error@+1 {{'dnn.loss' op a model has at most one loss}}
  dnn.loss "b" %x : tensor<f32>
}

// -----

dnn.model @m {
  // expected-error@+1 {{'dnn.train' op needs a loss to minimize, but the model has none}}
  dnn.train sgd with {lr = 0.1 : f64, weight_decay = 0.0 : f64}
}

// -----

dnn.model @m {
  %x = dnn.input "x" : tensor<f32>
  dnn.loss "l" %x : tensor<f32>
  // expected-error@+1 {{'dnn.train' op optimizer adam: argument 'beta1' must be in [0, 1)}}
  dnn.train adam with {lr = 1.0e-3 : f64, beta1 = 1.0 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64, weight_decay = 0.0 : f64}
}

// -----

dnn.model @m {
  %x = dnn.input "x" : tensor<f32>
  dnn.loss "l" %x : tensor<f32>
  // expected-error@+1 {{'dnn.train' op optimizer sgd: argument 'lr' must be an f64 float}}
  dnn.train sgd with {weight_decay = 0.0 : f64}
}

// -----

dnn.model @m {
  %x = dnn.input "x" : tensor<4xf32>
  // expected-error@+1 {{'dnn.loss' op operand #0 must be 0D tensor of 32-bit float or 64-bit float values}}
  dnn.loss "l" %x : tensor<4xf32>
}

// -----

// expected-error@+1 {{'dnn.input' op expects parent op 'dnn.model'}}
%x = dnn.input "x" : tensor<4xf32>
