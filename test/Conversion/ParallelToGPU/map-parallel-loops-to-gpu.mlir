// RUN: dnn-opt %s --pass-pipeline='builtin.module(func.func(dnn-map-parallel-loops-to-gpu{block-size=128}),cse)' --split-input-file | FileCheck %s

// A 2-D loop nest is collapsed into one dimension, the contiguous one varying
// fastest (j = linear % 64, i = linear / 64), and split into blocks of 128
// threads with a bounds check.
// CHECK-LABEL: func.func @elementwise_2d
// CHECK-DAG:     %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG:     %[[C128:.*]] = arith.constant 128 : index
// CHECK:         %[[BLOCKS:.*]] = arith.ceildivui %[[TOTAL:.*]], %[[C128]]
// CHECK:         scf.parallel (%[[B:.*]]) = (%{{.*}}) to (%[[BLOCKS]])
// CHECK:           scf.parallel (%[[T:.*]]) = (%{{.*}}) to (%[[C128]])
// CHECK:             %[[FIRST:.*]] = arith.muli %[[B]], %[[C128]]
// CHECK:             %[[LINEAR:.*]] = arith.addi %[[FIRST]], %[[T]]
// CHECK:             %[[IN:.*]] = arith.cmpi ult, %[[LINEAR]], %[[TOTAL]]
// CHECK:             scf.if %[[IN]]
// CHECK:               %[[IV:.*]] = arith.addi
// CHECK-DAG:           %[[J:.*]] = arith.remsi %[[IV]], %[[C64]]
// CHECK-DAG:           %[[I:.*]] = arith.divsi %[[IV]], %[[C64]]
// CHECK:               memref.load %{{.*}}[%[[I]], %[[J]]]
// CHECK:           } {mapping = [#gpu.loop_dim_map<processor = thread_x
// CHECK:         } {mapping = [#gpu.loop_dim_map<processor = block_x
func.func @elementwise_2d(%a: memref<?x64xf32>, %b: memref<?x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %n = memref.dim %a, %c0 : memref<?x64xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c64) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<?x64xf32>
    %y = math.exp %x : f32
    memref.store %y, %b[%i, %j] : memref<?x64xf32>
    scf.reduce
  }
  return
}

// -----

// A reduction loop stays inside its thread; a parallel loop nested in it runs
// sequentially there, as scf.for.
// CHECK-LABEL: func.func @row_sums
// CHECK:         scf.parallel
// CHECK:           scf.parallel
// CHECK:             scf.if
// CHECK:               scf.for
// CHECK:                 scf.for
// CHECK-NOT:             scf.parallel
// CHECK:           } {mapping = [#gpu.loop_dim_map<processor = thread_x
func.func @row_sums(%a: memref<?x8x4xf32>, %s: memref<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %a, %c0 : memref<?x8x4xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.for %k = %c0 to %c8 step %c1 {
      scf.parallel (%j) = (%c0) to (%c4) step (%c1) {
        %x = memref.load %a[%i, %k, %j] : memref<?x8x4xf32>
        %acc = memref.load %s[%i, %j] : memref<?x4xf32>
        %sum = arith.addf %acc, %x : f32
        memref.store %sum, %s[%i, %j] : memref<?x4xf32>
        scf.reduce
      }
    }
    scf.reduce
  }
  return
}

// -----

// A loop outside any parallel loop (a reduction to a scalar) and a store into
// an argument become grids of one block, so no loop or store of an entry runs
// on the host; a store into the entry's own host buffer (a reshape's shape)
// stays there.
// CHECK-LABEL: func.func @host_work
// CHECK:         scf.parallel (%[[B0:.*]]) = (%[[C0:.*]]) to (%[[C1:.*]]) step
// CHECK:           scf.parallel
// CHECK:             scf.if
// CHECK:               memref.store %{{.*}}, %arg1[]
// CHECK:         } {mapping = [#gpu.loop_dim_map<processor = block_x
// CHECK:         scf.parallel
// CHECK:           scf.parallel
// CHECK:             scf.if
// CHECK:               scf.for
// CHECK:         } {mapping = [#gpu.loop_dim_map<processor = block_x
// CHECK:         %[[SHAPE:.*]] = memref.alloc
// CHECK-NEXT:    memref.store %{{.*}}, %[[SHAPE]]
// CHECK-NEXT:    return
func.func @host_work(%a: memref<?xf32>, %total: memref<f32>) -> memref<1xindex> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  memref.store %zero, %total[] : memref<f32>
  %n = memref.dim %a, %c0 : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xf32>
    %acc = memref.load %total[] : memref<f32>
    %sum = arith.addf %acc, %x : f32
    memref.store %sum, %total[] : memref<f32>
  }
  %shape = memref.alloc() : memref<1xindex>
  memref.store %n, %shape[%c0] : memref<1xindex>
  return %shape : memref<1xindex>
}
