//===- SpecializeShapes.cpp - Bind symbolic dimensions to sizes -----------===//

#include "dnnc/Dialect/DNN/Transforms/Passes.h"

#include "llvm/ADT/StringMap.h"

namespace dnnc::dnn {
#define GEN_PASS_DEF_DNNSPECIALIZESHAPESPASS
#include "dnnc/Dialect/DNN/Transforms/Passes.h.inc"
} // namespace dnnc::dnn

using namespace mlir;
using namespace dnnc::dnn;

namespace {
struct DNNSpecializeShapesPass
    : dnnc::dnn::impl::DNNSpecializeShapesPassBase<DNNSpecializeShapesPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *context) override {
    for (const std::string &binding : bindings) {
      auto [name, value] = llvm::StringRef(binding).split('=');
      int64_t size;
      if (name.empty() || value.getAsInteger(10, size) || size < 1)
        return emitError(UnknownLoc::get(context))
               << "dnn-specialize-shapes: expected SYMBOL=SIZE with a positive size, got '"
               << binding << "'";
      sizes[name] = size;
    }
    return success();
  }

  void runOnOperation() override {
    ModelOp model = getOperation();
    model.walk([&](InputOp input) {
      auto type = cast<RankedTensorType>(input.getType());
      SmallVector<int64_t> shape(type.getShape());
      SmallVector<Attribute> remaining;
      auto symbol = input.getSymbols().begin();
      for (int64_t &d : shape) {
        if (!ShapedType::isDynamic(d))
          continue;
        StringAttr name = cast<StringAttr>(*symbol++);
        auto it = sizes.find(name.getValue());
        if (it != sizes.end())
          d = it->second;
        else
          remaining.push_back(name);
      }
      input.getResult().setType(RankedTensorType::get(shape, type.getElementType()));
      input.setSymbolsAttr(ArrayAttr::get(&getContext(), remaining));
    });
    if (failed(inferShapes(model)))
      signalPassFailure();
  }

  llvm::StringMap<int64_t> sizes;
};
} // namespace
