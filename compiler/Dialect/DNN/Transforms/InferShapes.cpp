//===- InferShapes.cpp - Refine result types from operand types -----------===//

#include "dnnc/Dialect/DNN/Transforms/Passes.h"

#include "mlir/Interfaces/InferTypeOpInterface.h"

namespace dnnc::dnn {
#define GEN_PASS_DEF_DNNINFERSHAPESPASS
#include "dnnc/Dialect/DNN/Transforms/Passes.h.inc"
} // namespace dnnc::dnn

using namespace mlir;
using namespace dnnc::dnn;

LogicalResult dnnc::dnn::inferShapes(ModelOp model) {
  // The body is in SSA order, so one forward walk sees every operand's final
  // type before its users.
  WalkResult result = model.walk([](InferTypeOpInterface op) {
    SmallVector<Type> types;
    if (failed(op.inferReturnTypes(op->getContext(), op->getLoc(), op->getOperands(),
                                   op->getRawDictionaryAttrs(),
                                   op->getPropertiesStorage(), op->getRegions(),
                                   types)))
      return WalkResult::interrupt();
    for (auto [value, type] : llvm::zip(op->getResults(), types))
      value.setType(type);
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

namespace {
struct DNNInferShapesPass : dnnc::dnn::impl::DNNInferShapesPassBase<DNNInferShapesPass> {
  void runOnOperation() override {
    if (failed(inferShapes(getOperation())))
      signalPassFailure();
  }
};
} // namespace
