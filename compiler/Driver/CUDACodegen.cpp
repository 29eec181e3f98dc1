//===- CUDACodegen.cpp - dnnc --target=cuda -------------------------------===//
//
// The CUDA back half: the shared front half (dnn, autodiff, linalg with its
// fusion), bufferization, loop nests mapped to kernels, kernels compiled for
// each --cuda-arch, host code in the LLVM dialect. It emits the MLIR of any
// phase and the kernels' PTX; the shared library that embeds them and the
// runtime that launches them are the next step (docs/architecture.md).
//
//===----------------------------------------------------------------------===//

#include "dnnc/Driver/Driver.h"
#include "dnnc/Target/MemoryReport.h"
#include "dnnc/Target/ModelSignature.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace dnnc;

namespace {

int fail(llvm::raw_ostream &diagOut, const llvm::Twine &message) {
  diagOut << "dnnc: error: " << message << "\n";
  return 1;
}

/// Writes the PTX of every kernel module, one per architecture, each
/// preceded by a comment naming its module and architecture.
void printPTX(ModuleOp module, llvm::raw_ostream &os) {
  module.walk([&](gpu::BinaryOp binary) {
    for (Attribute attr : binary.getObjects()) {
      auto object = cast<gpu::ObjectAttr>(attr);
      auto target = dyn_cast<NVVM::NVVMTargetAttr>(object.getTarget());
      os << "// dnnc: module " << binary.getSymName() << ", "
         << (target ? target.getChip() : "unknown target") << "\n";
      os << object.getObject().getValue() << "\n";
    }
  });
}

} // namespace

int dnnc::runCUDACodegen(ModuleOp module, const DriverOptions &options,
                         llvm::raw_ostream &diagOut) {
  switch (options.emit) {
  case EmitKind::MLIR:
  case EmitKind::Linalg:
  case EmitKind::LLVMMLIR:
  case EmitKind::Memory:
  case EmitKind::PTX:
    break;
  default:
    return fail(diagOut, "--target=cuda emits MLIR (--emit=mlir with --compile-to, "
                         "linalg, llvm-mlir), the memory report and the kernels' PTX "
                         "(--emit=ptx); shared libraries with CUDA kernels are not "
                         "implemented yet");
  }
  auto signatures = extractSignatures(module);
  if (failed(signatures))
    return 1;
  if (!options.specializedSymbol.empty())
    return fail(diagOut, "--batch is not supported with --target=cuda yet");

  CUDAPipelineOptions cuda = options.cuda;
  if (options.emit == EmitKind::PTX)
    cuda.format = "isa";
  CompilePhase lastPhase = options.emit == EmitKind::MLIR     ? options.compileTo
                           : options.emit == EmitKind::Linalg ? CompilePhase::Linalg
                           : options.emit == EmitKind::Memory ? CompilePhase::Bufferized
                           : options.emit == EmitKind::PTX    ? CompilePhase::NVVM
                                                              : CompilePhase::LLVM;
  if (lastPhase >= CompilePhase::NVVM &&
      !llvm::sys::fs::exists(cuda.toolkitPath + "/nvvm/libdevice/libdevice.10.bc"))
    return fail(diagOut, "no CUDA toolkit at '" + cuda.toolkitPath +
                             "' (nvvm/libdevice/libdevice.10.bc is missing); give its "
                             "directory with --cuda-path");

  // As on the CPU, the activations kept for the backward pass are read off
  // the differentiated graph before lowering goes on.
  CompilePhase firstPhase = CompilePhase::DNN;
  if (lastPhase > CompilePhase::Grad) {
    PassManager gradPm(module.getContext());
    if (failed(applyPassManagerCLOptions(gradPm)))
      return 1;
    buildCUDAPipeline(gradPm, CompilePhase::DNN, CompilePhase::Grad, cuda);
    if (failed(gradPm.run(module)))
      return 1;
    collectSavedActivations(module, *signatures);
    firstPhase = CompilePhase::Grad;
  }
  PassManager pm(module.getContext());
  if (failed(applyPassManagerCLOptions(pm)))
    return 1;
  applyDefaultTimingPassManagerCLOptions(pm);
  buildCUDAPipeline(pm, firstPhase, lastPhase, cuda);
  if (failed(pm.run(module)))
    return 1;

  std::string error;
  auto output = openOutputFile(options.outputFile, &error);
  if (!output)
    return fail(diagOut, error);
  if (options.emit == EmitKind::Memory) {
    if (failed(printMemoryReport(module, *signatures, options.memoryBatches, output->os(),
                                 error)))
      return fail(diagOut, error);
  } else if (options.emit == EmitKind::PTX) {
    printPTX(module, output->os());
  } else {
    module.print(output->os());
    output->os() << "\n";
  }
  output->keep();
  return 0;
}
