//===- FuseSharedElementwise.cpp - Fuse a shared value into its first user -===//
//
// Upstream's elementwise fusion fuses a producer only into a sole user: a
// producer with several users is either left alone or, once the other users
// are gone, duplicated into each. A dense layer's pre-activation x@w+b is such
// a value: relu reads it, and so does relu_grad in the backward pass. Here it
// is fused into its first user instead, the fused op yielding it as a second
// result that the later users read: relu(x@w+b) becomes one op with two
// results and the matmul's only consumer, i.e. its epilogue
// (dnn-tile-and-vectorize), and the backward pass reads the stored value.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace dnnc {
#define GEN_PASS_DEF_FUSESHAREDELEMENTWISEPASS
#include "dnnc/Conversion/Passes.h.inc"
} // namespace dnnc

using namespace mlir;

namespace {

bool isPureElementwise(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  return generic && generic.hasPureTensorSemantics() &&
         generic.getNumLoops() == generic.getNumParallelLoops();
}

/// The operand through which `producer`'s first user in its block reads it,
/// if that user is elementwise, every user is in the same block, and there
/// are several.
OpOperand *firstUse(linalg::GenericOp producer) {
  OpOperand *first = nullptr;
  unsigned users = 0;
  for (OpOperand &use : producer->getUses()) {
    Operation *user = use.getOwner();
    if (user->getBlock() != producer->getBlock())
      return nullptr;
    ++users;
    if (!first || user->isBeforeInBlock(first->getOwner()))
      first = &use;
  }
  if (users < 2 || !isPureElementwise(first->getOwner()))
    return nullptr;
  // A user that broadcasts the value (batch_norm's per-channel deviation,
  // read by every row) would compute it once per row and yield it through a
  // broadcasting output map, which the vectorizer does not take: the whole
  // fused op would stay scalar (mlp_bn_dropout's first layer at batch 128:
  // 0.51 ms so, 0.026 ms vectorized).
  auto user = cast<linalg::GenericOp>(first->getOwner());
  if (!user.getMatchingIndexingMap(first).isPermutation())
    return nullptr;
  // A user whose result is inserted into a slice of a larger tensor is
  // computed in that slice (the max-pooling gradient's strided windows of
  // dx); with a second result it would get a buffer of its own and a copy
  // into the slice, costlier than the producer's pass of its own.
  if (llvm::any_of(first->getOwner()->getUsers(),
                   [](Operation *user) { return isa<tensor::InsertSliceOp>(user); }))
    return nullptr;
  // A user that reads the value twice (x * x) would still read it after
  // the fusion, i.e. read its own result once its uses are redirected.
  if (llvm::count_if(first->getOwner()->getOperands(),
                     [&](Value v) { return v.getDefiningOp() == producer; }) > 1)
    return nullptr;
  return first;
}

struct FuseSharedElementwisePass
    : dnnc::impl::FuseSharedElementwisePassBase<FuseSharedElementwisePass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // One fusion at a time, in program order: each erases ops that a list
    // gathered beforehand would still hold.
    while (true) {
      OpOperand *use = nullptr;
      getOperation().walk([&](linalg::GenericOp op) {
        // A producer that gathers (tensor.extract) would make its fused
        // user gather too, i.e. scalar code instead of vectors.
        if (!isPureElementwise(op) || !op.getRegion().getOps<tensor::ExtractOp>().empty())
          return WalkResult::advance();
        OpOperand *candidate = firstUse(op);
        if (candidate && linalg::areElementwiseOpsFusable(candidate)) {
          use = candidate;
          return WalkResult::interrupt();
        }
        return WalkResult::advance();
      });
      if (!use)
        return;
      Operation *producer = use->get().getDefiningOp();
      Operation *consumer = use->getOwner();
      rewriter.setInsertionPoint(consumer);
      FailureOr<linalg::ElementwiseOpFusionResult> fused =
          linalg::fuseElementwiseOps(rewriter, use);
      if (failed(fused)) {
        signalPassFailure();
        return;
      }
      // Every user of the producer's values, not only the consumer, now
      // reads them from the fused op (upstream replaces the consumer's).
      for (auto [original, replacement] : fused->replacements)
        rewriter.replaceAllUsesWith(original, replacement);
      rewriter.eraseOp(consumer);
      if (producer->use_empty())
        rewriter.eraseOp(producer);
    }
  }
};

} // namespace
