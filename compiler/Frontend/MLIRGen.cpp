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
class MLIRGen final : public BuiltinEmitter {
public:
  MLIRGen(MLIRContext &context, const llvm::SourceMgr &sourceMgr)
      : opBuilder(&context), sourceMgr(sourceMgr) {}

  OwningOpRef<ModuleOp> emit(const ModuleAST &module) {
    OwningOpRef<ModuleOp> result = ModuleOp::create(opBuilder.getUnknownLoc());
    opBuilder.setInsertionPointToEnd(result->getBody());
    for (const auto &model : module.models)
      emitModel(*model);
    return result;
  }

private:
  Location loc(llvm::SMRange range) {
    if (!range.Start.isValid())
      return opBuilder.getUnknownLoc();
    unsigned id = sourceMgr.FindBufferContainingLoc(range.Start);
    auto [line, col] = sourceMgr.getLineAndColumn(range.Start, id);
    return FileLineColLoc::get(
        opBuilder.getStringAttr(sourceMgr.getMemoryBuffer(id)->getBufferIdentifier()), line,
        col);
  }

  Type elementType(DType dtype) {
    switch (dtype) {
    case DType::F32: return opBuilder.getF32Type();
    case DType::F64: return opBuilder.getF64Type();
    case DType::I32: return opBuilder.getI32Type();
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
      attrs.push_back(opBuilder.getNamedAttr(name, opBuilder.getF64FloatAttr(value)));
    return opBuilder.getDictionaryAttr(attrs);
  }

  void emitModel(const ModelDecl &model) {
    values.clear();
    decls.clear();
    modelRngKey = Value();
    randomSites = 0;
    auto op = dnn::ModelOp::create(opBuilder, loc(model.nameRange), model.name);
    OpBuilder::InsertionGuard guard(opBuilder);
    opBuilder.setInsertionPointToStart(&op.getBody().front());
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
      decls[&stmt] = dnn::InputOp::create(opBuilder, l, tensorType(stmt.resolvedType),
                                          stmt.name, opBuilder.getStrArrayAttr(symbols));
      return;
    }
    case Statement::Kind::Param:
      decls[&stmt] = dnn::ParamOp::create(opBuilder, l, tensorType(stmt.resolvedType),
                                          stmt.name, (dnn::InitKind)stmt.kindId,
                                          hyperparameters(stmt));
      return;
    case Statement::Kind::Buffer:
      decls[&stmt] = dnn::BufferOp::create(opBuilder, l, tensorType(stmt.resolvedType),
                                           stmt.name, (dnn::InitKind)stmt.kindId,
                                           hyperparameters(stmt));
      return;
    case Statement::Kind::Let: {
      Value v = emit(*stmt.value);
      decls[&stmt] = v;
      // The let name travels on the op's location, for --emit=grad and
      // diagnostics; the first name given to a value wins.
      if (Operation *def = v.getDefiningOp(); def && !isa<NameLoc>(def->getLoc()))
        def->setLoc(NameLoc::get(opBuilder.getStringAttr(stmt.name), def->getLoc()));
      return;
    }
    case Statement::Kind::Output: {
      Value v = emit(*stmt.value);
      decls[&stmt] = v;
      dnn::OutputOp::create(opBuilder, l, stmt.name, v);
      return;
    }
    case Statement::Kind::Loss: {
      Value v = emit(*stmt.value);
      decls[&stmt] = v;
      dnn::LossOp::create(opBuilder, l, stmt.name, v);
      return;
    }
    case Statement::Kind::Train:
      dnn::TrainOp::create(opBuilder, loc(stmt.range), (dnn::OptimizerKind)stmt.kindId,
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
  Value constant(double value, Type element, Location l) override {
    auto t = RankedTensorType::get({}, element);
    // Converted for the element type only: Sema keeps a literal within its
    // type's range, but `value` need not fit the other types.
    DenseElementsAttr attr;
    if (element.isF32())
      attr = DenseElementsAttr::get(t, llvm::ArrayRef((float)value));
    else if (element.isF64())
      attr = DenseElementsAttr::get(t, llvm::ArrayRef(value));
    else // 2^31 only under a minus (`-2147483648`): it wraps to INT_MIN, as its negation does.
      attr = DenseElementsAttr::get(t, llvm::ArrayRef((int32_t)(uint32_t)(int64_t)value));
    return dnn::ConstantOp::create(opBuilder, l, t, cast<ElementsAttr>(attr));
  }

  Value emitUncached(const Expr &e) {
    Location l = loc(e.getRange());
    if (auto *n = llvm::dyn_cast<NumberExpr>(&e))
      return constant(n->value, e.type, l);
    if (auto *name = llvm::dyn_cast<NameExpr>(&e))
      return name->decl ? decls.lookup(name->decl) : emit(*name->boundArgument);
    if (auto *u = llvm::dyn_cast<UnaryExpr>(&e))
      return dnn::NegOp::create(opBuilder, l, emit(*u->operand));
    if (auto *b = llvm::dyn_cast<BinaryExpr>(&e)) {
      Location opLoc = loc(b->opRange);
      if (b->op == BinaryOp::Pow)
        return dnn::PowOp::create(opBuilder, opLoc, emit(*b->lhs),
                                  opBuilder.getF64FloatAttr(b->exponent));
      Value lhs = emit(*b->lhs), rhs = emit(*b->rhs);
      switch (b->op) {
      case BinaryOp::Add: return dnn::AddOp::create(opBuilder, opLoc, lhs, rhs);
      case BinaryOp::Sub: return dnn::SubOp::create(opBuilder, opLoc, lhs, rhs);
      case BinaryOp::Mul: return dnn::MulOp::create(opBuilder, opLoc, lhs, rhs);
      case BinaryOp::Div: return dnn::DivOp::create(opBuilder, opLoc, lhs, rhs);
      case BinaryOp::MatMul: return dnn::MatmulOp::create(opBuilder, opLoc, lhs, rhs);
      case BinaryOp::Pow: break;
      }
    }
    auto *call = llvm::cast<CallExpr>(&e);
    if (call->inlinedBody)
      return emit(*call->inlinedBody);
    return emitBuiltin(*call, l);
  }

  /// A builtin call: its row's emitter (Builtins.h), on the operands.
  Value emitBuiltin(const CallExpr &call, Location l) {
    SmallVector<Value> ops;
    for (const Expr *operand : call.operands)
      ops.push_back(operand ? emit(*operand) : Value());
    return call.builtin->emit(*this, ops, call.attrs, l);
  }

  // BuiltinEmitter.
  OpBuilder &builder() override { return opBuilder; }
  Value rngKey(Location l) override {
    if (!modelRngKey)
      modelRngKey = dnn::RngKeyOp::create(opBuilder, l,
                                          RankedTensorType::get({}, opBuilder.getI64Type()));
    return modelRngKey;
  }
  int64_t nextRandomSite() override { return randomSites++; }

  OpBuilder opBuilder;
  const llvm::SourceMgr &sourceMgr;
  Value modelRngKey;       // the model's dnn.rng_key, once a dropout needs it
  int64_t randomSites = 0; // random ops (dropouts) emitted in the model so far
  llvm::DenseMap<const Expr *, Value> values;
  llvm::DenseMap<const Statement *, Value> decls;
};
} // namespace

OwningOpRef<ModuleOp> dnnc::frontend::emitMLIR(const ModuleAST &module, MLIRContext &context,
                                               const llvm::SourceMgr &sourceMgr) {
  context.getOrLoadDialect<dnn::DNNDialect>();
  return MLIRGen(context, sourceMgr).emit(module);
}
