//===- StackLoopTemporaries.cpp - Small per-iteration buffers on the stack ===//
//
// A tile's private temporary (the running maxima of argmax, whose values
// only the tile needs) bufferizes to a memref.alloc of the tile's size
// inside the loop body, freed at its end: two heap calls per tile, on every
// call of predict. Its size is dynamic (the last tile is partial) but
// bounded by the tile. Upstream's promote-buffers-to-stack takes static
// shapes only; here such a buffer becomes a stack buffer of its bound, in
// an alloca_scope around its live range so each iteration's stack is
// released.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"

namespace dnnc {
#define GEN_PASS_DEF_STACKLOOPTEMPORARIESPASS
#include "dnnc/Conversion/Passes.h.inc"
} // namespace dnnc

using namespace mlir;

namespace {

/// The static shape bounding `alloc`'s type: its one dynamic size (the
/// outermost dim) replaced by that size's constant upper bound.
std::optional<SmallVector<int64_t>> boundingShape(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  if (!type.getLayout().isIdentity() || type.getNumDynamicDims() != 1 ||
      !ShapedType::isDynamic(type.getDimSize(0)) || alloc.getDynamicSizes().size() != 1)
    return std::nullopt;
  FailureOr<int64_t> bound = ValueBoundsConstraintSet::computeConstantBound(
      presburger::BoundType::UB, ValueBoundsConstraintSet::Variable(alloc.getDynamicSizes()[0]),
      /*stopCondition=*/nullptr, /*closedUB=*/true);
  if (failed(bound) || *bound < 1)
    return std::nullopt;
  SmallVector<int64_t> shape(type.getShape());
  shape[0] = *bound;
  return shape;
}

struct StackLoopTemporariesPass
    : dnnc::impl::StackLoopTemporariesPassBase<StackLoopTemporariesPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<std::pair<memref::AllocOp, memref::DeallocOp>> candidates;
    getOperation().walk([&](memref::AllocOp alloc) {
      Block *block = alloc->getBlock();
      if (isa<func::FuncOp>(alloc->getParentOp()))
        return;
      // Freed once, in its own block (deallocation or
      // dnn-free-loop-temporaries put it there).
      memref::DeallocOp dealloc;
      for (Operation *user : alloc->getUsers())
        if (auto d = dyn_cast<memref::DeallocOp>(user)) {
          if (dealloc || d->getBlock() != block)
            return;
          dealloc = d;
        }
      if (dealloc)
        candidates.push_back({alloc, dealloc});
    });
    for (auto [alloc, dealloc] : candidates)
      moveToStack(alloc, dealloc);
  }

  void moveToStack(memref::AllocOp alloc, memref::DeallocOp dealloc) {
    std::optional<SmallVector<int64_t>> shape = boundingShape(alloc);
    MemRefType type = alloc.getType();
    if (!shape)
      return;
    int64_t bytes = type.getElementTypeBitWidth() / 8;
    for (int64_t d : *shape)
      bytes *= d;
    if (bytes > maxBytes)
      return;
    // The scope covers the buffer's live range, alloc to dealloc; nothing
    // defined in it may be used after it.
    Block *block = alloc->getBlock();
    auto inRange = [&](Operation *op) {
      return op == alloc.getOperation() || op == dealloc.getOperation() ||
             (alloc->isBeforeInBlock(op) && op->isBeforeInBlock(dealloc));
    };
    auto begin = alloc->getIterator(), end = std::next(dealloc->getIterator());
    for (Operation &op : llvm::make_range(begin, end))
      for (Value result : op.getResults())
        for (Operation *user : result.getUsers()) {
          Operation *ancestor = block->findAncestorOpInBlock(*user);
          if (!ancestor || !inRange(ancestor))
            return;
        }

    OpBuilder b(alloc);
    Location loc = alloc.getLoc();
    auto scope = memref::AllocaScopeOp::create(b, loc, TypeRange{});
    Block *body = b.createBlock(&scope.getBodyRegion());
    body->getOperations().splice(body->end(), block->getOperations(), begin, end);
    b.setInsertionPointToEnd(body);
    memref::AllocaScopeReturnOp::create(b, loc);

    b.setInsertionPoint(alloc);
    auto boundType = MemRefType::get(*shape, type.getElementType());
    Value stack = memref::AllocaOp::create(b, loc, boundType, alloc.getAlignmentAttr());
    SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
    sizes.push_back(alloc.getDynamicSizes()[0]);
    for (int64_t d : type.getShape().drop_front())
      sizes.push_back(b.getIndexAttr(d));
    Value view = memref::SubViewOp::create(b, loc, stack, offsets, sizes, strides);
    Value buffer = memref::CastOp::create(b, loc, type, view);
    dealloc->erase();
    alloc.getResult().replaceAllUsesWith(buffer);
    alloc->erase();
  }
};

} // namespace
