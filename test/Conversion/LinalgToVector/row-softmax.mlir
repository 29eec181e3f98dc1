// RUN: dnn-opt %s --pass-pipeline='builtin.module(func.func(dnn-tile-and-vectorize{vector-width=16}),canonicalize,cse)' | FileCheck %s

// Softmax: the row maximum and the sum of exp(x - max), with their fills,
// are computed in the rows of the op that reads them: one loop over rows,
// each row loaded once, every statistic in registers, no [N] temporaries.
// CHECK-LABEL: func.func @softmax(
// CHECK-NOT:     tensor.empty({{.*}}) : tensor<?xf32>
// CHECK:         scf.forall (%[[ROW:.*]]) in (%{{.*}}) shared_outs(%{{.*}}) -> (tensor<?x10xf32>) {
// CHECK:           %[[X:.*]] = vector.transfer_read %{{.*}}[%[[ROW]], %{{.*}}]{{.*}}vector<1x10xf32>
// CHECK:           %[[MAX:.*]] = vector.multi_reduction <maximumf>, %[[X]]
// CHECK:           %[[EXP:.*]] = math.exp
// CHECK:           %[[SUM:.*]] = vector.multi_reduction <add>, %[[EXP]]
// CHECK:           arith.divf %[[EXP]]
// CHECK-NOT:     scf.forall (
// CHECK:         return
#row = affine_map<(d0, d1) -> (d0, d1)>
#stat = affine_map<(d0, d1) -> (d0)>
#vec = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>

func.func @softmax(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %c0 = arith.constant 0 : index
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x10xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %mfill = linalg.fill ins(%ninf : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %max = linalg.generic {indexing_maps = [#row, #stat], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x10xf32>) outs(%mfill : tensor<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %m = arith.maximumf %acc, %in : f32
    linalg.yield %m : f32
  } -> tensor<?xf32>
  %sfill = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %sum = linalg.generic {indexing_maps = [#row, #stat, #stat], iterator_types = ["parallel", "reduction"]}
      ins(%x, %max : tensor<?x10xf32>, tensor<?xf32>) outs(%sfill : tensor<?xf32>) {
  ^bb0(%in: f32, %m: f32, %acc: f32):
    %d = arith.subf %in, %m : f32
    %p = math.exp %d : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  %o = tensor.empty(%n) : tensor<?x10xf32>
  %y = linalg.generic {indexing_maps = [#row, #stat, #stat, #row], iterator_types = ["parallel", "parallel"]}
      ins(%x, %max, %sum : tensor<?x10xf32>, tensor<?xf32>, tensor<?xf32>) outs(%o : tensor<?x10xf32>) {
  ^bb0(%in: f32, %m: f32, %s: f32, %out: f32):
    %d = arith.subf %in, %m : f32
    %p = math.exp %d : f32
    %q = arith.divf %p, %s : f32
    linalg.yield %q : f32
  } -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}

// Cross-entropy: the loss reads log-sum-exp (max and sum), and comes before
// the logits gradient in the block. The statistics are yielded from the row
// loop, written in place into its shared outputs (a slice of the loop's
// own output, not a per-row buffer), and the loss moves after the loop.
// CHECK-LABEL: func.func @cross_entropy(
// CHECK:         %[[LOOP:.*]]:3 = scf.forall (%[[ROW:.*]]) in (%{{.*}}) shared_outs(%[[G:.*]] = %{{.*}}, %[[S1:.*]] = %{{.*}}, %[[S2:.*]] = %{{.*}})
// CHECK-DAG:       tensor.extract_slice %[[S1]][%[[ROW]]] [1] [1]
// CHECK-DAG:       tensor.extract_slice %[[S2]][%[[ROW]]] [1] [1]
// CHECK:           scf.forall.in_parallel
// CHECK:         linalg.generic {{.*}} ins(%[[LOOP]]#{{[12]}}, %[[LOOP]]#{{[12]}} : tensor<?xf32>, tensor<?xf32>)
// CHECK:         return %[[LOOP]]#0
func.func @cross_entropy(%x: tensor<?x10xf32>) -> (tensor<?x10xf32>, tensor<f32>) {
  %c0 = arith.constant 0 : index
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x10xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %mfill = linalg.fill ins(%ninf : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %max = linalg.generic {indexing_maps = [#row, #stat], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x10xf32>) outs(%mfill : tensor<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %m = arith.maximumf %acc, %in : f32
    linalg.yield %m : f32
  } -> tensor<?xf32>
  %sfill = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %sum = linalg.generic {indexing_maps = [#row, #stat, #stat], iterator_types = ["parallel", "reduction"]}
      ins(%x, %max : tensor<?x10xf32>, tensor<?xf32>) outs(%sfill : tensor<?xf32>) {
  ^bb0(%in: f32, %m: f32, %acc: f32):
    %d = arith.subf %in, %m : f32
    %p = math.exp %d : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  %le = tensor.empty() : tensor<f32>
  %lfill = linalg.fill ins(%zero : f32) outs(%le : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [#vec, #vec, #scalar], iterator_types = ["reduction"]}
      ins(%max, %sum : tensor<?xf32>, tensor<?xf32>) outs(%lfill : tensor<f32>) {
  ^bb0(%m: f32, %s: f32, %acc: f32):
    %l = math.log %s : f32
    %lse = arith.addf %m, %l : f32
    %t = arith.addf %acc, %lse : f32
    linalg.yield %t : f32
  } -> tensor<f32>
  %o = tensor.empty(%n) : tensor<?x10xf32>
  %g = linalg.generic {indexing_maps = [#row, #stat, #stat, #row], iterator_types = ["parallel", "parallel"]}
      ins(%x, %max, %sum : tensor<?x10xf32>, tensor<?xf32>, tensor<?xf32>) outs(%o : tensor<?x10xf32>) {
  ^bb0(%in: f32, %m: f32, %s: f32, %out: f32):
    %d = arith.subf %in, %m : f32
    %p = math.exp %d : f32
    %q = arith.divf %p, %s : f32
    linalg.yield %q : f32
  } -> tensor<?x10xf32>
  return %g, %loss : tensor<?x10xf32>, tensor<f32>
}
