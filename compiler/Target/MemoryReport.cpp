//===- MemoryReport.cpp - dnnc --emit=memory ------------------------------===//
//
// The `<entry>_workspace` functions of dnn-plan-workspace compute an
// entry's workspace from its argument shapes with index arithmetic only, so
// the compiler can evaluate them for a batch size without running anything:
// the same figure `dnn-run info --memory` gets from the library.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Target/MemoryReport.h"
#include "dnnc/Dialect/DNN/IR/DNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/Format.h"

using namespace mlir;

namespace {

/// Evaluates `func` (index arithmetic on argument shapes, returning one
/// integer) with every dynamic dimension of its arguments set to `batch`:
/// a copy whose `memref.dim`s of arguments are constants, folded by MLIR's
/// own folders down to the constant it returns.
FailureOr<int64_t> evaluate(func::FuncOp func, int64_t batch, std::string &error) {
  OpBuilder b(func.getContext());
  OwningOpRef<ModuleOp> scratch = ModuleOp::create(func.getLoc());
  b.setInsertionPointToStart(scratch->getBody());
  auto copy = cast<func::FuncOp>(b.clone(*func));
  SmallVector<memref::DimOp> dims;
  copy.walk([&](memref::DimOp dim) { dims.push_back(dim); });
  for (memref::DimOp dim : dims) {
    auto type = dyn_cast<MemRefType>(dim.getSource().getType());
    std::optional<int64_t> index = dim.getConstantIndex();
    if (!type || !index || !isa<BlockArgument>(dim.getSource()))
      continue;
    b.setInsertionPoint(dim);
    int64_t size = type.isDynamicDim(*index) ? batch : type.getDimSize(*index);
    dim.replaceAllUsesWith(arith::ConstantIndexOp::create(b, dim.getLoc(), size).getResult());
    dim.erase();
  }
  (void)applyPatternsGreedily(copy, RewritePatternSet(func.getContext()));
  auto ret = cast<func::ReturnOp>(copy.getBody().front().getTerminator());
  if (ret.getNumOperands() == 1)
    if (std::optional<int64_t> bytes = getConstantIntValue(ret.getOperand(0)))
      return *bytes;
  error = "the workspace size of @" + func.getSymName().str() +
          " does not fold to a constant for a batch of " + std::to_string(batch);
  return failure();
}

int64_t tensorBytes(const dnnc::TensorSignature &t) {
  int64_t bytes = t.dtype == dnnc::DType::F64 ? 8 : 4;
  for (const dnnc::DimSignature &d : t.dims)
    bytes *= d.size;
  return bytes;
}

int64_t tensorBytes(RankedTensorType type, int64_t batch) {
  int64_t bytes = type.getElementTypeBitWidth() / 8;
  for (int64_t d : type.getShape())
    bytes *= ShapedType::isDynamic(d) ? batch : d;
  return bytes;
}

} // namespace

llvm::StringMap<SmallVector<RankedTensorType>> dnnc::collectSavedActivations(ModuleOp module) {
  llvm::StringMap<SmallVector<RankedTensorType>> saved;
  module.walk([&](dnn::ModelOp model) {
    dnn::TrainOp train = model.getTrainOp();
    if (!train)
      return;
    SmallVector<RankedTensorType> &types = saved[model.getSymName()];
    for (Operation &op : model.getBody().front()) {
      if (&op == train.getOperation())
        break;
      if (isa<dnn::InputOp, dnn::ParamOp, dnn::ConstantOp>(op))
        continue;
      for (Value result : op.getResults()) {
        auto type = dyn_cast<RankedTensorType>(result.getType());
        bool readBackward = llvm::any_of(result.getUsers(), [&](Operation *user) {
          return user->getBlock() == train->getBlock() && train->isBeforeInBlock(user);
        });
        if (type && readBackward)
          types.push_back(type);
      }
    }
  });
  return saved;
}

LogicalResult
dnnc::printMemoryReport(ModuleOp module, ArrayRef<ModelSignature> models,
                        const llvm::StringMap<SmallVector<RankedTensorType>> &saved,
                        ArrayRef<int64_t> batches, llvm::raw_ostream &os, std::string &error) {
  auto line = [&](llvm::StringRef what, int64_t bytes) {
    os << llvm::format("  %-30s %12lld bytes  %8.2f MiB\n", what.str().c_str(),
                       (long long)bytes, double(bytes) / (1 << 20));
  };
  for (const ModelSignature &model : models) {
    os << "model " << model.name << "\n";
    int64_t params = 0;
    for (const ParamSignature &p : model.params)
      params += tensorBytes(p.tensor);
    line("params", params);
    if (model.optimizer)
      line("optimizer state", int64_t(model.optimizer->slots.size()) * params);
    for (int64_t batch : batches) {
      os << "  at batch " << batch << ":\n";
      if (auto it = saved.find(model.name); it != saved.end()) {
        int64_t bytes = 0;
        for (RankedTensorType type : it->second)
          bytes += tensorBytes(type, batch);
        line("  activations for backward", bytes);
      }
      for (const EntrySignature &entry : model.entries) {
        auto func = module.lookupSymbol<func::FuncOp>(entry.symbolName + "_workspace");
        if (!func) {
          error = "no workspace function for entry '" + entry.symbolName + "'";
          return failure();
        }
        FailureOr<int64_t> bytes = evaluate(func, batch, error);
        if (failed(bytes))
          return failure();
        line("  workspace of " + entry.name, *bytes);
      }
    }
  }
  return success();
}
