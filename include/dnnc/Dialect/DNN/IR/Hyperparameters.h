//===- Hyperparameters.h - Arguments of initializers and optimizers -*- C++ -*-===//
//
// The argument lists of every initializer and optimizer, with defaults and
// valid ranges. The frontend binds DSL calls against them; the dialect's
// verifiers check dnn.param and dnn.train against them.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_DIALECT_DNN_IR_HYPERPARAMETERS_H
#define DNNC_DIALECT_DNN_IR_HYPERPARAMETERS_H

#include "dnnc/Dialect/DNN/IR/DNNOps.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace dnnc::dnn {

/// The values a hyperparameter may take.
enum class ValueRange { Any, Positive, NonNegative, UnitInterval /* [0, 1) */ };

struct Hyperparameter {
  llvm::StringRef name;
  std::optional<double> defaultValue; // std::nullopt: required
  ValueRange range;
};

llvm::ArrayRef<Hyperparameter> getInitializerArgs(InitKind kind);
llvm::ArrayRef<Hyperparameter> getOptimizerArgs(OptimizerKind kind);

/// Whether the initializer scales by fan-in/fan-out, which needs a weight of
/// rank 2 ([in, out]) or more ([F, C, KH, KW]).
bool needsFans(InitKind kind);

/// Why `value` is outside `range` ("must be positive"), or empty if it is not.
std::string checkRange(ValueRange range, double value);

/// Checks that `args` holds exactly the parameters of `spec`, each an f64
/// float within its range (and, for uniform, low < high). Returns a
/// description of the first problem, or an empty string.
std::string checkArgs(llvm::ArrayRef<Hyperparameter> spec, mlir::DictionaryAttr args);

} // namespace dnnc::dnn

#endif // DNNC_DIALECT_DNN_IR_HYPERPARAMETERS_H
