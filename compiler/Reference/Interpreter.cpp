//===- Interpreter.cpp - Reference interpreter of the dnn dialect ---------===//
//
// Walks a dnn.model top to bottom: binds inputs and params, runs each compute
// op through the kernel of its family (KernelSupport.h), rounds f32 results to float, and
// checks each result against the op's declared type so that an interpreter
// bug cannot pass silently.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Reference/Interpreter.h"
#include "dnnc/Reference/Kernels.h"

#include "KernelSupport.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace dnnc;
using namespace dnnc::reference;
using namespace dnnc::reference::support;
using llvm::Expected;

namespace {

/// "file:line:col: " of an op, or "" when it has no file location.
std::string where(Operation *op) {
  if (auto loc = op->getLoc()->findInstanceOf<FileLineColLoc>())
    return (loc.getFilename().getValue() + ":" + llvm::Twine(loc.getLine()) + ":" +
            llvm::Twine(loc.getColumn()) + ": ")
        .str();
  return "";
}

bool isI32(Type type) { return type.isInteger(32); }

/// Checks a tensor against a declared type: dtype, rank, static sizes and the
/// element count. `what` names the tensor in the message.
llvm::Error checkType(const Tensor &t, RankedTensorType type, const llvm::Twine &what) {
  std::string typeStr;
  llvm::raw_string_ostream os(typeStr);
  os << type;
  if (t.isInteger != isI32(type.getElementType()))
    return fail(what + " is " + (t.isInteger ? "integer" : "float") + " but has type " +
                typeStr);
  bool shapeOk = t.rank() == type.getRank();
  for (int64_t i = 0; shapeOk && i < t.rank(); ++i)
    shapeOk = t.shape[i] >= 0 &&
              (type.isDynamicDim(i) || type.getDimSize(i) == t.shape[i]);
  if (!shapeOk)
    return fail(what + " has shape " + shapeString(t.shape) + " but type " + typeStr);
  if ((int64_t)t.data.size() != numElementsOf(t.shape))
    return fail(what + " has " + llvm::Twine(t.data.size()) + " values but shape " +
                shapeString(t.shape) + " needs " + llvm::Twine(numElementsOf(t.shape)));
  return llvm::Error::success();
}

/// Gives a value the precision of its element type: f32 values are stored
/// as float in a compiled model, so the reference stores them so too.
void roundToType(Tensor &t, Type elementType) {
  if (elementType.isF32())
    for (double &v : t.data)
      v = (double)(float)v;
}

Expected<Tensor> constant(dnn::ConstantOp op) {
  auto type = cast<RankedTensorType>(op.getType());
  if (!type.hasStaticShape())
    return fail("dnn.constant has a dynamic shape");
  Tensor t = makeTensor(type.getShape(), isI32(type.getElementType()));
  ElementsAttr attr = op.getValue();
  size_t i = 0;
  if (t.isInteger) {
    auto values = attr.tryGetValues<llvm::APInt>();
    if (!values)
      return fail("dnn.constant: cannot read the integer elements");
    for (const llvm::APInt &v : *values)
      if (i < t.data.size())
        t.data[i++] = (double)v.getSExtValue();
  } else {
    auto values = attr.tryGetValues<llvm::APFloat>();
    if (!values)
      return fail("dnn.constant: cannot read the float elements");
    for (const llvm::APFloat &v : *values)
      if (i < t.data.size())
        t.data[i++] = v.convertToDouble();
  }
  if (i != t.data.size())
    return fail("dnn.constant: the attribute has fewer elements than its type");
  return t;
}

/// Runs one compute op on its operand values, through its family's binding.
Expected<Tensor> compute(Operation *op, llvm::ArrayRef<const Tensor *> in,
                         const EvaluateOptions &options) {
  if (auto c = dyn_cast<dnn::ConstantOp>(op))
    return constant(c);
  for (auto run : {runElementwiseOp, runMatmulOp, runConvPoolOp, runReductionOp, runShapeOp,
                   runLossOp})
    if (KernelResult result = run(op, in))
      return std::move(*result);
  if (KernelResult result = runNormalizationOp(op, in, options))
    return std::move(*result);
  return fail("the reference interpreter does not support '" + op->getName().getStringRef() +
              "'");
}

/// Checks each binding against its dnn.input or dnn.param and the symbols
/// against each other; returns the bound values, rounded to their types.
Expected<ValueTensors> bind(dnn::ModelOp model, const NamedTensors &bindings,
                            const EvaluateOptions &options) {
  ValueTensors values;
  std::map<std::string, std::pair<int64_t, std::string>> symbolSizes; // size, first user
  std::map<std::string, bool> used;
  for (Operation &op : model.getBody().front()) {
    std::string name;
    llvm::ArrayRef<Attribute> symbols;
    if (auto in = dyn_cast<dnn::InputOp>(op)) {
      name = in.getName().str();
      symbols = in.getSymbols().getValue();
    } else if (auto param = dyn_cast<dnn::ParamOp>(op)) {
      name = param.getName().str();
    } else if (auto buffer = dyn_cast<dnn::BufferOp>(op)) {
      name = buffer.getName().str();
    } else {
      continue;
    }
    auto it = bindings.find(name);
    if (it == bindings.end())
      continue;
    used[name] = true;
    auto type = cast<RankedTensorType>(op.getResult(0).getType());
    const Tensor &t = it->second;
    if (auto err = checkType(t, type, "the value of '" + name + "'"))
      return std::move(err);
    if (t.isInteger)
      for (double v : t.data)
        if (!(v == std::floor(v) && v >= -2147483648.0 && v < 2147483648.0))
          return fail("the value of '" + name + "' holds " + std::to_string(v) +
                      ", which is not an i32");
    // The dynamic dimensions are named by `symbols`, in order.
    size_t next = 0;
    for (int64_t i = 0; i < type.getRank(); ++i) {
      if (!type.isDynamicDim(i) || next >= symbols.size())
        continue;
      std::string symbol = cast<StringAttr>(symbols[next++]).getValue().str();
      auto [entry, inserted] = symbolSizes.try_emplace(symbol, t.shape[i], name);
      if (!inserted && entry->second.first != t.shape[i])
        return fail("symbol " + symbol + " is " + llvm::Twine(entry->second.first) +
                    " in '" + entry->second.second + "' but " + llvm::Twine(t.shape[i]) +
                    " in '" + name + "'");
    }
    Tensor value = t;
    if (options.roundToElementType)
      roundToType(value, type.getElementType());
    values[op.getResult(0)] = std::move(value);
  }
  for (const auto &[name, tensor] : bindings)
    if (!used.count(name))
      return fail("model '" + model.getSymName() + "' has no input or param named '" +
                  name + "'");
  return values;
}

} // namespace

std::string dnnc::reference::gradientKey(llvm::StringRef param) {
  return ("grad." + param).str();
}

std::string dnnc::reference::bufferUpdateKey(llvm::StringRef buffer) {
  return ("update." + buffer).str();
}

Expected<ValueTensors> dnnc::reference::evaluateValues(dnn::ModelOp model,
                                                       const NamedTensors &bindings,
                                                       const EvaluateOptions &options) {
  auto bound = bind(model, bindings, options);
  if (!bound)
    return bound.takeError();
  ValueTensors values = std::move(*bound);
  for (Operation &op : model.getBody().front()) {
    if (isa<dnn::InputOp, dnn::ParamOp, dnn::BufferOp, dnn::OutputOp, dnn::LossOp,
            dnn::TrainOp, dnn::GradientOp, dnn::BufferUpdateOp>(op))
      continue;
    // Training or inference mode picks one value; the other need not exist.
    if (auto modeSwitch = dyn_cast<dnn::ModeSwitchOp>(op)) {
      Value chosen = options.training ? modeSwitch.getTraining() : modeSwitch.getInference();
      auto it = values.find(chosen);
      if (it != values.end()) {
        Tensor value = it->second;
        values[modeSwitch.getResult()] = std::move(value);
      }
      continue;
    }
    // The key's bits live in options.rngKey (a double cannot hold 64 bits);
    // its value here only marks it as bound.
    if (auto key = dyn_cast<dnn::RngKeyOp>(op)) {
      if (options.rngKey)
        values[key.getResult()] = makeTensor({}, /*isInteger=*/true);
      continue;
    }
    if (options.fixedValues && op.getNumResults() == 1) {
      auto fixed = options.fixedValues->find(op.getResult(0));
      if (fixed != options.fixedValues->end()) {
        auto type = dyn_cast<RankedTensorType>(fixed->first.getType());
        if (!type)
          return fail(where(&op) + "a fixed value is not a ranked tensor");
        if (auto err = checkType(fixed->second, type,
                                 "the fixed value of '" + op.getName().getStringRef() + "'"))
          return fail(where(&op) + llvm::toString(std::move(err)));
        values[fixed->first] = fixed->second;
        continue;
      }
    }
    // An op that reads a value nobody bound (labels at prediction time) is
    // skipped, and so is everything downstream of it.
    llvm::SmallVector<const Tensor *> operands;
    for (Value v : op.getOperands()) {
      auto it = values.find(v);
      if (it == values.end())
        break;
      operands.push_back(&it->second);
    }
    if (operands.size() != op.getNumOperands())
      continue;
    if (op.getNumResults() != 1)
      return fail(where(&op) + "the reference interpreter does not support '" +
                  op.getName().getStringRef() + "'");
    auto type = dyn_cast<RankedTensorType>(op.getResult(0).getType());
    if (!type)
      return fail(where(&op) + "'" + op.getName().getStringRef() +
                  "' does not produce a ranked tensor");
    Expected<Tensor> result = compute(&op, operands, options);
    if (!result)
      return fail(where(&op) + llvm::toString(result.takeError()));
    // A result that contradicts the inferred type is an interpreter bug.
    if (auto err = checkType(*result, type,
                             "internal error: the result of '" +
                                 op.getName().getStringRef() + "'"))
      return fail(where(&op) + llvm::toString(std::move(err)));
    if (options.roundToElementType)
      roundToType(*result, type.getElementType());
    // Insert after computing: `operands` points into the map.
    Tensor value = std::move(*result);
    values[op.getResult(0)] = std::move(value);
  }
  return values;
}

Expected<NamedTensors> dnnc::reference::evaluate(dnn::ModelOp model,
                                                 const NamedTensors &bindings,
                                                 const EvaluateOptions &options) {
  auto values = evaluateValues(model, bindings, options);
  if (!values)
    return values.takeError();
  NamedTensors results;
  for (Operation &op : model.getBody().front()) {
    std::string name;
    Value value;
    if (auto out = dyn_cast<dnn::OutputOp>(op)) {
      name = out.getName().str();
      value = out.getValue();
    } else if (auto loss = dyn_cast<dnn::LossOp>(op)) {
      name = loss.getName().str();
      value = loss.getValue();
    } else if (auto grad = dyn_cast<dnn::GradientOp>(op)) {
      name = gradientKey(grad.getParam());
      value = grad.getValue();
    } else if (auto update = dyn_cast<dnn::BufferUpdateOp>(op)) {
      if (!options.training)
        continue;
      name = bufferUpdateKey(update.getBuffer().getDefiningOp<dnn::BufferOp>().getName());
      value = update.getValue();
    } else {
      continue;
    }
    auto it = values->find(value);
    if (it != values->end())
      results[name] = it->second;
  }
  return results;
}

Expected<std::vector<Tensor>>
dnnc::reference::evaluateApplyOptimizer(dnn::ApplyOptimizerOp op,
                                        llvm::ArrayRef<Tensor> operands) {
  if (operands.size() != op->getNumOperands())
    return fail(where(op) + "dnn.apply_optimizer has " + llvm::Twine(op->getNumOperands()) +
                " operands but got " + llvm::Twine(operands.size()) + " values");
  for (auto [i, v] : llvm::enumerate(op->getOperands()))
    if (auto err = checkType(operands[i], cast<RankedTensorType>(v.getType()),
                             "operand " + llvm::Twine(i) + " of dnn.apply_optimizer"))
      return fail(where(op) + llvm::toString(std::move(err)));
  OptimizerKind kind = OptimizerKind::Sgd;
  switch (op.getOptimizer()) {
  case dnn::OptimizerKind::sgd: kind = OptimizerKind::Sgd; break;
  case dnn::OptimizerKind::momentum: kind = OptimizerKind::Momentum; break;
  case dnn::OptimizerKind::adam: kind = OptimizerKind::Adam; break;
  }
  // The verifier guarantees that every hyperparameter is present; those of
  // other optimizers keep their defaults.
  OptimizerHyperparameters hyper;
  DictionaryAttr dict = op.getHyperparameters();
  for (auto [name, field] : {std::make_pair("weight_decay", &hyper.weightDecay),
                             std::make_pair("beta", &hyper.beta),
                             std::make_pair("beta1", &hyper.beta1),
                             std::make_pair("beta2", &hyper.beta2),
                             std::make_pair("eps", &hyper.eps)})
    if (auto value = dyn_cast_or_null<FloatAttr>(dict.get(name)))
      *field = value.getValueAsDouble();
  size_t numState = op.getState().size();
  const Tensor &param = operands[0], &grad = operands[1];
  llvm::ArrayRef<Tensor> state = operands.slice(2, numState);
  const Tensor &lr = operands[2 + numState], &step = operands[3 + numState];
  auto update = applyOptimizer(kind, hyper, param, grad, state, lr.data[0],
                               (int64_t)step.data[0]);
  if (!update)
    return fail(where(op) + llvm::toString(update.takeError()));
  std::vector<Tensor> results;
  results.push_back(std::move(update->param));
  for (Tensor &t : update->state)
    results.push_back(std::move(t));
  for (auto [t, v] : llvm::zip(results, op->getResults()))
    roundToType(t, cast<RankedTensorType>(v.getType()).getElementType());
  return results;
}
