// RUN: dnn-opt %s --pass-pipeline='builtin.module(func.func(dnn-parallel-dims-first))' --split-input-file | FileCheck %s

// A per-channel sum over the batch (a bias gradient) iterates (batch, channel):
// the channel loop moves first, so each GPU thread reduces one channel.
// CHECK-DAG:   #[[$IN:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-DAG:   #[[$OUT:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @bias_gradient
// CHECK:         linalg.generic {indexing_maps = [#[[$IN]], #[[$OUT]]], iterator_types = ["parallel", "reduction"]}
func.func @bias_gradient(%g: memref<?x16xf32>, %db: memref<16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(b, c) -> (b, c)>, affine_map<(b, c) -> (c)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%g : memref<?x16xf32>) outs(%db : memref<16xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Already in order: unchanged.
// CHECK-LABEL: func.func @row_sums
// CHECK:         iterator_types = ["parallel", "reduction"]
func.func @row_sums(%a: memref<?x16xf32>, %s: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<?x16xf32>) outs(%s : memref<?xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %r = arith.addf %acc, %x : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// An op without loops (a loss divided by the batch size) gets a one-iteration
// parallel loop, so that it becomes a kernel and not host code.
// CHECK-LABEL: func.func @scalar_mean
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         %[[C1:.*]] = arith.constant 1 : index
// CHECK:         scf.parallel (%{{.*}}) = (%[[C0]]) to (%[[C1]]) step (%[[C1]])
// CHECK-NEXT:      linalg.generic
func.func @scalar_mean(%sum: memref<f32>, %n: f32) {
  linalg.generic {indexing_maps = [affine_map<() -> ()>], iterator_types = []}
      outs(%sum : memref<f32>) {
  ^bb0(%acc: f32):
    %m = arith.divf %acc, %n : f32
    linalg.yield %m : f32
  }
  return
}
