// RUN: dnn-opt %s --split-input-file --dnn-plan-workspace --canonicalize --cse | FileCheck %s

// Three temporaries of n floats: %a and %b are live together, so %b sits
// above %a (offset: 4 n bytes rounded up to 64); %c is allocated while %b
// is still read but after %a's last use, and takes over %a's slot (same
// size). The entry takes the workspace last and allocates nothing;
// @step_workspace returns the peak, two slots.
// CHECK-LABEL: func.func @step(
// CHECK-SAME:    %[[X:.*]]: memref<?xf32>, %[[Y:.*]]: memref<?xf32>, %[[WS:.*]]: memref<?xi8>)
// CHECK-NOT:     memref.alloc
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK:         %[[N:.*]] = memref.dim %[[X]], %{{.*}}
// CHECK:         %[[BYTES:.*]] = arith.muli %[[N]], %{{.*}} : index
// CHECK:         %[[SLOT:.*]] = arith.muli %{{.*}}, %{{.*}} : index
// CHECK:         %[[A:.*]] = memref.view %[[WS]][%[[C0]]][%[[N]]] : memref<?xi8> to memref<?xf32>
// CHECK:         %[[B:.*]] = memref.view %[[WS]][%[[SLOT]]][%[[N]]] : memref<?xi8> to memref<?xf32>
// CHECK:         memref.copy %[[X]], %[[A]]
// CHECK:         memref.copy %[[A]], %[[B]]
// CHECK:         memref.copy %[[B]], %[[A]]
// CHECK:         memref.copy %[[A]], %[[Y]]
// CHECK-NOT:     memref.alloc
// CHECK:         return
// CHECK-LABEL: func.func @step_workspace(
// CHECK-SAME:    %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>) -> i64
// CHECK-SAME:    llvm.emit_c_interface
// CHECK:         %[[SLOT2:.*]] = arith.muli %{{.*}}, %c64 : index
// CHECK:         %[[TWO:.*]] = arith.addi %[[SLOT2]], %[[SLOT2]] : index
// CHECK:         %[[PEAK:.*]] = arith.maxui %[[SLOT2]], %[[TWO]] : index
// CHECK:         %[[PEAK2:.*]] = arith.maxui %[[PEAK]], %[[SLOT2]] : index
// CHECK:         %[[P64:.*]] = arith.index_cast %[[PEAK2]] : index to i64
// CHECK:         return %[[P64]] : i64
func.func @step(%x: memref<?xf32>, %y: memref<?xf32>) attributes {dnn.entry = "train_step"} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?xf32>
  %a = memref.alloc(%n) : memref<?xf32>
  %b = memref.alloc(%n) : memref<?xf32>
  memref.copy %x, %a : memref<?xf32> to memref<?xf32>
  memref.copy %a, %b : memref<?xf32> to memref<?xf32>
  %c = memref.alloc(%n) : memref<?xf32>
  memref.copy %b, %c : memref<?xf32> to memref<?xf32>
  memref.copy %c, %y : memref<?xf32> to memref<?xf32>
  return
}

// -----

// A view of a temporary keeps it alive: %t is read through %v after %u
// is allocated, so %u goes above it (64 bytes each, 128 in all).
// CHECK-LABEL: func.func @through_views(
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C64:.*]] = arith.constant 64 : index
// CHECK:         %[[T:.*]] = memref.view %{{.*}}[%[[C0]]][] : memref<?xi8> to memref<16xf32>
// CHECK:         %[[U:.*]] = memref.view %{{.*}}[%[[C64]]][] : memref<?xi8> to memref<16xf32>
// CHECK:         memref.copy %[[T]], %[[U]]
// CHECK-LABEL: func.func @through_views_workspace(
// CHECK:         arith.constant 128 : i64
func.func @through_views(%x: memref<16xf32>) attributes {dnn.entry = "predict"} {
  %t = memref.alloc() : memref<16xf32>
  memref.copy %x, %t : memref<16xf32> to memref<16xf32>
  %v = memref.subview %t[0] [16] [1] : memref<16xf32> to memref<16xf32, strided<[1]>>
  %u = memref.alloc() : memref<16xf32>
  memref.copy %v, %u : memref<16xf32, strided<[1]>> to memref<16xf32>
  memref.copy %u, %x : memref<16xf32> to memref<16xf32>
  return
}

// -----

// A function that is not an entry point is left alone.
// CHECK-LABEL: func.func @helper(
// CHECK:         memref.alloc
// CHECK-NOT:     @helper_workspace
func.func @helper(%x: memref<4xf32>) {
  %t = memref.alloc() : memref<4xf32>
  memref.copy %x, %t : memref<4xf32> to memref<4xf32>
  return
}
