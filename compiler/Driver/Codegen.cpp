//===- Codegen.cpp - From the dnn dialect to native artifacts -------------===//
//
// The back half of dnnc: the CPU pipeline up to the requested phase, then
// LLVM IR with the library descriptor, optimization, native code and the
// lld link, writing whichever stage --emit asks for.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Driver/Driver.h"
#include "dnnc/Target/CPU/HeaderGenerator.h"
#include "dnnc/Target/CPU/LibraryDescriptor.h"
#include "dnnc/Target/MemoryReport.h"
#include "dnnc/Target/ModelSignature.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"

#ifndef DNNC_VERSION
#define DNNC_VERSION "unknown"
#endif

using namespace mlir;
using namespace dnnc;

std::optional<EmitKind> dnnc::emitKindForOutput(llvm::StringRef outputFile) {
  llvm::StringRef ext = llvm::sys::path::extension(outputFile);
  return llvm::StringSwitch<std::optional<EmitKind>>(ext)
      .Case(".so", EmitKind::Library)
      .Case(".o", EmitKind::Object)
      .Case(".s", EmitKind::Assembly)
      .Case(".ll", EmitKind::LLVMIR)
      .Case(".h", EmitKind::Header)
      .Default(std::nullopt);
}

namespace {

int fail(llvm::raw_ostream &diagOut, const llvm::Twine &message) {
  diagOut << "dnnc: error: " << message << "\n";
  return 1;
}

int fail(llvm::raw_ostream &diagOut, llvm::Error error) {
  return fail(diagOut, llvm::toString(std::move(error)));
}

std::string libraryName(llvm::StringRef outputFile) {
  llvm::StringRef stem = llvm::sys::path::stem(outputFile);
  stem.consume_front("lib");
  return stem.empty() || outputFile == "-" ? "model" : stem.str();
}

int writeHeader(llvm::ArrayRef<ModelSignature> signatures, llvm::StringRef path,
                llvm::StringRef name, llvm::raw_ostream &diagOut) {
  std::string error;
  auto output = openOutputFile(path, &error);
  if (!output)
    return fail(diagOut, error);
  generateHeader(signatures, name, output->os());
  output->keep();
  return 0;
}

} // namespace

int dnnc::runCodegen(ModuleOp module, const DriverOptions &options, llvm::raw_ostream &diagOut) {
  auto signatures = extractSignatures(module);
  if (failed(signatures))
    return 1;
  std::string name = libraryName(options.outputFile);
  if (options.emit == EmitKind::Header)
    return writeHeader(*signatures, options.outputFile, name, diagOut);
  if (options.emit == EmitKind::Library && options.outputFile == "-")
    return fail(diagOut, "a shared library needs an output file: -o model.so");

  auto machine = createTargetMachine(options.target);
  if (!machine)
    return fail(diagOut, machine.takeError());

  CPUPipelineOptions pipelineOptions;
  pipelineOptions.vectorize = options.target.optLevel > 0;
  pipelineOptions.vectorWidth = getNativeVectorWidth(**machine);
  CompilePhase lastPhase = options.emit == EmitKind::MLIR     ? options.compileTo
                           : options.emit == EmitKind::Linalg ? CompilePhase::Linalg
                           : options.emit == EmitKind::Memory ? CompilePhase::Bufferized
                                                              : CompilePhase::LLVM;
  PassManager pm(module.getContext());
  if (failed(applyPassManagerCLOptions(pm)))
    return 1;
  applyDefaultTimingPassManagerCLOptions(pm);
  // The memory report reads the differentiated graph (what the backward
  // pass keeps) before lowering goes on.
  llvm::StringMap<SmallVector<RankedTensorType>> saved;
  CompilePhase firstPhase = CompilePhase::DNN;
  if (options.emit == EmitKind::Memory) {
    PassManager gradPm(module.getContext());
    buildCPUPipeline(gradPm, CompilePhase::DNN, CompilePhase::Grad, pipelineOptions);
    if (failed(gradPm.run(module)))
      return 1;
    saved = collectSavedActivations(module);
    firstPhase = CompilePhase::Grad;
  }
  buildCPUPipeline(pm, firstPhase, lastPhase, pipelineOptions);
  if (failed(pm.run(module)))
    return 1;

  std::string error;
  if (options.emit == EmitKind::Memory) {
    auto output = openOutputFile(options.outputFile, &error);
    if (!output)
      return fail(diagOut, error);
    if (failed(printMemoryReport(module, *signatures, saved, options.memoryBatches,
                                 output->os(), error)))
      return fail(diagOut, error);
    output->keep();
    return 0;
  }
  if (options.emit == EmitKind::MLIR || options.emit == EmitKind::Linalg ||
      options.emit == EmitKind::LLVMMLIR) {
    auto output = openOutputFile(options.outputFile, &error);
    if (!output)
      return fail(diagOut, error);
    module.print(output->os());
    output->os() << "\n";
    output->keep();
    return 0;
  }

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(module, llvmContext, name);
  if (!llvmModule)
    return fail(diagOut, "cannot translate the LLVM dialect to LLVM IR");
  if (llvm::Error err =
          emitLibraryDescriptor(*llvmModule, *signatures, "dnnc " DNNC_VERSION))
    return fail(diagOut, std::move(err));
  // Only the descriptor is the library's own API (the runtime adds dnn_*):
  // lowered functions and outlined loop bodies stay local to the object.
  for (llvm::Function &fn : *llvmModule)
    if (!fn.isDeclaration() && fn.getName() != "dnn_library")
      fn.setLinkage(llvm::GlobalValue::InternalLinkage);
  optimizeModule(*llvmModule, **machine, options.target.optLevel);

  if (options.emit == EmitKind::LLVMIR) {
    auto output = openOutputFile(options.outputFile, &error);
    if (!output)
      return fail(diagOut, error);
    llvmModule->print(output->os(), nullptr);
    output->keep();
    return 0;
  }
  if (options.emit == EmitKind::Assembly || options.emit == EmitKind::Object) {
    auto output = openOutputFile(options.outputFile, &error);
    if (!output)
      return fail(diagOut, error);
    auto kind = options.emit == EmitKind::Object ? NativeFileKind::Object : NativeFileKind::Assembly;
    if (llvm::Error err = emitNativeCode(*llvmModule, **machine, kind, output->os()))
      return fail(diagOut, std::move(err));
    output->keep();
    return 0;
  }

  // A shared library: object to a temporary file, lld, then the header.
  LinkOptions link = options.link;
  if (llvm::Error err = resolveLinkOptions(link, options.argv0))
    return fail(diagOut, std::move(err));
  llvm::SmallString<128> object;
  int fd;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("dnnc-" + name, "o", fd, object))
    return fail(diagOut, "cannot create a temporary object file: " + ec.message());
  llvm::scope_exit removeObject([&] { llvm::sys::fs::remove(object); });
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    if (llvm::Error err = emitNativeCode(*llvmModule, **machine, NativeFileKind::Object, os))
      return fail(diagOut, std::move(err));
  }
  if (llvm::Error err = linkSharedLibrary(object, options.outputFile, link))
    return fail(diagOut, std::move(err));
  std::string header = options.headerFile;
  if (header.empty()) {
    llvm::SmallString<128> path(options.outputFile);
    llvm::sys::path::replace_extension(path, "h");
    header = path.str().str();
  }
  return writeHeader(*signatures, header, name, diagOut);
}
