//===- FreeLoopTemporaries.cpp - Deallocate per-iteration temporaries -----===//
//
// Ownership-based deallocation leaves allocations inside scf.forall bodies
// (per-tile temporaries) without a dealloc; each iteration then leaks its
// buffer. A buffer whose every use, through views, stays in its own block
// is dead at the block's end, so it is freed there.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Conversion/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"

namespace dnnc {
#define GEN_PASS_DEF_FREELOOPTEMPORARIESPASS
#include "dnnc/Conversion/Passes.h.inc"
} // namespace dnnc

using namespace mlir;

namespace {

/// True if `buffer` and everything derived from it are used only inside
/// `block` (nested regions included), never deallocated, never returned or
/// yielded.
bool diesInBlock(Value buffer, Block *block) {
  SmallVector<Value> worklist{buffer};
  DenseSet<Value> seen{buffer};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (isa<memref::DeallocOp, bufferization::DeallocOp>(user) ||
          user->hasTrait<OpTrait::IsTerminator>() || !block->findAncestorOpInBlock(*user))
        return false;
      for (Value r : user->getResults())
        if (isa<BaseMemRefType>(r.getType()) && seen.insert(r).second)
          worklist.push_back(r);
    }
  }
  return true;
}

struct FreeLoopTemporariesPass
    : dnnc::impl::FreeLoopTemporariesPassBase<FreeLoopTemporariesPass> {
  void runOnOperation() override {
    SmallVector<memref::AllocOp> allocs;
    getOperation().walk([&](memref::AllocOp alloc) {
      Block *block = alloc->getBlock();
      // Only loop bodies: a function's own block is deallocation's business.
      if (!isa<func::FuncOp>(alloc->getParentOp()) && block->mightHaveTerminator() &&
          diesInBlock(alloc.getResult(), block))
        allocs.push_back(alloc);
    });
    for (memref::AllocOp alloc : allocs) {
      OpBuilder b(alloc->getBlock()->getTerminator());
      memref::DeallocOp::create(b, alloc.getLoc(), alloc.getResult());
    }
  }
};

} // namespace
