//===- MemoryReport.h - Bytes a compiled model needs, at compile time -----===//
#ifndef DNNC_TARGET_MEMORYREPORT_H
#define DNNC_TARGET_MEMORYREPORT_H

#include "dnnc/Target/ModelSignature.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace dnnc {

/// Fills each signature's `saved`: the activations its model's training
/// step keeps for its backward pass, i.e. the values its forward graph
/// computes (not inputs or params) that a gradient op reads. `module` must be
/// differentiated (the dnn dialect after dnn-autodiff, where gradient ops
/// follow `dnn.train`).
void collectSavedActivations(mlir::ModuleOp module, llvm::MutableArrayRef<ModelSignature> models);

/// Prints, per model, the bytes of its params and optimizer state and, per
/// batch size in `batches` (every symbolic dimension bound to it), the
/// activations kept for the backward pass (ModelSignature::saved) and each entry's
/// workspace that dnn-plan-workspace planned. `module` must be bufferized
/// (it holds the `<entry>_workspace` functions). Fails with a message when a
/// workspace size is not a plain size computation.
llvm::LogicalResult
printMemoryReport(mlir::ModuleOp module, llvm::ArrayRef<ModelSignature> models,
                  llvm::ArrayRef<int64_t> batches, llvm::raw_ostream &os, std::string &error);

} // namespace dnnc

#endif // DNNC_TARGET_MEMORYREPORT_H
