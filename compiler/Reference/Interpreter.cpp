//===- Interpreter.cpp - Reference interpreter of the dnn dialect ---------===//
//
// Walks a dnn.model top to bottom: binds inputs and params, runs each compute
// op through its kernel in Kernels.cpp, rounds f32 results to float, and
// checks each result against the op's declared type so that an interpreter
// bug cannot pass silently.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Reference/Interpreter.h"
#include "dnnc/Reference/Kernels.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace dnnc;
using namespace dnnc::reference;
using llvm::Expected;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

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

/// The static size of dimension `d` of `op`'s result type, or -1.
int64_t resultDim(Operation *op, int64_t d) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  if (d < 0)
    d += type.getRank();
  return d >= 0 && d < type.getRank() && !type.isDynamicDim(d) ? type.getDimSize(d) : -1;
}

/// The filter size [KH, KW] of a conv2d_filter_grad: from its result type, or
/// where that is dynamic and the stride 1, from the input and grad extents.
Expected<llvm::SmallVector<int64_t, 2>> filterSize(dnn::Conv2dFilterGradOp op,
                                                   const Tensor &x, const Tensor &grad) {
  llvm::SmallVector<int64_t, 2> size;
  for (int64_t k = 0; k < 2; ++k) {
    int64_t s = resultDim(op, 2 + k);
    if (s < 0 && x.rank() == 4 && grad.rank() == 4 && op.getStride().size() == 2 &&
        op.getPadding().size() == 2 && op.getStride()[k] == 1)
      s = x.shape[2 + k] + 2 * op.getPadding()[k] - grad.shape[2 + k] + 1;
    if (s < 1)
      return fail("conv2d_filter_grad: the filter size is neither static nor implied by "
                  "the input and grad");
    size.push_back(s);
  }
  return size;
}

/// Runs one compute op on its operand values.
Expected<Tensor> compute(Operation *op, llvm::ArrayRef<const Tensor *> in) {
  using namespace dnn;
  auto sigmoid = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  return llvm::TypeSwitch<Operation *, Expected<Tensor>>(op)
      .Case([&](ConstantOp c) { return constant(c); })
      // Elementwise.
      .Case([&](AddOp) { return binary(BinaryKind::Add, *in[0], *in[1]); })
      .Case([&](SubOp) { return binary(BinaryKind::Sub, *in[0], *in[1]); })
      .Case([&](MulOp) { return binary(BinaryKind::Mul, *in[0], *in[1]); })
      .Case([&](DivOp) { return binary(BinaryKind::Div, *in[0], *in[1]); })
      .Case([&](NegOp) { return negate(*in[0]); })
      .Case([&](AbsOp) { return absolute(*in[0]); })
      .Case([&](StopGradientOp) { return *in[0]; })
      .Case([&](CountOp c) {
        double count = 1;
        for (int64_t axis : c.getAxes())
          count *= (double)in[0]->shape[axis];
        return makeTensor({}, /*isInteger=*/false, count);
      })
      .Case([&](ReluOp) { return map(*in[0], [](double x) { return x > 0 ? x : 0.0; }); })
      .Case([&](SigmoidOp) { return map(*in[0], sigmoid); })
      .Case([&](SiluOp) { return map(*in[0], [&](double x) { return x * sigmoid(x); }); })
      .Case([&](GeluOp o) { return gelu(*in[0], o.getTanh()); })
      .Case([&](SoftplusOp) {
        // log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)).
        return map(*in[0], [](double x) {
          return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x)));
        });
      })
      .Case([&](TanhOp) { return map(*in[0], [](double x) { return std::tanh(x); }); })
      .Case([&](ExpOp) { return map(*in[0], [](double x) { return std::exp(x); }); })
      .Case([&](LogOp) { return map(*in[0], [](double x) { return std::log(x); }); })
      .Case([&](SqrtOp) { return map(*in[0], [](double x) { return std::sqrt(x); }); })
      .Case([&](LeakyReluOp o) {
        double slope = o.getSlopeAttr().getValueAsDouble();
        return map(*in[0], [&](double x) { return x > 0 ? x : slope * x; });
      })
      .Case([&](PowOp o) {
        double e = o.getExponentAttr().getValueAsDouble();
        return map(*in[0], [&](double x) { return std::pow(x, e); });
      })
      // Linear algebra, normalization, reductions.
      .Case([&](MatmulOp) { return matmul(*in[0], *in[1]); })
      .Case([&](SoftmaxOp o) { return softmax(*in[0], o.getAxisAttr().getInt(), false); })
      .Case([&](LogSoftmaxOp o) {
        return softmax(*in[0], o.getAxisAttr().getInt(), true);
      })
      .Case([&](SumOp o) {
        return reduce(ReduceKind::Sum, *in[0], o.getAxes(), o.getKeepdims());
      })
      .Case([&](MeanOp o) {
        return reduce(ReduceKind::Mean, *in[0], o.getAxes(), o.getKeepdims());
      })
      .Case([&](MaxOp o) {
        return reduce(ReduceKind::Max, *in[0], o.getAxes(), o.getKeepdims());
      })
      .Case([&](MinOp o) {
        return reduce(ReduceKind::Min, *in[0], o.getAxes(), o.getKeepdims());
      })
      .Case([&](ArgmaxOp o) { return argmax(*in[0], o.getAxisAttr().getInt()); })
      // Shapes.
      .Case([&](ReshapeOp o) { return reshape(*in[0], o.getShape()); })
      .Case([&](FlattenOp) { return flatten(*in[0]); })
      .Case([&](TransposeOp o) { return transpose(*in[0], o.getPerm()); })
      .Case([&](ConcatOp o) { return concat(in, o.getAxisAttr().getInt()); })
      // Convolution and pooling.
      .Case([&](Conv2dOp o) {
        return conv2d(*in[0], *in[1], o.getBias() ? in[2] : nullptr, o.getStride(),
                      o.getPadding());
      })
      .Case([&](MaxPool2dOp o) {
        return pool2d(PoolKind::Max, *in[0], o.getSize(), o.getStride(), o.getPadding());
      })
      .Case([&](AvgPool2dOp o) {
        return pool2d(PoolKind::Avg, *in[0], o.getSize(), o.getStride(), o.getPadding());
      })
      // Losses, metrics, encoding.
      .Case([&](MseOp) { return elementwiseLoss(ElementwiseLossKind::Mse, *in[0], *in[1]); })
      .Case([&](BceOp) { return elementwiseLoss(ElementwiseLossKind::Bce, *in[0], *in[1]); })
      .Case([&](BceWithLogitsOp) {
        return elementwiseLoss(ElementwiseLossKind::BceWithLogits, *in[0], *in[1]);
      })
      .Case([&](CrossEntropyOp) { return crossEntropy(*in[0], *in[1]); })
      .Case([&](AccuracyOp) { return accuracy(*in[0], *in[1]); })
      .Case([&](OneHotOp o) { return oneHot(*in[0], o.getNumClassesAttr().getInt()); })
      // Gradient building blocks.
      .Case([&](ReluGradOp o) {
        return reluGrad(*in[0], *in[1], o.getSlopeAttr().getValueAsDouble());
      })
      .Case([&](GeluGradOp o) { return geluGrad(*in[0], *in[1], o.getTanh()); })
      .Case([&](SignOp) { return sign(*in[0]); })
      .Case([&](EqualOp) { return equal(*in[0], *in[1]); })
      .Case([&](MaximumOp) { return binary(BinaryKind::Max, *in[0], *in[1]); })
      .Case([&](BroadcastLikeOp o) {
        return broadcastLike(*in[0], in[1]->shape, o.getAxes(), o.getDivideByCount());
      })
      .Case([&](SliceOp o) -> Expected<Tensor> {
        int64_t size = resultDim(o, o.getAxis());
        if (size < 0)
          return fail("slice: the sliced size is not static");
        return slice(*in[0], o.getAxis(), o.getStart(), size);
      })
      .Case([&](Conv2dInputGradOp o) {
        return conv2dInputGrad(*in[0], *in[1], in[2]->shape, o.getStride(), o.getPadding());
      })
      .Case([&](Conv2dFilterGradOp o) -> Expected<Tensor> {
        auto size = filterSize(o, *in[0], *in[1]);
        if (!size)
          return size.takeError();
        return conv2dFilterGrad(*in[0], *in[1], *size, o.getStride(), o.getPadding());
      })
      .Case([&](MaxPool2dArgmaxOp o) {
        return maxPool2dArgmax(*in[0], o.getSize(), o.getStride(), o.getPadding());
      })
      .Case([&](MaxPool2dArgmaxGradOp o) -> Expected<Tensor> {
        // The input's shape: batch and channels from grad, the plane from
        // the type.
        if (in[1]->rank() != 4)
          return fail("maxpool2d_argmax_grad: grad must have rank 4");
        SmallVector<int64_t, 4> inputShape = {in[1]->shape[0], in[1]->shape[1], resultDim(o, 2),
                                              resultDim(o, 3)};
        if (llvm::is_contained(inputShape, -1))
          return fail("maxpool2d_argmax_grad: the input's plane is not static");
        return maxPool2dArgmaxGrad(*in[0], *in[1], inputShape, o.getSize(), o.getStride(),
                                   o.getPadding());
      })
      .Case([&](AvgPool2dGradOp o) {
        return avgPool2dGrad(*in[0], in[1]->shape, o.getSize(), o.getStride(),
                             o.getPadding());
      })
      .Default([&](Operation *other) -> Expected<Tensor> {
        return fail("the reference interpreter does not support '" +
                    other->getName().getStringRef() + "'");
      });
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
    Expected<Tensor> result =
        isa<dnn::DropoutOp>(op)
            ? Expected<Tensor>(dropout(*operands[0], *options.rngKey,
                                       cast<dnn::DropoutOp>(op).getP().convertToDouble(),
                                       cast<dnn::DropoutOp>(op).getSite()))
            : compute(&op, operands);
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
