//===- FuseElementwise.cpp - Elementwise fusion that keeps matmuls named ---===//
//
// Upstream's elementwise fusion folds a reshape of a linalg op's operand or
// result into the op by expanding its loops; on a linalg.matmul that yields a
// generic contraction (the im2col matmul of a convolution, whose result is
// reshaped back to NCHW, became a 7-loop generic), which only the slow
// generic code path takes. The same patterns run here with a control that
// leaves matmuls alone.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace dnnc {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "dnnc/Conversion/Passes.h.inc"
} // namespace dnnc

using namespace mlir;

namespace {

bool isMatmul(Operation *op) { return isa_and_nonnull<linalg::MatmulOp, linalg::BatchMatmulOp>(op); }

struct FuseElementwisePass : dnnc::impl::FuseElementwisePassBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    // As upstream: a producer is fused only into its sole user; and not
    // into a reduction that reads each of its elements several times (a
    // filter gradient reads dy once per input channel and window offset),
    // which would recompute it as often and hide the reduction's structure.
    linalg::ControlFusionFn fuseSoleUser = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      if (!producer || !producer->hasOneUse())
        return false;
      auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
      return !consumer || consumer.getNumReductionLoops() == 0 ||
             consumer.getMatchingIndexingMap(fused).isPermutation();
    };
    linalg::ControlFusionFn foldReshape = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      if (!producer || !producer->hasOneUse())
        return false;
      return !isMatmul(producer) && !isMatmul(fused->getOwner());
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, fuseSoleUser);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, foldReshape);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, context);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, context);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, context);
    context->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
