//===- Losses.cpp - Builtins of losses and metrics ------------------------===//
//
// mse, bce and bce_with_logits of a prediction and a float target of its
// shape; cross_entropy of logits and i32 class indices or class
// probabilities; accuracy of logits and class indices. Each a mean over
// the batch, as torch's defaults.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Frontend/Builtins.h"

#include "dnnc/Dialect/DNN/IR/DNNOps.h"

using namespace mlir;
using namespace dnnc;
using namespace dnnc::frontend;

namespace {
using K = ArgKind;
using TensorType = dnnc::frontend::TensorType;
constexpr BuiltinParam kLoss[] = {{"prediction", K::Tensor, true},
                                  {"target", K::Tensor, true}};
constexpr BuiltinParam kAccuracy[] = {{"logits", K::Tensor, true},
                                      {"labels", K::Tensor, true}};

enum class Target { Float, IndexOrFloat, Index };

template <Target Allowed>
TensorType checkLoss(BuiltinCheck &c) {
  const TensorType &x = c.x(), &target = c.tensors[1];
  if (!c.needFloat(x, "prediction"))
    return TensorType::getPoison();
  bool index = target.dtype == DType::I32;
  if (Allowed == Target::Index && !index)
    return c.fail("labels must be i32 class indices, got " + target.str());
  if (Allowed == Target::Float && index)
    return c.fail("the target must be a float tensor, got " + target.str());
  if (!index && target.dtype != x.dtype)
    return c.fail("prediction and target element types differ (" + target.str() + ")");
  std::string why;
  auto shape = Allowed == Target::Float
                   ? shape_rules::elementwiseLoss(x.shape, target.shape, why)
                   : shape_rules::crossEntropy(x.shape, target.shape, index, why);
  if (failed(shape)) {
    c.error(c.call.getRange(),
            "'" + c.call.callee + "' of " + x.str() + " and " + target.str() + ": " + why);
    c.noteOrigin(*c.operand(0), "the prediction");
    c.noteOrigin(*c.operand(1), "the target");
    return TensorType::getPoison();
  }
  return c.withShape(*shape, why);
}

template <typename OpTy>
Value emitLoss(BuiltinEmitter &e, ArrayRef<Value> ops, const BuiltinAttrs &, Location l) {
  return OpTy::create(e.builder(), l, ops[0], ops[1]);
}

const BuiltinInfo kRows[] = {
    {"mse", kLoss, checkLoss<Target::Float>, emitLoss<dnn::MseOp>},
    {"bce", kLoss, checkLoss<Target::Float>, emitLoss<dnn::BceOp>},
    {"bce_with_logits", kLoss, checkLoss<Target::Float>, emitLoss<dnn::BceWithLogitsOp>},
    {"cross_entropy", kLoss, checkLoss<Target::IndexOrFloat>, emitLoss<dnn::CrossEntropyOp>},
    {"accuracy", kAccuracy, checkLoss<Target::Index>, emitLoss<dnn::AccuracyOp>},
};
} // namespace

llvm::ArrayRef<BuiltinInfo> dnnc::frontend::getLossBuiltins() { return kRows; }
