//===- Builtins.h - The builtin functions of the .dnn language --*- C++ -*-===//
//
// One table row per builtin holds everything the frontend knows of it: its
// name and parameters, its typing rule (`check`: dtypes, defaults, the shape
// rule from Support/Shape, diagnostics) and its emitter (`emit`: the dnn ops
// it becomes). The rows live with their family, one file each under
// compiler/Frontend/Builtins/. Sema only binds a call's arguments to the
// row's parameters, reads constant arguments by their kind and types number
// literals, then calls `check`; MLIRGen calls `emit`; docs/language.md §7
// documents the rows.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_FRONTEND_BUILTINS_H
#define DNNC_FRONTEND_BUILTINS_H

#include "dnnc/Frontend/AST.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

namespace dnnc::frontend {

/// How an argument is written and what it must be.
enum class ArgKind {
  Tensor,         // any expression
  OptionalTensor, // an expression, may be omitted
  TensorList,     // [a, b, ...]
  Int,            // an integer constant
  Float,          // a numeric constant
  Bool,           // true or false
  String,         // a string constant
  Axes,           // an integer or a list of integers; omitted means all axes
  Pair,           // an integer or [height, width]
  Shape,          // a list of positive integers, symbols and at most one -1
  Permutation,    // a list of integers
};

struct BuiltinParam {
  llvm::StringRef name;
  ArgKind kind;
  bool required;
  /// For a String: the values it may take.
  llvm::ArrayRef<llvm::StringLiteral> choices = {};
};

/// The parameter list of builtins that take one tensor `x` and nothing else.
inline constexpr BuiltinParam kSingleTensorParams[] = {{"x", ArgKind::Tensor, true}};

/// A call's constant arguments as Sema read them for their kind, by
/// parameter name (absent when not given): Int in `ints`, Float in
/// `numbers`, Bool in `flags`, String in `strings`, Axes, Permutation and
/// Pair (two values) in `lists`, Shape in `dims`; `ranges` says where each
/// was written.
struct BuiltinArgs {
  llvm::StringMap<int64_t> ints;
  llvm::StringMap<double> numbers;
  llvm::StringMap<bool> flags;
  llvm::StringMap<std::string> strings;
  llvm::StringMap<llvm::SmallVector<int64_t>> lists;
  llvm::SmallVector<Dim> dims;
  llvm::StringMap<llvm::SMRange> ranges;

  int64_t intOr(llvm::StringRef name, int64_t otherwise) const {
    auto it = ints.find(name);
    return it == ints.end() ? otherwise : it->second;
  }
  double numberOr(llvm::StringRef name, double otherwise) const {
    auto it = numbers.find(name);
    return it == numbers.end() ? otherwise : it->second;
  }
  llvm::SmallVector<int64_t> listOr(llvm::StringRef name,
                                    llvm::ArrayRef<int64_t> otherwise) const {
    auto it = lists.find(name);
    return it == lists.end() ? llvm::SmallVector<int64_t>(otherwise) : it->second;
  }
};

/// What a builtin's `check` sees: the call, its tensor arguments (checked,
/// number literals settled to the first non-literal's dtype), its constant
/// arguments, and Sema's diagnostics. The check writes the call's
/// attributes (`attrs()`) for the emitter and returns the result type.
class BuiltinCheck {
public:
  BuiltinCheck(CallExpr &call, llvm::ArrayRef<TensorType> tensors, const BuiltinArgs &args)
      : call(call), tensors(tensors), args(args) {}
  virtual ~BuiltinCheck() = default;

  CallExpr &call;
  /// The present tensor arguments, in parameter order (a list's elements
  /// in place of the list).
  llvm::ArrayRef<TensorType> tensors;
  const BuiltinArgs &args;

  const TensorType &x() const { return tensors.front(); }
  BuiltinAttrs &attrs() { return call.attrs; }
  /// The tensor argument at operand position `i` (call.operands: one per
  /// tensor parameter, null for an absent optional one).
  const Expr *operand(size_t i) const { return call.operands[i]; }

  /// Reports "'callee' of X: message" at the call; returns poison.
  TensorType fail(const llvm::Twine &message);
  /// Reports "argument 'name' of 'callee' message" where it was written.
  TensorType failArgument(llvm::StringRef name, const llvm::Twine &message);
  /// Whether `t` is a float tensor; reports "'callee' needs a float ROLE"
  /// otherwise.
  bool needFloat(const TensorType &t, llvm::StringRef role);
  /// `dtype` with `shape`, or the failure `why` of the shape rule that gave it.
  TensorType withShape(mlir::FailureOr<Shape> shape, const std::string &why,
                       std::optional<DType> dtype = std::nullopt);
  /// Normalizes `axes` against x's rank; false with `why` set when one is
  /// out of range or repeated.
  bool normalizeAxes(llvm::SmallVectorImpl<int64_t> &axes, std::string &why) const;

  virtual void error(llvm::SMRange range, const llvm::Twine &message) = 0;
  virtual void note(llvm::SMRange range, const llvm::Twine &message) = 0;
  /// A note at where `e` came from through function calls ("the input").
  virtual void noteOrigin(const Expr &e, llvm::StringRef role) = 0;
  /// An argument seen through function parameters.
  virtual const Expr *lookThrough(const Expr *e) const = 0;
  /// Buffers that one call holds alone (batch_norm's running statistics)
  /// and that call, across the model.
  virtual llvm::DenseMap<const Statement *, llvm::SMRange> &heldBuffers() = 0;
};

/// What a builtin's `emit` sees of MLIRGen.
class BuiltinEmitter {
public:
  virtual ~BuiltinEmitter() = default;
  virtual mlir::OpBuilder &builder() = 0;
  /// A scalar dnn.constant of element type f32, f64 or i32.
  virtual mlir::Value constant(double value, mlir::Type element, mlir::Location loc) = 0;
  /// The model's dnn.rng_key (the step's random key), made on first use.
  virtual mlir::Value rngKey(mlir::Location loc) = 0;
  /// Numbers the model's random ops (dropout mask sites) in order.
  virtual int64_t nextRandomSite() = 0;
};

struct BuiltinInfo {
  llvm::StringRef name;
  llvm::ArrayRef<BuiltinParam> params;
  /// The result type of a call whose arguments bound; poison after
  /// reporting an error.
  TensorType (*check)(BuiltinCheck &c);
  /// The value of a checked call: `operands` in parameter order (a null
  /// Value for an absent optional tensor), `attrs` as check wrote them.
  mlir::Value (*emit)(BuiltinEmitter &e, llvm::ArrayRef<mlir::Value> operands,
                      const BuiltinAttrs &attrs, mlir::Location loc);
};

/// Each family's rows (compiler/Frontend/Builtins/<Family>.cpp).
llvm::ArrayRef<BuiltinInfo> getElementwiseBuiltins();
llvm::ArrayRef<BuiltinInfo> getReductionBuiltins();
llvm::ArrayRef<BuiltinInfo> getShapeBuiltins();
llvm::ArrayRef<BuiltinInfo> getConvPoolBuiltins();
llvm::ArrayRef<BuiltinInfo> getLossBuiltins();
llvm::ArrayRef<BuiltinInfo> getNormalizationBuiltins();

/// The builtin called `name`, or null.
const BuiltinInfo *lookupBuiltin(llvm::StringRef name);
/// Every row of every family.
llvm::ArrayRef<BuiltinInfo> getAllBuiltins();

} // namespace dnnc::frontend

#endif // DNNC_FRONTEND_BUILTINS_H
