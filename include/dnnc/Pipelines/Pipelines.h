//===- Pipelines.h - Named pass pipelines of dnnc ---------------*- C++ -*-===//
#ifndef DNNC_PIPELINES_PIPELINES_H
#define DNNC_PIPELINES_PIPELINES_H

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace dnnc {

/// dnn-level cleanup after MLIRGen: canonicalization (folders and the dnn
/// rewrite patterns) and CSE. Registered as `dnn-simplify`.
void buildDNNSimplifyPipeline(mlir::OpPassManager &pm);

/// Registers every pipeline above with the pass registry (for dnn-opt).
void registerPipelines();

} // namespace dnnc

#endif // DNNC_PIPELINES_PIPELINES_H
