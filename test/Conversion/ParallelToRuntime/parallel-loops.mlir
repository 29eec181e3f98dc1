// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(dnn-parallel-loops-to-runtime{min-scalar-elements=1})' | FileCheck %s
// RUN: dnn-opt %s --split-input-file --dnn-parallel-loops-to-runtime | FileCheck %s --check-prefix=DEFAULT
// RUN: dnn-opt %s --split-input-file --pass-pipeline='builtin.module(dnn-parallel-loops-to-runtime{min-iterations=100 min-scalar-elements=1})' | FileCheck %s --check-prefix=MIN100

// The outermost scf.parallel is outlined into a private function
// (ctx, begin, end) that reloads its captures from the context struct and runs
// the iterations [begin, end) of the loop; the nested scf.parallel stays
// inside it. Constants (the lower bound, the step, the inner loop's bounds)
// are cloned into the body, not captured, so that LLVM sees them; the call
// site stores the other captures (the upper bound first, then the values
// the body uses, memrefs as descriptors) and calls dnnrt_parallel_for with
// the region's name: entry, loop number and source location.

// CHECK:       llvm.mlir.global private constant @scale_parallel0_region("scale#0 parallel-loops.mlir:{{[0-9]+}}:3\00")
// CHECK-LABEL: func.func private @scale_parallel0(
// CHECK-SAME:    %[[CTX:.*]]: !llvm.ptr, %[[BEGIN:.*]]: i64, %[[END:.*]]: i64) {
// CHECK-DAG:     %[[LB:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[STEP:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK:         %[[P0:.*]] = llvm.getelementptr %[[CTX]][0, 0]
// CHECK:         %[[V0:.*]] = llvm.load %[[P0]] : !llvm.ptr -> i64
// CHECK:         %[[UB:.*]] = builtin.unrealized_conversion_cast %[[V0]] : i64 to index
// CHECK:         llvm.load %{{.*}} : !llvm.ptr -> !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// CHECK:         %[[IN:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)> to memref<?x8xf32>
// CHECK:         llvm.load %{{.*}} : !llvm.ptr -> f32
// CHECK:         %[[OUT:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)> to memref<?x8xf32>
// CHECK-NOT:     llvm.load
// CHECK:         %[[B:.*]] = arith.index_cast %[[BEGIN]] : i64 to index
// CHECK:         %[[E:.*]] = arith.index_cast %[[END]] : i64 to index
// CHECK:         scf.for %[[L:.*]] = %[[B]] to %[[E]] step %{{.*}} {
// CHECK:           %[[LS:.*]] = arith.muli %[[L]], %[[STEP]] : index
// CHECK:           %[[I:.*]] = arith.addi %[[LB]], %[[LS]] : index
// CHECK:           scf.parallel (%[[J:.*]]) = (%[[LB]]) to (%[[C8]]) step (%[[STEP]]) {
// CHECK:             memref.load %[[IN]][%[[I]], %[[J]]] : memref<?x8xf32>
// CHECK:             memref.store %{{.*}}, %[[OUT]][%[[I]], %[[J]]] : memref<?x8xf32>
// CHECK:         return
// CHECK-NOT:   @scale_parallel1

// CHECK-LABEL: func.func @scale(
// CHECK-SAME:    %[[A0:.*]]: memref<?x8xf32>, %[[A1:.*]]: memref<?x8xf32>, %[[S:.*]]: f32) {
// CHECK:         %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK:         %[[CTXS:.*]] = llvm.alloca %[[ONE]] x !llvm.struct<(i64, struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, f32, struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>)> : (i64) -> !llvm.ptr
// CHECK:         %[[N:.*]] = memref.dim %[[A0]]
// CHECK:         %[[NI:.*]] = builtin.unrealized_conversion_cast %[[N]] : index to i64
// CHECK:         %[[F0:.*]] = llvm.getelementptr %[[CTXS]][0, 0]
// CHECK:         llvm.store %[[NI]], %[[F0]] : i64, !llvm.ptr
// CHECK:         %[[D0:.*]] = builtin.unrealized_conversion_cast %[[A0]] : memref<?x8xf32> to !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// CHECK:         %[[F1:.*]] = llvm.getelementptr %[[CTXS]][0, 1]
// CHECK:         llvm.store %[[D0]], %[[F1]] : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, !llvm.ptr
// CHECK:         %[[F2:.*]] = llvm.getelementptr %[[CTXS]][0, 2]
// CHECK:         llvm.store %{{.*}}, %[[F2]] : f32, !llvm.ptr
// CHECK:         %[[F3:.*]] = llvm.getelementptr %[[CTXS]][0, 3]
// CHECK:         llvm.store %{{.*}}, %[[F3]] : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, !llvm.ptr
// CHECK:         %[[SPAN:.*]] = arith.subi %[[N]], %{{.*}} : index
// CHECK:         %[[CNT:.*]] = arith.ceildivsi %[[SPAN]], %{{.*}} : index
// CHECK:         %[[CNT0:.*]] = arith.maxsi %[[CNT]], %{{.*}} : index
// CHECK:         %[[CNT1:.*]] = arith.muli %{{.*}}, %[[CNT0]] : index
// CHECK:         %[[CNT64:.*]] = arith.index_cast %[[CNT1]] : index to i64
// CHECK:         %[[FN:.*]] = constant @scale_parallel0 : (!llvm.ptr, i64, i64) -> ()
// CHECK:         %[[FNP:.*]] = builtin.unrealized_conversion_cast %[[FN]] : (!llvm.ptr, i64, i64) -> () to !llvm.ptr
// CHECK:         %[[NAME:.*]] = llvm.mlir.addressof @scale_parallel0_region : !llvm.ptr
// CHECK:         llvm.call @dnnrt_parallel_for(%[[FNP]], %[[CTXS]], %[[CNT64]], %{{.*}}) : (!llvm.ptr, !llvm.ptr, i64, !llvm.ptr) -> ()
// CHECK-NOT:     scf.parallel
// CHECK:         return
// CHECK:       llvm.func @dnnrt_parallel_for(!llvm.ptr, !llvm.ptr, i64, !llvm.ptr)

// With min-iterations=100 the trip count is still unknown: outlined.
// MIN100-LABEL: func.func private @scale_parallel0(
// MIN100:       llvm.call @dnnrt_parallel_for
func.func @scale(%in: memref<?x8xf32>, %out: memref<?x8xf32>, %s: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %in, %c0 : memref<?x8xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
      %v = memref.load %in[%i, %j] : memref<?x8xf32>
      %r = arith.mulf %v, %s : f32
      memref.store %r, %out[%i, %j] : memref<?x8xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}

// -----

// A loop with a static trip count below min-iterations (default 2) stays.
// CHECK-LABEL: func.func @single_iteration(
// CHECK:         scf.parallel
// CHECK:           memref.store
// CHECK-NOT:     llvm.call
// CHECK-NOT:     dnnrt_parallel_for
// CHECK-NOT:     @single_iteration_parallel
func.func @single_iteration(%out: memref<1xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%c1) step (%c1) {
    memref.store %v, %out[%i] : memref<1xf32>
    scf.reduce
  }
  return
}

// -----

// 64 iterations: parallel by default, sequential with min-iterations=100.
// The trip count is (ub - lb) / step rounded up: (64 - 0) / 1.
// CHECK-LABEL: func.func private @static_64_parallel0(
// CHECK-LABEL: func.func @static_64(
// CHECK:         llvm.call @dnnrt_parallel_for
// CHECK-NOT:     scf.parallel
// MIN100-LABEL: func.func @static_64(
// MIN100-NOT:   llvm.call
// MIN100:       scf.parallel
// MIN100-NOT:   llvm.call
// MIN100-NOT:   dnnrt_parallel_for
func.func @static_64(%out: memref<64xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    memref.store %v, %out[%i] : memref<64xf32>
    scf.reduce
  }
  return
}

// -----

// 200 iterations with step 2 is a trip count of 100: outlined even with
// min-iterations=100.
// MIN100-LABEL: func.func private @step_two_parallel0(
// MIN100-LABEL: func.func @step_two(
// MIN100:       llvm.call @dnnrt_parallel_for
// CHECK-LABEL: func.func private @step_two_parallel0(
// CHECK-LABEL: func.func @step_two(
// CHECK:         llvm.call @dnnrt_parallel_for
func.func @step_two(%out: memref<200xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c200 = arith.constant 200 : index
  scf.parallel (%i) = (%c0) to (%c200) step (%c2) {
    memref.store %v, %out[%i] : memref<200xf32>
    scf.reduce
  }
  return
}

// -----

// Loops with reductions (results) are left alone.
// CHECK-LABEL: func.func @reduction(
// CHECK:         %[[SUM:.*]] = scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) init (%{{.*}}) -> f32 {
// CHECK:           scf.reduce(%{{.*}} : f32)
// CHECK:         return %[[SUM]] : f32
// CHECK-NOT:     llvm.call
// CHECK-NOT:     @reduction_parallel
// CHECK-NOT:     dnnrt_parallel_for
func.func @reduction(%in: memref<64xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %sum = scf.parallel (%i) = (%c0) to (%c64) step (%c1) init (%zero) -> f32 {
    %v = memref.load %in[%i] : memref<64xf32>
    scf.reduce(%v : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}

// -----

// Two loops in one function: two bodies, each with its own context, and a
// single declaration of the runtime function.
// CHECK-LABEL: func.func private @two_loops_parallel0(
// CHECK:         memref.store
// CHECK-LABEL: func.func private @two_loops_parallel1(
// CHECK:         memref.load
// CHECK:         memref.store
// CHECK-LABEL: func.func @two_loops(
// CHECK:         llvm.alloca
// CHECK:         llvm.alloca
// CHECK:         constant @two_loops_parallel0
// CHECK:         llvm.call @dnnrt_parallel_for
// CHECK:         constant @two_loops_parallel1
// CHECK:         llvm.call @dnnrt_parallel_for
// CHECK-NOT:     scf.parallel
// CHECK:       llvm.func @dnnrt_parallel_for(
// CHECK-NOT:   llvm.func @dnnrt_parallel_for(
func.func @two_loops(%a: memref<?xf32>, %b: memref<?xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %a, %c0 : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %v, %a[%i] : memref<?xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %x = memref.load %a[%i] : memref<?xf32>
    memref.store %x, %b[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

// A loop that captures a value with no LLVM form (a tensor) stays sequential,
// and nothing is added to the function.
// CHECK-LABEL: func.func @captures_tensor(
// CHECK-NOT:     llvm.
// CHECK:         scf.parallel
// CHECK:           tensor.extract
// CHECK-NOT:     llvm.call
// CHECK-NOT:     dnnrt_parallel_for
func.func @captures_tensor(%t: tensor<64xf32>, %out: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    %v = tensor.extract %t[%i] : tensor<64xf32>
    memref.store %v, %out[%i] : memref<64xf32>
    scf.reduce
  }
  return
}

// -----

// A multi-dimensional scalar nest: its rows are shared out, each row runs
// whole; the constant bounds both dims share are cloned into the body once,
// and only the dynamic bound and the stored value are captured.
// CHECK-LABEL: func.func private @two_dims_parallel0(
// CHECK-SAME:    %[[CTX:.*]]: !llvm.ptr, %[[BEGIN:.*]]: i64, %[[END:.*]]: i64)
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[ONE:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[EIGHT:.*]] = arith.constant 8 : index
// CHECK:         %[[N:.*]] = builtin.unrealized_conversion_cast %{{.*}} : i64 to index
// CHECK:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:           scf.for %{{.*}} = %[[ZERO]] to %[[EIGHT]] step %[[ONE]] {
// CHECK-LABEL: func.func @two_dims(
// CHECK:         llvm.alloca %{{.*}} x !llvm.struct<(i64, f32, struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>)>
// CHECK:         llvm.call @dnnrt_parallel_for
func.func @two_dims(%out: memref<?x8xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %out, %c0 : memref<?x8xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c8) step (%c1, %c1) {
    memref.store %v, %out[%i, %j] : memref<?x8xf32>
    scf.reduce
  }
  return
}

// -----

// A parallel loop inside a sequential one: the context is allocated once at
// the function entry, and the captures (the outer induction variable among
// them) are stored before each call.
// CHECK-LABEL: func.func private @in_for_parallel0(
// CHECK:         scf.for
// CHECK-LABEL: func.func @in_for(
// CHECK:         %[[CTX:.*]] = llvm.alloca
// CHECK:         scf.for %[[K:.*]] = {{.*}} {
// CHECK:           %[[KI:.*]] = builtin.unrealized_conversion_cast %[[K]] : index to i64
// CHECK:           llvm.store %[[KI]], %{{.*}} : i64, !llvm.ptr
// CHECK:           llvm.call @dnnrt_parallel_for(%{{.*}}, %[[CTX]], %{{.*}})
// CHECK:         }
// CHECK-NOT:     scf.parallel
func.func @in_for(%out: memref<16x8xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  scf.for %k = %c0 to %c8 step %c1 {
    scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
      memref.store %v, %out[%i, %k] : memref<16x8xf32>
      scf.reduce
    }
  }
  return
}

// -----

// A 2-D loop over whole tiles is split like a matmul's register tiles:
// one linear index over 4 x 16 tiles, the row varying fastest, so that
// threads share out column strips and a thread touches the same columns of
// a tensor in every loop (with the runtime's fixed shares).
// CHECK-LABEL: func.func private @tiles_parallel0(
// CHECK:         scf.for %[[L:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:           %[[R:.*]] = arith.remui %[[L]], %{{.*}} : index
// CHECK:           %[[C:.*]] = arith.divui %[[L]], %{{.*}} : index
// CHECK:           %[[RS:.*]] = arith.muli %[[R]], %{{.*}} : index
// CHECK:           %[[I:.*]] = arith.addi %{{.*}}, %[[RS]] : index
// CHECK:           %[[CS:.*]] = arith.muli %[[C]], %{{.*}} : index
// CHECK:           %[[J:.*]] = arith.addi %{{.*}}, %[[CS]] : index
// CHECK:           memref.store %{{.*}}, %{{.*}}[%[[I]], %[[J]]]
// CHECK-LABEL: func.func @tiles(
// CHECK:         llvm.call @dnnrt_parallel_for
func.func @tiles(%out: memref<32x512xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %c512 = arith.constant 512 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c32, %c512) step (%c8, %c32) {
    memref.store %v, %out[%i, %j] : memref<32x512xf32>
    scf.reduce
  }
  return
}

// -----

// A partial last column tile (500 = 15 * 32 + 20) keeps row-major order,
// the column varying fastest: a strip of masked tiles walked down the rows
// is slow.
// CHECK-LABEL: func.func private @partial_column_tiles_parallel0(
// CHECK:         scf.for %[[L:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:           %[[C:.*]] = arith.remui %[[L]], %{{.*}} : index
// CHECK:           %[[R:.*]] = arith.divui %[[L]], %{{.*}} : index
// CHECK:           %[[CS:.*]] = arith.muli %[[C]], %{{.*}} : index
// CHECK:           %[[J:.*]] = arith.addi %{{.*}}, %[[CS]] : index
// CHECK:           %[[RS:.*]] = arith.muli %[[R]], %{{.*}} : index
// CHECK:           %[[I:.*]] = arith.addi %{{.*}}, %[[RS]] : index
// CHECK:           memref.store %{{.*}}, %{{.*}}[%[[I]], %[[J]]]
func.func @partial_column_tiles(%out: memref<32x500xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %c500 = arith.constant 500 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c32, %c500) step (%c8, %c32) {
    memref.store %v, %out[%i, %j] : memref<32x500xf32>
    scf.reduce
  }
  return
}

// -----

// Matmul register tiles (vector FMAs) vary dim 0 fastest: a thread walks
// down the rows of a column strip, whose B panel stays in cache.
// CHECK-LABEL: func.func private @register_tiles_parallel0(
// CHECK:         scf.for %[[L:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:           %[[R:.*]] = arith.remui %[[L]], %{{.*}} : index
// CHECK:           %[[C:.*]] = arith.divui %[[L]], %{{.*}} : index
// CHECK:           %[[RS:.*]] = arith.muli %[[R]], %{{.*}} : index
// CHECK:           %[[I:.*]] = arith.addi %{{.*}}, %[[RS]] : index
// CHECK:           %[[CS:.*]] = arith.muli %[[C]], %{{.*}} : index
// CHECK:           %[[J:.*]] = arith.addi %{{.*}}, %[[CS]] : index
// CHECK:           vector.fma
// CHECK:           vector.store %{{.*}}, %{{.*}}[%[[I]], %[[J]]]
func.func @register_tiles(%out: memref<32x512xf32>, %a: vector<16xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %c512 = arith.constant 512 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c32, %c512) step (%c8, %c32) {
    %f = vector.fma %a, %a, %a : vector<16xf32>
    vector.store %f, %out[%i, %j] : memref<32x512xf32>, vector<16xf32>
    scf.reduce
  }
  return
}

// -----

// A scalar 2-D nest (a copy) shares its rows; each row stays one inner loop
// over contiguous memory.
// CHECK-LABEL: func.func private @copy_parallel0(
// CHECK:         scf.for %[[L:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NOT:       arith.remui
// CHECK:           %[[I:.*]] = arith.addi
// CHECK:           scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:             memref.load %{{.*}}[%[[I]], %[[J]]]
func.func @copy(%in: memref<32x512xf32>, %out: memref<32x512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c512 = arith.constant 512 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c32, %c512) step (%c1, %c1) {
    %x = memref.load %in[%i, %j] : memref<32x512xf32>
    memref.store %x, %out[%i, %j] : memref<32x512xf32>
    scf.reduce
  }
  return
}

// -----

// By default a scalar loop of fewer than 4096 iterations in all (the bias
// gradient of a 10-class layer, inside the batch loop) stays sequential:
// waking a thread costs more than the work.
// DEFAULT-LABEL: func.func @small_scalar(
// DEFAULT:         scf.for
// DEFAULT:           scf.parallel
// DEFAULT-NOT:     dnnrt_parallel_for
// CHECK-LABEL:   func.func private @small_scalar_parallel0(
func.func @small_scalar(%dy: memref<?x10xf32>, %db: memref<10xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %n = memref.dim %dy, %c0 : memref<?x10xf32>
  scf.for %i = %c0 to %n step %c1 {
    scf.parallel (%j) = (%c0) to (%c10) step (%c1) {
      %x = memref.load %dy[%i, %j] : memref<?x10xf32>
      %a = memref.load %db[%j] : memref<10xf32>
      %s = arith.addf %a, %x : f32
      memref.store %s, %db[%j] : memref<10xf32>
      scf.reduce
    }
  }
  return
}
