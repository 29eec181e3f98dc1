//===- PoolBeforeActivation.cpp - Max-pool before relu -------------------===//
//
// maxpool2d(relu(x)) == relu(maxpool2d(x)): relu is non-decreasing, so the
// window maximum of the activations is the activation of the window maximum.
// Pooling first runs relu, and after autodiff relu_grad, on the pooled
// tensor. The gradients agree with the original form's, ties included (see
// the pass description); leaky_relu is left alone, since rounding can tie
// distinct inputs in its output.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Dialect/DNN/Transforms/Passes.h"

namespace dnnc::dnn {
#define GEN_PASS_DEF_DNNPOOLBEFOREACTIVATIONPASS
#include "dnnc/Dialect/DNN/Transforms/Passes.h.inc"
} // namespace dnnc::dnn

using namespace mlir;
using namespace dnnc::dnn;

namespace {
struct DNNPoolBeforeActivationPass
    : dnnc::dnn::impl::DNNPoolBeforeActivationPassBase<DNNPoolBeforeActivationPass> {
  void runOnOperation() override {
    SmallVector<MaxPool2dOp> pools;
    getOperation().walk([&](MaxPool2dOp pool) {
      auto relu = pool.getInput().getDefiningOp<ReluOp>();
      if (relu && relu->hasOneUse())
        pools.push_back(pool);
    });
    OpBuilder b(&getContext());
    for (MaxPool2dOp pool : pools) {
      auto relu = pool.getInput().getDefiningOp<ReluOp>();
      b.setInsertionPoint(pool);
      Value pooled = MaxPool2dOp::create(b, pool.getLoc(), relu.getInput(), pool.getSize(),
                                         pool.getStride(), pool.getPadding());
      Value activated = ReluOp::create(b, relu.getLoc(), pooled);
      pool.getResult().replaceAllUsesWith(activated);
      pool.erase();
      relu.erase();
    }
  }
};
} // namespace
