// RUN: dnn-opt %s --pass-pipeline='builtin.module(func.func(dnn-tile-and-vectorize{vector-width=16}),canonicalize,cse)' | FileCheck %s

// A strided convolution (unit strides take the direct kernel, conv-direct.mlir):
// its tile is one output row of every output channel: threads
// share (batch, output row), the filter rows are stepped in an scf.for, and
// the 1-D convolution vectorizer's FMAs run along the 16 output channels.
// (One channel per tile would leave it vector<1xf32>, i.e. scalar, FMAs.)
// CHECK-LABEL: func.func @conv(
// CHECK:         scf.forall (%[[N:.*]], %[[OH:.*]]) in (%{{.*}}, 10)
// CHECK:           tensor.extract_slice %{{.*}}[%[[N]], 0, %[[OH]], 0] [1, 16, 1, 10]
// CHECK:           scf.for %{{.*}} = %c0 to %c5 step %c1 iter_args(%{{.*}}) -> (vector<1x16x10xf32>)
// CHECK-COUNT-300:   vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT:       vector<1xf32>
// CHECK:           scf.yield
func.func @conv(%x: tensor<?x6x23x23xf32>, %w: tensor<16x6x5x5xf32>, %init: tensor<?x16x10x10xf32>) -> tensor<?x16x10x10xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<?x6x23x23xf32>, tensor<16x6x5x5xf32>) outs(%init : tensor<?x16x10x10xf32>) -> tensor<?x16x10x10xf32>
  return %y : tensor<?x16x10x10xf32>
}
