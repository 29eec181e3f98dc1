// RUN: dnn-opt %s --dnn-free-loop-temporaries | FileCheck %s

// A per-iteration temporary that nothing frees is freed at the end of its
// loop body; one already freed, or one that leaves the body, is left alone.
// CHECK-LABEL: func.func @tiles(
// CHECK:         scf.forall
// CHECK:           %[[T:.*]] = memref.alloc() : memref<4xf32>
// CHECK:           memref.copy
// CHECK:           memref.dealloc %[[T]] : memref<4xf32>
// CHECK-NEXT:    }
func.func @tiles(%in: memref<8x4xf32>) {
  scf.forall (%i) in (8) {
    %t = memref.alloc() : memref<4xf32>
    %row = memref.subview %in[%i, 0] [1, 4] [1, 1] : memref<8x4xf32> to memref<4xf32, strided<[1], offset: ?>>
    memref.copy %row, %t : memref<4xf32, strided<[1], offset: ?>> to memref<4xf32>
  }
  return
}

// CHECK-LABEL: func.func @freed(
// CHECK-COUNT-1: memref.dealloc
// CHECK-NOT:     memref.dealloc
func.func @freed() {
  scf.forall (%i) in (8) {
    %t = memref.alloc() : memref<4xf32>
    memref.dealloc %t : memref<4xf32>
  }
  return
}

// The function's own block is left to the deallocation pipeline.
// CHECK-LABEL: func.func @top(
// CHECK-NOT:     memref.dealloc
func.func @top() {
  %t = memref.alloc() : memref<4xf32>
  return
}
