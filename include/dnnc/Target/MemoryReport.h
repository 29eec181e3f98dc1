//===- MemoryReport.h - Bytes a compiled model needs, at compile time -----===//
#ifndef DNNC_TARGET_MEMORYREPORT_H
#define DNNC_TARGET_MEMORYREPORT_H

#include "dnnc/Target/ModelSignature.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace dnnc {

/// Prints, per model, the bytes of its params and optimizer state and, per
/// entry, the workspace that dnn-plan-workspace planned, evaluated for each
/// batch size in `batches` (every symbolic dimension bound to it). `module`
/// must be bufferized (it holds the `<entry>_workspace` functions). Fails
/// with a message when a workspace size is not a plain size computation.
llvm::LogicalResult printMemoryReport(mlir::ModuleOp module,
                                      llvm::ArrayRef<ModelSignature> models,
                                      llvm::ArrayRef<int64_t> batches, llvm::raw_ostream &os,
                                      std::string &error);

} // namespace dnnc

#endif // DNNC_TARGET_MEMORYREPORT_H
