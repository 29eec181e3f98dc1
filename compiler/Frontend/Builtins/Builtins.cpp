//===- Builtins.cpp - The table of builtins and what their rows share -----===//
//
// The families' rows in one table (lookup by name, the list for "did you
// mean"), and the BuiltinCheck helpers every typing rule uses.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Frontend/Builtins.h"

#include "llvm/ADT/STLExtras.h"

#include <vector>

using namespace dnnc;
using namespace dnnc::frontend;

llvm::ArrayRef<BuiltinInfo> dnnc::frontend::getAllBuiltins() {
  static const std::vector<BuiltinInfo> all = [] {
    std::vector<BuiltinInfo> rows;
    for (llvm::ArrayRef<BuiltinInfo> family :
         {getElementwiseBuiltins(), getReductionBuiltins(), getShapeBuiltins(),
          getConvPoolBuiltins(), getLossBuiltins(), getNormalizationBuiltins()})
      rows.insert(rows.end(), family.begin(), family.end());
    return rows;
  }();
  return all;
}

const BuiltinInfo *dnnc::frontend::lookupBuiltin(llvm::StringRef name) {
  for (const BuiltinInfo &b : getAllBuiltins())
    if (b.name == name)
      return &b;
  return nullptr;
}

TensorType BuiltinCheck::fail(const llvm::Twine &message) {
  error(call.getRange(), "'" + call.callee + "' of " + x().str() + ": " + message);
  return TensorType::getPoison();
}

TensorType BuiltinCheck::failArgument(llvm::StringRef name, const llvm::Twine &message) {
  auto range = args.ranges.find(name);
  error(range == args.ranges.end() ? call.getRange() : range->second,
        "argument '" + name + "' of '" + call.callee + "' " + message);
  return TensorType::getPoison();
}

bool BuiltinCheck::needFloat(const TensorType &t, llvm::StringRef role) {
  if (isFloat(t.dtype))
    return true;
  error(call.getRange(), "'" + call.callee + "' needs a float " + role + ", got " + t.str());
  return false;
}

TensorType BuiltinCheck::withShape(mlir::FailureOr<Shape> shape, const std::string &why,
                                   std::optional<DType> dtype) {
  if (mlir::failed(shape))
    return fail(why);
  TensorType result;
  result.dtype = dtype.value_or(x().dtype);
  result.shape = *shape;
  return result;
}

bool BuiltinCheck::normalizeAxes(llvm::SmallVectorImpl<int64_t> &axes, std::string &why) const {
  for (int64_t &a : axes) {
    auto n = shape_rules::normalizeAxis(a, x().shape.size(), why);
    if (mlir::failed(n))
      return false;
    a = *n;
  }
  llvm::SmallVector<int64_t> sorted(axes.begin(), axes.end());
  llvm::sort(sorted);
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    why = "an axis is repeated";
    return false;
  }
  return true;
}
