// The named pipelines of dnn-opt, phase by phase, on a linear model.

// RUN: dnn-opt %s --dnn-lower-to-linalg | FileCheck %s --check-prefix=LINALG
// RUN: dnn-opt %s --dnn-lower-to-linalg --dnn-bufferize | FileCheck %s --check-prefix=BUF
// RUN: dnn-opt %s --dnn-cpu-pipeline | FileCheck %s --check-prefix=LLVM
// RUN: dnn-opt %s --dnn-lower-to-linalg --dnn-bufferize --dnn-lower-to-llvm | FileCheck %s --check-prefix=LLVM

// LINALG-NOT:   dnn.model
// LINALG-LABEL: func.func @linear_predict(
// LINALG-SAME:    %{{.*}}: tensor<1x1xf32>, %{{.*}}: tensor<1xf32>, %{{.*}}: tensor<?x1xf32>) -> tensor<?x1xf32>
// LINALG-SAME:    dnn.entry = "predict"
// LINALG:         linalg.matmul
// LINALG-NOT:     dnn.
// LINALG:         return

// The result becomes an out-parameter; the workspace comes last, and a
// companion function gives its size.
// BUF-LABEL: func.func @linear_predict(
// BUF-SAME:    %{{.*}}: memref<1x1xf32>, %{{.*}}: memref<1xf32>, %{{.*}}: memref<?x1xf32>, %{{.*}}: memref<?x1xf32>, %{{.*}}: memref<?xi8>)
// BUF-NOT:     tensor<
// BUF:         return
// BUF-NEXT:  }
// BUF-LABEL: func.func @linear_predict_workspace(
// BUF-SAME:    %{{.*}}: memref<1x1xf32>, %{{.*}}: memref<1xf32>, %{{.*}}: memref<?x1xf32>, %{{.*}}: memref<?x1xf32>) -> i64

// LLVM-NOT:  func.func
// LLVM-DAG:  llvm.func @linear_predict(
// LLVM-DAG:  llvm.func @_mlir_ciface_linear_predict(
// LLVM-DAG:  llvm.call @dnnrt_parallel_for(
// LLVM-DAG:  llvm.func @dnnrt_parallel_for(!llvm.ptr, !llvm.ptr, i64, !llvm.ptr)
// LLVM-NOT:  func.func
// LLVM-NOT:  scf.
// LLVM-NOT:  memref.
// LLVM-NOT:  unrealized_conversion_cast
dnn.model @linear {
  %x = dnn.input "x" symbols ["N"] : tensor<?x1xf32>
  %y = dnn.input "y" symbols ["N"] : tensor<?x1xf32>
  %w = dnn.param "w" init zeros : tensor<1x1xf32>
  %b = dnn.param "b" init zeros : tensor<1xf32>
  %0 = dnn.matmul %x, %w : tensor<?x1xf32>, tensor<1x1xf32>
  %1 = dnn.add %0, %b : tensor<?x1xf32>, tensor<1xf32>
  dnn.output "prediction" %1 : tensor<?x1xf32>
  %2 = dnn.mse %1, %y : tensor<?x1xf32>, tensor<?x1xf32>
  dnn.loss "mse" %2 : tensor<f32>
}
