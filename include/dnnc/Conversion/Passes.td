//===- Passes.td - Conversions out of the dnn dialect ----------*- tablegen -*-===//
//
// The steps of the CPU pipeline that dnnc owns; everything between them is
// upstream MLIR (see compiler/Pipelines/Pipelines.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef DNNC_CONVERSION_PASSES_TD
#define DNNC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertDNNToLinalgPass : Pass<"convert-dnn-to-linalg", "mlir::func::FuncOp"> {
  let summary = "Lower dnn compute ops to linalg, tensor, arith and math";
  let description = [{
    Named linalg ops where they exist (matmul, batch_matmul,
    conv_2d_nchw_fchw, pooling_nchw_max/sum, transpose, fill) and
    `linalg.generic` otherwise, all on tensors with dynamic sizes taken from
    the operands. Softmax, log_softmax and cross-entropy subtract the row
    maximum before exponentiating; bce_with_logits uses the softplus form
    `max(x, 0) - x*t + log1p(exp(-|x|))`.
  }];
  let options = [
    Option<"convolutions", "convolutions", "std::string", /*default=*/"\"auto\"",
           "How 2-D convolutions with static planes are lowered: `im2col` (as "
           "matmuls over im2col columns), `direct` (forward as "
           "linalg.conv_2d_nchw_fchw, which dnn-tile-and-vectorize gives a direct "
           "kernel where the strides are 1), or `auto`: direct where the strides "
           "are 1, except a forward convolution with a window C*KH*KW over 32 "
           "elements whose input's im2col columns a filter gradient of the same "
           "function builds anyway. With `auto` and `direct`, a unit-stride "
           "filter gradient with a window of at most 32 and output rows filling "
           "3/4 of their registers, or with output channels in whole registers, "
           "is the direct generic">,
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes of the target's vector registers (16 for AVX-512, 8 for "
           "AVX2): which filter gradients the direct kernels handle well "
           "(prefersDirectFilterGradient, the rule dnn-tile-and-vectorize's "
           "choice of kernel shares)">
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect", "mlir::math::MathDialect"];
}

def FuseSharedElementwisePass : Pass<"dnn-fuse-shared-elementwise", "mlir::func::FuncOp"> {
  let summary = "Fuse an elementwise value with several users into its first user";
  let description = [{
    An elementwise `linalg.generic` whose value has several users is fused
    into the first of them when that one is elementwise too; the fused op
    yields the value as an extra result, which the other users then read.
    Upstream's elementwise fusion, which runs after, only fuses a producer
    into a sole user (and so ends up recomputing a shared value in each).
    For a dense layer, `relu(x@w + b)` with `x@w + b` also read by the
    backward pass becomes one op with two results.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def FuseElementwisePass : Pass<"dnn-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "Upstream's elementwise fusion, with reshapes stopped at matmuls";
  let description = [{
    Fuses elementwise `linalg.generic`s into their sole users and folds
    `tensor.expand_shape` / `collapse_shape` into generics by expanding
    them, as upstream's `linalg-fuse-elementwise-ops` does, except that a
    reshape is never folded into a `linalg.matmul`: that would turn it into
    a generic contraction with split reduction dims, which the register-tiled
    matmul code generation (`dnn-tile-and-vectorize`) does not take. A
    convolution lowered as a matmul over im2col columns keeps its matmul
    whatever reshapes its operands and result go through.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::affine::AffineDialect",
                           "mlir::tensor::TensorDialect"];
}

def TileAndVectorizePass : Pass<"dnn-tile-and-vectorize", "mlir::func::FuncOp"> {
  let summary = "Tile linalg ops for threads and registers, then vectorize them";
  let description = [{
    On tensors, before bufferization. Every linalg op's parallel loops are
    tiled with `scf.forall` (later the runtime's thread pool); the innermost
    parallel dimension is cut into tiles of `4 * vector-width` elements and
    vectorized at that size, masked where the tile is partial. Matmuls are
    first split so that no tile is partial, then get register tiles of
    `R x 2*vector-width` (R = 8 for 16 lanes, else 4; row tile by row tile
    where K is short and A static and small) with the reduction in
    steps of 8, the accumulator carried in registers across it and
    vector.contract lowered to outer products. A fill of the accumulator is
    fused into each tile (the accumulator starts as a splat), and so is the
    matmul's elementwise consumer when it writes fresh tensors (bias,
    activation, relu_grad): it runs on the register tile before the single
    store. Transposes use square register tiles and a shuffle network;
    2-D convolutions with unit strides get a direct kernel (each output
    row of a block of channels in registers, the input rows read in place;
    rows shorter than 3/4 of a register vectorized along the channels),
    and where their output only feeds pooling over tiling windows and its
    rows span two registers, the pooling runs in the same kernel on the
    rows in registers (the convolution's output is never stored); a pooling
    gradient over tiling windows of one or two columns (a strided insert per
    window offset) becomes one pass writing whole rows; likewise im2col
    columns (one copy per window offset) become one pass per output row,
    and col2im (one add per window offset) one pass per plane with the
    rows of dx summed in registers; other 2-D
    convolutions (all output channels per tile, so that the FMAs run along
    them) and poolings are cut into 1-D rows and vectorized along the
    output width. Finally, vector reads of rows whose elements are a
    constant stride apart become one contiguous read and a shuffle. Ops the
    vectorizer rejects (e.g. gathers) stay scalar loops inside the same
    tiles.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"8",
           "f32 lanes of the target's vector registers">
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::vector::VectorDialect",
                           "mlir::tensor::TensorDialect", "mlir::linalg::LinalgDialect",
                           "mlir::bufferization::BufferizationDialect"];
}

def MemRefCopyToLinalgPass : Pass<"dnn-memref-copy-to-linalg", "mlir::func::FuncOp"> {
  let summary = "Turn memref.copy into linalg.copy";
  let description = [{
    memref.copy between non-contiguous buffers lowers to a call into MLIR's
    C runner utilities, which a self-contained model library cannot link.
    As linalg.copy it becomes ordinary (parallel, vectorizable) loops.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def ParallelLoopsToRuntimePass
    : Pass<"dnn-parallel-loops-to-runtime", "mlir::ModuleOp"> {
  let summary = "Run outermost scf.parallel loops on the runtime's thread pool";
  let description = [{
    Each outermost `scf.parallel` without reductions, whose trip count is not
    known to be tiny, becomes a call to
    `dnnrt_parallel_for(body, ctx, count)`: the loop body is outlined into a
    private `func.func` taking (ctx, begin, end), the values it captures are stored
    into a stack struct `ctx` (memrefs as their LLVM descriptors), and the
    runtime runs chunks of the first loop dimension on its threads.
  }];
  let options = [
    Option<"minIterations", "min-iterations", "int64_t", /*default=*/"2",
           "Leave loops with a static trip count below this sequential">,
    Option<"minScalarElements", "min-scalar-elements", "int64_t", /*default=*/"4096",
           "Leave loops of scalar bodies (no loops, no vectors) with fewer "
           "static iterations in all dims than this sequential">
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect", "mlir::arith::ArithDialect",
                           "mlir::scf::SCFDialect"];
}

def DropInPlaceResultsPass : Pass<"dnn-drop-in-place-results", "mlir::ModuleOp"> {
  let summary = "Drop entry results that are the entry's own argument buffers";
  let description = [{
    After one-shot bufferization, a train_step returns the param and state
    buffers it updated in place (materialized in its arguments): the
    caller already holds them, so those results are removed from the entry
    and its return. Unlike upstream's drop-equivalent-buffer-results this
    applies to the public entry points, whose callers are the runtime.
  }];
}

def FreeLoopTemporariesPass : Pass<"dnn-free-loop-temporaries", "mlir::ModuleOp"> {
  let summary = "Free the per-iteration temporaries that deallocation left behind";
  let description = [{
    After the deallocation pipeline. A `memref.alloc` inside a loop body
    (a per-tile temporary of a gather, say) that nothing deallocates, whose
    uses and views all stay in its block and do not leave it through a
    terminator, gets a `memref.dealloc` before the block's terminator:
    without it every iteration leaked its buffer.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def StackLoopTemporariesPass : Pass<"dnn-stack-loop-temporaries", "mlir::ModuleOp"> {
  let summary = "Put small per-iteration temporaries of bounded size on the stack";
  let description = [{
    After dnn-free-loop-temporaries. A `memref.alloc` in a loop body, freed
    once in the same block, whose one dynamic size (the outermost) has a
    constant upper bound (a tile's `affine.min`) that keeps it within
    `max-bytes`, becomes a `memref.alloca` of that bound (a view of the
    size asked for replaces the buffer) inside a `memref.alloca_scope`
    around its live range, so each iteration's stack space is released:
    no heap call per tile (argmax's running maxima in every predict).
  }];
  let options = [
    Option<"maxBytes", "max-bytes", "int64_t", /*default=*/"4096",
           "largest stack buffer, in bytes">
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def PlanWorkspacePass : Pass<"dnn-plan-workspace", "mlir::ModuleOp"> {
  let summary = "Place an entry's temporaries in one workspace planned at compile time";
  let description = [{
    After bufferization, before deallocation. Every `memref.alloc` in the
    top-level block of an entry point (`dnn.entry`) gets a byte offset into
    one workspace buffer, an extra last argument `memref<?xi8>` of the entry:
    two temporaries share bytes only when their live ranges (from the
    allocation to the last use of the buffer or of a view of it) do not
    overlap. Sizes stay expressions of the entry's dynamic dimensions: each
    buffer is placed above every earlier buffer it is live with, so the
    offsets are computed at the function's start from the argument shapes,
    64-byte aligned. A companion function `<entry>_workspace` with the
    entry's other arguments returns the workspace size in bytes, so the
    runtime can allocate (and report a failure) before the entry runs. An
    entry then allocates nothing in its steady state.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect", "mlir::arith::ArithDialect"];
}

//===----------------------------------------------------------------------===//
// The CUDA target (dnnc --target=cuda): the bufferized entries' loops become
// kernels in one gpu.module compiled for every requested architecture.
//===----------------------------------------------------------------------===//

def ParallelDimsFirstPass : Pass<"dnn-parallel-dims-first", "mlir::func::FuncOp"> {
  let summary = "Interchange linalg.generic loops so that parallel dimensions come first";
  let description = [{
    convert-linalg-to-parallel-loops keeps the loop order of the op: a
    reduction over the batch of per-channel values (a bias gradient,
    batch_norm's statistics) would be an outer sequential loop around a
    parallel one, which maps to a single GPU thread. With the parallel
    dimensions first, one thread per channel runs the reduction. A linalg op
    without loops (on 0-d buffers: the division of a loss by the batch size)
    is put in a one-iteration `scf.parallel`, so that it runs in a kernel too
    instead of on the host.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::scf::SCFDialect"];
}

def MapParallelLoopsToGPUPass
    : Pass<"dnn-map-parallel-loops-to-gpu", "mlir::func::FuncOp"> {
  let summary = "Map each outermost loop nest to a grid of blocks and threads";
  let description = [{
    Each outermost `scf.parallel` (one per linalg op after
    convert-linalg-to-parallel-loops) has its dimensions collapsed into one,
    the last (contiguous) dimension varying fastest so that neighbouring
    threads touch neighbouring elements, and is split into blocks of
    `block-size` threads with a bounds check: the outer loop is mapped to
    `block_x`, the inner one to `thread_x`, and loops nested inside (a
    reduction's `scf.for`, an inner `scf.parallel`) run sequentially in each
    thread. An outermost `scf.for` without results (a reduction to a scalar,
    such as a loss's mean) becomes a grid of one thread, so that no loop of
    an entry runs on the host; convert-parallel-loops-to-gpu then turns the
    mapped loops into `gpu.launch`. Dimensions stay dynamic: the grid size is
    computed from the loop bounds at the launch.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "threads per block">
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::arith::ArithDialect",
                           "mlir::affine::AffineDialect", "mlir::gpu::GPUDialect"];
}

def MergeGPUModulesPass : Pass<"dnn-merge-gpu-modules", "mlir::ModuleOp"> {
  let summary = "Move every outlined kernel into one gpu.module";
  let description = [{
    gpu-kernel-outlining puts each kernel in a `gpu.module` of its own; a
    model library carries all its kernels in one module (`module-name`), so
    that it is compiled once per architecture into one binary, which the
    runtime loads once. Launches are redirected to the merged module.
  }];
  let options = [
    Option<"moduleName", "module-name", "std::string", /*default=*/"\"dnn_kernels\"",
           "name of the merged gpu.module">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect"];
}

def AttachNVVMTargetsPass : Pass<"dnn-attach-nvvm-targets", "mlir::ModuleOp"> {
  let summary = "Attach one NVVM target per CUDA architecture to every gpu.module";
  let description = [{
    Upstream's nvvm-attach-target attaches one architecture; a library built
    for several (`--cuda-arch=sm_80,sm_90`) needs one target each, so that
    gpu-module-to-binary emits one object per architecture.
  }];
  let options = [
    ListOption<"chips", "chips", "std::string", "CUDA architectures, e.g. sm_80,sm_90">,
    Option<"features", "features", "std::string", /*default=*/"\"+ptx80\"",
           "PTX features (the PTX ISA version)">,
    Option<"optLevel", "O", "int64_t", /*default=*/"3", "LLVM optimization level">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::NVVM::NVVMDialect"];
}

#endif // DNNC_CONVERSION_PASSES_TD
