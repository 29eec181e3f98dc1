//===- MLIRGen.cpp - Emit the dnn dialect from a checked AST --------------===//
//
// A direct walk: Sema has resolved every name, bound every builtin argument
// and inlined every user function, so each expression maps to one op (or,
// for a name, to the value already emitted for its definition).
//
//===----------------------------------------------------------------------===//

#include "dnnc/Frontend/MLIRGen.h"
#include "dnnc/Dialect/DNN/IR/DNNOps.h"
#include "dnnc/Frontend/Builtins.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace dnnc;
using namespace dnnc::frontend;

namespace {
class MLIRGen {
public:
  MLIRGen(MLIRContext &context, const llvm::SourceMgr &sourceMgr)
      : builder(&context), sourceMgr(sourceMgr) {}

  OwningOpRef<ModuleOp> emit(const ModuleAST &module) {
    OwningOpRef<ModuleOp> result = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(result->getBody());
    for (const auto &model : module.models)
      emitModel(*model);
    return result;
  }

private:
  Location loc(llvm::SMRange range) {
    if (!range.Start.isValid())
      return builder.getUnknownLoc();
    unsigned id = sourceMgr.FindBufferContainingLoc(range.Start);
    auto [line, col] = sourceMgr.getLineAndColumn(range.Start, id);
    return FileLineColLoc::get(
        builder.getStringAttr(sourceMgr.getMemoryBuffer(id)->getBufferIdentifier()), line,
        col);
  }

  Type elementType(DType dtype) {
    switch (dtype) {
    case DType::F32: return builder.getF32Type();
    case DType::F64: return builder.getF64Type();
    case DType::I32: return builder.getI32Type();
    }
    return {};
  }

  RankedTensorType tensorType(const frontend::TensorType &type) {
    SmallVector<int64_t> dims;
    for (const Dim &d : type.shape)
      dims.push_back(d.isConstant() ? d.getSize() : ShapedType::kDynamic);
    return RankedTensorType::get(dims, elementType(type.dtype));
  }

  DictionaryAttr hyperparameters(const Statement &stmt) {
    SmallVector<NamedAttribute> attrs;
    for (const auto &[name, value] : stmt.hyperparameters)
      attrs.push_back(builder.getNamedAttr(name, builder.getF64FloatAttr(value)));
    return builder.getDictionaryAttr(attrs);
  }

  void emitModel(const ModelDecl &model) {
    values.clear();
    decls.clear();
    rngKey = Value();
    dropoutSites = 0;
    auto op = dnn::ModelOp::create(builder, loc(model.nameRange), model.name);
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(&op.getBody().front());
    for (const auto &stmt : model.statements)
      emitStatement(*stmt);
  }

  void emitStatement(const Statement &stmt) {
    Location l = loc(stmt.nameRange.Start.isValid() ? stmt.nameRange : stmt.range);
    switch (stmt.kind) {
    case Statement::Kind::Input: {
      SmallVector<StringRef> symbols;
      for (const Dim &d : stmt.resolvedType.shape)
        if (d.isSymbol())
          symbols.push_back(d.getSymbol());
      decls[&stmt] = dnn::InputOp::create(builder, l, tensorType(stmt.resolvedType),
                                          stmt.name, builder.getStrArrayAttr(symbols));
      return;
    }
    case Statement::Kind::Param:
      decls[&stmt] = dnn::ParamOp::create(builder, l, tensorType(stmt.resolvedType),
                                          stmt.name, (dnn::InitKind)stmt.kindId,
                                          hyperparameters(stmt));
      return;
    case Statement::Kind::Buffer:
      decls[&stmt] = dnn::BufferOp::create(builder, l, tensorType(stmt.resolvedType),
                                           stmt.name, (dnn::InitKind)stmt.kindId,
                                           hyperparameters(stmt));
      return;
    case Statement::Kind::Let: {
      Value v = emit(*stmt.value);
      decls[&stmt] = v;
      // The let name travels on the op's location, for --emit=grad and
      // diagnostics; the first name given to a value wins.
      if (Operation *def = v.getDefiningOp(); def && !isa<NameLoc>(def->getLoc()))
        def->setLoc(NameLoc::get(builder.getStringAttr(stmt.name), def->getLoc()));
      return;
    }
    case Statement::Kind::Output: {
      Value v = emit(*stmt.value);
      decls[&stmt] = v;
      dnn::OutputOp::create(builder, l, stmt.name, v);
      return;
    }
    case Statement::Kind::Loss: {
      Value v = emit(*stmt.value);
      decls[&stmt] = v;
      dnn::LossOp::create(builder, l, stmt.name, v);
      return;
    }
    case Statement::Kind::Train:
      dnn::TrainOp::create(builder, loc(stmt.range), (dnn::OptimizerKind)stmt.kindId,
                           hyperparameters(stmt));
      return;
    }
  }

  Value emit(const Expr &e) {
    auto it = values.find(&e);
    if (it != values.end())
      return it->second;
    Value v = emitUncached(e);
    values[&e] = v;
    return v;
  }

  Value constant(double value, const frontend::TensorType &type, Location l) {
    return constant(value, elementType(type.dtype), l);
  }

  /// A scalar dnn.constant of element type f32, f64 or i32.
  Value constant(double value, Type element, Location l) {
    auto t = RankedTensorType::get({}, element);
    float f = (float)value;
    int32_t i = (int32_t)value;
    DenseElementsAttr attr = element.isF32()   ? DenseElementsAttr::get(t, llvm::ArrayRef(f))
                             : element.isF64() ? DenseElementsAttr::get(t, llvm::ArrayRef(value))
                                               : DenseElementsAttr::get(t, llvm::ArrayRef(i));
    return dnn::ConstantOp::create(builder, l, t, cast<ElementsAttr>(attr));
  }

  Value emitUncached(const Expr &e) {
    Location l = loc(e.getRange());
    if (auto *n = llvm::dyn_cast<NumberExpr>(&e))
      return constant(n->value, e.type, l);
    if (auto *name = llvm::dyn_cast<NameExpr>(&e))
      return name->decl ? decls.lookup(name->decl) : emit(*name->boundArgument);
    if (auto *u = llvm::dyn_cast<UnaryExpr>(&e))
      return dnn::NegOp::create(builder, l, emit(*u->operand));
    if (auto *b = llvm::dyn_cast<BinaryExpr>(&e)) {
      Location opLoc = loc(b->opRange);
      if (b->op == BinaryOp::Pow)
        return dnn::PowOp::create(builder, opLoc, emit(*b->lhs),
                                  builder.getF64FloatAttr(b->exponent));
      Value lhs = emit(*b->lhs), rhs = emit(*b->rhs);
      switch (b->op) {
      case BinaryOp::Add: return dnn::AddOp::create(builder, opLoc, lhs, rhs);
      case BinaryOp::Sub: return dnn::SubOp::create(builder, opLoc, lhs, rhs);
      case BinaryOp::Mul: return dnn::MulOp::create(builder, opLoc, lhs, rhs);
      case BinaryOp::Div: return dnn::DivOp::create(builder, opLoc, lhs, rhs);
      case BinaryOp::MatMul: return dnn::MatmulOp::create(builder, opLoc, lhs, rhs);
      case BinaryOp::Pow: break;
      }
    }
    auto *call = llvm::cast<CallExpr>(&e);
    if (call->inlinedBody)
      return emit(*call->inlinedBody);
    return emitBuiltin(*call, l);
  }

  Value emitBuiltin(const CallExpr &call, Location l) {
    SmallVector<Value> ops;
    for (const Expr *operand : call.operands)
      ops.push_back(operand ? emit(*operand) : Value());
    const BuiltinAttrs &a = call.attrs;
    auto i64s = [&](ArrayRef<int64_t> v) { return builder.getDenseI64ArrayAttr(v); };
    auto f64 = [&](double v) { return builder.getF64FloatAttr(v); };
    auto i64 = [&](int64_t v) { return builder.getI64IntegerAttr(v); };
    UnitAttr keep = a.keepDims ? builder.getUnitAttr() : UnitAttr();
    switch ((Builtin)call.builtin) {
    case Builtin::Relu: return dnn::ReluOp::create(builder, l, ops[0]);
    case Builtin::LeakyRelu: return dnn::LeakyReluOp::create(builder, l, ops[0], f64(a.slope));
    case Builtin::Sigmoid: return dnn::SigmoidOp::create(builder, l, ops[0]);
    case Builtin::Silu: return dnn::SiluOp::create(builder, l, ops[0]);
    case Builtin::Gelu: return dnn::GeluOp::create(builder, l, ops[0], a.tanhApproximation);
    case Builtin::Softplus: return dnn::SoftplusOp::create(builder, l, ops[0]);
    case Builtin::Tanh: return dnn::TanhOp::create(builder, l, ops[0]);
    case Builtin::Exp: return dnn::ExpOp::create(builder, l, ops[0]);
    case Builtin::Log: return dnn::LogOp::create(builder, l, ops[0]);
    case Builtin::Sqrt: return dnn::SqrtOp::create(builder, l, ops[0]);
    case Builtin::Abs: return dnn::AbsOp::create(builder, l, ops[0]);
    case Builtin::StopGradient: return dnn::StopGradientOp::create(builder, l, ops[0]);
    case Builtin::Softmax: return dnn::SoftmaxOp::create(builder, l, ops[0], i64(a.axis));
    case Builtin::LogSoftmax: return dnn::LogSoftmaxOp::create(builder, l, ops[0], i64(a.axis));
    case Builtin::Argmax: return dnn::ArgmaxOp::create(builder, l, ops[0], i64(a.axis));
    case Builtin::Sum: return dnn::SumOp::create(builder, l, ops[0], i64s(a.axes), keep);
    case Builtin::Mean: return dnn::MeanOp::create(builder, l, ops[0], i64s(a.axes), keep);
    case Builtin::Max: return dnn::MaxOp::create(builder, l, ops[0], i64s(a.axes), keep);
    case Builtin::Min: return dnn::MinOp::create(builder, l, ops[0], i64s(a.axes), keep);
    case Builtin::Reshape: return dnn::ReshapeOp::create(builder, l, ops[0], i64s(a.shape));
    case Builtin::Flatten: return dnn::FlattenOp::create(builder, l, ops[0]);
    case Builtin::Transpose: return dnn::TransposeOp::create(builder, l, ops[0], i64s(a.perm));
    case Builtin::Concat: return dnn::ConcatOp::create(builder, l, ops, i64(a.axis));
    case Builtin::Conv2d:
      return dnn::Conv2dOp::create(builder, l, ops[0], ops[1], ops[2], i64s(a.stride),
                                   i64s(a.padding));
    case Builtin::MaxPool2d:
      return dnn::MaxPool2dOp::create(builder, l, ops[0], i64s(a.size), i64s(a.stride),
                                      i64s(a.padding));
    case Builtin::AvgPool2d:
      return dnn::AvgPool2dOp::create(builder, l, ops[0], i64s(a.size), i64s(a.stride),
                                      i64s(a.padding));
    case Builtin::Mse: return dnn::MseOp::create(builder, l, ops[0], ops[1]);
    case Builtin::Bce: return dnn::BceOp::create(builder, l, ops[0], ops[1]);
    case Builtin::BceWithLogits: return dnn::BceWithLogitsOp::create(builder, l, ops[0], ops[1]);
    case Builtin::CrossEntropy: return dnn::CrossEntropyOp::create(builder, l, ops[0], ops[1]);
    case Builtin::Accuracy: return dnn::AccuracyOp::create(builder, l, ops[0], ops[1]);
    case Builtin::OneHot: return dnn::OneHotOp::create(builder, l, ops[0], i64(a.numClasses), TypeAttr());
    case Builtin::LayerNorm: return emitLayerNorm(ops, a.eps, l);
    case Builtin::BatchNorm: return emitBatchNorm(ops, a.momentum, a.eps, l);
    case Builtin::Dropout: return emitDropout(ops[0], a.dropoutP, l);
    }
    llvm_unreachable("unknown builtin");
  }

  /// layer_norm(x, weight, bias, eps) as the ops it is made of, so that
  /// autodiff, the lowering and the reference interpreter all follow from
  /// theirs: (x - mean) / sqrt(var + eps) * weight + bias over the last dim,
  /// var the biased variance, as torch.nn.functional.layer_norm.
  Value emitLayerNorm(ArrayRef<Value> ops, double eps, Location l) {
    Value x = ops[0];
    auto type = cast<RankedTensorType>(x.getType());
    auto last = builder.getDenseI64ArrayAttr({type.getRank() - 1});
    UnitAttr keep = builder.getUnitAttr();
    Value mean = dnn::MeanOp::create(builder, l, x, last, keep);
    Value centered = dnn::SubOp::create(builder, l, x, mean);
    Value variance = dnn::MeanOp::create(
        builder, l, dnn::MulOp::create(builder, l, centered, centered), last, keep);
    Value deviation = dnn::SqrtOp::create(
        builder, l,
        dnn::AddOp::create(builder, l, variance, constant(eps, type.getElementType(), l)));
    Value y = dnn::DivOp::create(builder, l, centered, deviation);
    if (ops[1])
      y = dnn::MulOp::create(builder, l, y, ops[1]);
    if (ops[2])
      y = dnn::AddOp::create(builder, l, y, ops[2]);
    return y;
  }

  /// batch_norm(x, running_mean, running_var, weight, bias, momentum, eps)
  /// as torch.nn.functional.batch_norm, from the ops it is made of.
  /// Training mode normalizes with the batch's mean and biased variance over
  /// every axis but the channels (1) and moves the running statistics
  /// towards the batch's (the variance's unbiased form, as torch);
  /// inference normalizes with the running statistics.
  Value emitBatchNorm(ArrayRef<Value> ops, double momentum, double eps, Location l) {
    Value x = ops[0], runningMean = ops[1], runningVar = ops[2];
    auto type = cast<RankedTensorType>(x.getType());
    Type element = type.getElementType();
    int64_t rank = type.getRank(), channels = type.getDimSize(1);
    SmallVector<int64_t> axes{0};
    for (int64_t d = 2; d < rank; ++d)
      axes.push_back(d);
    auto axesAttr = builder.getDenseI64ArrayAttr(axes);
    UnitAttr keep = builder.getUnitAttr();
    Value epsilon = constant(eps, element, l);
    // [C] broadcast against [N, C, H, W] as [C, 1, 1].
    SmallVector<int64_t> perChannel{channels};
    perChannel.append(rank - 2, 1);
    auto asPerChannel = [&](Value v) {
      return rank == 2 ? v
                       : dnn::ReshapeOp::create(builder, l, v,
                                                builder.getDenseI64ArrayAttr(perChannel))
                             .getResult();
    };
    auto asVector = [&](Value v) {
      return dnn::ReshapeOp::create(builder, l, v, builder.getDenseI64ArrayAttr({channels}))
          .getResult();
    };

    Value mean = dnn::MeanOp::create(builder, l, x, axesAttr, keep);
    Value centered = dnn::SubOp::create(builder, l, x, mean);
    Value variance = dnn::MeanOp::create(
        builder, l, dnn::MulOp::create(builder, l, centered, centered), axesAttr, keep);
    Value training = dnn::DivOp::create(
        builder, l, centered,
        dnn::SqrtOp::create(builder, l, dnn::AddOp::create(builder, l, variance, epsilon)));
    Value inference = dnn::DivOp::create(
        builder, l, dnn::SubOp::create(builder, l, x, asPerChannel(runningMean)),
        dnn::SqrtOp::create(builder, l,
                            dnn::AddOp::create(builder, l, asPerChannel(runningVar), epsilon)));
    Value y = dnn::ModeSwitchOp::create(builder, l, training, inference);
    if (ops[3])
      y = dnn::MulOp::create(builder, l, y, asPerChannel(ops[3]));
    if (ops[4])
      y = dnn::AddOp::create(builder, l, y, asPerChannel(ops[4]));

    // running = (1 - momentum) * running + momentum * batch statistic.
    Value keepRate = constant(1.0 - momentum, element, l);
    Value rate = constant(momentum, element, l);
    auto moved = [&](Value running, Value statistic) {
      return dnn::AddOp::create(builder, l, dnn::MulOp::create(builder, l, running, keepRate),
                                dnn::MulOp::create(builder, l, statistic, rate))
          .getResult();
    };
    Value count = dnn::CountOp::create(builder, l, RankedTensorType::get({}, element), x,
                                       axesAttr);
    Value besselCorrection = dnn::DivOp::create(
        builder, l, count, dnn::SubOp::create(builder, l, count, constant(1.0, element, l)));
    Value unbiased = dnn::MulOp::create(builder, l, asVector(variance), besselCorrection);
    dnn::BufferUpdateOp::create(builder, l, runningMean, moved(runningMean, asVector(mean)));
    dnn::BufferUpdateOp::create(builder, l, runningVar, moved(runningVar, unbiased));
    return y;
  }

  /// dropout(x, p): in training, x times a keep mask scaled by 1 / (1 - p),
  /// drawn from the step's random key; in inference, x.
  Value emitDropout(Value x, double p, Location l) {
    if (!rngKey)
      rngKey = dnn::RngKeyOp::create(builder, l,
                                     RankedTensorType::get({}, builder.getI64Type()));
    Value dropped = dnn::DropoutOp::create(builder, l, x, rngKey, builder.getF64FloatAttr(p),
                                           builder.getI64IntegerAttr(dropoutSites++));
    return dnn::ModeSwitchOp::create(builder, l, dropped, x);
  }

  OpBuilder builder;
  const llvm::SourceMgr &sourceMgr;
  Value rngKey;             // the model's dnn.rng_key, once a dropout needs it
  int64_t dropoutSites = 0; // dropouts emitted in the model so far
  llvm::DenseMap<const Expr *, Value> values;
  llvm::DenseMap<const Statement *, Value> decls;
};
} // namespace

OwningOpRef<ModuleOp> dnnc::frontend::emitMLIR(const ModuleAST &module, MLIRContext &context,
                                               const llvm::SourceMgr &sourceMgr) {
  context.getOrLoadDialect<dnn::DNNDialect>();
  return MLIRGen(context, sourceMgr).emit(module);
}
