//===- AST.h - Abstract syntax tree of the .dnn language --------*- C++ -*-===//
//
// The parser builds it; Sema resolves names, inlines user functions and
// annotates every expression with its tensor type; MLIRGen walks the
// annotated tree. Ranges point into the source buffer for diagnostics.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_FRONTEND_AST_H
#define DNNC_FRONTEND_AST_H

#include "dnnc/Support/Shape.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Casting.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dnnc::frontend {

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

enum class DType { F32, F64, I32 };
llvm::StringRef getDTypeName(DType dtype);
std::optional<DType> parseDType(llvm::StringRef name);
inline bool isFloat(DType d) { return d != DType::I32; }

/// The type Sema gives an expression. A number literal is `weak`: it takes
/// the element type of the tensor it meets. `poison` marks an expression
/// that already has an error, so no second error cascades from it.
struct TensorType {
  DType dtype = DType::F32;
  Shape shape;
  bool weak = false;
  bool poison = false;

  static TensorType getPoison() {
    TensorType t;
    t.poison = true;
    return t;
  }
  /// "f32[N, 784]", or "f32" for a scalar.
  std::string str() const;
};

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

struct Statement;
struct CallExpr;

class Expr {
public:
  enum class Kind { Number, Bool, String, Name, Unary, Binary, Call, List };
  Expr(Kind kind, llvm::SMRange range) : kind(kind), range(range) {}
  virtual ~Expr() = default;

  Kind getKind() const { return kind; }
  llvm::SMRange getRange() const { return range; }
  virtual std::unique_ptr<Expr> clone() const = 0;

  /// Set by Sema.
  TensorType type;

private:
  Kind kind;
  llvm::SMRange range;
};

struct NumberExpr : Expr {
  NumberExpr(llvm::SMRange r, double value, bool isInteger)
      : Expr(Kind::Number, r), value(value), isInteger(isInteger) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Number; }
  std::unique_ptr<Expr> clone() const override;
  double value;
  bool isInteger;
};

struct BoolExpr : Expr {
  BoolExpr(llvm::SMRange r, bool value) : Expr(Kind::Bool, r), value(value) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Bool; }
  std::unique_ptr<Expr> clone() const override;
  bool value;
};

/// A string constant (only as a builtin's argument, e.g. approximate="tanh").
struct StringExpr : Expr {
  StringExpr(llvm::SMRange r, llvm::StringRef value) : Expr(Kind::String, r), value(value) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::String; }
  std::unique_ptr<Expr> clone() const override;
  std::string value; // without the quotes
};

struct NameExpr : Expr {
  NameExpr(llvm::SMRange r, llvm::StringRef name) : Expr(Kind::Name, r), name(name) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Name; }
  std::unique_ptr<Expr> clone() const override;
  std::string name;
  /// Set by Sema: the statement that defines the name, or, inside an inlined
  /// function body, the argument expression bound to a parameter.
  const Statement *decl = nullptr;
  const Expr *boundArgument = nullptr;
};

struct UnaryExpr : Expr {
  UnaryExpr(llvm::SMRange r, std::unique_ptr<Expr> operand)
      : Expr(Kind::Unary, r), operand(std::move(operand)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Unary; }
  std::unique_ptr<Expr> clone() const override;
  std::unique_ptr<Expr> operand; // the only unary operator is '-'
};

enum class BinaryOp { Add, Sub, Mul, Div, MatMul, Pow };
llvm::StringRef getBinaryOpSpelling(BinaryOp op);

struct BinaryExpr : Expr {
  BinaryExpr(llvm::SMRange r, BinaryOp op, llvm::SMRange opRange,
             std::unique_ptr<Expr> lhs, std::unique_ptr<Expr> rhs)
      : Expr(Kind::Binary, r), op(op), opRange(opRange), lhs(std::move(lhs)),
        rhs(std::move(rhs)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Binary; }
  std::unique_ptr<Expr> clone() const override;
  BinaryOp op;
  llvm::SMRange opRange;
  std::unique_ptr<Expr> lhs, rhs;
  /// Set by Sema for '**': the constant exponent.
  double exponent = 0;
};

struct ListExpr : Expr {
  ListExpr(llvm::SMRange r, std::vector<std::unique_ptr<Expr>> elements)
      : Expr(Kind::List, r), elements(std::move(elements)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::List; }
  std::unique_ptr<Expr> clone() const override;
  std::vector<std::unique_ptr<Expr>> elements;
};

/// An argument of a call: positional (`name` empty) or `name=value`.
struct Argument {
  std::string name;
  llvm::SMRange nameRange;
  std::unique_ptr<Expr> value;
};

struct FunctionDecl;

/// Attributes of a builtin call, by name: what its row's check resolved
/// (axes normalized, defaults filled in) for its emitter (Builtins.h).
/// Flags are ints 0 or 1.
struct BuiltinAttrs {
  llvm::StringMap<int64_t> ints;
  llvm::StringMap<double> numbers;
  llvm::StringMap<llvm::SmallVector<int64_t>> lists;
  llvm::StringMap<llvm::SmallVector<std::string>> names;
};

struct BuiltinInfo;

struct CallExpr : Expr {
  CallExpr(llvm::SMRange r, llvm::StringRef callee, llvm::SMRange calleeRange,
           std::vector<Argument> args)
      : Expr(Kind::Call, r), callee(callee), calleeRange(calleeRange),
        args(std::move(args)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Call; }
  std::unique_ptr<Expr> clone() const override;
  std::string callee;
  llvm::SMRange calleeRange;
  std::vector<Argument> args;

  /// Set by Sema for builtins: the builtin's row, its tensor operands in
  /// order (null for an absent optional one) and attributes.
  const BuiltinInfo *builtin = nullptr;
  llvm::SmallVector<const Expr *> operands;
  BuiltinAttrs attrs;
  /// Set by Sema for calls of user functions: the body, with parameters
  /// bound to this call's arguments.
  std::unique_ptr<Expr> inlinedBody;
};

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

struct DimSpec {
  int64_t size = -1; // -1: symbolic
  std::string symbol;
  llvm::SMRange range;
};

struct TypeSpec {
  std::string dtypeName;
  llvm::SMRange dtypeRange;
  std::vector<DimSpec> dims;
  llvm::SMRange range;
};

struct Statement {
  enum class Kind { Input, Param, Buffer, Let, Output, Loss, Train };
  Kind kind;
  std::string name;        // empty for train
  llvm::SMRange nameRange;
  llvm::SMRange range;
  TypeSpec type;               // input, param
  std::unique_ptr<Expr> value; // param: initializer call; train: optimizer call; else the expression

  /// Set by Sema: the declared or inferred type of the named value; for a
  /// param, its initializer, for train, its optimizer (the dialect's enum
  /// value) with every argument, defaults included, in the order the
  /// dialect's Hyperparameters table lists them.
  TensorType resolvedType;
  int kindId = -1;
  std::vector<std::pair<std::string, double>> hyperparameters;
};
llvm::StringRef getStatementKeyword(Statement::Kind kind);

struct ModelDecl {
  std::string name;
  llvm::SMRange nameRange;
  llvm::SMRange range;
  std::vector<std::unique_ptr<Statement>> statements;
  /// Names of statements that failed to parse: their uses are not reported
  /// again as undeclared.
  std::vector<std::string> brokenNames;
};

struct FunctionDecl {
  std::string name;
  llvm::SMRange nameRange;
  std::vector<std::string> params;
  std::vector<llvm::SMRange> paramRanges;
  std::unique_ptr<Expr> body;
};

struct ModuleAST {
  std::vector<std::unique_ptr<FunctionDecl>> functions;
  std::vector<std::unique_ptr<ModelDecl>> models;
};

/// Prints the tree, one node per line, indented; Sema's types are shown
/// when present.
void dumpAST(const ModuleAST &module, llvm::raw_ostream &os);

} // namespace dnnc::frontend

#endif // DNNC_FRONTEND_AST_H
