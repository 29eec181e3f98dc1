//===- Normalization.cpp - Builtins of normalization and dropout layers --===//
//
// layer_norm, batch_norm and dropout, as torch.nn.functional's. Each is
// emitted as the ops it is made of, so that autodiff, the lowering and the
// reference interpreter all follow from theirs; training and inference
// differ through dnn.mode_switch, batch_norm's running statistics are
// buffers it updates (dnn.buffer_update), dropout's mask comes from the
// step's random key (dnn.rng_key).
//
//===----------------------------------------------------------------------===//

#include "dnnc/Frontend/Builtins.h"

#include "dnnc/Dialect/DNN/IR/DNNOps.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace dnnc;
using namespace dnnc::frontend;

namespace {
using K = ArgKind;
using TensorType = dnnc::frontend::TensorType;
constexpr BuiltinParam kLayerNorm[] = {{"x", K::Tensor, true},
                                       {"weight", K::OptionalTensor, false},
                                       {"bias", K::OptionalTensor, false},
                                       {"eps", K::Float, false}};
constexpr BuiltinParam kBatchNorm[] = {{"x", K::Tensor, true},
                                       {"running_mean", K::Tensor, true},
                                       {"running_var", K::Tensor, true},
                                       {"weight", K::OptionalTensor, false},
                                       {"bias", K::OptionalTensor, false},
                                       {"momentum", K::Float, false},
                                       {"eps", K::Float, false}};
constexpr BuiltinParam kDropout[] = {{"x", K::Tensor, true}, {"p", K::Float, false}};

/// eps (default 1e-5), which must be positive.
bool checkEps(BuiltinCheck &c) {
  double eps = c.args.numberOr("eps", 1e-5);
  c.attrs().numbers["eps"] = eps;
  if (eps > 0)
    return true;
  c.failArgument("eps", "must be positive");
  return false;
}

// Normalized over the last dim, as torch.nn.functional.layer_norm with
// normalized_shape = x.shape[-1:]; weight and bias are [D].
TensorType checkLayerNorm(BuiltinCheck &c) {
  if (!checkEps(c))
    return TensorType::getPoison();
  const TensorType &x = c.x();
  if (!c.needFloat(x, "tensor"))
    return TensorType::getPoison();
  if (x.shape.empty())
    return c.fail("needs at least one dim to normalize over");
  size_t next = 1;
  const char *roles[] = {"weight", "bias"};
  for (auto [i, role] : llvm::enumerate(roles)) {
    if (!c.operand(1 + i))
      continue;
    const TensorType &t = c.tensors[next++];
    if (t.dtype != x.dtype)
      return c.fail(std::string(role) + " " + t.str() + " has another element type");
    if (t.shape.size() != 1 || !(t.shape[0] == x.shape.back()))
      return c.fail(std::string(role) + " must have the shape of the normalized (last) dim, [" +
                    x.shape.back().str() + "], got " + t.str());
  }
  return x;
}

// torch.nn.functional.batch_norm: channels on axis 1, statistics over every
// other axis; running_mean and running_var are buffers [C] that training
// updates, weight and bias [C].
TensorType checkBatchNorm(BuiltinCheck &c) {
  double momentum = c.args.numberOr("momentum", 0.1);
  c.attrs().numbers["momentum"] = momentum;
  bool ok = true;
  if (!(momentum >= 0 && momentum <= 1)) {
    c.failArgument("momentum", "must be in [0, 1]");
    ok = false;
  }
  if (!checkEps(c) || !ok)
    return TensorType::getPoison();
  const TensorType &x = c.x();
  if (!c.needFloat(x, "tensor"))
    return TensorType::getPoison();
  if (x.shape.size() < 2)
    return c.fail("needs a batch and a channel axis, [N, C, ...]");
  const Dim &channels = x.shape[1];
  if (!channels.isConstant())
    return c.fail("the channel dim (axis 1) must be static");
  size_t next = 1;
  llvm::SmallVector<const Statement *, 2> buffers;
  const char *roles[] = {"running_mean", "running_var", "weight", "bias"};
  for (auto [i, role] : llvm::enumerate(roles)) {
    const Expr *operand = c.operand(1 + i);
    if (!operand)
      continue;
    const TensorType &t = c.tensors[next++];
    if (t.dtype != x.dtype)
      return c.fail(std::string(role) + " " + t.str() + " has another element type");
    if (t.shape.size() != 1 || !(t.shape[0] == channels))
      return c.fail(std::string(role) + " must have the shape of the channel dim, [" +
                    channels.str() + "], got " + t.str());
    if (i >= 2)
      continue;
    // The running statistics are state the step writes: a buffer, held by
    // this batch_norm alone.
    auto *name = llvm::dyn_cast<NameExpr>(c.lookThrough(operand));
    const Statement *buffer =
        name && name->decl && name->decl->kind == Statement::Kind::Buffer ? name->decl : nullptr;
    if (!buffer) {
      c.error(operand->getRange(), "argument '" + std::string(role) +
                                       "' of 'batch_norm' must name a buffer, e.g. `buffer " +
                                       role + "1: f32[" + channels.str() + "] = " +
                                       (i == 0 ? "zeros" : "ones") + "()`");
      return TensorType::getPoison();
    }
    auto it = c.heldBuffers().find(buffer);
    if (it != c.heldBuffers().end()) {
      c.error(operand->getRange(), "buffer '" + buffer->name +
                                       "' already holds the running statistics of another "
                                       "batch_norm");
      c.note(it->second, "the other batch_norm");
      return TensorType::getPoison();
    }
    buffers.push_back(buffer);
  }
  // Training divides the running variance by (values per channel - 1), and
  // torch refuses one value per channel: a count fixed at 1 is an error
  // here, one that depends on symbols is checked by the runtime before each
  // training call. (A dim the shape rules could not size is not checked.)
  int64_t values = 1;
  llvm::SmallVector<std::string> symbols;
  bool sized = true;
  for (auto [d, dim] : llvm::enumerate(x.shape)) {
    if (d == 1)
      continue;
    if (dim.isConstant())
      values *= dim.getSize();
    else if (dim.isSymbol())
      symbols.push_back(dim.getSymbol().str());
    else
      sized = false;
  }
  if (sized && values == 1 && symbols.empty())
    return c.fail("has one value per channel: training mode needs more than one (torch "
                  "refuses it too)");
  if (sized && values == 1)
    c.attrs().names["training_symbols"] = symbols;
  // Recorded once the call is valid, so that one error does not cascade.
  for (const Statement *buffer : buffers)
    c.heldBuffers()[buffer] = c.call.getRange();
  return x;
}

TensorType checkDropout(BuiltinCheck &c) {
  double p = c.args.numberOr("p", 0.5);
  c.attrs().numbers["p"] = p;
  if (!(p >= 0 && p < 1))
    return c.failArgument("p", "must be in [0, 1)");
  return c.needFloat(c.x(), "tensor") ? c.x() : TensorType::getPoison();
}

/// (x - mean) / sqrt(var + eps) * weight + bias over the last dim, var the
/// biased variance, as torch.nn.functional.layer_norm.
Value emitLayerNorm(BuiltinEmitter &e, ArrayRef<Value> ops, const BuiltinAttrs &a, Location l) {
  OpBuilder &b = e.builder();
  Value x = ops[0];
  auto type = cast<RankedTensorType>(x.getType());
  auto last = b.getDenseI64ArrayAttr({type.getRank() - 1});
  UnitAttr keep = b.getUnitAttr();
  Value mean = dnn::MeanOp::create(b, l, x, last, keep);
  Value centered = dnn::SubOp::create(b, l, x, mean);
  Value variance =
      dnn::MeanOp::create(b, l, dnn::MulOp::create(b, l, centered, centered), last, keep);
  Value deviation = dnn::SqrtOp::create(
      b, l,
      dnn::AddOp::create(b, l, variance,
                         e.constant(a.numbers.lookup("eps"), type.getElementType(), l)));
  Value y = dnn::DivOp::create(b, l, centered, deviation);
  if (ops[1])
    y = dnn::MulOp::create(b, l, y, ops[1]);
  if (ops[2])
    y = dnn::AddOp::create(b, l, y, ops[2]);
  return y;
}

/// Training mode normalizes with the batch's mean and biased variance over
/// every axis but the channels (1) and moves the running statistics towards
/// the batch's (the variance's unbiased form, as torch); inference
/// normalizes with the running statistics.
Value emitBatchNorm(BuiltinEmitter &e, ArrayRef<Value> ops, const BuiltinAttrs &a, Location l) {
  OpBuilder &b = e.builder();
  double momentum = a.numbers.lookup("momentum");
  Value x = ops[0], runningMean = ops[1], runningVar = ops[2];
  auto type = cast<RankedTensorType>(x.getType());
  Type element = type.getElementType();
  int64_t rank = type.getRank(), channels = type.getDimSize(1);
  SmallVector<int64_t> axes{0};
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  auto axesAttr = b.getDenseI64ArrayAttr(axes);
  UnitAttr keep = b.getUnitAttr();
  Value epsilon = e.constant(a.numbers.lookup("eps"), element, l);
  // [C] broadcast against [N, C, H, W] as [C, 1, 1].
  SmallVector<int64_t> perChannel{channels};
  perChannel.append(rank - 2, 1);
  auto asPerChannel = [&](Value v) {
    return rank == 2
               ? v
               : dnn::ReshapeOp::create(b, l, v, b.getDenseI64ArrayAttr(perChannel)).getResult();
  };
  auto asVector = [&](Value v) {
    return dnn::ReshapeOp::create(b, l, v, b.getDenseI64ArrayAttr({channels})).getResult();
  };

  Value mean = dnn::MeanOp::create(b, l, x, axesAttr, keep);
  Value centered = dnn::SubOp::create(b, l, x, mean);
  Value variance =
      dnn::MeanOp::create(b, l, dnn::MulOp::create(b, l, centered, centered), axesAttr, keep);
  Value training = dnn::DivOp::create(
      b, l, centered, dnn::SqrtOp::create(b, l, dnn::AddOp::create(b, l, variance, epsilon)));
  Value inference = dnn::DivOp::create(
      b, l, dnn::SubOp::create(b, l, x, asPerChannel(runningMean)),
      dnn::SqrtOp::create(b, l, dnn::AddOp::create(b, l, asPerChannel(runningVar), epsilon)));
  Value y = dnn::ModeSwitchOp::create(b, l, training, inference);
  if (ops[3])
    y = dnn::MulOp::create(b, l, y, asPerChannel(ops[3]));
  if (ops[4])
    y = dnn::AddOp::create(b, l, y, asPerChannel(ops[4]));

  // running = (1 - momentum) * running + momentum * batch statistic.
  Value keepRate = e.constant(1.0 - momentum, element, l);
  Value rate = e.constant(momentum, element, l);
  auto moved = [&](Value running, Value statistic) {
    return dnn::AddOp::create(b, l, dnn::MulOp::create(b, l, running, keepRate),
                              dnn::MulOp::create(b, l, statistic, rate))
        .getResult();
  };
  auto count = dnn::CountOp::create(b, l, RankedTensorType::get({}, element), x, axesAttr,
                                    /*training_symbols=*/nullptr);
  if (auto symbols = a.names.find("training_symbols"); symbols != a.names.end())
    count.setTrainingSymbolsAttr(b.getStrArrayAttr(llvm::SmallVector<llvm::StringRef>(
        symbols->second.begin(), symbols->second.end())));
  Value besselCorrection =
      dnn::DivOp::create(b, l, count, dnn::SubOp::create(b, l, count, e.constant(1.0, element, l)));
  Value unbiased = dnn::MulOp::create(b, l, asVector(variance), besselCorrection);
  dnn::BufferUpdateOp::create(b, l, runningMean, moved(runningMean, asVector(mean)));
  dnn::BufferUpdateOp::create(b, l, runningVar, moved(runningVar, unbiased));
  return y;
}

/// In training, x times a keep mask scaled by 1 / (1 - p), drawn from the
/// step's random key; in inference, x.
Value emitDropout(BuiltinEmitter &e, ArrayRef<Value> ops, const BuiltinAttrs &a, Location l) {
  OpBuilder &b = e.builder();
  Value key = e.rngKey(l);
  Value dropped = dnn::DropoutOp::create(b, l, ops[0], key,
                                         b.getF64FloatAttr(a.numbers.lookup("p")),
                                         b.getI64IntegerAttr(e.nextRandomSite()));
  return dnn::ModeSwitchOp::create(b, l, dropped, ops[0]);
}

const BuiltinInfo kRows[] = {
    {"layer_norm", kLayerNorm, checkLayerNorm, emitLayerNorm},
    {"batch_norm", kBatchNorm, checkBatchNorm, emitBatchNorm},
    {"dropout", kDropout, checkDropout, emitDropout},
};
} // namespace

llvm::ArrayRef<BuiltinInfo> dnnc::frontend::getNormalizationBuiltins() { return kRows; }
