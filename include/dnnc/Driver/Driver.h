//===- Driver.h - The dnnc compiler as a library ----------------*- C++ -*-===//
//
// Everything dnnc does, callable from tests: the tool's main only parses the
// command line into DriverOptions.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_DRIVER_DRIVER_H
#define DNNC_DRIVER_DRIVER_H

#include "dnnc/Frontend/AST.h"
#include "dnnc/Pipelines/Pipelines.h"
#include "dnnc/Target/CPU/LibraryDescriptor.h"
#include "dnnc/Target/CPU/Linker.h"
#include "dnnc/Target/CPU/ObjectEmitter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

#include <memory>
#include <string>

namespace dnnc {

/// What dnnc writes to its output.
enum class EmitKind {
  AST,      // the checked syntax tree
  Summary,  // per model: signature, parameter count, optimizer and op histogram
  Grad,     // the derived backward graph as text, one value per line
  MLIR,     // MLIR after DriverOptions::compileTo (default: the dnn dialect)
  Linalg,   // MLIR after the linalg phase
  LLVMMLIR, // MLIR in the LLVM dialect
  LLVMIR,   // LLVM IR, with the library descriptor, after LLVM's optimizations
  Assembly, // native assembly
  Object,   // a relocatable object file
  Library,  // a shared library (.so), and its header beside it
  Header,   // the generated C header alone
  Memory,   // bytes of params, optimizer state and each entry's workspace
  PTX,      // --target=cuda: the kernels' PTX, one module per architecture
};

/// The emit kind an output file's extension implies (.so, .o, .s, .ll, .h),
/// or std::nullopt.
std::optional<EmitKind> emitKindForOutput(llvm::StringRef outputFile);

struct DriverOptions {
  std::string inputFile = "-";
  std::string outputFile = "-";
  EmitKind emit = EmitKind::MLIR;
  /// Run the dnn-simplify pipeline (canonicalize, CSE) before emitting MLIR.
  bool simplify = true;
  /// What code is generated for, and the CUDA pipeline's options.
  CodegenTarget codegenTarget = CodegenTarget::CPU;
  /// CPU only, for tests: CPUPipelineOptions::cudaLoopNests.
  bool cudaLoopNestsOnCPU = false;
  CUDAPipelineOptions cuda;
  /// For EmitKind::MLIR: the phase to stop after.
  CompilePhase compileTo = CompilePhase::DNN;
  /// For EmitKind::Memory: the batch sizes to evaluate the workspaces at.
  std::vector<int64_t> memoryBatches = {1, 32, 128, 256};
  /// `--batch N=128`: each model with symbol N also gets a copy of its
  /// entries compiled with N fixed to 128, which the runtime calls for calls
  /// that bind N to 128 (the symbolic entries stay the fallback).
  std::string specializedSymbol;
  int64_t specializedSize = 0;
  /// For EmitKind::Library: where the header goes (default: beside the .so).
  std::string headerFile;
  TargetOptions target;
  /// How forward convolutions are lowered (convert-dnn-to-linalg's
  /// `convolutions`: auto, im2col, direct).
  std::string convolutions = "auto";
  LinkOptions link;
  /// argv[0], to find the runtime library installed beside dnnc.
  const char *argv0 = "dnnc";
};

/// The frontend's result for one source buffer.
struct FrontendResult {
  std::unique_ptr<frontend::ModuleAST> ast;
  mlir::OwningOpRef<mlir::ModuleOp> module; // null unless parsing and Sema succeeded
  unsigned numErrors = 0;
};

/// Parses, checks and (when stopAfterSema is false) emits the dnn dialect for
/// the main buffer of `sourceMgr`. Diagnostics go to `diagOut`.
FrontendResult runFrontend(llvm::SourceMgr &sourceMgr, mlir::MLIRContext &context,
                           llvm::raw_ostream &diagOut, bool stopAfterSema = false);

/// Prints the per-model summary of a dnn module.
void printSummary(mlir::ModuleOp module, llvm::raw_ostream &os);

/// Runs dnnc end to end. Returns the process exit code: 0 on success, 1 on
/// errors in the input, 2 on unusable options or files.
/// Lowers the dnn-dialect `module` and writes what options.emit asks for.
int runCodegen(mlir::ModuleOp module, const DriverOptions &options, llvm::raw_ostream &diagOut);
/// Runs the phases after `from` up to `to` that `build` adds, with the
/// command line's pass-manager options; when the backward graph is derived on
/// the way, the activations it keeps are recorded into `signatures` first.
mlir::LogicalResult
runPhases(mlir::ModuleOp module, std::vector<ModelSignature> &signatures, CompilePhase from,
          CompilePhase to,
          llvm::function_ref<void(mlir::OpPassManager &, CompilePhase, CompilePhase)> build);
/// The end shared by both targets: the module in the LLVM dialect to LLVM
/// IR with the library descriptor, optimized, then IR, assembly, an object or
/// a linked shared library with its header, as options.emit says.
int emitNativeArtifacts(mlir::ModuleOp module, llvm::ArrayRef<ModelSignature> signatures,
                        const DriverOptions &options, llvm::TargetMachine &machine,
                        const LibraryDevice &device, llvm::raw_ostream &diagOut);
/// runCodegen for --target=cuda.
int runCUDACodegen(mlir::ModuleOp module, std::vector<ModelSignature> &signatures,
                   const DriverOptions &options,
                   llvm::raw_ostream &diagOut);

int runDriver(const DriverOptions &options, mlir::MLIRContext &context,
              llvm::raw_ostream &diagOut);

} // namespace dnnc

#endif // DNNC_DRIVER_DRIVER_H
