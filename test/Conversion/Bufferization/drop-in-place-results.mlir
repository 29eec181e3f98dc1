// RUN: dnn-opt %s --dnn-drop-in-place-results | FileCheck %s

// A bufferized train_step returns the param and state buffers it updated in
// place (its own arguments): those results go, the loss stays.
// CHECK-LABEL: func.func @m_train_step(
// CHECK-SAME:    %[[P:.*]]: memref<4xf32>, %[[S:.*]]: memref<4xf32>) -> memref<f32>
// CHECK:         %[[LOSS:.*]] = memref.alloc() : memref<f32>
// CHECK:         return %[[LOSS]] : memref<f32>
func.func @m_train_step(%p: memref<4xf32>, %s: memref<4xf32>) -> (memref<f32>, memref<4xf32>, memref<4xf32>)
    attributes {dnn.entry = "train_step"} {
  %loss = memref.alloc() : memref<f32>
  return %loss, %p, %s : memref<f32>, memref<4xf32>, memref<4xf32>
}

// A function that is not an entry point keeps its results.
// CHECK-LABEL: func.func @helper(
// CHECK-SAME:    -> memref<4xf32>
// CHECK:         return %{{.*}} : memref<4xf32>
func.func @helper(%p: memref<4xf32>) -> memref<4xf32> {
  return %p : memref<4xf32>
}
