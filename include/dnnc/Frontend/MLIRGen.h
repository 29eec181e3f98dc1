//===- MLIRGen.h - Emit the dnn dialect from a checked AST ------*- C++ -*-===//
#ifndef DNNC_FRONTEND_MLIRGEN_H
#define DNNC_FRONTEND_MLIRGEN_H

#include "dnnc/Frontend/AST.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace dnnc::frontend {

/// Builds one dnn.model per model of `module`, which Sema must have checked
/// without errors. Locations are file:line:col of the source.
mlir::OwningOpRef<mlir::ModuleOp> emitMLIR(const ModuleAST &module,
                                           mlir::MLIRContext &context,
                                           const llvm::SourceMgr &sourceMgr);

} // namespace dnnc::frontend

#endif // DNNC_FRONTEND_MLIRGEN_H
