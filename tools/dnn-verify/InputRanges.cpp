//===- InputRanges.cpp - Valid random values for each model input ---------===//

#include "InputRanges.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"
#include "dnnc/Reference/Tensor.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace dnnc;
using namespace dnnc::verify;

namespace {

/// The uses of `value`, looking through ops that only move or copy elements
/// (a reshaped label is still a label).
void collectUses(Value value, llvm::SmallVectorImpl<OpOperand *> &uses,
                 llvm::SmallPtrSetImpl<Operation *> &visited) {
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    if (isa<dnn::StopGradientOp, dnn::ReshapeOp, dnn::FlattenOp, dnn::TransposeOp,
            dnn::ConcatOp>(user)) {
      if (visited.insert(user).second)
        collectUses(user->getResult(0), uses, visited);
      continue;
    }
    uses.push_back(&use);
  }
}

/// The size of the last dimension of `value`, with symbols at `symbolSize`.
int64_t lastDim(Value value, int64_t symbolSize) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() == 0)
    return 1;
  int64_t last = type.getRank() - 1;
  return type.isDynamicDim(last) ? symbolSize : type.getDimSize(last);
}

InputRange integerRange(llvm::ArrayRef<OpOperand *> uses, int64_t symbolSize) {
  InputRange range{/*isInteger=*/true, 0, 4, "default"};
  int64_t classes = std::numeric_limits<int64_t>::max();
  for (OpOperand *use : uses) {
    Operation *user = use->getOwner();
    int64_t c = classes;
    std::string reason;
    if (isa<dnn::CrossEntropyOp, dnn::AccuracyOp>(user) && use->getOperandNumber() == 1) {
      c = lastDim(user->getOperand(0), symbolSize);
      reason = "class index of " + user->getName().stripDialect().str();
    } else if (auto oneHot = dyn_cast<dnn::OneHotOp>(user)) {
      c = oneHot.getNumClassesAttr().getInt();
      reason = "class index of one_hot";
    }
    if (c < classes) {
      classes = c;
      range.high = (double)c;
      range.reason = reason;
    }
  }
  return range;
}

InputRange floatRange(llvm::ArrayRef<OpOperand *> uses) {
  InputRange range;
  auto narrow = [&](double low, double high, const std::string &reason) {
    double newLow = std::max(range.low, low), newHigh = std::min(range.high, high);
    // Two constraints with nothing in common: the later one wins; the model
    // computes NaN somewhere whatever we choose.
    if (newLow >= newHigh)
      newLow = low, newHigh = high;
    range.low = newLow;
    range.high = newHigh;
    if (range.reason == "default")
      range.reason = reason;
    else if (range.reason.find(reason) == std::string::npos)
      range.reason += ", " + reason;
  };
  for (OpOperand *use : uses) {
    Operation *user = use->getOwner();
    if (isa<dnn::LogOp, dnn::SqrtOp>(user)) {
      narrow(0.1, 2, "argument of " + user->getName().stripDialect().str());
    } else if (auto pow = dyn_cast<dnn::PowOp>(user)) {
      double e = pow.getExponentAttr().getValueAsDouble();
      // A negative base needs an integer exponent, and zero a positive one.
      if (e != std::floor(e) || e < 0)
        narrow(0.1, 2, "base of a non-integer or negative power");
    } else if (isa<dnn::BceOp>(user)) {
      narrow(0.05, 0.95, "probability of bce");
    } else if (isa<dnn::DivOp>(user) && use->getOperandNumber() == 1) {
      narrow(0.5, 2, "divisor");
    }
  }
  return range;
}

} // namespace

InputRange dnnc::verify::chooseInputRange(dnn::InputOp input, int64_t symbolSize) {
  llvm::SmallVector<OpOperand *> uses;
  llvm::SmallPtrSet<Operation *, 8> visited;
  collectUses(input.getResult(), uses, visited);
  auto type = cast<RankedTensorType>(input.getResult().getType());
  if (type.getElementType().isInteger(32))
    return integerRange(uses, symbolSize);
  return floatRange(uses);
}

double dnnc::verify::drawValue(const InputRange &range, std::mt19937_64 &rng) {
  if (range.isInteger) {
    uint64_t span = (uint64_t)std::max(1.0, range.high - range.low);
    return range.low + (double)(rng() % span);
  }
  // 53 random bits give a uniform double in [0, 1).
  double unit = (double)(rng() >> 11) * 0x1.0p-53;
  return (double)(float)(range.low + unit * (range.high - range.low));
}

std::string dnnc::verify::formatValue(double v) {
  std::string s;
  llvm::raw_string_ostream(s) << llvm::format("%.9g", v);
  return s;
}

std::string dnnc::verify::describeRange(llvm::StringRef name, const InputRange &range) {
  return (name + " from [" + formatValue(range.low) + ", " + formatValue(range.high) +
          (range.isInteger ? ")" : "]") + " (" + range.reason + ")")
      .str();
}

std::string dnnc::verify::formatIndex(llvm::ArrayRef<int64_t> shape, int64_t flat) {
  std::vector<int64_t> index(shape.size());
  for (int64_t d = (int64_t)shape.size() - 1; d >= 0; --d) {
    index[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  return reference::shapeString(index);
}
