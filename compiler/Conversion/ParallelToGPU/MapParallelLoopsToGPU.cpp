//===- MapParallelLoopsToGPU.cpp - Loop nests as grids of threads ---------===//
//
// After convert-linalg-to-parallel-loops every linalg op of an entry is one
// outermost scf.parallel over its parallel dimensions (reductions are
// scf.for loops inside). Each becomes one kernel: one thread per point of
// the collapsed iteration space, in blocks of a fixed size, so dynamic
// batch sizes only change the grid computed at the launch.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

#include <numeric>

namespace dnnc {
#define GEN_PASS_DEF_MAPPARALLELLOOPSTOGPUPASS
#include "dnnc/Conversion/Passes.h.inc"
} // namespace dnnc

using namespace mlir;

namespace {

gpu::ParallelLoopDimMappingAttr mappingTo(OpBuilder &b, gpu::Processor processor) {
  AffineMap identity = b.getDimIdentityMap();
  return gpu::ParallelLoopDimMappingAttr::get(b.getContext(), processor, identity, identity);
}

/// Whether `buffer` is host memory the entry allocated itself (the shape
/// operand of a memref.reshape), as opposed to an argument or the workspace.
bool isHostBuffer(Value buffer) {
  return buffer.getDefiningOp<memref::AllocOp>() || buffer.getDefiningOp<memref::AllocaOp>();
}

/// The outermost scf.parallel ops of `func`, and what else would touch
/// device memory from the host: outermost scf.for ops without results and
/// stores outside loops (a constant into a 0-d workspace buffer).
void collectOutermostLoops(func::FuncOp func, SmallVectorImpl<scf::ParallelOp> &parallel,
                           SmallVectorImpl<Operation *> *hostLoops) {
  func.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
      parallel.push_back(loop);
      return WalkResult::skip();
    }
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      if (hostLoops && loop.getNumResults() == 0)
        hostLoops->push_back(loop);
      return WalkResult::skip();
    }
    if (auto store = dyn_cast<memref::StoreOp>(op))
      if (hostLoops && !isHostBuffer(store.getMemRef()))
        hostLoops->push_back(store);
    return WalkResult::advance();
  });
}

/// Wraps a host loop or store into a one-iteration scf.parallel, so that it
/// becomes a kernel like every other loop nest.
void wrapInParallel(RewriterBase &rewriter, Operation *loop) {
  rewriter.setInsertionPoint(loop);
  Location loc = loop->getLoc();
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  auto wrapper = scf::ParallelOp::create(rewriter, loc, ValueRange{zero}, ValueRange{one},
                                         ValueRange{one});
  rewriter.moveOpBefore(loop, wrapper.getBody()->getTerminator());
}

/// Replaces `loop` by a nest of scf.for loops, one per dimension (the
/// upstream mapping only accepts parallel loops nested directly in parallel
/// loops; here they sit in scf.for reductions too).
LogicalResult sequentialize(RewriterBase &rewriter, scf::ParallelOp loop) {
  if (loop.getNumResults() != 0)
    return loop.emitError("a parallel reduction inside a GPU thread is not supported");
  rewriter.setInsertionPoint(loop);
  SmallVector<Value> ivs;
  for (auto [lb, ub, step] :
       llvm::zip_equal(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    auto dim = scf::ForOp::create(rewriter, loop.getLoc(), lb, ub, step);
    ivs.push_back(dim.getInductionVar());
    rewriter.setInsertionPoint(dim.getBody()->getTerminator());
  }
  Block *body = loop.getBody();
  rewriter.eraseOp(body->getTerminator());
  rewriter.inlineBlockBefore(body, rewriter.getInsertionBlock(), rewriter.getInsertionPoint(),
                             ivs);
  rewriter.eraseOp(loop);
  return success();
}

/// Splits the one-dimensional `loop` into blocks of `blockSize` threads:
///   scf.parallel %block = 0 to ceildiv(trips, B)        {block_x}
///     scf.parallel %thread = 0 to B                     {thread_x}
///       %i = %block * B + %thread
///       scf.if %i < trips { body(lb + %i * step) }
/// Loops nested in the body run sequentially in each thread.
LogicalResult splitIntoBlocks(RewriterBase &rewriter, scf::ParallelOp loop, int64_t blockSize) {
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  Value lb = loop.getLowerBound()[0], ub = loop.getUpperBound()[0], step = loop.getStep()[0];
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  Value block = arith::ConstantIndexOp::create(rewriter, loc, blockSize);
  Value span = arith::SubIOp::create(rewriter, loc, ub, lb);
  Value trips = arith::CeilDivUIOp::create(rewriter, loc, span, step);
  Value blocks = arith::CeilDivUIOp::create(rewriter, loc, trips, block);

  auto blockLoop = scf::ParallelOp::create(rewriter, loc, ValueRange{zero}, ValueRange{blocks},
                                           ValueRange{one});
  rewriter.setInsertionPointToStart(blockLoop.getBody());
  auto threadLoop = scf::ParallelOp::create(rewriter, loc, ValueRange{zero}, ValueRange{block},
                                            ValueRange{one});
  rewriter.setInsertionPointToStart(threadLoop.getBody());
  Value first = arith::MulIOp::create(rewriter, loc, blockLoop.getInductionVars()[0], block);
  Value linear = arith::AddIOp::create(rewriter, loc, first, threadLoop.getInductionVars()[0]);
  Value inRange =
      arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ult, linear, trips);
  auto guard = scf::IfOp::create(rewriter, loc, inRange, /*withElseRegion=*/false);
  rewriter.setInsertionPointToStart(guard.thenBlock());
  Value scaled = arith::MulIOp::create(rewriter, loc, linear, step);
  Value iv = arith::AddIOp::create(rewriter, loc, lb, scaled);

  Block *body = loop.getBody();
  rewriter.eraseOp(body->getTerminator());
  rewriter.inlineBlockBefore(body, guard.thenBlock()->getTerminator(), ValueRange{iv});
  rewriter.eraseOp(loop);

  if (failed(gpu::setMappingAttr(blockLoop, {mappingTo(rewriter, gpu::Processor::BlockX)})) ||
      failed(gpu::setMappingAttr(threadLoop, {mappingTo(rewriter, gpu::Processor::ThreadX)})))
    return failure();
  // Anything parallel inside runs sequentially in its thread.
  SmallVector<scf::ParallelOp> nested;
  guard.walk([&](scf::ParallelOp inner) { nested.push_back(inner); });
  for (scf::ParallelOp inner : nested)
    if (failed(sequentialize(rewriter, inner)))
      return failure();
  return success();
}

struct MapParallelLoopsToGPUPass
    : dnnc::impl::MapParallelLoopsToGPUPassBase<MapParallelLoopsToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());

    SmallVector<scf::ParallelOp> parallel;
    SmallVector<Operation *> hostLoops;
    collectOutermostLoops(func, parallel, &hostLoops);
    for (Operation *loop : hostLoops)
      wrapInParallel(rewriter, loop);

    // Collapsing replaces each loop by a new one: collect again after it.
    parallel.clear();
    collectOutermostLoops(func, parallel, nullptr);
    for (scf::ParallelOp loop : parallel) {
      if (loop.getNumResults() != 0)
        continue; // a reduction into a value stays on the host
      std::vector<unsigned> all(loop.getNumLoops());
      std::iota(all.begin(), all.end(), 0u);
      collapseParallelLoops(rewriter, loop, {all});
    }

    parallel.clear();
    collectOutermostLoops(func, parallel, nullptr);
    for (scf::ParallelOp loop : parallel) {
      if (loop.getNumResults() != 0)
        continue;
      if (failed(splitIntoBlocks(rewriter, loop, blockSize))) {
        loop.emitError("cannot map this loop nest to GPU blocks and threads");
        return signalPassFailure();
      }
    }
  }
};

} // namespace
