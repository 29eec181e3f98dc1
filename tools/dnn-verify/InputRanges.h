//===- InputRanges.h - Valid random values for each model input -*- C++ -*-===//
//
// dnn-verify feeds random inputs to a compiled model and to the reference
// interpreter. Uniform values in [-2, 2] suit most inputs, but not labels
// (they must be class indices), nor the argument of log or sqrt, nor bce
// probabilities: there both sides would compute NaN or fault, and the
// comparison would say nothing. This looks at how the model uses each input
// and picks a range where every use is well defined. dnn-gradcheck draws its
// inputs the same way; both report values with the helpers at the end.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_TOOLS_DNNVERIFY_INPUTRANGES_H
#define DNNC_TOOLS_DNNVERIFY_INPUTRANGES_H

#include "dnnc/Dialect/DNN/IR/DNNOps.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <random>
#include <string>

namespace dnnc::verify {

/// Floats are drawn from [low, high], integers from [low, high).
struct InputRange {
  bool isInteger = false;
  double low = -2, high = 2;
  /// Why this range: "class index of cross_entropy", "default", ...
  std::string reason = "default";
};

/// The range for `input`, where every symbolic dimension has size
/// `symbolSize` (a class count may be symbolic).
InputRange chooseInputRange(dnn::InputOp input, int64_t symbolSize);

/// One value of `range` from `rng`; floats are rounded to f32. Written out
/// rather than using std::uniform_*_distribution, whose results differ
/// between standard libraries.
double drawValue(const InputRange &range, std::mt19937_64 &rng);

/// "x from [-2, 2] (default)": how `name` was drawn, for failure reports.
std::string describeRange(llvm::StringRef name, const InputRange &range);

/// A double with 9 significant digits, as the tools print values.
std::string formatValue(double v);

/// "[4, 3]": the multi-index of flat element `flat` of `shape`.
std::string formatIndex(llvm::ArrayRef<int64_t> shape, int64_t flat);

} // namespace dnnc::verify

#endif // DNNC_TOOLS_DNNVERIFY_INPUTRANGES_H
