//===- MemoryReport.cpp - dnnc --emit=memory ------------------------------===//
//
// The `<entry>_workspace` functions of dnn-plan-workspace compute an
// entry's workspace from its argument shapes with index arithmetic only, so
// the compiler can evaluate them for a batch size without running anything:
// the same figure `dnn-run info --memory` gets from the library.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Target/MemoryReport.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Format.h"

using namespace mlir;

namespace {

/// Evaluates `func` (index arithmetic on argument shapes, returning one
/// integer) with every dynamic dimension of its arguments set to `batch`.
FailureOr<int64_t> evaluate(func::FuncOp func, int64_t batch, std::string &error) {
  llvm::DenseMap<Value, int64_t> values;
  auto get = [&](Value v) -> std::optional<int64_t> {
    auto it = values.find(v);
    if (it == values.end())
      return std::nullopt;
    return it->second;
  };
  for (Operation &op : func.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      if (ret.getNumOperands() == 1)
        if (std::optional<int64_t> v = get(ret.getOperand(0)))
          return *v;
      break;
    }
    std::optional<int64_t> result;
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      if (auto attr = dyn_cast<IntegerAttr>(constant.getValue()))
        result = attr.getInt();
    } else if (auto dim = dyn_cast<memref::DimOp>(op)) {
      auto type = dyn_cast<MemRefType>(dim.getSource().getType());
      std::optional<int64_t> index = get(dim.getIndex());
      if (type && index && isa<BlockArgument>(dim.getSource()) && *index >= 0 &&
          *index < type.getRank())
        result = type.isDynamicDim(*index) ? batch : type.getDimSize(*index);
    } else if (isa<affine::AffineApplyOp, affine::AffineMinOp, affine::AffineMaxOp>(op)) {
      // Affine sizes of split matmul pieces: fold the map at the operands.
      AffineMap map = isa<affine::AffineApplyOp>(op) ? cast<affine::AffineApplyOp>(op).getAffineMap()
                      : isa<affine::AffineMinOp>(op) ? cast<affine::AffineMinOp>(op).getMap()
                                                     : cast<affine::AffineMaxOp>(op).getMap();
      SmallVector<Attribute> operands;
      Builder b(op.getContext());
      for (Value v : op.getOperands())
        if (std::optional<int64_t> known = get(v))
          operands.push_back(b.getIndexAttr(*known));
      SmallVector<Attribute> folded;
      if (operands.size() == op.getNumOperands() &&
          succeeded(map.constantFold(operands, folded)) && !folded.empty()) {
        for (Attribute a : folded) {
          int64_t v = cast<IntegerAttr>(a).getInt();
          result = !result                           ? v
                   : isa<affine::AffineMaxOp>(op) ? std::max(*result, v)
                                                  : std::min(*result, v);
        }
      }
    } else if (isa<arith::IndexCastOp, arith::IndexCastUIOp>(op)) {
      result = get(op.getOperand(0));
    } else if (op.getNumOperands() == 2) {
      std::optional<int64_t> a = get(op.getOperand(0)), b = get(op.getOperand(1));
      if (a && b) {
        if (isa<arith::AddIOp>(op))
          result = *a + *b;
        else if (isa<arith::SubIOp>(op))
          result = *a - *b;
        else if (isa<arith::MulIOp>(op))
          result = *a * *b;
        else if (isa<arith::DivUIOp, arith::DivSIOp>(op) && *b != 0)
          result = *a / *b;
        else if (isa<arith::CeilDivSIOp, arith::CeilDivUIOp>(op) && *b != 0)
          result = (*a + *b - 1) / *b;
        else if (isa<arith::RemUIOp, arith::RemSIOp>(op) && *b != 0)
          result = *a % *b;
        else if (isa<arith::MaxUIOp, arith::MaxSIOp>(op))
          result = std::max(*a, *b);
        else if (isa<arith::MinUIOp, arith::MinSIOp>(op))
          result = std::min(*a, *b);
      }
    }
    if (!result || op.getNumResults() != 1) {
      error = "cannot evaluate '" + op.getName().getStringRef().str() + "' in @" +
              func.getSymName().str();
      return failure();
    }
    values[op.getResult(0)] = *result;
  }
  error = "@" + func.getSymName().str() + " returns no size";
  return failure();
}

int64_t tensorBytes(const dnnc::TensorSignature &t) {
  int64_t bytes = t.dtype == dnnc::DType::F64 ? 8 : 4;
  for (const dnnc::DimSignature &d : t.dims)
    bytes *= d.size;
  return bytes;
}

} // namespace

LogicalResult dnnc::printMemoryReport(ModuleOp module, ArrayRef<ModelSignature> models,
                                      ArrayRef<int64_t> batches, llvm::raw_ostream &os,
                                      std::string &error) {
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
