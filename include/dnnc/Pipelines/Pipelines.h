//===- Pipelines.h - The named pass pipelines of dnnc ----------*- C++ -*-===//
//
// dnnc's compilation is a sequence of phases; each has a pipeline builder,
// registered for dnn-opt under the name given beside it, and `dnnc
// --compile-to=<phase>` stops after any of them.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_PIPELINES_PIPELINES_H
#define DNNC_PIPELINES_PIPELINES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace dnnc {

/// The phases of compilation, in order; each names the IR it leaves.
enum class CompilePhase {
  DNN,        // the dnn dialect, simplified                    (dnn-simplify)
  Grad,       // plus the backward graph of models with a loss   (dnn-differentiate)
  Linalg,     // entry functions in linalg/tensor/arith/math    (dnn-lower-to-linalg)
  Vector,     // tiled and vectorized, still on tensors          (dnn-vectorize)
  Bufferized, // on memrefs, results as out-parameters          (dnn-bufferize)
  LLVM,       // the LLVM dialect, parallel loops on the runtime (dnn-lower-to-llvm)
};

/// Every phase, in order: the one list that dnnc's parsing, help and
/// errors read.
llvm::ArrayRef<CompilePhase> getAllPhases();
/// "dnn", "grad", "linalg", "vector", "bufferized", "llvm".
llvm::StringRef getPhaseName(CompilePhase phase);
std::optional<CompilePhase> parsePhaseName(llvm::StringRef name);
/// The phase names in order, comma-separated: "dnn, grad, ..., llvm".
const std::string &getPhaseNameList();

/// Options of the CPU code-generation pipelines.
struct CPUPipelineOptions {
  /// Tile and vectorize linalg ops (off at -O0).
  bool vectorize = true;
  /// Elements per vector register for f32 (8 for AVX2, 16 for AVX-512).
  int64_t vectorWidth = 8;
  /// Run outermost parallel loops on the runtime's thread pool.
  bool parallelize = true;
  /// How forward convolutions are lowered: auto, im2col or direct
  /// (convert-dnn-to-linalg's `convolutions` option).
  std::string convolutions = "auto";
};

void buildDNNSimplifyPipeline(mlir::OpPassManager &pm);
/// With `rewrite`, the graph is first rewritten where an equal form is
/// cheaper (dnn-pool-before-activation); the reference interpreter's checks
/// (dnn-verify) differentiate the graph as written instead.
void buildDifferentiatePipeline(mlir::OpPassManager &pm, bool rewrite = true);
void buildDNNToLinalgPipeline(mlir::OpPassManager &pm, llvm::StringRef convolutions = "auto");
void buildVectorizePipeline(mlir::OpPassManager &pm, const CPUPipelineOptions &options);
void buildBufferizePipeline(mlir::OpPassManager &pm);
void buildLowerToLLVMPipeline(mlir::OpPassManager &pm, const CPUPipelineOptions &options);

/// Every phase after `from` up to and including `to`.
void buildCPUPipeline(mlir::OpPassManager &pm, CompilePhase from, CompilePhase to,
                      const CPUPipelineOptions &options);

void registerPipelines();

} // namespace dnnc

#endif // DNNC_PIPELINES_PIPELINES_H
