//===- Sema.cpp - Semantic analysis of .dnn programs ----------------------===//

#include "dnnc/Frontend/Sema.h"
#include "dnnc/Dialect/DNN/IR/Hyperparameters.h"
#include "dnnc/Frontend/Builtins.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>
#include <functional>
#include <limits>

using namespace dnnc;
using namespace dnnc::frontend;
using llvm::FailureOr;
using llvm::SMRange;

namespace {

/// Closest candidate within a small edit distance, for "did you mean".
std::string suggest(llvm::StringRef name, llvm::ArrayRef<std::string> candidates) {
  std::string best;
  // Two edits (e.g. a transposition) for names of three letters or more.
  unsigned bestDistance = (name.size() <= 2 ? 1 : std::max<size_t>(2, name.size() / 3)) + 1;
  for (const std::string &c : candidates) {
    unsigned d = name.edit_distance(c, true, bestDistance);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best;
}

class Sema {
  friend class SemaBuiltinCheck;

public:
  explicit Sema(DiagnosticEngine &diags) : diags(diags) {}
  void check(ModuleAST &module);

private:
  struct Frame {
    const FunctionDecl *fn;
    const CallExpr *call;
    llvm::StringMap<const Expr *> args;
  };

  // Diagnostics, with the chain of function expansions as notes.
  void error(SMRange range, const llvm::Twine &message);
  void noteOrigin(const Expr &e, llvm::StringRef role);
  void noteOperands(const Expr &lhs, const Expr &rhs);

  void checkFunctions(ModuleAST &module);
  void checkModel(ModelDecl &model);
  void checkStatement(Statement &stmt);
  void checkHyperparameters(Statement &stmt, CallExpr *call, bool isInitializer);
  /// `what` names a param's or buffer's kind ("parameter", "buffer"), which
  /// need a float type and a static shape; empty for an input.
  TensorType declaredType(const TypeSpec &spec, llvm::StringRef what, llvm::StringRef name);

  TensorType check(Expr &e);
  TensorType checkName(NameExpr &e);
  TensorType checkBinary(BinaryExpr &e);
  TensorType checkCall(CallExpr &e);
  TensorType checkBuiltin(CallExpr &e, const BuiltinInfo &info);
  TensorType checkUserCall(CallExpr &e, const FunctionDecl &fn);
  /// Binds call arguments to parameters by position and name; null entries
  /// are parameters not given.
  bool bindArguments(CallExpr &e, llvm::ArrayRef<llvm::StringRef> names,
                     llvm::ArrayRef<bool> required, llvm::SmallVectorImpl<Expr *> &bound);

  // Constants in argument position, seen through function parameters.
  const Expr *lookThrough(const Expr *e) const;
  std::optional<double> constNumber(const Expr *e, bool &isInteger) const;
  std::optional<int64_t> constInt(const Expr *e) const;
  std::optional<int64_t> requireInt(const Expr *e, llvm::StringRef what);
  std::optional<llvm::SmallVector<int64_t>> requireIntList(const Expr *e, llvm::StringRef what,
                                                           bool allowScalar);
  std::optional<llvm::SmallVector<int64_t>> requirePair(const Expr *e, llvm::StringRef what);

  /// Gives a number literal (or an expression of literals) a concrete dtype.
  bool settle(Expr &e, DType dtype);

  DiagnosticEngine &diags;
  llvm::StringMap<const FunctionDecl *> functions;
  llvm::SmallVector<Frame, 4> frames;
  size_t expandedNodes = 0;
  bool reportedTooLarge = false;

  // The model being checked.
  llvm::StringMap<Statement *> defined;  // names defined so far
  llvm::StringMap<Statement *> declared; // every name of the model
  llvm::StringSet<> symbols;             // symbolic dimensions bound by inputs
  const Statement *currentStatement = nullptr;
  // Buffers a builtin call holds alone (batch_norm's running statistics),
  // and the call.
  llvm::DenseMap<const Statement *, llvm::SMRange> heldBuffers;
  llvm::StringSet<> broken; // names of statements that failed to parse
  bool negatedLiteral = false; // settle() is inside '-' applied to a literal
};

//===----------------------------------------------------------------------===//
// Diagnostics
//===----------------------------------------------------------------------===//

void Sema::error(SMRange range, const llvm::Twine &message) {
  diags.error(range, message);
  for (const Frame &f : llvm::reverse(frames))
    diags.note(f.call->getRange(), "in the expansion of '" + f.fn->name + "' called here");
}

void Sema::noteOperands(const Expr &lhs, const Expr &rhs) {
  noteOrigin(lhs, "left operand");
  auto *l = llvm::dyn_cast<NameExpr>(&lhs), *r = llvm::dyn_cast<NameExpr>(&rhs);
  if (l && r && l->decl && l->decl == r->decl)
    return; // the same declaration: one note says it all
  noteOrigin(rhs, "right operand");
}

void Sema::noteOrigin(const Expr &e, llvm::StringRef role) {
  if (auto *name = llvm::dyn_cast<NameExpr>(&e)) {
    if (name->decl) {
      diags.note(name->decl->nameRange, "'" + name->name + "' is declared here as " +
                                            e.type.str());
      return;
    }
    if (name->boundArgument) {
      diags.note(name->boundArgument->getRange(),
                 "parameter '" + name->name + "' is bound to this argument of type " +
                     e.type.str());
      return;
    }
  }
  diags.note(e.getRange(), role + " has type " + e.type.str());
}

//===----------------------------------------------------------------------===//
// Module, functions, models, statements
//===----------------------------------------------------------------------===//

void Sema::check(ModuleAST &module) {
  checkFunctions(module);
  llvm::StringMap<const ModelDecl *> models;
  for (auto &model : module.models) {
    auto [it, inserted] = models.try_emplace(model->name, model.get());
    if (!inserted) {
      error(model->nameRange, "redefinition of model '" + model->name + "'");
      diags.note(it->second->nameRange, "previous definition is here");
      continue;
    }
    checkModel(*model);
  }
}

void Sema::checkFunctions(ModuleAST &module) {
  for (auto &fn : module.functions) {
    if (lookupBuiltin(fn->name)) {
      error(fn->nameRange, "function '" + fn->name + "' redefines a builtin");
      continue;
    }
    auto [it, inserted] = functions.try_emplace(fn->name, fn.get());
    if (!inserted) {
      error(fn->nameRange, "redefinition of function '" + fn->name + "'");
      diags.note(it->second->nameRange, "previous definition is here");
    }
    llvm::StringMap<SMRange> params;
    for (auto [name, range] : llvm::zip(fn->params, fn->paramRanges)) {
      auto [pit, fresh] = params.try_emplace(name, range);
      if (!fresh) {
        error(range, "duplicate parameter '" + name + "' of function '" + fn->name + "'");
        diags.note(pit->second, "previous parameter is here");
      }
    }
  }
}

void Sema::checkModel(ModelDecl &model) {
  defined.clear();
  declared.clear();
  heldBuffers.clear();
  symbols.clear();
  for (auto &stmt : model.statements)
    if (!stmt->name.empty())
      declared.try_emplace(stmt->name, stmt.get());
  broken.clear();
  broken.insert(model.brokenNames.begin(), model.brokenNames.end());

  const Statement *loss = nullptr, *train = nullptr;
  for (auto &stmt : model.statements) {
    Statement *previous = stmt->name.empty() ? nullptr : defined.lookup(stmt->name);
    if (previous) {
      error(stmt->nameRange, "redefinition of '" + stmt->name + "'");
      diags.note(previous->nameRange, "previous definition of '" + stmt->name + "' is here");
    }
    // A name is defined only after its own statement, so `let y = y + 1`
    // is a use before definition, not a cycle.
    currentStatement = stmt.get();
    checkStatement(*stmt);
    if (!stmt->name.empty() && !previous)
      defined[stmt->name] = stmt.get();
    if (stmt->kind == Statement::Kind::Loss) {
      if (loss) {
        error(stmt->range, "model '" + model.name + "' has more than one loss");
        diags.note(loss->range, "previous loss is here; add losses into one with '+'");
      }
      loss = stmt.get();
    }
    if (stmt->kind == Statement::Kind::Train) {
      if (train) {
        error(stmt->range, "model '" + model.name + "' has more than one 'train' statement");
        diags.note(train->range, "previous 'train' statement is here");
      }
      train = stmt.get();
    }
  }
  if (train && !loss)
    error(train->range, "'train' needs a loss to minimize, but model '" + model.name +
                            "' declares none; add 'loss NAME = ...'");
}

TensorType Sema::declaredType(const TypeSpec &spec, llvm::StringRef what,
                               llvm::StringRef name) {
  bool isParam = !what.empty();
  TensorType type;
  std::optional<DType> dtype = parseDType(spec.dtypeName);
  bool ok = true;
  if (!dtype) {
    error(spec.dtypeRange, "unknown element type '" + spec.dtypeName +
                               "'; expected f32, f64 or i32");
    ok = false;
  } else if (isParam && !isFloat(*dtype)) {
    error(spec.dtypeRange, what + " '" + name + "' must have a float element type (f32 or f64), not " +
                               spec.dtypeName);
    ok = false;
  } else {
    type.dtype = *dtype;
  }
  int64_t elements = 1;
  for (const DimSpec &d : spec.dims) {
    if (d.size >= 0) {
      // Static element counts must stay far from int64 overflow.
      if (d.size > kMaxStaticElements / elements) {
        error(d.range, "'" + name + "' is too large: more than " +
                           llvm::Twine(kMaxStaticElements) + " elements");
        ok = false;
        elements = 1;
      }
      elements *= d.size;
      type.shape.push_back(Dim::constant(d.size));
      continue;
    }
    if (isParam) {
      error(d.range, what + " '" + name + "' must have a static shape, but '" + d.symbol +
                         "' is a symbolic dimension");
      ok = false;
      continue;
    }
    symbols.insert(d.symbol);
    type.shape.push_back(Dim::symbol(d.symbol));
  }
  return ok ? type : TensorType::getPoison();
}

void Sema::checkStatement(Statement &stmt) {
  switch (stmt.kind) {
  case Statement::Kind::Input:
    stmt.resolvedType = declaredType(stmt.type, "", stmt.name);
    return;
  case Statement::Kind::Param:
  case Statement::Kind::Buffer: {
    stmt.resolvedType = declaredType(
        stmt.type, stmt.kind == Statement::Kind::Param ? "parameter" : "buffer", stmt.name);
    auto *call = llvm::dyn_cast<CallExpr>(stmt.value.get());
    if (!call) {
      error(stmt.value->getRange(),
            "expected an initializer call such as zeros() or he_normal() for " +
                std::string(stmt.kind == Statement::Kind::Param ? "parameter" : "buffer") +
                " '" + stmt.name + "'");
      return;
    }
    checkHyperparameters(stmt, call, /*isInitializer=*/true);
    return;
  }
  case Statement::Kind::Train:
    checkHyperparameters(stmt, llvm::cast<CallExpr>(stmt.value.get()),
                         /*isInitializer=*/false);
    return;
  case Statement::Kind::Let:
  case Statement::Kind::Output:
  case Statement::Kind::Loss: {
    TensorType type = check(*stmt.value);
    if (type.weak) {
      settle(*stmt.value, DType::F32);
      type = stmt.value->type;
    }
    if (stmt.kind == Statement::Kind::Loss && !type.poison &&
        (!type.shape.empty() || !isFloat(type.dtype))) {
      error(stmt.value->getRange(), "loss '" + stmt.name +
                                        "' must be a float scalar, but has type " + type.str());
      if (!type.shape.empty())
        diags.note(stmt.nameRange, "reduce it to a scalar, e.g. with mean(...) or sum(...)");
      type = TensorType::getPoison();
    }
    stmt.resolvedType = type;
    return;
  }
  }
}

void Sema::checkHyperparameters(Statement &stmt, CallExpr *call, bool isInitializer) {
  llvm::ArrayRef<dnn::Hyperparameter> spec;
  // Every name of an enum, for "did you mean" on an unknown one.
  auto names = [](auto symbolize, auto stringify) {
    std::vector<std::string> all;
    for (uint32_t i = 0; auto k = symbolize(i); ++i)
      all.push_back(stringify(*k).str());
    return all;
  };
  if (isInitializer) {
    auto kind = dnn::symbolizeInitKind(call->callee);
    if (!kind) {
      std::string hint = suggest(
          call->callee, names([](uint32_t i) { return dnn::symbolizeInitKind(i); },
                              [](dnn::InitKind k) { return dnn::stringifyInitKind(k); }));
      error(call->calleeRange, "unknown initializer '" + call->callee + "'" +
                                   (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
      return;
    }
    stmt.kindId = (int)*kind;
    spec = dnn::getInitializerArgs(*kind);
    if (dnn::needsFans(*kind) && !stmt.resolvedType.poison && stmt.resolvedType.shape.size() < 2) {
      error(call->calleeRange, "'" + call->callee + "' needs a weight of rank 2 or more to define its "
                               "fan-in and fan-out, but '" + stmt.name + "' has type " +
                               stmt.resolvedType.str());
      return;
    }
  } else {
    auto kind = dnn::symbolizeOptimizerKind(call->callee);
    if (!kind) {
      std::string hint = suggest(
          call->callee, names([](uint32_t i) { return dnn::symbolizeOptimizerKind(i); },
                              [](dnn::OptimizerKind k) { return dnn::stringifyOptimizerKind(k); }));
      error(call->calleeRange, "unknown optimizer '" + call->callee + "'; expected sgd, momentum or adam" +
                                   (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
      return;
    }
    stmt.kindId = (int)*kind;
    spec = dnn::getOptimizerArgs(*kind);
  }
  llvm::SmallVector<llvm::StringRef> argNames;
  llvm::SmallVector<bool> required;
  for (const dnn::Hyperparameter &p : spec) {
    argNames.push_back(p.name);
    required.push_back(!p.defaultValue);
  }
  llvm::SmallVector<Expr *> bound;
  if (!bindArguments(*call, argNames, required, bound))
    return;
  bool ok = true;
  for (auto [p, arg] : llvm::zip(spec, bound)) {
    double value = p.defaultValue.value_or(0);
    if (arg) {
      bool isInteger;
      std::optional<double> v = constNumber(arg, isInteger);
      if (!v) {
        error(arg->getRange(), "argument '" + p.name + "' of '" + call->callee +
                                   "' must be a number");
        ok = false;
        continue;
      }
      std::string bad = dnn::checkRange(p.range, *v);
      if (!bad.empty()) {
        error(arg->getRange(), "argument '" + p.name + "' of '" + call->callee + "' " + bad);
        ok = false;
        continue;
      }
      value = *v;
    }
    stmt.hyperparameters.emplace_back(p.name.str(), value);
  }
  if (!ok)
    return;
  if (isInitializer && stmt.kindId == (int)dnn::InitKind::uniform &&
      !(stmt.hyperparameters[0].second < stmt.hyperparameters[1].second))
    error(call->getRange(), "uniform initializer needs low < high");
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

TensorType Sema::check(Expr &e) {
  TensorType type;
  switch (e.getKind()) {
  case Expr::Kind::Number:
    type.weak = true;
    break;
  case Expr::Kind::Bool:
    error(e.getRange(), "a boolean is only allowed as an argument such as keepdims=true");
    type = TensorType::getPoison();
    break;
  case Expr::Kind::String:
    error(e.getRange(), "a string is only allowed as an argument such as approximate=\"tanh\"");
    type = TensorType::getPoison();
    break;
  case Expr::Kind::List:
    error(e.getRange(), "a list is only allowed as an argument of a builtin such as "
                        "reshape, transpose or concat");
    type = TensorType::getPoison();
    break;
  case Expr::Kind::Name:
    type = checkName(llvm::cast<NameExpr>(e));
    break;
  case Expr::Kind::Unary:
    type = check(*llvm::cast<UnaryExpr>(e).operand);
    break;
  case Expr::Kind::Binary:
    type = checkBinary(llvm::cast<BinaryExpr>(e));
    break;
  case Expr::Kind::Call:
    type = checkCall(llvm::cast<CallExpr>(e));
    break;
  }
  e.type = type;
  return type;
}

TensorType Sema::checkName(NameExpr &e) {
  if (!frames.empty()) {
    Frame &frame = frames.back();
    auto it = frame.args.find(e.name);
    if (it != frame.args.end()) {
      e.boundArgument = it->second;
      if (llvm::isa<ListExpr, BoolExpr, StringExpr>(it->second)) {
        error(e.getRange(), "parameter '" + e.name + "' is bound to a " +
                                (llvm::isa<ListExpr>(it->second)   ? "list"
                                 : llvm::isa<BoolExpr>(it->second) ? "boolean"
                                                                   : "string") +
                                ", which can only be passed on as a builtin's argument");
        return TensorType::getPoison();
      }
      return it->second->type;
    }
    error(e.getRange(), "unknown name '" + e.name + "' in function '" + frame.fn->name +
                            "'; a function sees only its parameters");
    return TensorType::getPoison();
  }
  if (Statement *stmt = defined.lookup(e.name)) {
    if (stmt->kind != Statement::Kind::Train) {
      e.decl = stmt;
      return stmt->resolvedType;
    }
  }
  if (Statement *later = declared.lookup(e.name)) {
    if (later == currentStatement) {
      error(e.getRange(), "'" + e.name + "' refers to itself in its own definition");
      return TensorType::getPoison();
    }
    error(e.getRange(), "'" + e.name + "' is used before its definition");
    diags.note(later->nameRange, "'" + e.name + "' is defined here");
    return TensorType::getPoison();
  }
  if (broken.contains(e.name))
    return TensorType::getPoison(); // its statement already has a syntax error
  if (lookupBuiltin(e.name) || functions.count(e.name)) {
    error(e.getRange(), "'" + e.name + "' is a function; call it as " + e.name + "(...)");
    return TensorType::getPoison();
  }
  std::vector<std::string> candidates;
  for (const auto &d : defined)
    candidates.push_back(d.getKey().str());
  std::string hint = suggest(e.name, candidates);
  error(e.getRange(), "use of undeclared name '" + e.name + "'" +
                          (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  return TensorType::getPoison();
}

bool Sema::settle(Expr &e, DType dtype) {
  if (!e.type.weak)
    return true;
  e.type.weak = false;
  e.type.dtype = dtype;
  auto spelling = [&] {
    return llvm::StringRef(e.getRange().Start.getPointer(),
                           e.getRange().End.getPointer() - e.getRange().Start.getPointer());
  };
  if (auto *n = llvm::dyn_cast<NumberExpr>(&e)) {
    if (!isFloat(dtype) && !n->isInteger) {
      error(e.getRange(), "number " + spelling() + " is not an integer but is used as " +
                              getDTypeName(dtype));
      return false;
    }
    // A negated literal is checked with its sign by the UnaryExpr case.
    double limit = !isFloat(dtype)        ? (double)std::numeric_limits<int32_t>::max()
                   : dtype == DType::F32 ? (double)std::numeric_limits<float>::max()
                                          : std::numeric_limits<double>::max();
    if (std::fabs(n->value) > limit + (negatedLiteral ? 1 : 0)) {
      error(e.getRange(), "number " + spelling() + " does not fit in " + getDTypeName(dtype));
      return false;
    }
    return true;
  }
  if (auto *u = llvm::dyn_cast<UnaryExpr>(&e)) {
    bool saved = negatedLiteral;
    negatedLiteral = !isFloat(dtype) && llvm::isa<NumberExpr>(u->operand.get());
    bool ok = settle(*u->operand, dtype);
    negatedLiteral = saved;
    return ok;
  }
  if (auto *b = llvm::dyn_cast<BinaryExpr>(&e)) {
    if (!isFloat(dtype) && (b->op == BinaryOp::Pow || b->op == BinaryOp::Div)) {
      error(b->opRange, "'" + getBinaryOpSpelling(b->op) + "' needs float operands, but the value is used as " +
                            getDTypeName(dtype));
      return false;
    }
    // The exponent of '**' is an attribute, not a value: it keeps no dtype.
    if (b->op == BinaryOp::Pow)
      return settle(*b->lhs, dtype);
    return settle(*b->lhs, dtype) && settle(*b->rhs, dtype);
  }
  // Weak values that reach here through a function: the bound argument or
  // the expanded body holds the literal.
  if (auto *name = llvm::dyn_cast<NameExpr>(&e))
    return name->boundArgument ? settle(const_cast<Expr &>(*name->boundArgument), dtype) : true;
  if (auto *call = llvm::dyn_cast<CallExpr>(&e))
    return call->inlinedBody ? settle(*call->inlinedBody, dtype) : true;
  return true;
}

TensorType Sema::checkBinary(BinaryExpr &e) {
  std::string op = getBinaryOpSpelling(e.op).str();
  if (e.op == BinaryOp::Pow) {
    TensorType base = check(*e.lhs);
    bool isInteger;
    std::optional<double> exponent = constNumber(e.rhs.get(), isInteger);
    if (!exponent) {
      error(e.rhs->getRange(), "the exponent of '**' must be a constant number");
      return TensorType::getPoison();
    }
    e.rhs->type.weak = true;
    e.exponent = *exponent;
    if (base.poison || base.weak)
      return base;
    if (!isFloat(base.dtype)) {
      error(e.opRange, "'**' needs a float base, but it has type " + base.str());
      return TensorType::getPoison();
    }
    return base;
  }

  TensorType lhs = check(*e.lhs), rhs = check(*e.rhs);
  if (lhs.poison || rhs.poison)
    return TensorType::getPoison();
  if (e.op == BinaryOp::MatMul && (lhs.weak || rhs.weak)) {
    error(e.opRange, "'@' needs tensor operands, not a number");
    return TensorType::getPoison();
  }
  if (lhs.weak && rhs.weak)
    return lhs;
  if (lhs.weak && !settle(*e.lhs, rhs.dtype))
    return TensorType::getPoison();
  if (rhs.weak && !settle(*e.rhs, lhs.dtype))
    return TensorType::getPoison();
  lhs = e.lhs->type;
  rhs = e.rhs->type;

  std::string what = (e.op == BinaryOp::MatMul ? "matmul" : "'" + op + "'") + " of " +
                     lhs.str() + " and " + rhs.str();
  if (lhs.dtype != rhs.dtype) {
    error(e.opRange, what + ": element types " + getDTypeName(lhs.dtype) + " and " +
                         getDTypeName(rhs.dtype) + " differ");
    noteOperands(*e.lhs, *e.rhs);
    return TensorType::getPoison();
  }
  if ((e.op == BinaryOp::MatMul || e.op == BinaryOp::Div) && !isFloat(lhs.dtype)) {
    error(e.opRange, what + ": '" + op + "' needs float operands");
    return TensorType::getPoison();
  }
  std::string why;
  FailureOr<Shape> shape = e.op == BinaryOp::MatMul
                               ? shape_rules::matmul(lhs.shape, rhs.shape, why)
                               : shape_rules::broadcast(lhs.shape, rhs.shape, why);
  if (failed(shape)) {
    error(e.opRange, what + ": " + why);
    noteOperands(*e.lhs, *e.rhs);
    return TensorType::getPoison();
  }
  TensorType result;
  result.dtype = lhs.dtype;
  result.shape = *shape;
  return result;
}

TensorType Sema::checkCall(CallExpr &e) {
  if (const BuiltinInfo *info = lookupBuiltin(e.callee))
    return checkBuiltin(e, *info);
  if (const FunctionDecl *fn = functions.lookup(e.callee))
    return checkUserCall(e, *fn);
  std::vector<std::string> candidates;
  for (const BuiltinInfo &b : getAllBuiltins())
    candidates.push_back(b.name.str());
  for (const auto &f : functions)
    candidates.push_back(f.getKey().str());
  std::string hint = suggest(e.callee, candidates);
  llvm::StringRef role = dnn::symbolizeInitKind(e.callee)        ? " (initializers are only allowed after 'param NAME: TYPE =')"
                         : dnn::symbolizeOptimizerKind(e.callee) ? " (optimizers are only allowed in 'train with')"
                                                                 : "";
  error(e.calleeRange, "unknown function '" + e.callee + "'" + role +
                           (hint.empty() || !role.empty() ? "" : "; did you mean '" + hint + "'?"));
  for (Argument &a : e.args)
    if (!llvm::isa<ListExpr, BoolExpr, StringExpr>(a.value.get()))
      check(*a.value);
  return TensorType::getPoison();
}

bool Sema::bindArguments(CallExpr &e, llvm::ArrayRef<llvm::StringRef> names,
                         llvm::ArrayRef<bool> required,
                         llvm::SmallVectorImpl<Expr *> &bound) {
  bound.assign(names.size(), nullptr);
  bool ok = true, sawKeyword = false;
  size_t position = 0;
  for (Argument &a : e.args) {
    if (a.name.empty()) {
      if (sawKeyword) {
        error(a.value->getRange(), "positional argument after a keyword argument");
        ok = false;
        continue;
      }
      if (position >= names.size()) {
        error(a.value->getRange(), "too many arguments to '" + e.callee + "': expected at most " +
                                       llvm::Twine(names.size()) + ", got " +
                                       llvm::Twine(e.args.size()));
        return false;
      }
      bound[position++] = a.value.get();
      continue;
    }
    sawKeyword = true;
    auto it = llvm::find(names, a.name);
    if (it == names.end()) {
      std::vector<std::string> candidates(names.begin(), names.end());
      std::string hint = suggest(a.name, candidates);
      error(a.nameRange, "'" + e.callee + "' has no argument named '" + a.name + "'" +
                             (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
      ok = false;
      continue;
    }
    size_t index = it - names.begin();
    if (bound[index]) {
      error(a.nameRange, "argument '" + a.name + "' of '" + e.callee + "' is given twice");
      ok = false;
      continue;
    }
    bound[index] = a.value.get();
  }
  for (size_t i = 0; i < names.size(); ++i)
    if (required[i] && !bound[i] && ok) {
      error(e.getRange(), "missing argument '" + names[i] + "' of '" + e.callee + "'");
      ok = false;
    }
  return ok;
}

const Expr *Sema::lookThrough(const Expr *e) const {
  for (int i = (int)frames.size() - 1; i >= 0; --i) {
    auto *name = llvm::dyn_cast<NameExpr>(e);
    if (!name)
      break;
    auto it = frames[i].args.find(name->name);
    if (it == frames[i].args.end())
      break;
    e = it->second;
  }
  return e;
}

std::optional<double> Sema::constNumber(const Expr *e, bool &isInteger) const {
  e = lookThrough(e);
  if (auto *n = llvm::dyn_cast<NumberExpr>(e)) {
    isInteger = n->isInteger;
    return n->value;
  }
  if (auto *u = llvm::dyn_cast<UnaryExpr>(e))
    if (auto v = constNumber(u->operand.get(), isInteger))
      return -*v;
  return std::nullopt;
}

std::optional<int64_t> Sema::constInt(const Expr *e) const {
  bool isInteger = false;
  std::optional<double> v = constNumber(e, isInteger);
  if (!v || !isInteger || std::fabs(*v) > 1e15)
    return std::nullopt;
  return (int64_t)*v;
}

std::optional<int64_t> Sema::requireInt(const Expr *e, llvm::StringRef what) {
  if (auto v = constInt(e))
    return v;
  error(e->getRange(), what + " must be an integer constant");
  return std::nullopt;
}

std::optional<llvm::SmallVector<int64_t>>
Sema::requireIntList(const Expr *e, llvm::StringRef what, bool allowScalar) {
  e = lookThrough(e);
  llvm::SmallVector<int64_t> values;
  if (auto *list = llvm::dyn_cast<ListExpr>(e)) {
    for (const auto &el : list->elements) {
      auto v = constInt(el.get());
      if (!v) {
        error(el->getRange(), what + " must hold integer constants");
        return std::nullopt;
      }
      values.push_back(*v);
    }
    return values;
  }
  if (allowScalar)
    if (auto v = constInt(e))
      return llvm::SmallVector<int64_t>{*v};
  error(e->getRange(), what + (allowScalar ? " must be an integer or a list of integers"
                                           : " must be a list of integers"));
  return std::nullopt;
}

std::optional<llvm::SmallVector<int64_t>> Sema::requirePair(const Expr *e,
                                                            llvm::StringRef what) {
  auto values = requireIntList(e, what, /*allowScalar=*/true);
  if (!values)
    return std::nullopt;
  if (values->size() == 1)
    values->push_back(values->front());
  if (values->size() != 2) {
    error(e->getRange(), what + " must be an integer or a list of two integers [height, width]");
    return std::nullopt;
  }
  return values;
}

TensorType Sema::checkUserCall(CallExpr &e, const FunctionDecl &fn) {
  for (const Frame &f : frames)
    if (f.fn == &fn) {
      error(e.calleeRange, "recursive call to '" + fn.name + "'; functions cannot call themselves");
      return TensorType::getPoison();
    }
  llvm::SmallVector<llvm::StringRef> names(fn.params.begin(), fn.params.end());
  llvm::SmallVector<bool> required(names.size(), true);
  llvm::SmallVector<Expr *> bound;
  // Arguments are checked in the caller's context; lists and booleans are
  // constants that the body passes on to builtins.
  // (A number stays weak until the body decides its dtype.)
  for (Argument &a : e.args)
    if (!llvm::isa<ListExpr, BoolExpr, StringExpr>(a.value.get()))
      check(*a.value);
  if (!bindArguments(e, names, required, bound))
    return TensorType::getPoison();
  for (Argument &a : e.args)
    if (a.value->type.poison)
      return TensorType::getPoison();

  expandedNodes += 16; // a coarse count: one unit per call plus its body below
  std::function<size_t(const Expr &)> count = [&](const Expr &x) -> size_t {
    size_t n = 1;
    if (auto *u = llvm::dyn_cast<UnaryExpr>(&x))
      n += count(*u->operand);
    else if (auto *b = llvm::dyn_cast<BinaryExpr>(&x))
      n += count(*b->lhs) + count(*b->rhs);
    else if (auto *c = llvm::dyn_cast<CallExpr>(&x))
      for (const Argument &a : c->args)
        n += count(*a.value);
    else if (auto *l = llvm::dyn_cast<ListExpr>(&x))
      for (const auto &el : l->elements)
        n += count(*el);
    return n;
  };
  expandedNodes += count(*fn.body);
  if (expandedNodes > kMaxExpandedNodes) {
    if (!reportedTooLarge)
      error(e.getRange(), "the program is too large after expanding function calls (more than " +
                              llvm::Twine(kMaxExpandedNodes) + " expressions)");
    reportedTooLarge = true;
    return TensorType::getPoison();
  }

  Frame frame{&fn, &e, {}};
  for (auto [name, arg] : llvm::zip(fn.params, bound))
    frame.args[name] = arg;
  frames.push_back(std::move(frame));
  e.inlinedBody = fn.body->clone();
  TensorType type = check(*e.inlinedBody);
  frames.pop_back();
  return type;
}

/// The view of Sema a builtin's typing rule gets (Builtins.h).
class SemaBuiltinCheck final : public BuiltinCheck {
public:
  SemaBuiltinCheck(Sema &sema, CallExpr &call, llvm::ArrayRef<TensorType> tensors,
                   const BuiltinArgs &args)
      : BuiltinCheck(call, tensors, args), sema(sema) {}
  void error(SMRange range, const llvm::Twine &message) override { sema.error(range, message); }
  void note(SMRange range, const llvm::Twine &message) override {
    sema.diags.note(range, message);
  }
  void noteOrigin(const Expr &e, llvm::StringRef role) override { sema.noteOrigin(e, role); }
  const Expr *lookThrough(const Expr *e) const override { return sema.lookThrough(e); }
  llvm::DenseMap<const Statement *, SMRange> &heldBuffers() override {
    return sema.heldBuffers;
  }

private:
  Sema &sema;
};

TensorType Sema::checkBuiltin(CallExpr &e, const BuiltinInfo &info) {
  llvm::SmallVector<llvm::StringRef> names;
  llvm::SmallVector<bool> required;
  for (const BuiltinParam &p : info.params) {
    names.push_back(p.name);
    required.push_back(p.required);
  }
  llvm::SmallVector<Expr *> bound;
  if (!bindArguments(e, names, required, bound)) {
    for (Argument &a : e.args)
      if (!llvm::isa<ListExpr, BoolExpr, StringExpr>(lookThrough(a.value.get())))
        check(*a.value);
    return TensorType::getPoison();
  }
  e.builtin = &info;

  // Read every argument as its kind says, before the builtin's own rule.
  bool ok = true;
  llvm::SmallVector<TensorType> tensors;
  BuiltinArgs args;
  for (auto [p, arg] : llvm::zip(info.params, bound)) {
    std::string what = ("argument '" + p.name + "' of '" + e.callee + "'").str();
    if (!arg) {
      if (p.kind == ArgKind::OptionalTensor)
        e.operands.push_back(nullptr);
      continue;
    }
    args.ranges[p.name] = arg->getRange();
    switch (p.kind) {
    case ArgKind::Tensor:
    case ArgKind::OptionalTensor: {
      TensorType t = check(*arg); // numbers are settled below
      ok &= !t.poison;
      e.operands.push_back(arg);
      tensors.push_back(t);
      break;
    }
    case ArgKind::TensorList: {
      auto *list = llvm::dyn_cast<ListExpr>(arg);
      if (!list || list->elements.empty()) {
        error(arg->getRange(), what + " must be a non-empty list of tensors written at the call, e.g. [a, b]");
        ok = false;
        break;
      }
      for (auto &el : list->elements) {
        TensorType t = check(*el); // numbers are settled below
        ok &= !t.poison;
        e.operands.push_back(el.get());
        tensors.push_back(t);
      }
      break;
    }
    case ArgKind::Int: {
      auto v = requireInt(arg, what);
      ok &= v.has_value();
      if (v)
        args.ints[p.name] = *v;
      break;
    }
    case ArgKind::Float: {
      bool isInteger;
      auto v = constNumber(arg, isInteger);
      if (!v) {
        error(arg->getRange(), what + " must be a number");
        ok = false;
      } else {
        args.numbers[p.name] = *v;
      }
      break;
    }
    case ArgKind::Bool: {
      auto *b = llvm::dyn_cast<BoolExpr>(lookThrough(arg));
      if (!b) {
        error(arg->getRange(), what + " must be true or false");
        ok = false;
      } else {
        args.flags[p.name] = b->value;
      }
      break;
    }
    case ArgKind::String: {
      auto *str = llvm::dyn_cast<StringExpr>(lookThrough(arg));
      if (!str || (!p.choices.empty() &&
                   llvm::none_of(p.choices, [&](llvm::StringRef c) { return c == str->value; }))) {
        std::string expected;
        for (auto [i, choice] : llvm::enumerate(p.choices))
          expected += (i ? " or \"" : "\"") + choice.str() + "\"";
        error(arg->getRange(), what + " must be " + (expected.empty() ? "a string" : expected));
        ok = false;
      } else {
        args.strings[p.name] = str->value;
      }
      break;
    }
    case ArgKind::Axes:
    case ArgKind::Permutation: {
      auto v = requireIntList(arg, what, /*allowScalar=*/p.kind == ArgKind::Axes);
      ok &= v.has_value();
      if (v)
        args.lists[p.name] = *v;
      break;
    }
    case ArgKind::Pair: {
      auto v = requirePair(arg, what);
      ok &= v.has_value();
      if (v)
        args.lists[p.name] = *v;
      break;
    }
    case ArgKind::Shape: {
      auto *list = llvm::dyn_cast<ListExpr>(lookThrough(arg));
      if (!list) {
        error(arg->getRange(), what + " must be a list of dimensions, e.g. [N, 1, 28, 28]");
        ok = false;
        break;
      }
      for (const auto &el : list->elements) {
        const Expr *d = lookThrough(el.get());
        if (auto *name = llvm::dyn_cast<NameExpr>(d)) {
          if (!symbols.contains(name->name)) {
            error(d->getRange(), "'" + name->name + "' is not a symbolic dimension of an input of this model");
            ok = false;
          }
          args.dims.push_back(Dim::symbol(name->name));
        } else if (auto v = constInt(d); v && (*v > 0 || *v == -1)) {
          args.dims.push_back(*v > 0 ? Dim::constant(*v) : Dim::unknown());
        } else {
          error(d->getRange(), "a target dimension must be a positive integer, -1 or a symbol such as N");
          ok = false;
        }
      }
      break;
    }
    }
  }
  if (!ok)
    return TensorType::getPoison();
  // A number argument takes the element type of the first tensor argument.
  DType numberType = DType::F32;
  for (const TensorType &t : tensors)
    if (!t.weak) {
      numberType = t.dtype;
      break;
    }
  auto present = llvm::make_filter_range(e.operands, [](const Expr *op) { return op; });
  for (auto [operand, type] : llvm::zip_equal(present, tensors)) {
    if (!type.weak)
      continue;
    if (!settle(*const_cast<Expr *>(operand), numberType))
      return TensorType::getPoison();
    type = operand->type;
  }

  SemaBuiltinCheck rule(*this, e, tensors, args);
  return info.check(rule);
}

} // namespace

bool dnnc::frontend::checkModule(ModuleAST &module, DiagnosticEngine &diags) {
  unsigned before = diags.getNumErrors();
  Sema(diags).check(module);
  return diags.getNumErrors() == before;
}
