//===- Passes.h - Passes over the dnn dialect -------------------*- C++ -*-===//
#ifndef DNNC_DIALECT_DNN_TRANSFORMS_PASSES_H
#define DNNC_DIALECT_DNN_TRANSFORMS_PASSES_H

#include "dnnc/Dialect/DNN/IR/DNNOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace dnnc::dnn {

#define GEN_PASS_DECL
#include "dnnc/Dialect/DNN/Transforms/Passes.h.inc"

/// Re-infers every result type in `model` from its operands, in order.
/// Fails (with a diagnostic) if an op rejects its operands' new types.
llvm::LogicalResult inferShapes(ModelOp model);

/// The inputs of `model` that `roots` depend on in training or inference
/// mode (dnn.mode_switch), in declaration order: the inputs of the entry
/// point computing `roots`.
llvm::SmallVector<InputOp> getInputsReaching(ModelOp model, llvm::ArrayRef<mlir::Value> roots,
                                             bool training);

#define GEN_PASS_REGISTRATION
#include "dnnc/Dialect/DNN/Transforms/Passes.h.inc"

} // namespace dnnc::dnn

#endif // DNNC_DIALECT_DNN_TRANSFORMS_PASSES_H
