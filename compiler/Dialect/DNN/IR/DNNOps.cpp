//===- DNNOps.cpp - Verifiers and result-type inference of dnn ops --------===//

#include "dnnc/Dialect/DNN/IR/DNNOps.h"
#include "dnnc/Dialect/DNN/IR/Hyperparameters.h"
#include "dnnc/Support/Shape.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace dnnc;
using namespace dnnc::dnn;

//===----------------------------------------------------------------------===//
// Shape helpers: builtin tensor types <-> dnnc::Shape
//===----------------------------------------------------------------------===//

namespace {
Shape shapeOf(RankedTensorType type) {
  Shape shape;
  for (int64_t d : type.getShape())
    shape.push_back(ShapedType::isDynamic(d) ? Dim::unknown() : Dim::constant(d));
  return shape;
}

RankedTensorType tensorOf(llvm::ArrayRef<Dim> shape, Type elementType) {
  llvm::SmallVector<int64_t> sizes;
  for (const Dim &d : shape)
    sizes.push_back(d.isConstant() ? d.getSize() : ShapedType::kDynamic);
  return RankedTensorType::get(sizes, elementType);
}

// Collects operand types for inference; fails when an operand is not a ranked
// tensor (inference runs before the operand constraints are verified).
struct Operands {
  std::optional<Location> loc;
  llvm::StringRef opName;

  FailureOr<RankedTensorType> get(Value v) const {
    auto type = v ? dyn_cast<RankedTensorType>(v.getType()) : nullptr;
    if (!type)
      return emitOptionalError(loc, "'dnn.", opName, "' op expects ranked tensor operands");
    return type;
  }
  LogicalResult error(const std::string &why) const {
    return emitOptionalError(loc, "'dnn.", opName, "' op ", why);
  }
  LogicalResult sameElementType(Type a, Type b) const {
    if (a == b)
      return success();
    std::string s;
    llvm::raw_string_ostream os(s);
    os << "operands have different element types " << a << " and " << b;
    return error(s);
  }
  /// Unwraps a shape rule's result, or reports its reason.
  LogicalResult push(FailureOr<Shape> shape, const std::string &why, Type elementType,
                     SmallVectorImpl<Type> &results) const {
    if (failed(shape))
      return error(why);
    results.push_back(tensorOf(*shape, elementType));
    return success();
  }
};

template <typename Adaptor>
LogicalResult inferBroadcast(std::optional<Location> loc, llvm::StringRef name,
                             Adaptor adaptor, SmallVectorImpl<Type> &results) {
  Operands ops{loc, name};
  auto lhs = ops.get(adaptor.getLhs()), rhs = ops.get(adaptor.getRhs());
  if (failed(lhs) || failed(rhs) ||
      failed(ops.sameElementType(lhs->getElementType(), rhs->getElementType())))
    return failure();
  std::string why;
  return ops.push(shape_rules::broadcast(shapeOf(*lhs), shapeOf(*rhs), why), why,
                  lhs->getElementType(), results);
}

template <typename Adaptor>
LogicalResult inferSameAsInput(std::optional<Location> loc, llvm::StringRef name,
                               Adaptor adaptor, SmallVectorImpl<Type> &results) {
  auto input = Operands{loc, name}.get(adaptor.getInput());
  if (failed(input))
    return failure();
  results.push_back(*input);
  return success();
}

template <typename Adaptor>
LogicalResult inferReduce(std::optional<Location> loc, llvm::StringRef name,
                          Adaptor adaptor, SmallVectorImpl<Type> &results) {
  Operands ops{loc, name};
  auto input = ops.get(adaptor.getInput());
  if (failed(input))
    return failure();
  llvm::ArrayRef<int64_t> axes = adaptor.getAxes();
  for (size_t i = 0; i < axes.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (axes[i] == axes[j])
        return ops.error("axis " + std::to_string(axes[i]) + " is repeated");
  std::string why;
  return ops.push(shape_rules::reduce(shapeOf(*input), axes, adaptor.getKeepdims(), why),
                  why, input->getElementType(), results);
}

/// Infers a result of the input's element type by applying `rule` to the
/// input's shape.
template <typename Rule>
LogicalResult inferFromInput(std::optional<Location> loc, llvm::StringRef name, Value input,
                             SmallVectorImpl<Type> &results, Rule rule) {
  Operands ops{loc, name};
  auto type = ops.get(input);
  if (failed(type))
    return failure();
  std::string why;
  return ops.push(rule(shapeOf(*type), why), why, type->getElementType(), results);
}

template <typename Adaptor>
LogicalResult inferPool(std::optional<Location> loc, llvm::StringRef name,
                        Adaptor adaptor, SmallVectorImpl<Type> &results) {
  return inferFromInput(loc, name, adaptor.getInput(), results,
                        [&](const Shape &shape, std::string &why) {
                          return shape_rules::pool2d(shape, adaptor.getSize(),
                                                     adaptor.getStride(),
                                                     adaptor.getPadding(), why);
                        });
}

// Losses take a float prediction and a target; they return a float scalar.
template <typename Adaptor>
LogicalResult inferLoss(std::optional<Location> loc, llvm::StringRef name,
                        Adaptor adaptor, SmallVectorImpl<Type> &results,
                        bool allowIndexTarget, bool requireIndexTarget) {
  Operands ops{loc, name};
  auto input = ops.get(adaptor.getInput()), target = ops.get(adaptor.getTarget());
  if (failed(input) || failed(target))
    return failure();
  Type elem = input->getElementType();
  bool isIndex = target->getElementType().isInteger(32);
  if (requireIndexTarget && !isIndex)
    return ops.error("expects i32 class-index labels");
  if (!isIndex && failed(ops.sameElementType(elem, target->getElementType())))
    return failure();
  if (isIndex && !allowIndexTarget)
    return ops.error("expects a float target");
  std::string why;
  FailureOr<Shape> shape =
      allowIndexTarget
          ? shape_rules::crossEntropy(shapeOf(*input), shapeOf(*target), isIndex, why)
          : shape_rules::elementwiseLoss(shapeOf(*input), shapeOf(*target), why);
  return ops.push(shape, why, elem, results);
}

LogicalResult verifyAxis(Operation *op, int64_t axis, RankedTensorType type) {
  if (axis < 0 || axis >= type.getRank())
    return op->emitOpError("axis ") << axis << " is out of range for a tensor of rank "
                                    << type.getRank();
  return success();
}
} // namespace

//===----------------------------------------------------------------------===//
// Model structure
//===----------------------------------------------------------------------===//

void ModelOp::build(OpBuilder &builder, OperationState &state, llvm::StringRef name) {
  state.addAttribute(SymbolTable::getSymbolAttrName(), builder.getStringAttr(name));
  state.addRegion()->emplaceBlock();
}

LossOp ModelOp::getLossOp() {
  auto range = getBody().getOps<LossOp>();
  return range.empty() ? LossOp() : *range.begin();
}

TrainOp ModelOp::getTrainOp() {
  auto range = getBody().getOps<TrainOp>();
  return range.empty() ? TrainOp() : *range.begin();
}

LogicalResult ModelOp::verify() {
  // Inputs, params, outputs and the loss share one namespace: the compiled
  // artifact's descriptor lists them all by name.
  llvm::StringMap<Operation *> names;
  Operation *loss = nullptr, *train = nullptr;
  for (Operation &op : getBody().front()) {
    llvm::StringRef name;
    if (auto in = dyn_cast<InputOp>(op))
      name = in.getName();
    else if (auto p = dyn_cast<ParamOp>(op))
      name = p.getName();
    else if (auto buffer = dyn_cast<BufferOp>(op))
      name = buffer.getName();
    else if (auto out = dyn_cast<OutputOp>(op))
      name = out.getName();
    else if (auto l = dyn_cast<LossOp>(op)) {
      name = l.getName();
      if (loss)
        return (op.emitOpError("a model has at most one loss").attachNote(loss->getLoc())
                << "previous loss here");
      loss = &op;
    } else if (isa<TrainOp>(op)) {
      if (train)
        return (op.emitOpError("a model has at most one train op")
                    .attachNote(train->getLoc())
                << "previous train op here");
      train = &op;
    }
    if (name.empty())
      continue;
    auto [it, inserted] = names.try_emplace(name, &op);
    if (!inserted)
      return (op.emitOpError("duplicate name '") << name << "'").attachNote(
                 it->second->getLoc())
             << "previously defined here";
  }
  if (train && !loss)
    return train->emitOpError("needs a loss to minimize, but the model has none");
  return success();
}

LogicalResult InputOp::verify() {
  auto type = cast<RankedTensorType>(getResult().getType());
  int64_t dynamic = type.getNumDynamicDims();
  if ((int64_t)getSymbols().size() != dynamic)
    return emitOpError("names ") << getSymbols().size()
                                 << " symbols but its type has " << dynamic
                                 << " dynamic dimensions";
  for (Attribute s : getSymbols())
    if (cast<StringAttr>(s).getValue().empty())
      return emitOpError("symbol names must not be empty");
  return success();
}

LogicalResult ParamOp::verify() {
  if (!cast<RankedTensorType>(getResult().getType()).hasStaticShape())
    return emitOpError("parameter '") << getName() << "' must have a static shape";
  if (needsFans(getInit()) && cast<RankedTensorType>(getType()).getRank() < 2)
    return emitOpError("initializer ") << stringifyInitKind(getInit())
                                       << " needs a weight of rank 2 or more to define its fans";
  std::string bad = checkArgs(getInitializerArgs(getInit()), getInitArgs());
  if (!bad.empty())
    return emitOpError("initializer ") << stringifyInitKind(getInit()) << ": " << bad;
  return success();
}

LogicalResult BufferUpdateOp::verify() {
  auto buffer = getBuffer().getDefiningOp<BufferOp>();
  if (!buffer)
    return emitOpError("updates a value that is not a dnn.buffer");
  for (Operation *user : buffer->getUsers())
    if (user != getOperation() && isa<BufferUpdateOp>(user))
      return (emitOpError("buffer '") << buffer.getName() << "' is updated twice")
                 .attachNote(user->getLoc())
             << "other update here";
  return success();
}

LogicalResult DropoutOp::verify() {
  double p = getP().convertToDouble();
  if (!(p >= 0.0 && p < 1.0))
    return emitOpError("p must be in [0, 1), got ") << p;
  return success();
}

LogicalResult TrainOp::verify() {
  std::string bad = checkArgs(getOptimizerArgs(getOptimizer()), getHyperparameters());
  if (!bad.empty())
    return emitOpError("optimizer ") << stringifyOptimizerKind(getOptimizer()) << ": "
                                     << bad;
  return success();
}

//===----------------------------------------------------------------------===//
// Result-type inference
//===----------------------------------------------------------------------===//

#define DNN_INFER(OP, BODY)                                                    \
  LogicalResult OP::inferReturnTypes(MLIRContext *context,                     \
                                     std::optional<Location> loc,              \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &results) {         \
    BODY                                                                       \
  }

DNN_INFER(AddOp, return inferBroadcast(loc, "add", adaptor, results);)
DNN_INFER(SubOp, return inferBroadcast(loc, "sub", adaptor, results);)
DNN_INFER(MulOp, return inferBroadcast(loc, "mul", adaptor, results);)
DNN_INFER(DivOp, return inferBroadcast(loc, "div", adaptor, results);)

DNN_INFER(NegOp, return inferSameAsInput(loc, "neg", adaptor, results);)
DNN_INFER(ReluOp, return inferSameAsInput(loc, "relu", adaptor, results);)
DNN_INFER(SigmoidOp, return inferSameAsInput(loc, "sigmoid", adaptor, results);)
DNN_INFER(SiluOp, return inferSameAsInput(loc, "silu", adaptor, results);)
DNN_INFER(SoftplusOp, return inferSameAsInput(loc, "softplus", adaptor, results);)
DNN_INFER(TanhOp, return inferSameAsInput(loc, "tanh", adaptor, results);)
DNN_INFER(ExpOp, return inferSameAsInput(loc, "exp", adaptor, results);)
DNN_INFER(LogOp, return inferSameAsInput(loc, "log", adaptor, results);)
DNN_INFER(SqrtOp, return inferSameAsInput(loc, "sqrt", adaptor, results);)
DNN_INFER(AbsOp, return inferSameAsInput(loc, "abs", adaptor, results);)
DNN_INFER(StopGradientOp, return inferSameAsInput(loc, "stop_gradient", adaptor, results);)
DNN_INFER(LeakyReluOp, return inferSameAsInput(loc, "leaky_relu", adaptor, results);)
DNN_INFER(GeluOp, return inferSameAsInput(loc, "gelu", adaptor, results);)
DNN_INFER(PowOp, return inferSameAsInput(loc, "pow", adaptor, results);)
DNN_INFER(SoftmaxOp, return inferSameAsInput(loc, "softmax", adaptor, results);)
DNN_INFER(LogSoftmaxOp, return inferSameAsInput(loc, "log_softmax", adaptor, results);)

DNN_INFER(SumOp, return inferReduce(loc, "sum", adaptor, results);)
DNN_INFER(MeanOp, return inferReduce(loc, "mean", adaptor, results);)
DNN_INFER(MaxOp, return inferReduce(loc, "max", adaptor, results);)
DNN_INFER(MinOp, return inferReduce(loc, "min", adaptor, results);)

DNN_INFER(MaxPool2dOp, return inferPool(loc, "maxpool2d", adaptor, results);)
DNN_INFER(AvgPool2dOp, return inferPool(loc, "avgpool2d", adaptor, results);)

DNN_INFER(MseOp, return inferLoss(loc, "mse", adaptor, results, false, false);)
DNN_INFER(BceOp, return inferLoss(loc, "bce", adaptor, results, false, false);)
DNN_INFER(BceWithLogitsOp,
          return inferLoss(loc, "bce_with_logits", adaptor, results, false, false);)
DNN_INFER(CrossEntropyOp,
          return inferLoss(loc, "cross_entropy", adaptor, results, true, false);)
DNN_INFER(AccuracyOp, return inferLoss(loc, "accuracy", adaptor, results, true, true);)

DNN_INFER(SignOp, return inferSameAsInput(loc, "sign", adaptor, results);)
DNN_INFER(EqualOp, return inferBroadcast(loc, "equal", adaptor, results);)
DNN_INFER(MaximumOp, return inferBroadcast(loc, "maximum", adaptor, results);)

#undef DNN_INFER

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  Operands ops{loc, "matmul"};
  auto lhs = ops.get(adaptor.getLhs()), rhs = ops.get(adaptor.getRhs());
  if (failed(lhs) || failed(rhs) ||
      failed(ops.sameElementType(lhs->getElementType(), rhs->getElementType())))
    return failure();
  std::string why;
  return ops.push(shape_rules::matmul(shapeOf(*lhs), shapeOf(*rhs), why), why,
                  lhs->getElementType(), results);
}

LogicalResult ArgmaxOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> loc, Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  Operands ops{loc, "argmax"};
  auto input = ops.get(adaptor.getInput());
  if (failed(input))
    return failure();
  std::string why;
  return ops.push(shape_rules::argmax(shapeOf(*input), (int64_t)adaptor.getAxis(), why),
                  why, IntegerType::get(context, 32), results);
}

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &results) {
  Operands ops{loc, "reshape"};
  auto input = ops.get(adaptor.getInput());
  if (failed(input))
    return failure();
  Shape target;
  int64_t known = 1, dynamicIndex = -1;
  for (int64_t d : adaptor.getShape()) {
    if (d == -1) {
      if (dynamicIndex >= 0)
        return ops.error("shape may have at most one dynamic (-1) dimension");
      dynamicIndex = target.size();
      target.push_back(Dim::unknown());
    } else if (d < 1) {
      return ops.error("shape dimensions must be positive or -1, got " +
                       std::to_string(d));
    } else {
      known *= d;
      target.push_back(Dim::constant(d));
    }
  }
  // A static input fixes the size of the dynamic dimension.
  if (dynamicIndex >= 0 && input->hasStaticShape()) {
    int64_t count = input->getNumElements();
    if (count % known != 0)
      return ops.error("cannot reshape " + std::to_string(count) +
                       " elements into a multiple of " + std::to_string(known));
    target[dynamicIndex] = Dim::constant(count / known);
  }
  std::string why;
  return ops.push(shape_rules::reshape(shapeOf(*input), target, why), why,
                  input->getElementType(), results);
}

LogicalResult FlattenOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &results) {
  return inferFromInput(loc, "flatten", adaptor.getInput(), results, shape_rules::flatten);
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  return inferFromInput(loc, "transpose", adaptor.getInput(), results,
                        [&](const Shape &shape, std::string &why) {
                          return shape_rules::transpose(shape, adaptor.getPerm(), why);
                        });
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  Operands ops{loc, "concat"};
  SmallVector<Shape> shapes;
  Type elem;
  for (Value v : adaptor.getInputs()) {
    auto type = ops.get(v);
    if (failed(type))
      return failure();
    if (elem && failed(ops.sameElementType(elem, type->getElementType())))
      return failure();
    elem = type->getElementType();
    shapes.push_back(shapeOf(*type));
  }
  std::string why;
  auto shape = shape_rules::concat(shapes, (int64_t)adaptor.getAxis(), why);
  if (succeeded(shape) && (int64_t)adaptor.getAxis() < 0)
    return ops.error("axis must be non-negative");
  return ops.push(shape, why, elem, results);
}

LogicalResult Conv2dOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  Operands ops{loc, "conv2d"};
  auto input = ops.get(adaptor.getInput()), filter = ops.get(adaptor.getFilter());
  if (failed(input) || failed(filter) ||
      failed(ops.sameElementType(input->getElementType(), filter->getElementType())))
    return failure();
  std::optional<Shape> bias;
  if (adaptor.getBias()) {
    auto b = ops.get(adaptor.getBias());
    if (failed(b) ||
        failed(ops.sameElementType(input->getElementType(), b->getElementType())))
      return failure();
    bias = shapeOf(*b);
  }
  std::string why;
  return ops.push(shape_rules::conv2d(shapeOf(*input), shapeOf(*filter),
                                      bias ? &*bias : nullptr, adaptor.getStride(),
                                      adaptor.getPadding(), why),
                  why, input->getElementType(), results);
}

LogicalResult OneHotOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> loc, Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  Operands ops{loc, "one_hot"};
  auto labels = ops.get(adaptor.getLabels());
  if (failed(labels))
    return failure();
  std::string why;
  return ops.push(
      shape_rules::oneHot(shapeOf(*labels), (int64_t)adaptor.getNumClasses(), why), why,
      adaptor.getElementType() ? *adaptor.getElementType() : Float32Type::get(context),
      results);
}

//===----------------------------------------------------------------------===//
// Verifiers of axis attributes (inference accepts them; ranges checked here)
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), cast<RankedTensorType>(getInput().getType()));
}

LogicalResult LogSoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), cast<RankedTensorType>(getInput().getType()));
}

//===----------------------------------------------------------------------===//
// Gradient building blocks
//===----------------------------------------------------------------------===//

/// Whether two sizes can be the same at run time.
static bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

LogicalResult BroadcastLikeOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  auto like = cast<RankedTensorType>(getLike().getType());
  if (result.getShape() != like.getShape())
    return emitOpError("result shape must be that of 'like'");
  llvm::SmallVector<bool> broadcast(result.getRank(), false);
  for (int64_t axis : getAxes()) {
    if (axis < 0 || axis >= result.getRank() || broadcast[axis])
      return emitOpError("axes must be distinct and within the result's rank");
    broadcast[axis] = true;
  }
  bool keptDims = input.getRank() == result.getRank();
  if (!keptDims && input.getRank() + (int64_t)getAxes().size() != result.getRank())
    return emitOpError("input rank must be the result's, or the result's minus the axes");
  for (int64_t d = 0, i = 0; d < result.getRank(); ++d) {
    if (broadcast[d]) {
      if (keptDims && !compatible(input.getDimSize(i++), 1))
        return emitOpError("input must have size 1 at broadcast axis ") << d;
      continue;
    }
    if (!compatible(input.getDimSize(i++), result.getDimSize(d)))
      return emitOpError("input and result sizes differ at result axis ") << d;
  }
  return success();
}

LogicalResult SliceOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  int64_t axis = getAxis();
  if (failed(verifyAxis(*this, axis, input)))
    return failure();
  if (input.getRank() != result.getRank())
    return emitOpError("result rank must equal the input's");
  for (int64_t d = 0; d < input.getRank(); ++d)
    if (d != axis && !compatible(input.getDimSize(d), result.getDimSize(d)))
      return emitOpError("sizes differ outside the sliced axis");
  int64_t size = result.getDimSize(axis);
  if (ShapedType::isDynamic(size))
    return emitOpError("the sliced size must be static");
  if (getStart() < 0 ||
      (!input.isDynamicDim(axis) && getStart() + size > input.getDimSize(axis)))
    return emitOpError("slice [") << getStart() << ", " << getStart() + size
                                  << ") is out of range";
  return success();
}

llvm::ArrayRef<llvm::StringRef> ApplyOptimizerOp::getStateSlots(OptimizerKind kind) {
  // Named as in torch.optim's state dicts.
  static const llvm::StringRef momentum[] = {"momentum_buffer"};
  static const llvm::StringRef adam[] = {"exp_avg", "exp_avg_sq"};
  switch (kind) {
  case OptimizerKind::sgd:
    return {};
  case OptimizerKind::momentum:
    return momentum;
  case OptimizerKind::adam:
    return adam;
  }
  return {};
}

LogicalResult ApplyOptimizerOp::verify() {
  size_t slots = getStateSlots(getOptimizer()).size();
  if (getState().size() != slots || getNewState().size() != slots)
    return emitOpError("optimizer '") << stringifyOptimizerKind(getOptimizer()) << "' keeps "
                                      << slots << " state tensors per parameter";
  Type type = getParam().getType();
  if (getGrad().getType() != type || getNewParam().getType() != type)
    return emitOpError("param, grad and new param must have one type");
  for (Value v : llvm::concat<Value>(getState(), getNewState()))
    if (v.getType() != type)
      return emitOpError("optimizer state must have the param's type");
  std::string why = checkArgs(getOptimizerArgs(getOptimizer()), getHyperparameters());
  if (!why.empty())
    return emitOpError(why);
  return success();
}

#define GET_OP_CLASSES
#include "dnnc/Dialect/DNN/IR/DNNOps.cpp.inc"
