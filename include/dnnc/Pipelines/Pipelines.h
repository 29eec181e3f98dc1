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
#include <vector>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace dnnc {

/// What the code is generated for (dnnc --target).
enum class CodegenTarget { CPU, CUDA };

/// The phases of compilation, in order; each names the IR it leaves. The
/// front half (up to linalg, fusion included) is shared by both targets.
enum class CompilePhase {
  DNN,        // the dnn dialect, simplified                    (dnn-simplify)
  Grad,       // plus the backward graph of models with a loss   (dnn-differentiate)
  Linalg,     // entry functions in linalg/tensor/arith/math    (dnn-lower-to-linalg)
  Vector,     // CPU: tiled and vectorized, still on tensors     (dnn-vectorize)
  Bufferized, // on memrefs, results as out-parameters          (dnn-bufferize)
  GPU,        // CUDA: loops as kernels in one gpu.module        (dnn-map-to-gpu)
  NVVM,       // CUDA: kernels compiled per architecture         (dnn-compile-kernels)
  LLVM,       // the LLVM dialect: host code                     (dnn-lower-to-llvm,
              //   dnn-lower-cuda-host-to-llvm)
};

/// Every phase, in order: the one list that dnnc's parsing, help and
/// errors read.
llvm::ArrayRef<CompilePhase> getAllPhases();
/// "dnn", "grad", "linalg", "vector", "bufferized", "gpu", "nvvm", "llvm".
llvm::StringRef getPhaseName(CompilePhase phase);
std::optional<CompilePhase> parsePhaseName(llvm::StringRef name);
/// Whether the pipeline for `target` has `phase`.
bool hasPhase(CodegenTarget target, CompilePhase phase);
llvm::StringRef getTargetName(CodegenTarget target);
/// The phase names in order, comma-separated, with the target of the ones
/// only one target has: "dnn, grad, linalg, vector (cpu), ..., llvm".
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
  /// Test only (dnnc --cuda-loop-nests-on-cpu): instead of vectorizing, map
  /// the loop nests as the CUDA pipeline does (dnn-parallel-dims-first,
  /// dnn-map-parallel-loops-to-gpu) and run those loops on the CPU, so that
  /// dnn-verify can check the mapping's numerics without a GPU.
  bool cudaLoopNests = false;
};

void buildDNNSimplifyPipeline(mlir::OpPassManager &pm);
/// With `rewrite`, the graph is first rewritten where an equal form is
/// cheaper (dnn-pool-before-activation); the reference interpreter's checks
/// (dnn-verify) differentiate the graph as written instead.
void buildDifferentiatePipeline(mlir::OpPassManager &pm, bool rewrite = true);
/// `vectorWidth`: the f32 lanes of the CPU target's vectors (16 where the
/// target has none: the CUDA pipeline, dnn-opt's registered pipeline).
void buildDNNToLinalgPipeline(mlir::OpPassManager &pm, llvm::StringRef convolutions = "auto",
                              int64_t vectorWidth = 16);
void buildVectorizePipeline(mlir::OpPassManager &pm, const CPUPipelineOptions &options);
/// `promoteToStack`: small static buffers become stack allocations (CPU
/// only: a kernel cannot read the host's stack).
void buildBufferizePipeline(mlir::OpPassManager &pm, bool promoteToStack = true);
void buildLowerToLLVMPipeline(mlir::OpPassManager &pm, const CPUPipelineOptions &options);

/// Every phase after `from` up to and including `to`.
void buildCPUPipeline(mlir::OpPassManager &pm, CompilePhase from, CompilePhase to,
                      const CPUPipelineOptions &options);

/// Options of the CUDA code-generation pipelines.
struct CUDAPipelineOptions {
  /// The architectures compiled for (--cuda-arch), one object each.
  std::vector<std::string> chips = {"sm_80", "sm_90"};
  /// The PTX ISA version the kernels are written in.
  std::string features = "+ptx80";
  /// Threads per block of the elementwise and loop-nest kernels.
  int64_t blockSize = 256;
  /// gpu-module-to-binary's format: isa (PTX text), bin (cubin) or fatbin.
  std::string format = "isa";
  /// The CUDA toolkit (libdevice, ptxas, fatbinary).
  std::string toolkitPath = "/usr/local/cuda";
  std::string convolutions = "auto";
};

/// Every bufferized loop nest as scf.parallel loops over blocks and threads
/// (the first half of buildMapToGPUPipeline; CPUPipelineOptions::cudaLoopNests
/// runs it on the CPU).
void buildMapLoopNestsPipeline(mlir::OpPassManager &pm, int64_t blockSize);
void buildMapToGPUPipeline(mlir::OpPassManager &pm, const CUDAPipelineOptions &options);
void buildCompileKernelsPipeline(mlir::OpPassManager &pm, const CUDAPipelineOptions &options);
void buildLowerCUDAHostToLLVMPipeline(mlir::OpPassManager &pm);

/// Every phase of the CUDA pipeline after `from` up to and including `to`.
void buildCUDAPipeline(mlir::OpPassManager &pm, CompilePhase from, CompilePhase to,
                       const CUDAPipelineOptions &options);

void registerPipelines();

} // namespace dnnc

#endif // DNNC_PIPELINES_PIPELINES_H
