//===- Builtins.h - The builtin functions of the .dnn language --*- C++ -*-===//
//
// One table lists every builtin with its parameters; Sema binds calls
// against it, MLIRGen dispatches on the id, docs/language.md documents it.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_FRONTEND_BUILTINS_H
#define DNNC_FRONTEND_BUILTINS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace dnnc::frontend {

enum class Builtin {
  Relu, LeakyRelu, Sigmoid, Silu, Gelu, Softplus, Tanh, Exp, Log, Sqrt, Abs, StopGradient,
  Softmax, LogSoftmax, Sum, Mean, Max, Min, Argmax,
  Reshape, Flatten, Transpose, Concat,
  Conv2d, MaxPool2d, AvgPool2d,
  Mse, Bce, BceWithLogits, CrossEntropy, Accuracy, OneHot,
  LayerNorm, BatchNorm, Dropout,
};

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
};

struct BuiltinInfo {
  llvm::StringRef name;
  Builtin id;
  llvm::ArrayRef<BuiltinParam> params;
};

/// The builtin called `name`, or null.
const BuiltinInfo *lookupBuiltin(llvm::StringRef name);
const BuiltinInfo &getBuiltinInfo(Builtin id);
llvm::ArrayRef<BuiltinInfo> getAllBuiltins();

} // namespace dnnc::frontend

#endif // DNNC_FRONTEND_BUILTINS_H
