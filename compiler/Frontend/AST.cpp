//===- AST.cpp - Abstract syntax tree of the .dnn language ----------------===//

#include "dnnc/Frontend/AST.h"

#include "llvm/ADT/StringSwitch.h"

using namespace dnnc::frontend;

llvm::StringRef dnnc::frontend::getDTypeName(DType dtype) {
  switch (dtype) {
  case DType::F32: return "f32";
  case DType::F64: return "f64";
  case DType::I32: return "i32";
  }
  return "?";
}

std::optional<DType> dnnc::frontend::parseDType(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<DType>>(name)
      .Case("f32", DType::F32)
      .Case("f64", DType::F64)
      .Case("i32", DType::I32)
      .Default(std::nullopt);
}

std::string TensorType::str() const {
  if (poison)
    return "<error>";
  if (weak)
    return "number";
  std::string s = getDTypeName(dtype).str();
  if (!shape.empty())
    s += shapeToString(shape);
  return s;
}

llvm::StringRef dnnc::frontend::getBinaryOpSpelling(BinaryOp op) {
  switch (op) {
  case BinaryOp::Add: return "+";
  case BinaryOp::Sub: return "-";
  case BinaryOp::Mul: return "*";
  case BinaryOp::Div: return "/";
  case BinaryOp::MatMul: return "@";
  case BinaryOp::Pow: return "**";
  }
  return "?";
}

llvm::StringRef dnnc::frontend::getStatementKeyword(Statement::Kind kind) {
  switch (kind) {
  case Statement::Kind::Input: return "input";
  case Statement::Kind::Param: return "param";
  case Statement::Kind::Buffer: return "buffer";
  case Statement::Kind::Let: return "let";
  case Statement::Kind::Output: return "output";
  case Statement::Kind::Loss: return "loss";
  case Statement::Kind::Train: return "train";
  }
  return "?";
}

//===----------------------------------------------------------------------===//
// Cloning (Sema inlines user functions by cloning their bodies)
//===----------------------------------------------------------------------===//

std::unique_ptr<Expr> NumberExpr::clone() const {
  return std::make_unique<NumberExpr>(getRange(), value, isInteger);
}
std::unique_ptr<Expr> BoolExpr::clone() const {
  return std::make_unique<BoolExpr>(getRange(), value);
}
std::unique_ptr<Expr> StringExpr::clone() const {
  return std::make_unique<StringExpr>(getRange(), value);
}
std::unique_ptr<Expr> NameExpr::clone() const {
  return std::make_unique<NameExpr>(getRange(), name);
}
std::unique_ptr<Expr> UnaryExpr::clone() const {
  return std::make_unique<UnaryExpr>(getRange(), operand->clone());
}
std::unique_ptr<Expr> BinaryExpr::clone() const {
  return std::make_unique<BinaryExpr>(getRange(), op, opRange, lhs->clone(), rhs->clone());
}
std::unique_ptr<Expr> ListExpr::clone() const {
  std::vector<std::unique_ptr<Expr>> copies;
  for (const auto &e : elements)
    copies.push_back(e->clone());
  return std::make_unique<ListExpr>(getRange(), std::move(copies));
}
std::unique_ptr<Expr> CallExpr::clone() const {
  std::vector<Argument> copies;
  for (const Argument &a : args)
    copies.push_back({a.name, a.nameRange, a.value->clone()});
  return std::make_unique<CallExpr>(getRange(), callee, calleeRange, std::move(copies));
}

//===----------------------------------------------------------------------===//
// Dump
//===----------------------------------------------------------------------===//

namespace {
class ASTPrinter {
public:
  explicit ASTPrinter(llvm::raw_ostream &os) : os(os) {}

  void print(const ModuleAST &module) {
    for (const auto &fn : module.functions) {
      os << "Function " << fn->name << "(";
      llvm::interleaveComma(fn->params, os);
      os << ")\n";
      print(*fn->body, 1);
    }
    for (const auto &model : module.models) {
      os << "Model " << model->name << "\n";
      for (const auto &stmt : model->statements)
        print(*stmt);
    }
  }

private:
  void indent(int depth) { os.indent(depth * 2); }
  void typeSuffix(const Expr &e) {
    if (!e.type.poison && (!e.type.shape.empty() || e.type.weak || e.type.dtype != DType::F32))
      os << " : " << e.type.str();
  }

  void print(const Statement &stmt) {
    indent(1);
    os << getStatementKeyword(stmt.kind);
    if (!stmt.name.empty())
      os << " " << stmt.name;
    if (!stmt.type.dtypeName.empty()) {
      os << " : " << stmt.type.dtypeName;
      if (!stmt.type.dims.empty()) {
        os << "[";
        llvm::interleaveComma(stmt.type.dims, os, [&](const DimSpec &d) {
          if (d.size >= 0)
            os << d.size;
          else
            os << d.symbol;
        });
        os << "]";
      }
    }
    os << "\n";
    if (stmt.value)
      print(*stmt.value, 2);
  }

  void print(const Expr &e, int depth) {
    indent(depth);
    if (auto *n = llvm::dyn_cast<NumberExpr>(&e)) {
      os << "Number " << n->value;
    } else if (auto *b = llvm::dyn_cast<BoolExpr>(&e)) {
      os << "Bool " << (b->value ? "true" : "false");
    } else if (auto *str = llvm::dyn_cast<StringExpr>(&e)) {
      os << "String \"" << str->value << "\"";
    } else if (auto *n = llvm::dyn_cast<NameExpr>(&e)) {
      os << "Name " << n->name;
    } else if (auto *u = llvm::dyn_cast<UnaryExpr>(&e)) {
      os << "Neg";
      typeSuffix(e);
      os << "\n";
      print(*u->operand, depth + 1);
      return;
    } else if (auto *b = llvm::dyn_cast<BinaryExpr>(&e)) {
      os << "Binary " << getBinaryOpSpelling(b->op);
      typeSuffix(e);
      os << "\n";
      print(*b->lhs, depth + 1);
      print(*b->rhs, depth + 1);
      return;
    } else if (auto *l = llvm::dyn_cast<ListExpr>(&e)) {
      os << "List\n";
      for (const auto &el : l->elements)
        print(*el, depth + 1);
      return;
    } else if (auto *c = llvm::dyn_cast<CallExpr>(&e)) {
      os << "Call " << c->callee;
      typeSuffix(e);
      os << "\n";
      for (const Argument &a : c->args) {
        if (!a.name.empty()) {
          indent(depth + 1);
          os << a.name << " =\n";
          print(*a.value, depth + 2);
        } else {
          print(*a.value, depth + 1);
        }
      }
      return;
    }
    typeSuffix(e);
    os << "\n";
  }

  llvm::raw_ostream &os;
};
} // namespace

void dnnc::frontend::dumpAST(const ModuleAST &module, llvm::raw_ostream &os) {
  ASTPrinter(os).print(module);
}
