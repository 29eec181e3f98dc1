// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' | FileCheck %s

// Pointwise losses compute per-element terms with one generic, sum them
// (each row, then the row sums: two levels keep the f32 error of large
// batches small) into a 0-d tensor and divide by the element count.

// mse: (p - y)^2, averaged; the count of a dynamic tensor is 3 * dim 0.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[$ID1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[$ALL:.*]] = affine_map<(d0) -> ()>
// CHECK-DAG: #[[$SCALAR:.*]] = affine_map<() -> ()>
// CHECK-LABEL: func.func @mse(
// CHECK-SAME:    %[[P:.*]]: tensor<?x3xf32>, %[[Y:.*]]: tensor<?x3xf32>) -> tensor<f32>
// CHECK:         %[[TERMS:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ID]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[P]], %[[Y]] : tensor<?x3xf32>, tensor<?x3xf32>)
// CHECK:         ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[A]], %[[B]] : f32
// CHECK-NEXT:      %[[SQ:.*]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK-NEXT:      linalg.yield %[[SQ]]
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[ROWACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<?xf32>)
// CHECK:         %[[ROWS:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:      ins(%[[TERMS]] : tensor<?x3xf32>) outs(%[[ROWACC]] : tensor<?xf32>)
// CHECK:           arith.addf
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<f32>)
// CHECK:         %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[$ID1]], #[[$ALL]]], iterator_types = ["reduction"]}
// CHECK-SAME:      ins(%[[ROWS]] : tensor<?xf32>) outs(%[[ACC]] : tensor<f32>)
// CHECK:           arith.addf
// CHECK:         %[[N:.*]] = tensor.dim %[[TERMS]], %{{.*}} : tensor<?x3xf32>
// CHECK:         %[[C3:.*]] = arith.constant 3 : index
// CHECK:         %[[COUNT:.*]] = arith.muli %[[C3]], %[[N]] : index
// CHECK:         %[[I:.*]] = arith.index_cast %[[COUNT]] : index to i64
// CHECK:         %[[F:.*]] = arith.sitofp %[[I]] : i64 to f32
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [#[[$SCALAR]], #[[$SCALAR]]], iterator_types = []} ins(%[[SUM]] : tensor<f32>)
// CHECK:           arith.divf %{{.*}}, %[[F]] : f32
// CHECK:         return %[[R]] : tensor<f32>
func.func @mse(%p: tensor<?x3xf32>, %y: tensor<?x3xf32>) -> tensor<f32> {
  %0 = dnn.mse %p, %y : tensor<?x3xf32>, tensor<?x3xf32>
  return %0 : tensor<f32>
}

// -----

// bce: -(y * max(log p, -100) + (1 - y) * max(log(1 - p), -100)), the
// clamp of torch.nn.BCELoss.
// CHECK-LABEL: func.func @bce(
// CHECK:         ^bb0(%[[P:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG:       %[[FLOOR:.*]] = arith.constant -1.000000e+02 : f32
// CHECK-DAG:       %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:           %[[LOGP:.*]] = math.log %[[P]] : f32
// CHECK:           %[[CLOGP:.*]] = arith.maximumf %[[LOGP]], %[[FLOOR]] : f32
// CHECK:           %[[Q:.*]] = arith.subf %[[ONE]], %[[P]] : f32
// CHECK:           %[[LOGQ:.*]] = math.log %[[Q]] : f32
// CHECK:           %[[CLOGQ:.*]] = arith.maximumf %[[LOGQ]], %[[FLOOR]] : f32
// CHECK:           %[[A:.*]] = arith.mulf %[[Y]], %[[CLOGP]] : f32
// CHECK:           %[[NY:.*]] = arith.subf %[[ONE]], %[[Y]] : f32
// CHECK:           %[[B:.*]] = arith.mulf %[[NY]], %[[CLOGQ]] : f32
// CHECK:           %[[S:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK:           %[[NEG:.*]] = arith.negf %[[S]] : f32
// CHECK:           linalg.yield %[[NEG]] : f32
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction"]
// CHECK:         %[[C4:.*]] = arith.constant 4 : index
// CHECK:         arith.index_cast %[[C4]] : index to i64
// CHECK:         arith.divf
func.func @bce(%p: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<f32> {
  %0 = dnn.bce %p, %y : tensor<4xf32>, tensor<4xf32>
  return %0 : tensor<f32>
}

// -----

// bce_with_logits: max(x, 0) - x * y + log1p(exp(-|x|)), which never
// exponentiates a positive number.
// CHECK-LABEL: func.func @bce_with_logits(
// CHECK:         ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           %[[RELU:.*]] = arith.maximumf %[[X]], %[[ZERO]] : f32
// CHECK:           %[[XY:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK:           %[[ABS:.*]] = math.absf %[[X]] : f32
// CHECK:           %[[NABS:.*]] = arith.negf %[[ABS]] : f32
// CHECK:           %[[E:.*]] = math.exp %[[NABS]] : f32
// CHECK:           %[[SP:.*]] = math.log1p %[[E]] : f32
// CHECK:           %[[D:.*]] = arith.subf %[[RELU]], %[[XY]] : f32
// CHECK:           %[[R:.*]] = arith.addf %[[D]], %[[SP]] : f32
// CHECK:           linalg.yield %[[R]] : f32
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction"]
// CHECK:         arith.divf
func.func @bce_with_logits(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<f32> {
  %0 = dnn.bce_with_logits %x, %y : tensor<4xf32>, tensor<4xf32>
  return %0 : tensor<f32>
}

// -----

// cross_entropy with class indices: lse[n] - x[n, clamp(t[n], 0, C-1)],
// the logit read with tensor.extract, then the mean over the batch.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[$VEC:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @cross_entropy_indices(
// CHECK-SAME:    %[[X:.*]]: tensor<?x10xf32>, %[[T:.*]]: tensor<?xi32>) -> tensor<f32>
// CHECK:         %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<?x10xf32>)
// CHECK:           arith.maximumf
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[MAX]] : tensor<?x10xf32>, tensor<?xf32>)
// CHECK:           arith.subf
// CHECK-NEXT:      math.exp
// CHECK:         %[[LSE:.*]] = linalg.generic {{.*}} ins(%[[MAX]], %[[SUM]] : tensor<?xf32>, tensor<?xf32>)
// CHECK:           math.log
// CHECK:         %[[C1:.*]] = arith.constant 1 : index
// CHECK:         %[[CLASSES:.*]] = tensor.dim %[[X]], %[[C1]] : tensor<?x10xf32>
// CHECK:         %[[ROWS:.*]] = linalg.generic {indexing_maps = [#[[$VEC]], #[[$VEC]], #[[$VEC]]], iterator_types = ["parallel"]}
// CHECK-SAME:      ins(%[[LSE]], %[[T]] : tensor<?xf32>, tensor<?xi32>)
// CHECK:         ^bb0(%[[L:.*]]: f32, %[[LABEL:.*]]: i32, %{{.*}}: f32):
// CHECK:           %[[N:.*]] = linalg.index 0 : index
// CHECK:           %[[C:.*]] = arith.index_cast %[[LABEL]] : i32 to index
// CHECK:           %[[LAST:.*]] = arith.subi %[[CLASSES]], %{{.*}} : index
// CHECK:           %[[LO:.*]] = arith.maxsi %[[C]], %{{.*}} : index
// CHECK:           %[[CL:.*]] = arith.minsi %[[LO]], %[[LAST]] : index
// CHECK:           %[[PICKED:.*]] = tensor.extract %[[X]][%[[N]], %[[CL]]] : tensor<?x10xf32>
// CHECK:           %[[NLL:.*]] = arith.subf %[[L]], %[[PICKED]] : f32
// CHECK:           linalg.yield %[[NLL]] : f32
// CHECK:         %[[TOTAL:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[ROWS]] : tensor<?xf32>)
// CHECK:         %[[B:.*]] = tensor.dim %[[ROWS]], %{{.*}} : tensor<?xf32>
// CHECK:         arith.muli %{{.*}}, %[[B]] : index
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[TOTAL]] : tensor<f32>)
// CHECK:           arith.divf
// CHECK:         return %[[R]] : tensor<f32>
func.func @cross_entropy_indices(%x: tensor<?x10xf32>, %t: tensor<?xi32>) -> tensor<f32> {
  %0 = dnn.cross_entropy %x, %t : tensor<?x10xf32>, tensor<?xi32>
  return %0 : tensor<f32>
}

// -----

// cross_entropy with class probabilities: sum_c t[n,c] * (lse[n] - x[n,c]),
// a reduction over the classes, then the mean over the batch.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @cross_entropy_probabilities(
// CHECK-SAME:    %[[X:.*]]: tensor<8x10xf32>, %[[T:.*]]: tensor<8x10xf32>) -> tensor<f32>
// CHECK:         %[[LSE:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<8xf32>, tensor<8xf32>)
// CHECK:           math.log
// CHECK:         %[[ROWS:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ID]], #[[$ROW]], #[[$ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:      ins(%[[X]], %[[T]], %[[LSE]] : tensor<8x10xf32>, tensor<8x10xf32>, tensor<8xf32>)
// CHECK:         ^bb0(%[[A:.*]]: f32, %[[P:.*]]: f32, %[[L:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[NLL:.*]] = arith.subf %[[L]], %[[A]] : f32
// CHECK-NEXT:      %[[TERM:.*]] = arith.mulf %[[P]], %[[NLL]] : f32
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[ACC]], %[[TERM]] : f32
// CHECK-NEXT:      linalg.yield %[[S]]
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[ROWS]] : tensor<8xf32>)
// CHECK:         arith.constant 8 : index
// CHECK:         arith.divf
// CHECK-NOT:     tensor.extract
func.func @cross_entropy_probabilities(%x: tensor<8x10xf32>, %t: tensor<8x10xf32>) -> tensor<f32> {
  %0 = dnn.cross_entropy %x, %t : tensor<8x10xf32>, tensor<8x10xf32>
  return %0 : tensor<f32>
}

// -----

// accuracy: argmax of the logits (as i32), compared with the label, as 1.0
// or 0.0, averaged.
// CHECK-LABEL: func.func @accuracy(
// CHECK-SAME:    %[[X:.*]]: tensor<?x10xf32>, %[[T:.*]]: tensor<?xi32>) -> tensor<f32>
// CHECK:         %[[AM:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<?x10xf32>) outs(%{{.*}}, %{{.*}} : tensor<?xf32>, tensor<?xi32>)
// CHECK:           linalg.index 1 : index
// CHECK:           arith.cmpf ogt
// CHECK:           arith.cmpf oeq
// CHECK:           arith.cmpi slt
// CHECK:         %[[HITS:.*]] = linalg.generic {{.*}} ins(%[[AM]]#1, %[[T]] : tensor<?xi32>, tensor<?xi32>) outs(%{{.*}} : tensor<?xf32>)
// CHECK:         ^bb0(%[[P:.*]]: i32, %[[L:.*]]: i32, %{{.*}}: f32):
// CHECK-NEXT:      %[[EQ:.*]] = arith.cmpi eq, %[[P]], %[[L]] : i32
// CHECK-DAG:       %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG:       %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           %[[H:.*]] = arith.select %[[EQ]], %[[ONE]], %[[ZERO]] : f32
// CHECK-NEXT:      linalg.yield %[[H]]
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[HITS]] : tensor<?xf32>)
// CHECK:         arith.divf
func.func @accuracy(%x: tensor<?x10xf32>, %t: tensor<?xi32>) -> tensor<f32> {
  %0 = dnn.accuracy %x, %t : tensor<?x10xf32>, tensor<?xi32>
  return %0 : tensor<f32>
}
