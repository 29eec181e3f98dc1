//===- Interpreter.h - Reference interpreter of the dnn dialect -*- C++ -*-===//
//
// Evaluates a dnn.model op by op with the plain loops of Kernels.h. It shares
// nothing with the compiler's lowering, so tools (dnn-verify) and tests can
// check compiled models against it.
//
// f32 results are rounded to float after every op, as a compiled model
// stores them; inside an op everything is computed in double. With
// EvaluateOptions::roundToElementType off, nothing is rounded: the whole
// model runs in double, which finite-difference checks need.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_REFERENCE_INTERPRETER_H
#define DNNC_REFERENCE_INTERPRETER_H

#include "dnnc/Dialect/DNN/IR/DNNOps.h"
#include "dnnc/Reference/Tensor.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Error.h"

#include <map>
#include <optional>
#include <string>

namespace dnnc::reference {

/// Values by name: bindings of dnn.input, dnn.param and dnn.buffer ops, or
/// the results of dnn.output, dnn.loss, dnn.gradient and dnn.buffer_update
/// ops.
using NamedTensors = std::map<std::string, Tensor>;

/// Every SSA value the interpreter computed, for tools that need
/// intermediates (e.g. the logits behind an argmax).
using ValueTensors = llvm::DenseMap<mlir::Value, Tensor>;

struct EvaluateOptions {
  /// Round f32 values (bindings and every op's result) to float, as a
  /// compiled model stores them. Off, every value keeps double precision.
  bool roundToElementType = true;
  /// Values to take as given instead of computing their ops, e.g. the
  /// results of dnn.stop_gradient held fixed while finite differences
  /// perturb a parameter. Each must match its value's type.
  const ValueTensors *fixedValues = nullptr;
  /// Training mode (grad, train_step): dnn.mode_switch takes its training
  /// value (batch statistics, dropout); otherwise its inference value.
  bool training = false;
  /// The step's random key (dnn.rng_key) that dropout masks derive from;
  /// without one, ops that read it are skipped like unbound inputs.
  std::optional<uint64_t> rngKey;
};

/// The key under which evaluate returns the value of `dnn.gradient "p"`:
/// "grad.p".
std::string gradientKey(llvm::StringRef param);

/// The key under which evaluate returns the value `dnn.buffer_update` gives
/// buffer "b" (training mode): "update.b".
std::string bufferUpdateKey(llvm::StringRef buffer);

/// Evaluates every op of `model` given values for its dnn.input and dnn.param
/// ops, by name. Returns the values of its dnn.output and dnn.loss ops by
/// their names, and of its dnn.gradient ops (d loss / d param, from the
/// dnn-autodiff pass) as "grad.<param>" (gradientKey). Ops with an operand
/// that has no value (an input not bound, say labels when predicting) are
/// skipped, and so are the outputs that depend on them.
///
/// Errors: a binding that names no input or param, or whose dtype or shape
/// contradicts the declared type (symbols included: every use of N must get
/// one size), an op the interpreter does not know, and run-time faults such as
/// an i32 division by zero or a class index out of range.
llvm::Expected<NamedTensors> evaluate(dnn::ModelOp model, const NamedTensors &bindings,
                                      const EvaluateOptions &options = {});

/// Like evaluate, but returns every value computed, inputs and params
/// included.
llvm::Expected<ValueTensors> evaluateValues(dnn::ModelOp model,
                                            const NamedTensors &bindings,
                                            const EvaluateOptions &options = {});

/// Evaluates one dnn.apply_optimizer (which lives in the train_step
/// function, not in a model) on values for its operands, in operand order
/// (param, grad, state..., lr, step). Returns the new param and state, in
/// result order, computed in double and rounded to their element type.
llvm::Expected<std::vector<Tensor>> evaluateApplyOptimizer(dnn::ApplyOptimizerOp op,
                                                           llvm::ArrayRef<Tensor> operands);

} // namespace dnnc::reference

#endif // DNNC_REFERENCE_INTERPRETER_H
