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
#include "llvm/Support/Path.h"

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

/// Bytes of `t` with every symbolic dim bound to `batch`.
int64_t tensorBytes(const dnnc::TensorSignature &t, int64_t batch = 1) {
  int64_t bytes = t.dtype == dnnc::DType::F64 ? 8 : 4;
  for (const dnnc::DimSignature &d : t.dims)
    bytes *= d.size < 0 ? batch : d.size;
  return bytes;
}

} // namespace

/// "relu (mlp.dnn:12:16)": the op and where the .dnn source wrote it.
static std::string describeValue(Operation *op) {
  std::string text = op->getName().stripDialect().str();
  if (std::string where = dnnc::sourceLocation(op->getLoc()); !where.empty())
    text += " (" + where + ")";
  return text;
}

void dnnc::collectSavedActivations(ModuleOp module, MutableArrayRef<ModelSignature> models) {
  for (ModelSignature &sig : models) {
    auto model = module.lookupSymbol<dnn::ModelOp>(sig.name);
    dnn::TrainOp train = model ? model.getTrainOp() : dnn::TrainOp();
    sig.saved.clear();
    if (!train)
      continue;
    // Symbolic dims are named when the model has a single symbol; otherwise
    // the type alone does not tell which one a dim is.
    std::string symbol = sig.symbols.size() == 1 ? sig.symbols.front() : "";
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
        if (!type || !readBackward)
          continue;
        TensorSignature t;
        t.name = describeValue(&op);
        Type element = type.getElementType();
        t.dtype = element.isF64() ? DType::F64 : element.isInteger(32) ? DType::I32 : DType::F32;
        for (int64_t d : type.getShape())
          t.dims.push_back(ShapedType::isDynamic(d) ? DimSignature{-1, symbol}
                                                    : DimSignature{d, ""});
        sig.saved.push_back(std::move(t));
      }
    }
  }
}

LogicalResult
dnnc::printMemoryReport(ModuleOp module, ArrayRef<ModelSignature> models,
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
    if (!model.buffers.empty()) {
      int64_t buffers = 0;
      for (const ParamSignature &b : model.buffers)
        buffers += tensorBytes(b.tensor);
      line("buffers", buffers);
    }
    if (model.optimizer)
      line("optimizer state", int64_t(model.optimizer->slots.size()) * params);
    for (int64_t batch : batches) {
      os << "  at batch " << batch << ":\n";
      if (model.optimizer) {
        int64_t bytes = 0;
        for (const TensorSignature &t : model.saved)
          bytes += tensorBytes(t, batch);
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
