//===- DNNGradients.cpp - Vector-Jacobian products of the dnn ops ---------===//
//
// GradientOpInterface for every differentiable op: given g = d loss / d y for
// the op's result y, build d loss / d operand with dnn ops. Results may keep
// the broadcast shape of y; the autodiff pass sums them back to each operand.
// Rules reuse forward values (y itself for exp, sigmoid, tanh, softmax) the
// way a hand-written backward pass would.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Dialect/DNN/IR/DNNOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace dnnc::dnn;

namespace {

/// Builds dnn ops at one location, with the arithmetic spelled as operators
/// would be in the source language.
struct GradBuilder {
  OpBuilder &b;
  Location loc;

  Type elementType(Value v) const { return cast<ShapedType>(v.getType()).getElementType(); }
  RankedTensorType type(Value v) const { return cast<RankedTensorType>(v.getType()); }

  /// A 0-d constant that broadcasts against anything of its element type.
  Value scalar(Type element, double value) {
    auto type = RankedTensorType::get({}, element);
    return ConstantOp::create(b, loc, type,
                              DenseElementsAttr::get(type, b.getFloatAttr(element, value)));
  }
  Value add(Value x, Value y) { return AddOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, loc, x, y); }
  Value neg(Value x) { return NegOp::create(b, loc, x); }
  Value mul(Value x, double c) { return mul(x, scalar(elementType(x), c)); }
  /// `c - x` for a constant c.
  Value rsub(double c, Value x) { return sub(scalar(elementType(x), c), x); }

  /// All axes of `v`, for whole-tensor reductions.
  SmallVector<int64_t> allAxes(Value v) {
    return llvm::to_vector(llvm::seq<int64_t>(0, type(v).getRank()));
  }
  Value sum(Value x, ArrayRef<int64_t> axes, bool keepdims) {
    return SumOp::create(b, loc, x, axes, keepdims);
  }
  /// Repeats `x` along `axes` to the shape of `like`, in x's element type.
  Value broadcastLike(Value x, Value like, ArrayRef<int64_t> axes, bool divide = false) {
    auto resultType = RankedTensorType::get(type(like).getShape(), elementType(x));
    return BroadcastLikeOp::create(b, loc, resultType, x, like, axes, divide);
  }
  /// The reshape attribute for `v`'s shape: its one dynamic size as -1.
  FailureOr<SmallVector<int64_t>> reshapeTarget(Value v) {
    SmallVector<int64_t> shape(type(v).getShape());
    if (llvm::count_if(shape, ShapedType::isDynamic) > 1)
      return failure();
    for (int64_t &d : shape)
      if (ShapedType::isDynamic(d))
        d = -1;
    return shape;
  }
};

/// Normalizes reduction axes (empty: all) against `rank`.
SmallVector<int64_t> reductionAxes(ArrayRef<int64_t> axes, int64_t rank) {
  if (axes.empty())
    return llvm::to_vector(llvm::seq<int64_t>(0, rank));
  SmallVector<int64_t> result;
  for (int64_t a : axes)
    result.push_back(a < 0 ? a + rank : a);
  return result;
}

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  grads.append({g, g});
  return success();
}

LogicalResult SubOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  GradBuilder gb{b, getLoc()};
  grads.append({g, gb.neg(g)});
  return success();
}

LogicalResult MulOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  GradBuilder gb{b, getLoc()};
  grads.append({gb.mul(g, getRhs()), gb.mul(g, getLhs())});
  return success();
}

LogicalResult DivOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  // y = l / r: dl = g / r, dr = -g * y / r.
  GradBuilder gb{b, getLoc()};
  Value dl = gb.div(g, getRhs());
  grads.append({dl, gb.neg(gb.mul(dl, getResult()))});
  return success();
}

LogicalResult NegOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  grads.push_back(GradBuilder{b, getLoc()}.neg(g));
  return success();
}

LogicalResult ReluOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  grads.push_back(ReluGradOp::create(b, getLoc(), getInput().getType(), getInput(), g, b.getF64FloatAttr(0.0)));
  return success();
}

LogicalResult LeakyReluOp::buildGradients(OpBuilder &b, Value g,
                                          SmallVectorImpl<Value> &grads) {
  grads.push_back(ReluGradOp::create(b, getLoc(), getInput().getType(), getInput(), g, getSlopeAttr()));
  return success();
}

LogicalResult SigmoidOp::buildGradients(OpBuilder &b, Value g,
                                        SmallVectorImpl<Value> &grads) {
  // dy/dx = y * (1 - y)
  GradBuilder gb{b, getLoc()};
  Value y = getResult();
  grads.push_back(gb.mul(g, gb.mul(y, gb.rsub(1.0, y))));
  return success();
}

LogicalResult SiluOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  // y = x s with s = sigmoid(x): dy/dx = s + x s (1 - s) = s (1 + x (1 - s)).
  GradBuilder gb{b, getLoc()};
  Value x = getInput();
  Value s = SigmoidOp::create(b, getLoc(), x);
  grads.push_back(gb.mul(g, gb.mul(s, gb.add(gb.scalar(gb.elementType(x), 1.0),
                                             gb.mul(x, gb.rsub(1.0, s))))));
  return success();
}

LogicalResult GeluOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  // A closed form of its own (erf has no op here): gelu_grad.
  grads.push_back(GeluGradOp::create(b, getLoc(), getInput().getType(), getInput(), g, getTanh()));
  return success();
}

LogicalResult SoftplusOp::buildGradients(OpBuilder &b, Value g,
                                         SmallVectorImpl<Value> &grads) {
  // dy/dx = sigmoid(x)
  GradBuilder gb{b, getLoc()};
  grads.push_back(gb.mul(g, SigmoidOp::create(b, getLoc(), getInput())));
  return success();
}

LogicalResult TanhOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  // dy/dx = 1 - y^2
  GradBuilder gb{b, getLoc()};
  Value y = getResult();
  grads.push_back(gb.mul(g, gb.rsub(1.0, gb.mul(y, y))));
  return success();
}

LogicalResult ExpOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  grads.push_back(GradBuilder{b, getLoc()}.mul(g, getResult()));
  return success();
}

LogicalResult LogOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  grads.push_back(GradBuilder{b, getLoc()}.div(g, getInput()));
  return success();
}

LogicalResult SqrtOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  // dy/dx = 1 / (2 y)
  GradBuilder gb{b, getLoc()};
  grads.push_back(gb.div(gb.mul(g, 0.5), getResult()));
  return success();
}

LogicalResult AbsOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  // sign(0) = 0, as torch.abs's gradient.
  GradBuilder gb{b, getLoc()};
  grads.push_back(gb.mul(g, SignOp::create(b, getLoc(), getInput())));
  return success();
}

LogicalResult StopGradientOp::buildGradients(OpBuilder &, Value,
                                             SmallVectorImpl<Value> &grads) {
  grads.push_back(Value());
  return success();
}

LogicalResult ModeSwitchOp::buildGradients(OpBuilder &, Value g,
                                           SmallVectorImpl<Value> &grads) {
  // Gradients exist in training mode only.
  grads.push_back(g);
  grads.push_back(Value());
  return success();
}

LogicalResult DropoutOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  // Linear in input with the same mask: the mask is recomputed, not kept.
  grads.push_back(DropoutOp::create(b, getLoc(), g, getKey(), getPAttr(), getSiteAttr()));
  grads.push_back(Value());
  return success();
}

LogicalResult PowOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  // d(x^p)/dx = p * x^(p-1); the folder turns x^1 into x.
  GradBuilder gb{b, getLoc()};
  double p = getExponent().convertToDouble();
  if (p == 0.0) { // x^0 = 1 everywhere, also at x = 0
    grads.push_back(Value());
    return success();
  }
  Value xp = PowOp::create(b, getLoc(), getInput(), b.getF64FloatAttr(p - 1));
  grads.push_back(gb.mul(gb.mul(g, p), xp));
  return success();
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

/// Swaps the last two dimensions.
static Value transposeLastTwo(OpBuilder &b, Location loc, Value v) {
  int64_t rank = cast<RankedTensorType>(v.getType()).getRank();
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(perm[rank - 1], perm[rank - 2]);
  return TransposeOp::create(b, loc, v, perm);
}

LogicalResult MatmulOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  // y = A @ B: dA = g @ B^T, dB = A^T @ g (broadcast batch dims are summed by
  // the pass).
  Location loc = getLoc();
  grads.push_back(MatmulOp::create(b, loc, g, transposeLastTwo(b, loc, getRhs())));
  grads.push_back(MatmulOp::create(b, loc, transposeLastTwo(b, loc, getLhs()), g));
  return success();
}

//===----------------------------------------------------------------------===//
// Normalizations and reductions
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  // dx = y * (g - sum(g * y, axis))
  GradBuilder gb{b, getLoc()};
  Value y = getResult();
  int64_t axis = getAxis();
  Value dot = gb.sum(gb.mul(g, y), {axis}, /*keepdims=*/true);
  grads.push_back(gb.mul(y, gb.sub(g, dot)));
  return success();
}

LogicalResult LogSoftmaxOp::buildGradients(OpBuilder &b, Value g,
                                           SmallVectorImpl<Value> &grads) {
  // dx = g - exp(y) * sum(g, axis)
  GradBuilder gb{b, getLoc()};
  int64_t axis = getAxis();
  Value total = gb.sum(g, {axis}, /*keepdims=*/true);
  grads.push_back(gb.sub(g, gb.mul(ExpOp::create(b, getLoc(), getResult()), total)));
  return success();
}

LogicalResult SumOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  GradBuilder gb{b, getLoc()};
  grads.push_back(gb.broadcastLike(
      g, getInput(), reductionAxes(getAxes(), gb.type(getInput()).getRank())));
  return success();
}

LogicalResult MeanOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  GradBuilder gb{b, getLoc()};
  grads.push_back(gb.broadcastLike(
      g, getInput(), reductionAxes(getAxes(), gb.type(getInput()).getRank()),
      /*divide=*/true));
  return success();
}

/// max and min: the gradient goes to the elements equal to the extremum,
/// shared evenly between ties (torch.amax / amin).
static LogicalResult extremumGradients(Operation *op, OpBuilder &b, Value x, Value y,
                                       ArrayRef<int64_t> rawAxes, bool keepdims, Value g,
                                       SmallVectorImpl<Value> &grads) {
  GradBuilder gb{b, op->getLoc()};
  SmallVector<int64_t> axes = reductionAxes(rawAxes, gb.type(x).getRank());
  Value mask = EqualOp::create(b, op->getLoc(), x, gb.broadcastLike(y, x, axes));
  Value ties = gb.sum(mask, axes, keepdims);
  grads.push_back(gb.mul(mask, gb.broadcastLike(gb.div(g, ties), x, axes)));
  return success();
}

LogicalResult MaxOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  return extremumGradients(*this, b, getInput(), getResult(), getAxes(), getKeepdims(), g,
                           grads);
}

LogicalResult MinOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  return extremumGradients(*this, b, getInput(), getResult(), getAxes(), getKeepdims(), g,
                           grads);
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

/// Reshapes g back to the shape of `input`.
static LogicalResult reshapeBack(Operation *op, OpBuilder &b, Value input, Value g,
                                 SmallVectorImpl<Value> &grads) {
  GradBuilder gb{b, op->getLoc()};
  auto shape = gb.reshapeTarget(input);
  if (failed(shape))
    return op->emitError("cannot differentiate '")
           << op->getName() << "' of an input with more than one symbolic dimension";
  grads.push_back(ReshapeOp::create(b, op->getLoc(), g, *shape));
  return success();
}

LogicalResult ReshapeOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  return reshapeBack(*this, b, getInput(), g, grads);
}

LogicalResult FlattenOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  return reshapeBack(*this, b, getInput(), g, grads);
}

LogicalResult TransposeOp::buildGradients(OpBuilder &b, Value g,
                                          SmallVectorImpl<Value> &grads) {
  ArrayRef<int64_t> perm = getPerm();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  grads.push_back(TransposeOp::create(b, getLoc(), g, inverse));
  return success();
}

LogicalResult ConcatOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  int64_t axis = getAxis(), start = 0;
  for (Value input : getInputs()) {
    auto type = cast<RankedTensorType>(input.getType());
    if (type.isDynamicDim(axis))
      return emitError("cannot differentiate 'dnn.concat' along a symbolic dimension");
    auto resultType = RankedTensorType::get(type.getShape(), type.getElementType());
    grads.push_back(type.getElementType().isFloat()
                        ? Value(SliceOp::create(b, getLoc(), resultType, g, axis, start))
                        : Value());
    start += type.getDimSize(axis);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

LogicalResult Conv2dOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  GradBuilder gb{b, loc};
  grads.push_back(Conv2dInputGradOp::create(b, loc, getInput().getType(), g, getFilter(),
                                            getInput(), getStride(), getPadding()));
  grads.push_back(Conv2dFilterGradOp::create(b, loc, getFilter().getType(), getInput(), g,
                                             getStride(), getPadding()));
  if (getBias())
    grads.push_back(gb.sum(g, {0, 2, 3}, /*keepdims=*/false));
  return success();
}

LogicalResult MaxPool2dOp::buildGradients(OpBuilder &b, Value g,
                                          SmallVectorImpl<Value> &grads) {
  // The argmax is taken on the forward input: computed with the pooling
  // itself, it is all the backward pass keeps of that input.
  auto pooled = cast<RankedTensorType>(getResult().getType());
  Value argmax = MaxPool2dArgmaxOp::create(
      b, getLoc(), RankedTensorType::get(pooled.getShape(), b.getI32Type()), getInput(),
      getSize(), getStride(), getPadding());
  grads.push_back(MaxPool2dArgmaxGradOp::create(b, getLoc(), getInput().getType(), argmax, g,
                                                getSize(), getStride(), getPadding()));
  return success();
}

LogicalResult AvgPool2dOp::buildGradients(OpBuilder &b, Value g,
                                          SmallVectorImpl<Value> &grads) {
  grads.push_back(AvgPool2dGradOp::create(b, getLoc(), getInput().getType(), g, getInput(),
                                          getSize(), getStride(), getPadding()));
  return success();
}

//===----------------------------------------------------------------------===//
// Losses: each is a mean, so g is spread as g / count over the elements
//===----------------------------------------------------------------------===//

/// g / count, repeated over every element of `like`.
static Value spreadMean(GradBuilder &gb, Value g, Value like) {
  return gb.broadcastLike(g, like, gb.allAxes(like), /*divide=*/true);
}

LogicalResult MseOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  // mean((x - t)^2): dx = 2 (x - t) g / count, dt = -dx.
  GradBuilder gb{b, getLoc()};
  Value diff = gb.sub(getInput(), getTarget());
  Value dx = gb.mul(gb.mul(spreadMean(gb, g, diff), 2.0), diff);
  grads.append({dx, gb.neg(dx)});
  return success();
}

LogicalResult BceOp::buildGradients(OpBuilder &b, Value g, SmallVectorImpl<Value> &grads) {
  // mean(-(t log p + (1 - t) log(1 - p))):
  //   dp = (p - t) / max(p (1 - p), 1e-12) g / count, dt = (log(1 - p) - log p) g / count.
  // The clamp is torch's: at p = 0 or 1 the gradient stays finite.
  GradBuilder gb{b, getLoc()};
  Value p = getInput(), t = getTarget();
  Value spread = spreadMean(gb, g, gb.sub(p, t));
  Value oneMinusP = gb.rsub(1.0, p);
  Value variance = gb.mul(p, oneMinusP);
  Value clamped = MaximumOp::create(b, getLoc(), variance, gb.scalar(gb.elementType(p), 1e-12));
  Value dp = gb.mul(spread, gb.div(gb.sub(p, t), clamped));
  Value dt = gb.mul(spread, gb.sub(LogOp::create(b, getLoc(), oneMinusP),
                                   LogOp::create(b, getLoc(), p)));
  grads.append({dp, dt});
  return success();
}

LogicalResult BceWithLogitsOp::buildGradients(OpBuilder &b, Value g,
                                              SmallVectorImpl<Value> &grads) {
  // mean(softplus(x) - t x): dx = (sigmoid(x) - t) g / count, dt = -x g / count.
  GradBuilder gb{b, getLoc()};
  Value x = getInput(), t = getTarget();
  Value spread = spreadMean(gb, g, gb.sub(x, t));
  Value dx = gb.mul(spread, gb.sub(SigmoidOp::create(b, getLoc(), x), t));
  grads.append({dx, gb.neg(gb.mul(spread, x))});
  return success();
}

LogicalResult CrossEntropyOp::buildGradients(OpBuilder &b, Value g,
                                             SmallVectorImpl<Value> &grads) {
  // mean over rows of -sum(t * log_softmax(x)): dx = (softmax(x) sum(t) - t) g / N,
  // with t one-hot for class-index targets; dt = -log_softmax(x) g / N.
  Location loc = getLoc();
  GradBuilder gb{b, loc};
  Value x = getInput(), target = getTarget();
  auto xType = gb.type(x);
  int64_t classes = xType.getDimSize(1);
  bool indexTarget = gb.elementType(target).isInteger(32);
  if (ShapedType::isDynamic(classes))
    return emitError("cannot differentiate 'dnn.cross_entropy' over a symbolic number of "
                     "classes");
  // Probability targets need not sum to 1 per row: dx = softmax(x) sum(t) - t.
  Value targetSums = indexTarget ? Value() : gb.sum(target, {1}, /*keepdims=*/true);
  // g / N per row, as [N] (or [N, 1], the shape of the row sums) then over [N, C].
  Value perRow = indexTarget ? gb.broadcastLike(g, target, {0}, /*divide=*/true)
                             : gb.broadcastLike(g, targetSums, {0, 1}, /*divide=*/true);
  Value spread = gb.broadcastLike(perRow, x, {1});
  Value probs = SoftmaxOp::create(b, loc, x, 1);
  if (!indexTarget)
    probs = gb.mul(probs, targetSums);
  // one_hot is f32 unless told otherwise (f64 logits).
  Type element = xType.getElementType();
  TypeAttr oneHotType = element.isF32() ? TypeAttr() : TypeAttr::get(element);
  Value t = indexTarget ? Value(OneHotOp::create(b, loc, target, classes, oneHotType)) : target;
  grads.push_back(gb.mul(spread, gb.sub(probs, t)));
  grads.push_back(indexTarget
                      ? Value()
                      : gb.neg(gb.mul(spread, LogSoftmaxOp::create(b, loc, x, 1))));
  return success();
}
