//===- Pipelines.cpp - The named pass pipelines of dnnc -------------------===//
//
// Each phase is the pass list that `dnn-opt --<pipeline name>` runs; the
// comments give the equivalent textual pipeline of upstream pass names.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Pipelines/Pipelines.h"
#include "dnnc/Conversion/Passes.h"
#include "dnnc/Dialect/DNN/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/ErrorHandling.h"

using namespace mlir;

llvm::StringRef dnnc::getPhaseName(CompilePhase phase) {
  switch (phase) {
  case CompilePhase::DNN:
    return "dnn";
  case CompilePhase::Grad:
    return "grad";
  case CompilePhase::Linalg:
    return "linalg";
  case CompilePhase::Vector:
    return "vector";
  case CompilePhase::Bufferized:
    return "bufferized";
  case CompilePhase::GPU:
    return "gpu";
  case CompilePhase::NVVM:
    return "nvvm";
  case CompilePhase::LLVM:
    return "llvm";
  }
  llvm_unreachable("unknown phase");
}

llvm::ArrayRef<dnnc::CompilePhase> dnnc::getAllPhases() {
  static const CompilePhase phases[] = {
      CompilePhase::DNN,        CompilePhase::Grad, CompilePhase::Linalg, CompilePhase::Vector,
      CompilePhase::Bufferized, CompilePhase::GPU,  CompilePhase::NVVM,   CompilePhase::LLVM};
  return phases;
}

bool dnnc::hasPhase(CodegenTarget target, CompilePhase phase) {
  switch (phase) {
  case CompilePhase::Vector:
    return target == CodegenTarget::CPU;
  case CompilePhase::GPU:
  case CompilePhase::NVVM:
    return target == CodegenTarget::CUDA;
  default:
    return true;
  }
}

llvm::StringRef dnnc::getTargetName(CodegenTarget target) {
  return target == CodegenTarget::CPU ? "cpu" : "cuda";
}

std::optional<dnnc::CompilePhase> dnnc::parsePhaseName(llvm::StringRef name) {
  for (CompilePhase phase : getAllPhases())
    if (getPhaseName(phase) == name)
      return phase;
  return std::nullopt;
}

const std::string &dnnc::getPhaseNameList() {
  static const std::string list = [] {
    std::string names;
    for (CompilePhase phase : getAllPhases()) {
      names += (names.empty() ? "" : ", ") + getPhaseName(phase).str();
      for (CodegenTarget only : {CodegenTarget::CPU, CodegenTarget::CUDA})
        if (!hasPhase(only == CodegenTarget::CPU ? CodegenTarget::CUDA : CodegenTarget::CPU,
                      phase))
          names += " (" + getTargetName(only).str() + ")";
    }
    return names;
  }();
  return list;
}

void dnnc::buildDNNSimplifyPipeline(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void dnnc::buildDifferentiatePipeline(OpPassManager &pm, bool rewrite) {
  // dnn.model(dnn-pool-before-activation, dnn-autodiff), canonicalize, cse
  if (rewrite)
    pm.addNestedPass<dnn::ModelOp>(dnn::createDNNPoolBeforeActivationPass());
  pm.addNestedPass<dnn::ModelOp>(dnn::createDNNAutodiffPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void dnnc::buildDNNToLinalgPipeline(OpPassManager &pm, StringRef convolutions,
                                    int64_t vectorWidth) {
  // dnn-outline-entries, func.func(convert-dnn-to-linalg), cse, canonicalize,
  // func.func(dnn-fuse-shared-elementwise, dnn-fuse-elementwise),
  // canonicalize, cse
  pm.addPass(dnn::createDNNOutlineEntriesPass());
  ConvertDNNToLinalgPassOptions lowering;
  lowering.convolutions = convolutions.str();
  lowering.vectorWidth = vectorWidth;
  pm.addNestedPass<func::FuncOp>(createConvertDNNToLinalgPass(lowering));
  // Before canonicalization drops the unused results of ops that lower to
  // one op with several results (maxpool2d and maxpool2d_argmax), CSE merges
  // their copies.
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createFuseSharedElementwisePass());
  pm.addNestedPass<func::FuncOp>(createFuseElementwisePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void dnnc::buildVectorizePipeline(OpPassManager &pm, const CPUPipelineOptions &options) {
  // func.func(dnn-tile-and-vectorize{vector-width=W}), canonicalize, cse
  TileAndVectorizePassOptions tiling;
  tiling.vectorWidth = options.vectorWidth;
  pm.addNestedPass<func::FuncOp>(createTileAndVectorizePass(tiling));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void dnnc::buildBufferizePipeline(OpPassManager &pm, bool promoteToStack) {
  // eliminate-empty-tensors, one-shot-bufferize{bufferize-function-boundaries
  //   function-boundary-type-conversion=identity-layout-map}, canonicalize,
  // dnn-drop-in-place-results,
  // buffer-results-to-out-params{hoist-static-allocs modify-public-functions},
  // dnn-plan-workspace, func.func(promote-buffers-to-stack{max-alloc-size-in-bytes=256}),
  // buffer-deallocation-pipeline, dnn-free-loop-temporaries,
  // dnn-stack-loop-temporaries,
  // canonicalize, cse
  //
  // Entry points take identity-layout buffers and write results into
  // out-parameters the runtime provides, as the entry ABI says; train_step
  // updates its param and state arguments in place (their results, equal to
  // the arguments, are dropped), and every entry's temporaries live in the
  // workspace argument the runtime passes last.
  // A result computed into a tensor.empty and then inserted into a slice of
  // another tensor (the max-pooling gradient's strided windows of dx) is
  // computed into that slice instead: no temporary and no copy.
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion = bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createDropInPlaceResultsPass());
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createPlanWorkspacePass());
  // What the workspace does not take and is a few bytes of static shape (the
  // shape operand of a memref.reshape: LeNet-5's one heap call per step)
  // goes on the stack.
  if (promoteToStack) {
    bufferization::PromoteBuffersToStackPassOptions stack;
    stack.maxAllocSizeInBytes = 256;
    pm.addNestedPass<func::FuncOp>(bufferization::createPromoteBuffersToStackPass(stack));
  }
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createFreeLoopTemporariesPass());
  pm.addPass(createStackLoopTemporariesPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void dnnc::buildLowerToLLVMPipeline(OpPassManager &pm, const CPUPipelineOptions &options) {
  // scf-forall-to-parallel, func.func(dnn-memref-copy-to-linalg,
  // convert-linalg-to-parallel-loops), canonicalize,
  // dnn-parallel-loops-to-runtime, func.func(lower-vector-mask,
  // lower-vector-multi-reduction), convert-vector-to-scf{full-unroll}, lower-affine,
  // convert-scf-to-cf, expand-strided-metadata, lower-affine,
  // convert-vector-to-llvm, finalize-memref-to-llvm, convert-math-to-llvm,
  // convert-math-to-libm, convert-func-to-llvm, convert-arith-to-llvm,
  // convert-cf-to-llvm, convert-index-to-llvm, convert-ub-to-llvm, reconcile-unrealized-casts,
  // canonicalize
  pm.addPass(createForallToParallelLoopPass());
  pm.addNestedPass<func::FuncOp>(createMemRefCopyToLinalgPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addPass(createCanonicalizerPass());
  if (options.parallelize)
    pm.addPass(createParallelLoopsToRuntimePass());
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMaskPass());
  pm.addNestedPass<func::FuncOp>(
      vector::createLowerVectorMultiReductionPass(vector::VectorMultiReductionLowering::InnerParallel));
  // Fully unrolled: the default keeps n-D vectors in stack temporaries
  // allocated inside loops, which exhausts the stack on large inputs.
  VectorTransferToSCFOptions transfers;
  transfers.enableFullUnroll();
  pm.addPass(createConvertVectorToSCFPass(transfers));
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

namespace {
using dnnc::CompilePhase;

/// The phases both targets share, those of them after `from` up to `to`.
void buildFrontHalf(OpPassManager &pm, CompilePhase from, CompilePhase to,
                    StringRef convolutions, int64_t vectorWidth) {
  if (from < CompilePhase::Grad && CompilePhase::Grad <= to)
    dnnc::buildDifferentiatePipeline(pm);
  if (from < CompilePhase::Linalg && CompilePhase::Linalg <= to)
    dnnc::buildDNNToLinalgPipeline(pm, convolutions, vectorWidth);
}
} // namespace

void dnnc::buildCPUPipeline(OpPassManager &pm, CompilePhase from, CompilePhase to,
                            const CPUPipelineOptions &options) {
  auto runs = [&](CompilePhase phase) { return from < phase && phase <= to; };
  buildFrontHalf(pm, from, to, options.convolutions, options.vectorWidth);
  if (runs(CompilePhase::Vector) && options.vectorize && !options.cudaLoopNests)
    buildVectorizePipeline(pm, options);
  if (runs(CompilePhase::Bufferized)) {
    buildBufferizePipeline(pm, /*promoteToStack=*/!options.cudaLoopNests);
    // The CUDA target's loop nests, blocks and threads as scf.parallel
    // loops, left for the CPU lowering instead of becoming kernels.
    if (options.cudaLoopNests)
      buildMapLoopNestsPipeline(pm, CUDAPipelineOptions().blockSize);
  }
  if (runs(CompilePhase::LLVM))
    buildLowerToLLVMPipeline(pm, options);
}

void dnnc::buildMapLoopNestsPipeline(OpPassManager &pm, int64_t blockSize) {
  // func.func(dnn-memref-copy-to-linalg, dnn-parallel-dims-first,
  // convert-linalg-to-parallel-loops, dnn-map-parallel-loops-to-gpu{block-size=B})
  pm.addNestedPass<func::FuncOp>(createMemRefCopyToLinalgPass());
  pm.addNestedPass<func::FuncOp>(createParallelDimsFirstPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  // No canonicalization before the mapping: it would inline the
  // one-iteration loops that put 0-d ops into kernels.
  MapParallelLoopsToGPUPassOptions mapping;
  mapping.blockSize = blockSize;
  pm.addNestedPass<func::FuncOp>(createMapParallelLoopsToGPUPass(mapping));
}

void dnnc::buildMapToGPUPipeline(OpPassManager &pm, const CUDAPipelineOptions &options) {
  // The loop nests mapped (buildMapLoopNestsPipeline), then
  // convert-parallel-loops-to-gpu, gpu-kernel-outlining, dnn-merge-gpu-modules,
  // lower-affine, canonicalize, cse
  buildMapLoopNestsPipeline(pm, options.blockSize);
  pm.addPass(createConvertParallelLoopToGpuPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createMergeGPUModulesPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void dnnc::buildCompileKernelsPipeline(OpPassManager &pm, const CUDAPipelineOptions &options) {
  // dnn-attach-nvvm-targets{chips=... features=...},
  // gpu.module(expand-strided-metadata, lower-affine, convert-scf-to-cf,
  //   convert-gpu-to-nvvm, canonicalize, cse, reconcile-unrealized-casts),
  // gpu-module-to-binary{format=... toolkit=...}
  AttachNVVMTargetsPassOptions targets;
  targets.chips.assign(options.chips.begin(), options.chips.end());
  targets.features = options.features;
  pm.addPass(createAttachNVVMTargetsPass(targets));
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createLowerAffinePass());
  kernels.addPass(createSCFToControlFlowPass());
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = options.format;
  binary.toolkitPath = options.toolkitPath;
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void dnnc::buildLowerCUDAHostToLLVMPipeline(OpPassManager &pm) {
  // The CPU lowering without the thread pool (no loop is left on the host),
  // then gpu-to-llvm for the launches, reconcile-unrealized-casts
  CPUPipelineOptions host;
  host.parallelize = false;
  buildLowerToLLVMPipeline(pm, host);
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void dnnc::buildCUDAPipeline(OpPassManager &pm, CompilePhase from, CompilePhase to,
                             const CUDAPipelineOptions &options) {
  auto runs = [&](CompilePhase phase) { return from < phase && phase <= to; };
  // The shared front half as for AVX-512, whose choices the GPU's kernels
  // do not depend on.
  buildFrontHalf(pm, from, to, options.convolutions, /*vectorWidth=*/16);
  if (runs(CompilePhase::Bufferized))
    buildBufferizePipeline(pm, /*promoteToStack=*/false);
  if (runs(CompilePhase::GPU))
    buildMapToGPUPipeline(pm, options);
  if (runs(CompilePhase::NVVM))
    buildCompileKernelsPipeline(pm, options);
  if (runs(CompilePhase::LLVM))
    buildLowerCUDAHostToLLVMPipeline(pm);
}

void dnnc::registerPipelines() {
  PassPipelineRegistration<>("dnn-simplify", "Canonicalize and CSE at the dnn level",
                             buildDNNSimplifyPipeline);
  PassPipelineRegistration<>("dnn-differentiate",
                             "Derive the backward graph, then canonicalize and CSE",
                             [](OpPassManager &pm) { buildDifferentiatePipeline(pm); });
  PassPipelineRegistration<>("dnn-lower-to-linalg",
                             "Outline entry points and lower dnn to linalg on tensors",
                             [](OpPassManager &pm) { buildDNNToLinalgPipeline(pm); });
  PassPipelineRegistration<>("dnn-vectorize", "Tile and vectorize linalg ops on tensors",
                             [](OpPassManager &pm) { buildVectorizePipeline(pm, {}); });
  PassPipelineRegistration<>("dnn-bufferize",
                             "One-shot bufferization with out-parameter results",
                             [](OpPassManager &pm) { buildBufferizePipeline(pm); });
  PassPipelineRegistration<>("dnn-lower-to-llvm",
                             "Loops, runtime thread pool and the LLVM dialect",
                             [](OpPassManager &pm) { buildLowerToLLVMPipeline(pm, {}); });
  PassPipelineRegistration<>("dnn-map-to-gpu",
                             "CUDA: map the bufferized loop nests to kernels in one gpu.module",
                             [](OpPassManager &pm) { buildMapToGPUPipeline(pm, {}); });
  PassPipelineRegistration<>("dnn-compile-kernels",
                             "CUDA: lower the kernels to NVVM and compile them (PTX) for "
                             "sm_80 and sm_90",
                             [](OpPassManager &pm) { buildCompileKernelsPipeline(pm, {}); });
  PassPipelineRegistration<>("dnn-lower-cuda-host-to-llvm",
                             "CUDA: the host code and its kernel launches in the LLVM dialect",
                             buildLowerCUDAHostToLLVMPipeline);
  PassPipelineRegistration<>(
      "dnn-cpu-pipeline", "From the dnn dialect to the LLVM dialect", [](OpPassManager &pm) {
        buildCPUPipeline(pm, CompilePhase::DNN, CompilePhase::LLVM, {});
      });
}
