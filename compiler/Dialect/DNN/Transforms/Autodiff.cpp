//===- Autodiff.cpp - Reverse-mode differentiation of dnn models ----------===//
//
// The backward graph is built at compile time, as taught: a forward sweep
// marks the values that depend on a parameter, then a reverse sweep from the
// loss applies the chain rule op by op (each op's GradientOpInterface), adding
// up the contributions of values used more than once. The result is more dnn
// ops in the same model, so everything downstream (canonicalization,
// printing, the interpreter, lowering) treats it like the forward graph.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Dialect/DNN/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"

namespace dnnc::dnn {
#define GEN_PASS_DEF_DNNAUTODIFFPASS
#include "dnnc/Dialect/DNN/Transforms/Passes.h.inc"
} // namespace dnnc::dnn

using namespace mlir;
using namespace dnnc::dnn;

namespace {

bool isFloatTensor(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && isa<FloatType>(type.getElementType());
}

/// Sums `grad` (in the broadcast shape of a use) back to the shape of
/// `target`: leading dimensions that broadcasting added, then dimensions
/// where the target has size 1.
Value unbroadcast(OpBuilder &b, Location loc, Value grad, Value target) {
  auto gradType = cast<RankedTensorType>(grad.getType());
  auto targetType = cast<RankedTensorType>(target.getType());
  if (gradType.getShape() == targetType.getShape())
    return grad;
  int64_t lead = gradType.getRank() - targetType.getRank();
  if (lead > 0) {
    SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, lead));
    grad = SumOp::create(b, loc, grad, axes, /*keepdims=*/false);
    gradType = cast<RankedTensorType>(grad.getType());
  }
  SmallVector<int64_t> ones;
  for (int64_t d = 0; d < targetType.getRank(); ++d)
    if (targetType.getDimSize(d) == 1 && gradType.getDimSize(d) != 1)
      ones.push_back(d);
  if (!ones.empty())
    grad = SumOp::create(b, loc, grad, ones, /*keepdims=*/true);
  return grad;
}

Value zerosLike(OpBuilder &b, Location loc, RankedTensorType type) {
  return ConstantOp::create(
      b, loc, type,
      DenseElementsAttr::get(type, b.getFloatAttr(type.getElementType(), 0.0)));
}

/// The source-level name of a forward value: a param, an input, a `let`
/// (carried as a NameLoc), an output or the loss; empty if it has none.
std::string sourceName(Value v) {
  if (auto param = v.getDefiningOp<ParamOp>())
    return param.getName().str();
  if (auto input = v.getDefiningOp<InputOp>())
    return input.getName().str();
  for (Operation *user : v.getUsers()) {
    if (auto output = dyn_cast<OutputOp>(user))
      return output.getName().str();
    if (auto loss = dyn_cast<LossOp>(user))
      return loss.getName().str();
  }
  if (Operation *def = v.getDefiningOp())
    if (auto name = dyn_cast<NameLoc>(def->getLoc()))
      return name.getName().str();
  return "";
}

struct DNNAutodiffPass : dnnc::dnn::impl::DNNAutodiffPassBase<DNNAutodiffPass> {
  void runOnOperation() override {
    ModelOp model = getOperation();
    LossOp loss = model.getLossOp();
    if (!loss)
      return;
    if (failed(differentiate(model, loss)))
      signalPassFailure();
  }

  LogicalResult differentiate(ModelOp model, LossOp loss) {
    Block &body = model.getBody().front();

    // Forward sweep: values that depend on a param through float ops.
    llvm::DenseSet<Value> active;
    for (Operation &op : body) {
      if (auto param = dyn_cast<ParamOp>(op)) {
        active.insert(param.getResult());
        continue;
      }
      if (isa<StopGradientOp>(op))
        continue;
      if (llvm::any_of(op.getOperands(), [&](Value v) { return active.contains(v); }))
        for (Value r : op.getResults())
          if (isFloatTensor(r))
            active.insert(r);
    }

    // Backward sweep from the loss: the active ops the loss depends on.
    llvm::DenseSet<Operation *> needed;
    SmallVector<Value> worklist{loss.getValue()};
    while (!worklist.empty()) {
      Value v = worklist.pop_back_val();
      Operation *def = v.getDefiningOp();
      if (!def || !active.contains(v) || isa<ParamOp>(def) || !needed.insert(def).second)
        continue;
      // Gradients are taken in training mode.
      if (auto modeSwitch = dyn_cast<ModeSwitchOp>(def))
        worklist.push_back(modeSwitch.getTraining());
      else
        llvm::append_range(worklist, def->getOperands());
    }

    // Every op without a rule, reported at once.
    bool missing = false;
    for (Operation &op : body)
      if (needed.contains(&op) && !isa<GradientOpInterface>(op)) {
        op.emitError("cannot differentiate '")
            << op.getName() << "': it has no gradient rule (the loss '" << loss.getName()
            << "' depends on it through a parameter)";
        missing = true;
      }
    if (missing)
      return failure();

    // Reverse sweep.
    Operation *lastForward = &body.back();
    OpBuilder b = OpBuilder::atBlockEnd(&body);
    llvm::DenseMap<Value, Value> grads;
    auto accumulate = [&](Location loc, Value target, Value grad) {
      grad = unbroadcast(b, loc, grad, target);
      auto [it, inserted] = grads.try_emplace(target, grad);
      if (!inserted)
        it->second = AddOp::create(b, loc, it->second, grad);
    };
    auto lossType = cast<RankedTensorType>(loss.getValue().getType());
    grads[loss.getValue()] = ConstantOp::create(
        b, loss.getLoc(), lossType,
        DenseElementsAttr::get(lossType, b.getFloatAttr(lossType.getElementType(), 1.0)));

    SmallVector<Operation *> order;
    for (Operation &op : body)
      if (needed.contains(&op))
        order.push_back(&op);
    for (Operation *op : llvm::reverse(order)) {
      Value g = grads.lookup(op->getResult(0));
      if (!g)
        continue;
      SmallVector<Value> operandGrads;
      if (failed(cast<GradientOpInterface>(op).buildGradients(b, g, operandGrads)))
        return failure();
      if (operandGrads.size() != op->getNumOperands())
        return op->emitError("gradient rule of '")
               << op->getName() << "' returned " << operandGrads.size()
               << " gradients for " << op->getNumOperands() << " operands";
      for (auto [operand, grad] : llvm::zip(op->getOperands(), operandGrads))
        if (grad && active.contains(operand))
          accumulate(op->getLoc(), operand, grad);
    }

    // Backward ops are located at their forward op, without its `let` name.
    for (Operation &op : llvm::make_range(std::next(lastForward->getIterator()), body.end()))
      if (auto name = dyn_cast<NameLoc>(op.getLoc()))
        op.setLoc(name.getChildLoc());

    // Name the gradients of named values "dJ/dh" on their locations, so
    // that --emit=grad can follow backpropagation as written.
    for (Operation *op : order)
      for (Value operand : op->getOperands())
        if (Value g = grads.lookup(operand); g && g.getDefiningOp()) {
          Operation *def = g.getDefiningOp();
          std::string name = sourceName(operand);
          if (name.empty() || def->getBlock() != &body || def->isBeforeInBlock(lastForward) ||
              def == lastForward || isa<NameLoc>(def->getLoc()))
            continue;
          def->setLoc(NameLoc::get(
              b.getStringAttr("d" + loss.getName() + "/d" + name), def->getLoc()));
        }

    for (ParamOp param : body.getOps<ParamOp>()) {
      Value g = grads.lookup(param.getResult());
      if (!g)
        g = zerosLike(b, param.getLoc(), param.getType());
      GradientOp::create(b, param.getLoc(), param.getName(), g);
    }
    return success();
  }
};

} // namespace
