//===- ParallelDimsFirst.cpp - Reductions innermost in every generic ------===//

#include "dnnc/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"

namespace dnnc {
#define GEN_PASS_DEF_PARALLELDIMSFIRSTPASS
#include "dnnc/Conversion/Passes.h.inc"
} // namespace dnnc

using namespace mlir;

namespace {
struct ParallelDimsFirstPass : dnnc::impl::ParallelDimsFirstPassBase<ParallelDimsFirstPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::LinalgOp> scalarOps;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op.getNumLoops() == 0 && op.hasPureBufferSemantics() &&
          !op->getParentOfType<scf::ParallelOp>())
        scalarOps.push_back(op);
    });
    for (linalg::LinalgOp op : scalarOps) {
      rewriter.setInsertionPoint(op);
      Location loc = op.getLoc();
      Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
      Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
      auto once = scf::ParallelOp::create(rewriter, loc, ValueRange{zero}, ValueRange{one},
                                          ValueRange{one});
      rewriter.moveOpBefore(op, once.getBody()->getTerminator());
    }

    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp op : generics) {
      // New loop i is old loop order[i]: the parallel ones, then the rest,
      // each in their original order.
      SmallVector<unsigned> order;
      auto iterators = op.getIteratorTypesArray();
      for (unsigned i = 0; i < iterators.size(); ++i)
        if (linalg::isParallelIterator(iterators[i]))
          order.push_back(i);
      for (unsigned i = 0; i < iterators.size(); ++i)
        if (!linalg::isParallelIterator(iterators[i]))
          order.push_back(i);
      if (llvm::equal(order, llvm::seq<unsigned>(0, order.size())))
        continue;
      rewriter.setInsertionPoint(op);
      if (failed(linalg::interchangeGenericOp(rewriter, op, order))) {
        op.emitError("cannot move the parallel dimensions of this op first");
        return signalPassFailure();
      }
    }
  }
};
} // namespace
