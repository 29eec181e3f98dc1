// RUN: dnn-opt %s --split-input-file --dnn-stack-loop-temporaries | FileCheck %s

// A tile's temporary of dynamic size bounded by the tile (argmax's running
// maxima): a stack buffer of the bound, viewed at the size asked for, in an
// alloca_scope around its live range; no alloc, no dealloc.
// CHECK-LABEL: func.func @bounded_tile(
// CHECK:         scf.forall
// CHECK:           %[[SIZE:.*]] = affine.min
// CHECK:           memref.alloca_scope {
// CHECK:             %[[STACK:.*]] = memref.alloca() {alignment = 64 : i64} : memref<64x10xf32>
// CHECK:             %[[VIEW:.*]] = memref.subview %[[STACK]][0, 0] [%[[SIZE]], 10] [1, 1]
// CHECK:             %[[BUF:.*]] = memref.cast %[[VIEW]] : {{.*}} to memref<?x10xf32>
// CHECK:             memref.copy %{{.*}}, %[[BUF]]
// CHECK:           }
// CHECK-NOT:       memref.alloc(
// CHECK-NOT:       memref.dealloc
func.func @bounded_tile(%x: memref<?x10xf32>, %n: index) {
  scf.forall (%i) = (0) to (%n) step (64) {
    %size = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 64)>(%i)[%n]
    %t = memref.alloc(%size) {alignment = 64 : i64} : memref<?x10xf32>
    %src = memref.subview %x[%i, 0] [%size, 10] [1, 1] : memref<?x10xf32> to memref<?x10xf32, strided<[10, 1], offset: ?>>
    memref.copy %src, %t : memref<?x10xf32, strided<[10, 1], offset: ?>> to memref<?x10xf32>
    memref.dealloc %t : memref<?x10xf32>
  }
  return
}

// -----

// Above max-bytes (4096 by default: 2048 floats), or with no bound, the
// temporary stays on the heap.
// CHECK-LABEL: func.func @too_large(
// CHECK:         memref.alloc(%{{.*}}) : memref<?x16xf32>
// CHECK:         memref.dealloc
func.func @too_large(%n: index) {
  scf.forall (%i) = (0) to (%n) step (256) {
    %size = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 256)>(%i)[%n]
    %t = memref.alloc(%size) : memref<?x16xf32>
    memref.dealloc %t : memref<?x16xf32>
  }
  return
}

// CHECK-LABEL: func.func @unbounded(
// CHECK:         memref.alloc(%{{.*}}) : memref<?xf32>
func.func @unbounded(%n: index, %m: index) {
  scf.forall (%i) in (%n) {
    %t = memref.alloc(%m) : memref<?xf32>
    memref.dealloc %t : memref<?xf32>
  }
  return
}

// -----

// A value computed in the buffer's live range and used after it would
// leave the scope: the buffer stays on the heap.
// CHECK-LABEL: func.func @escapes(
// CHECK:         memref.alloc(%{{.*}}) : memref<?xf32>
func.func @escapes(%x: memref<?xf32>, %n: index, %out: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  scf.forall (%i) = (0) to (%n) step (8) {
    %size = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 8)>(%i)[%n]
    %t = memref.alloc(%size) : memref<?xf32>
    %v = memref.load %x[%i] : memref<?xf32>
    memref.dealloc %t : memref<?xf32>
    memref.store %v, %out[%i] : memref<?xf32>
  }
  return
}
