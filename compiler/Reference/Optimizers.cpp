//===- Optimizers.cpp - Reference kernel of dnn.apply_optimizer -------------===//
//
// sgd, momentum and adam steps in double (evaluateApplyOptimizer in
// Interpreter.cpp binds the op's operands and hyperparameters).
// The kernels are plain loops over row-major data (Kernels.h); the binding
// at the end reads each op's attributes for them.
//
//===----------------------------------------------------------------------===//

#include "KernelSupport.h"

#include "dnnc/Dialect/DNN/IR/DNNOps.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace dnnc::reference;
using namespace dnnc::reference::support;
using llvm::ArrayRef;
using llvm::Expected;
using mlir::Operation;

Expected<OptimizerUpdate>
dnnc::reference::applyOptimizer(OptimizerKind kind, const OptimizerHyperparameters &hyper,
                                const Tensor &param, const Tensor &grad,
                                ArrayRef<Tensor> state, double lr, int64_t step) {
  size_t slots = kind == OptimizerKind::Sgd ? 0 : kind == OptimizerKind::Momentum ? 1 : 2;
  if (state.size() != slots)
    return fail("apply_optimizer: expected " + llvm::Twine(slots) + " state tensors, got " +
                llvm::Twine(state.size()));
  if (param.isInteger || grad.shape != param.shape ||
      llvm::any_of(state, [&](const Tensor &s) { return s.shape != param.shape; }))
    return fail("apply_optimizer: param, grad and state must be float tensors of one shape");
  if (kind == OptimizerKind::Adam && step < 1)
    return fail("apply_optimizer: adam needs a step number of at least 1, got " +
                llvm::Twine(step));
  OptimizerUpdate out{param, {state.begin(), state.end()}};
  // Adam's bias corrections for step t.
  double correction1 = 1 - std::pow(hyper.beta1, (double)step);
  double correction2 = std::sqrt(1 - std::pow(hyper.beta2, (double)step));
  for (int64_t i = 0; i < param.numElements(); ++i) {
    double p = param.data[i];
    double g = grad.data[i] + hyper.weightDecay * p;
    switch (kind) {
    case OptimizerKind::Sgd:
      p -= lr * g;
      break;
    case OptimizerKind::Momentum: {
      double &v = out.state[0].data[i];
      v = hyper.beta * v + g;
      p -= lr * v;
      break;
    }
    case OptimizerKind::Adam: {
      double &m = out.state[0].data[i];
      double &v = out.state[1].data[i];
      m = hyper.beta1 * m + (1 - hyper.beta1) * g;
      v = hyper.beta2 * v + (1 - hyper.beta2) * g * g;
      p -= lr / correction1 * m / (std::sqrt(v) / correction2 + hyper.eps);
      break;
    }
    }
    out.param.data[i] = p;
  }
  return out;
}
