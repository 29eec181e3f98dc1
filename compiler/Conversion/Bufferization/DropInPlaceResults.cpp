//===- DropInPlaceResults.cpp - Results the caller already holds ----------===//
//
// A bufferized train_step returns the argument buffers it updated in place;
// those results carry nothing the caller does not have, and as out-params
// they would cost a copy per param and state tensor per step.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Conversion/Passes.h"

#include "llvm/ADT/BitVector.h"

namespace dnnc {
#define GEN_PASS_DEF_DROPINPLACERESULTSPASS
#include "dnnc/Conversion/Passes.h.inc"
} // namespace dnnc

using namespace mlir;

namespace {
struct DropInPlaceResultsPass
    : dnnc::impl::DropInPlaceResultsPassBase<DropInPlaceResultsPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (!func->hasAttr("dnn.entry") || func.isExternal())
        continue;
      auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
      llvm::BitVector drop(ret.getNumOperands());
      for (auto [i, v] : llvm::enumerate(ret.getOperands()))
        if (auto arg = dyn_cast<BlockArgument>(v))
          drop[i] = arg.getOwner() == &func.getBody().front();
      if (drop.none())
        continue;
      ret->eraseOperands(drop);
      if (failed(func.eraseResults(drop)))
        return signalPassFailure();
    }
  }
};
} // namespace
